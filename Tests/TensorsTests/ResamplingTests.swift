import SwiftGANTensors
import XCTest

/// Nearest upsampling and average pooling against naive loops, and their gradients (first and
/// second order) against finite differences.
final class ResamplingTests: XCTestCase {
    func testUpsamplingRepeatsEachPixelAsABlock() {
        let rng = RandomGenerator(seed: 0)
        let x = Tensor.normal([2, 3, 2, 3], using: rng)
        let y = x.upsampledNearest(factor: 2)
        XCTAssertEqual(y.shape, [2, 6, 4, 3])
        for b in 0..<2 {
            for i in 0..<6 {
                for j in 0..<4 { for c in 0..<3 { XCTAssertEqual(y[b, i, j, c], x[b, i / 2, j / 2, c]) } }
            }
        }
        XCTAssertEqual(x.upsampledNearest(factor: 1).scalars, x.scalars)
    }

    func testAveragePoolingAveragesEachWindow() {
        let rng = RandomGenerator(seed: 1)
        let x = Tensor.normal([2, 6, 3, 2], using: rng)
        let y = x.averagePooled(factor: 3)
        XCTAssertEqual(y.shape, [2, 2, 1, 2])
        for b in 0..<2 {
            for i in 0..<2 {
                for c in 0..<2 {
                    var sum: Float = 0
                    for di in 0..<3 { for dj in 0..<3 { sum += x[b, i * 3 + di, dj, c] } }
                    XCTAssertEqual(y[b, i, 0, c], sum / 9, accuracy: 1e-6)
                }
            }
        }
        // Pooling undoes upsampling.
        XCTAssertEqual(x.upsampledNearest(factor: 2).averagePooled(factor: 2).scalars, x.scalars)
    }

    func testGradientsMatchFiniteDifferences() {
        let rng = RandomGenerator(seed: 2)
        let x = Tensor.normal([2, 4, 4, 3], using: rng)
        let check = GradientCheck()
        // Squared after the op, so the second derivative is not identically zero.
        XCTAssertEqual(
            check.check([x]) { ($0[0].upsampledNearest(factor: 2) * $0[0].upsampledNearest(factor: 2)).tanh() }.map(
                \.description), [])
        XCTAssertEqual(
            check.check([x]) { ($0[0].averagePooled(factor: 2) * $0[0].averagePooled(factor: 2)).tanh() }.map(
                \.description), [])
        XCTAssertEqual(
            check.checkSecondOrder([x]) {
                ($0[0].upsampledNearest(factor: 2) * $0[0].upsampledNearest(factor: 2)).tanh()
            }.map(\.description), [])
        XCTAssertEqual(
            check.checkSecondOrder([x]) { ($0[0].averagePooled(factor: 2) * $0[0].averagePooled(factor: 2)).tanh() }
                .map(\.description), [])
    }
}
