import Foundation
import SwiftGANTensors
import XCTest

final class AutodiffTests: XCTestCase {
    func testTensorUsedTwiceAccumulates() {
        let x = Tensor([1, -2, 3]).requiringGradient()
        XCTAssertEqual(gradients(of: (x * x).sum(), withRespectTo: [x])[0].scalars, [2, -4, 6])
        XCTAssertEqual(gradients(of: (x + x + x).sum(), withRespectTo: [x])[0].scalars, [3, 3, 3])
        // A diamond: y feeds two branches that meet again.
        let y = x.exp()
        let z = (y * 2 + y.pow(2)).sum()
        let expected = x.scalars.map { 2 * Foundation.exp($0) + 2 * Foundation.exp(2 * $0) }
        assertClose(gradients(of: z, withRespectTo: [x])[0].scalars, expected)
    }

    func testNoGradScopeAndDetach() {
        let w = Tensor([2]).requiringGradient()
        let inside = withoutGrad { w * 3 }
        XCTAssertNil(inside.operationName)
        XCTAssertEqual(
            gradients(of: (inside * w).sum(), withRespectTo: [w])[0].scalars, [6], "the no-grad product is a constant")
        let y = (w * w).detached()
        XCTAssertEqual(gradients(of: (y * w).sum(), withRespectTo: [w])[0].scalars, [4], "detach stops the gradient")
        XCTAssertTrue(GradMode.isEnabled)
    }

    func testOnlyRequestedGradientsAndUnusedTargets() {
        let a = Tensor([1, 2]).requiringGradient(), b = Tensor([3, 4]).requiringGradient()
        let unused = Tensor([5]).requiringGradient()
        let grads = gradients(of: (a * b).sum(), withRespectTo: [b, unused])
        XCTAssertEqual(grads[0].scalars, [1, 2])
        XCTAssertEqual(grads[1].scalars, [0], "a target the output does not depend on gets zeros")
    }

    func testGradientWithRespectToAnIntermediate() {
        let x = Tensor([1, 2]).requiringGradient()
        let h = x * 3
        let grads = gradients(of: (h * h).sum(), withRespectTo: [h, x])
        XCTAssertEqual(grads[0].scalars, [6, 12])
        XCTAssertEqual(grads[1].scalars, [18, 36])
    }

    func testFirstOrderGradientsRecordNothing() {
        let x = Tensor([0.5]).requiringGradient()
        let g = gradients(of: x.tanh().sum(), withRespectTo: [x])[0]
        XCTAssertNil(g.operationName)
        let g2 = gradients(of: x.tanh().sum(), withRespectTo: [x], createGraph: true)[0]
        XCTAssertNotNil(g2.operationName)
    }

    func testSecondDerivativesInClosedForm() {
        // d²/dx² tanh(x) = −2 tanh(x)(1 − tanh²(x)); d²/dx² x³ = 6x.
        let x = Tensor([0.3, -0.7]).requiringGradient()
        let first = gradients(of: x.tanh().sum(), withRespectTo: [x], createGraph: true)[0]
        let second = gradients(of: first.sum(), withRespectTo: [x])[0]
        assertClose(
            second.scalars,
            x.scalars.map {
                let t = Foundation.tanh($0); return -2 * t * (1 - t * t)
            })
        let cube = gradients(of: x.pow(3).sum(), withRespectTo: [x], createGraph: true)[0]
        assertClose(gradients(of: cube.sum(), withRespectTo: [x])[0].scalars, x.scalars.map { 6 * $0 })
        // Third order through the same machinery: d³/dx³ x³ = 6.
        let c2 = gradients(of: cube.sum(), withRespectTo: [x], createGraph: true)[0]
        assertClose(gradients(of: c2.sum(), withRespectTo: [x])[0].scalars, [6, 6])
    }

    /// The WGAN-GP penalty: λ·(‖∇ₓD(x̂)‖₂ − 1)² differentiated with respect to D's weights needs the
    /// gradient of a gradient. Checked against finite differences through a two-layer leaky-ReLU MLP.
    func testGradientPenaltyThroughAnMLPMatchesFiniteDifferences() {
        let rng = RandomGenerator(seed: 11)
        let x = Tensor.normal([4, 3], using: rng)
        let w1 = Tensor.normal([3, 5], std: 0.7, using: rng), b1 = Tensor.normal([5], std: 0.1, using: rng)
        let w2 = Tensor.normal([5, 1], std: 0.7, using: rng)
        func penalty(_ p: [Tensor]) -> Tensor {
            let input = x.copy().requiringGradient()
            let d = (input.matmul(p[0]) + p[1]).leakyRelu(slope: 0.2).tanh().matmul(p[2])
            let g = gradients(of: d.sum(), withRespectTo: [input], createGraph: true)[0]
            let norms = ((g * g).sum(alongAxis: 1) + 1e-12).sqrt()
            return ((norms - 1).pow(2)).mean() * 10
        }
        let check = GradientCheck(step: 1e-2, absoluteTolerance: 2e-3, relativeTolerance: 2e-2)
        let mismatches = check.check([w1, b1, w2], penalty)
        XCTAssertTrue(mismatches.isEmpty, "\(mismatches.prefix(5))")
    }

    func testNaNPropagatesThroughReluAndMax() {
        XCTAssertTrue(Tensor([.nan]).relu().scalar.isNaN)
        XCTAssertTrue(Tensor([.nan, 1]).max(alongAxis: 0).scalar.isNaN)
        XCTAssertTrue(Tensor([1, .nan]).max(alongAxis: 0).scalar.isNaN)
        let zero = Tensor([0, 2]).requiringGradient()
        XCTAssertEqual(gradients(of: zero.pow(0).sum(), withRespectTo: [zero])[0].scalars, [0, 0])
    }

    func testExplicitSeedForNonScalarOutputs() {
        let x = Tensor([1, 2, 3]).requiringGradient()
        let g = gradients(of: x * x, withRespectTo: [x], seed: Tensor([1, 0, 2]))[0]
        XCTAssertEqual(g.scalars, [2, 0, 12])
    }
}
