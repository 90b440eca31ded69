import SwiftGANCKernels
import XCTest

@testable import SwiftGANTensors

/// The counter-based dropout masks: a pinned stream, the same mask for every thread count, the
/// asked-for keep rate, and no visible structure between neighbours or keys.
final class DropoutMaskTests: XCTestCase {
    /// Values computed independently (Python, the hash written out), so the stream a seed gives
    /// stays the same on every machine and from release to release.
    func testTheDrawsAreThePinnedStream() {
        XCTAssertEqual(sg_dropout_draw(1, 0), 0.3664643168449402)
        XCTAssertEqual(sg_dropout_draw(0x1234_5678_9abc_def0, 5_000_000_000), 0.9482936263084412)
        let mask = Tensor.dropoutMask([3], rate: 0.5, key: 0x1234_5678_9abc_def0)
        XCTAssertEqual(
            mask.scalars, (0..<3).map { sg_dropout_draw(0x1234_5678_9abc_def0, UInt64($0)) < 0.5 ? 0 : 2 })
    }

    func testTheMaskDoesNotDependOnTheThreadCount() {
        let saved = Parallel.workers
        defer { Parallel.workers = saved }
        let masks = [1, 2, 3].map { workers -> [Float] in
            Parallel.workers = workers
            return Tensor.dropoutMask([3, 700_001], rate: 0.3, key: 42).scalars
        }
        XCTAssertEqual(masks[0], masks[1])
        XCTAssertEqual(masks[0], masks[2])
    }

    func testKeepRateValuesAndIndependence() {
        let n = 1_000_000
        for rate: Float in [0.1, 0.3, 0.5] {
            let a = Tensor.dropoutMask([n], rate: rate, key: 7).scalars
            let b = Tensor.dropoutMask([n], rate: rate, key: 8).scalars
            let keep = 1 / (1 - rate)
            XCTAssertTrue(a.allSatisfy { $0 == 0 || $0 == keep }, "values are 0 or 1/(1 − rate)")
            // Kept fraction within 5 standard deviations of 1 − rate (σ = √(p(1 − p)/n) ≤ 5e-4).
            let kept = Double(a.filter { $0 != 0 }.count) / Double(n)
            XCTAssertEqual(kept, 1 - Double(rate), accuracy: 2.5e-3, "rate \(rate)")
            // Neighbours and two keys: agreement as for independent draws, p² + (1 − p)².
            let p = 1 - Double(rate), independent = p * p + (1 - p) * (1 - p)
            let neighbours = Double((1..<n).filter { (a[$0] == 0) == (a[$0 - 1] == 0) }.count) / Double(n - 1)
            let keys = Double((0..<n).filter { (a[$0] == 0) == (b[$0] == 0) }.count) / Double(n)
            // Keys 7 and 8 share their high half: b is not a with the indices XORed by 7 ^ 8 = 15.
            let xored = Double((0..<n).filter { (a[$0] == 0) == (b[$0 ^ 15] == 0) }.count) / Double(n)
            XCTAssertEqual(neighbours, independent, accuracy: 2.5e-3, "rate \(rate): neighbours")
            XCTAssertEqual(keys, independent, accuracy: 2.5e-3, "rate \(rate): keys 7 and 8")
            XCTAssertEqual(xored, independent, accuracy: 2.5e-3, "rate \(rate): keys 7 and 8, indices XORed")
        }
        // The draws themselves: 16 equal bins within 5σ of n/16 each.
        let draws = (0..<UInt64(n)).map { sg_dropout_draw(99, $0) }
        var bins = [Int](repeating: 0, count: 16)
        for d in draws { bins[Int(d * 16)] += 1 }
        let expected = Double(n) / 16, sigma = (expected * 15 / 16).squareRoot()
        for (i, count) in bins.enumerated() {
            XCTAssertEqual(Double(count), expected, accuracy: 5 * sigma, "bin \(i)")
        }
    }

    /// The LeakyReLU-and-dropout operation by finite differences, first and second order, with a
    /// fixed mask (a constant of the operation).
    func testLeakyReLUWithAMaskGradients() {
        let mask = Tensor.dropoutMask([4, 5], rate: 0.4, key: 3)
        let check = GradientCheck(step: 1e-3, absoluteTolerance: 2e-3, relativeTolerance: 2e-2)
        assertGradients([awayFromZero([4, 5], seed: 4)], check: check) {
            $0[0].leakyRelu(slope: 0.2, masked: mask) * $0[0]
        }
    }
}
