import SwiftGANCKernels
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

    /// BatchNorm with its LeakyReLU fused (one pass) gives the two operations' values and
    /// first-order gradients bit for bit, and their second-order gradients within rounding.
    func testFusedLeakyReLUMatchesTheTwoOperations() {
        let x = awayFromZero([9, 2, 3, 5], seed: 7) * 2, scale = awayFromZero([5], seed: 8),
            offset = awayFromZero([5], seed: 9)
        for slope: Float in [0.2, 0] {
            let inputs = [x, scale, offset].map { $0.copy().requiringGradient() }
            func run(_ fused: Bool) -> (output: Tensor, first: [Tensor], second: [Tensor]) {
                let (y, _, _) = inputs[0].batchNormalized(
                    scale: inputs[1], offset: inputs[2], epsilon: 1e-3, leakyReLUSlope: fused ? slope : nil)
                let output = fused ? y : y.leakyRelu(slope: slope)
                let weights = Tensor((0..<x.count).map { Float($0 % 7) - 3 }, shape: x.shape)
                let first = gradients(of: (output * weights).sum(), withRespectTo: inputs)
                let recorded = gradients(of: (output * weights).sum(), withRespectTo: inputs, createGraph: true)
                let second = gradients(of: (recorded[0] * recorded[0]).sum(), withRespectTo: inputs)
                return (output, first, second)
            }
            let (fused, separate) = (run(true), run(false))
            XCTAssertEqual(fused.output.operationName, "batchNormLeakyRelu")
            XCTAssertEqual(fused.output.scalars, separate.output.scalars, "slope \(slope): values")
            for (a, b) in zip(fused.first, separate.first) {
                XCTAssertEqual(a.scalars, b.scalars, "slope \(slope): first-order gradients")
            }
            for (a, b) in zip(fused.second, separate.second) {
                assertClose(a.scalars, b.scalars, tolerance: 1e-4)
            }
        }
    }

    func testFusedLeakyReLUGradientsFirstAndSecondOrder() {
        let check = GradientCheck(step: 1e-3, absoluteTolerance: 2e-3, relativeTolerance: 2e-2)
        let x = awayFromZero([5, 3], seed: 10), scale = awayFromZero([3], seed: 11),
            offset = awayFromZero([3], seed: 12)
        assertGradients([x, scale, offset], check: check) {
            $0[0].batchNormalized(scale: $0[1], offset: $0[2], epsilon: 1e-3, leakyReLUSlope: 0.2).output
        }
    }

    /// The C passes behind batchNormalized: each instruction-set variant this machine runs gives
    /// the portable loop's bits (channel counts that leave a remainder after the vector loop).
    func testKernelVariantsMatchThePortableLoopBitForBit() {
        let (rows, c) = (7, 37)
        let g = awayFromZero([rows, c], seed: 13).scalars, x = awayFromZero([rows, c], seed: 14).scalars
        let (mean, inverse, scale, offset) = (
            awayFromZero([c], seed: 15).scalars, positive([c], seed: 16).scalars, awayFromZero([c], seed: 17).scalars,
            awayFromZero([c], seed: 18).scalars
        )
        let (sumG, sumGX) = (awayFromZero([c], seed: 19).scalars, awayFromZero([c], seed: 20).scalars)
        func run(_ isa: Int32) -> [[UInt32]] {
            [(0, rows * c), (1, 2 * c), (2, rows * c), (3, c)].map { pass, count in
                var out = [Float](repeating: pass == 1 ? 0.5 : 0, count: count)
                XCTAssertEqual(
                    sg_batchnorm_isa(
                        isa, Int32(pass), g, x, &out, rows, c, mean, inverse, scale, offset, 0.2, sumG, sumGX, 9),
                    1)
                return out.map(\.bitPattern)
            }
        }
        let portable = run(SG_ISA_PORTABLE)
        for isa in [SG_ISA_AVX2, SG_ISA_AVX512] where sg_activations_isa_supported(isa) == 1 {
            XCTAssertEqual(run(isa), portable, "variant \(isa)")
        }
        XCTAssertEqual(sg_batchnorm_isa(99, 0, nil, nil, nil, 0, 0, nil, nil, nil, nil, 1, nil, nil, 1), 0)
    }
}
