import SwiftGANTensors
import XCTest

final class NormalizationTests: XCTestCase {
    /// The fused kernel against the definition written with plain tensor operations.
    func testForwardMatchesTheDefinition() {
        for shape in [[6, 3], [2, 3, 2, 4]] {
            let x = awayFromZero(shape, seed: 1) * 3 + 1, scale = awayFromZero([shape.last!], seed: 2),
                offset = awayFromZero([shape.last!], seed: 3)
            let (y, mean, variance) = x.batchNormalized(scale: scale, offset: offset, epsilon: 1e-3)
            let axes = Array(0..<(shape.count - 1))
            let mu = x.mean(alongAxes: axes), centered = x - mu
            let v = (centered * centered).mean(alongAxes: axes)
            assertClose(mean.scalars, mu.scalars)
            assertClose(variance.scalars, v.scalars)
            assertClose(y.scalars, (centered * (scale * (v + 1e-3).pow(-0.5)) + offset).scalars, tolerance: 1e-4)
        }
    }

    func testGradientsFirstAndSecondOrder() {
        let check = GradientCheck(step: 1e-2, absoluteTolerance: 2e-3, relativeTolerance: 2e-2)
        for shape in [[5, 3], [2, 2, 2, 3]] {
            let x = awayFromZero(shape, seed: 4), scale = awayFromZero([3], seed: 5),
                offset = awayFromZero([3], seed: 6)
            assertGradients([x, scale, offset], check: check) {
                $0[0].batchNormalized(scale: $0[1], offset: $0[2], epsilon: 1e-3).output
            }
            // Through a nonlinearity, as in a network.
            assertGradients([x, scale, offset], check: check) {
                $0[0].batchNormalized(scale: $0[1], offset: $0[2], epsilon: 1e-3).output.tanh()
            }
        }
    }
}
