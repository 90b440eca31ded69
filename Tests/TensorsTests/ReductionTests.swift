import Foundation
import SwiftGANTensors
import XCTest

final class ReductionTests: XCTestCase {
    let x = awayFromZero([2, 3, 4])

    func testSumAndMeanGradients() {
        for axes in [[0], [1], [2], [-1], [0, 2], [0, 1, 2]] {
            assertGradients([x]) { $0[0].sum(alongAxes: axes) }
            assertGradients([x]) { $0[0].mean(alongAxes: axes, keepingDimensions: true) }
        }
        assertGradients([x]) { $0[0].sum() }
    }

    func testSumAgainstNaiveLoops() {
        let s = x.sum(alongAxes: [0, 2])
        XCTAssertEqual(s.shape, [3])
        for j in 0..<3 {
            var expected: Float = 0
            for i in 0..<2 { for k in 0..<4 { expected += x[i, j, k] } }
            XCTAssertEqual(s[j], expected, accuracy: 1e-5)
        }
        XCTAssertEqual(x.mean(alongAxis: 1, keepingDimensions: true).shape, [2, 1, 4])
        XCTAssertEqual(x.sum().shape, [])
    }

    func testLongSumsAreDeterministicAndAccurate() {
        let n = 3 << 20
        let v = Tensor.uniform([n], using: RandomGenerator(seed: 9))
        var exact = 0.0
        for i in 0..<n { exact += Double(v.data[i]) }
        let saved = Parallel.workers
        Parallel.workers = 1
        let one = v.sum().scalar
        Parallel.workers = 2
        let two = v.sum().scalar
        Parallel.workers = saved
        XCTAssertEqual(one, two)
        XCTAssertEqual(Double(one), exact, accuracy: exact * 1e-6)
    }

    func testMax() {
        let m = x.max(alongAxis: 1)
        XCTAssertEqual(m.shape, [2, 4])
        for i in 0..<2 { for k in 0..<4 { XCTAssertEqual(m[i, k], (0..<3).map { x[i, $0, k] }.max()!) } }
        assertGradients([x]) { $0[0].max(alongAxis: 1) }
        assertGradients([x]) { $0[0].max(alongAxis: -1, keepingDimensions: true) }
        // Ties send the gradient to the first maximum only.
        let tie = Tensor([1, 3, 3]).requiringGradient()
        XCTAssertEqual(gradients(of: tie.max(alongAxis: 0), withRespectTo: [tie])[0].scalars, [0, 1, 0])
    }

    func testLogSoftmaxAgainstDoubleReference() {
        let logits = awayFromZero([3, 5]) * 4
        let got = logits.logSoftmax(alongAxis: 1)
        for r in 0..<3 {
            let row = (0..<5).map { Double(logits[r, $0]) }
            let lse = Foundation.log(row.map { Foundation.exp($0) }.reduce(0, +))
            for c in 0..<5 { XCTAssertEqual(Double(got[r, c]), row[c] - lse, accuracy: 1e-5) }
        }
        let probabilities = logits.softmax(alongAxis: 1).sum(alongAxis: 1)
        assertClose(probabilities.scalars, [1, 1, 1])
    }

    func testLogSoftmaxGradients() {
        assertGradients([awayFromZero([3, 5])]) { $0[0].logSoftmax(alongAxis: 1) }
        assertGradients([awayFromZero([2, 3, 4])]) { $0[0].logSoftmax(alongAxis: 1) }
        assertGradients([awayFromZero([3, 5])]) { $0[0].softmax(alongAxis: -1) }
    }

    func testMeanOfNothingIsNaN() {
        XCTAssertTrue(Tensor.zeros([0, 3]).mean().scalar.isNaN)
        XCTAssertEqual(Tensor.zeros([0, 3]).sum(alongAxis: 0).scalars, [0, 0, 0])
    }
}
