import SwiftGANTensors
import XCTest

/// Random values in ±[0.1, 1.1]: away from 0, where relu, abs and leaky relu have kinks.
func awayFromZero(_ shape: [Int], seed: UInt64 = 1) -> Tensor {
    let t = Tensor.uniform(shape, low: -1, high: 1, using: RandomGenerator(seed: seed))
    for i in 0..<t.count { t.data[i] = t.data[i] < 0 ? t.data[i] - 0.1 : t.data[i] + 0.1 }
    return t
}

func positive(_ shape: [Int], seed: UInt64 = 2) -> Tensor {
    Tensor.uniform(shape, low: 0.5, high: 2, using: RandomGenerator(seed: seed))
}

func assertGradients(
    _ inputs: [Tensor], check: GradientCheck = GradientCheck(), secondOrder: Bool = true,
    file: StaticString = #filePath, line: UInt = #line, _ f: @escaping ([Tensor]) -> Tensor
) {
    let first = check.check(inputs, f)
    XCTAssertTrue(first.isEmpty, "first-order mismatches: \(first.prefix(5))", file: file, line: line)
    if secondOrder {
        let second = check.checkSecondOrder(inputs, f)
        XCTAssertTrue(second.isEmpty, "second-order mismatches: \(second.prefix(5))", file: file, line: line)
    }
}

func assertClose(
    _ a: [Float], _ b: [Float], tolerance: Float = 1e-5, file: StaticString = #filePath, line: UInt = #line
) {
    XCTAssertEqual(a.count, b.count, "lengths differ", file: file, line: line)
    for (i, (x, y)) in zip(a, b).enumerated() where !(Swift.abs(x - y) <= tolerance * Swift.max(1, Swift.abs(y))) {
        XCTFail("element \(i): \(x) vs \(y)", file: file, line: line)
        return
    }
}
