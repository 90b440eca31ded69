import Foundation
import SwiftGANCKernels
import SwiftGANTensors
import XCTest

/// The C kernels behind elu, selu and tanh (Sources/SwiftGANCKernels/activations.c): their expm1
/// and tanh against Foundation's in Double, the ELU forward and backward against scalar references,
/// and each instruction-set variant this machine runs against the portable one, bit for bit.
final class ActivationKernelTests: XCTestCase {
    static let seluAlpha: Float = 1.6732632423543772848170429916717
    static let seluScale: Float = 1.0507009873554804934193349852946

    /// Zeros, denormals and tiny values (relative accuracy), the kernel's range edges (|x| = ln2/2 ≈
    /// 0.3466 where the reduction starts; −17.33, below which expm1 is −1 in Float; its clamp at −87;
    /// 88.72 where it overflows), infinities and NaN.
    static let specials: [Float] = [
        -0.0, 0, .leastNonzeroMagnitude, -.leastNonzeroMagnitude, .leastNormalMagnitude, -.leastNormalMagnitude,
        -1e-30, -1e-8, 1e-8, -1e-4, -0.3, -0.346_573_6, -0.35, -0.36, -1, -2.5, -10, -17.3, -17.4, -87, -88, -89,
        -200, 0.3, 0.36, 1, 10, 88, 88.72, 88.73, 89, 100, .infinity, -.infinity, .nan,
        -.greatestFiniteMagnitude, .greatestFiniteMagnitude,
    ]

    /// The specials and a sweep of [−100, 10] in steps of about 0.01, plus [−1, 1] in finer steps.
    static let sweep: [Float] =
        specials + stride(from: -100.0, through: 10.0, by: 0.009_37).map { Float($0) }
        + stride(from: -1.0, through: 1.0, by: 0.000_131).map { Float($0) }

    /// |got − exact| in units in the last place of a Float at the exact value (2⁻¹⁴⁹ below the
    /// normal range); 0 for NaN against NaN and for equal infinities, infinity for any other mismatch.
    func ulpError(_ got: Float, _ exact: Double) -> Double {
        if exact.isNaN || got.isNaN { return exact.isNaN && got.isNaN ? 0 : .infinity }
        let rounded = Float(exact)
        if rounded.isInfinite || got.isInfinite { return got == rounded ? 0 : .infinity }
        let exponent = exact == 0 ? -126 : max(Int(exact.exponent), -126)
        return Swift.abs(Double(got) - exact) / Double(sign: .plus, exponent: exponent - 23, significand: 1)
    }

    /// A kernel over `x` in `isa`'s variant (the one in use here by default), which must run here.
    func apply(
        _ x: [Float], isa: Int32?,
        _ kernel: (Int32, UnsafePointer<Float>?, UnsafeMutablePointer<Float>?, Int) -> Int32
    ) -> [Float] {
        var y = [Float](repeating: 0, count: x.count)
        XCTAssertEqual(kernel(isa ?? sg_activations_isa(), x, &y, x.count), 1)
        return y
    }

    func expm1(_ x: [Float], isa: Int32? = nil) -> [Float] { apply(x, isa: isa, sg_expm1f_array_isa) }
    func tanh(_ x: [Float], isa: Int32? = nil) -> [Float] { apply(x, isa: isa, sg_tanh_forward_isa) }

    func testExpm1AgainstFoundation() {
        let x = Self.sweep
        let y = expm1(x)
        for (xi, yi) in zip(x, y) {
            let error = ulpError(yi, Foundation.expm1(Double(xi)))
            // Measured over every float of [−100, 10]: 0.85 ulp for x ≤ 0, 1.45 ulp for x > 0.
            XCTAssertLessThanOrEqual(error, xi > 0 ? 1.5 : 1, "expm1(\(xi)) = \(yi)")
        }
        let special = expm1([-0.0, 0, -.infinity, .infinity, .nan, -89, 89, -1e-30])
        XCTAssertEqual(special[0].bitPattern, (-0.0 as Float).bitPattern, "expm1(−0) = −0")
        XCTAssertEqual(special[1].bitPattern, (0 as Float).bitPattern)
        XCTAssertEqual(special[2], -1)
        XCTAssertEqual(special[3], .infinity)
        XCTAssertTrue(special[4].isNaN)
        XCTAssertEqual(special[5], -1)
        XCTAssertEqual(special[6], .infinity)
        XCTAssertEqual(special[7], -1e-30, "tiny values keep their relative accuracy")
    }

    func testTanhAgainstFoundation() {
        // The sweep and its mirror image (tanh is odd; the kernel handles the sign bitwise).
        let x = Self.sweep + Self.sweep.map { -$0 }
        for (xi, yi) in zip(x, tanh(x)) {
            // Measured over every float of [0, 10]: at most 2.5 ulp (near 4.5, where e + 2 rounds).
            XCTAssertLessThanOrEqual(ulpError(yi, Foundation.tanh(Double(xi))), 2.5, "tanh(\(xi)) = \(yi)")
        }
        let special = tanh([-0.0, 0, -.infinity, .infinity, .nan, 9.1, -20, 1e-30, .greatestFiniteMagnitude])
        XCTAssertEqual(special[0].bitPattern, (-0.0 as Float).bitPattern, "tanh(−0) = −0")
        XCTAssertEqual(special[1].bitPattern, (0 as Float).bitPattern)
        XCTAssertEqual(special[2], -1)
        XCTAssertEqual(special[3], 1)
        XCTAssertTrue(special[4].isNaN)
        XCTAssertEqual(special[5], 1, "tanh is 1 in Float from ≈9.01 on")
        XCTAssertEqual(special[6], -1)
        XCTAssertEqual(special[7], 1e-30, "tiny values keep their relative accuracy")
        XCTAssertEqual(special[8], 1)
    }

    func testELUForwardAndBackwardAgainstReferences() {
        let x = Self.sweep
        let g = x.indices.map { Float($0 % 7) - 2.5 }
        for (alpha, scale) in [(Float(1), Float(1)), (1.3, 1), (Self.seluAlpha, Self.seluScale)] {
            var y = [Float](repeating: 0, count: x.count), dx = y
            sg_elu_forward(x, &y, x.count, alpha, scale)
            sg_elu_backward(g, x, y, &dx, x.count, alpha, scale)
            for i in x.indices {
                let exact = Double(scale) * (x[i] > 0 ? Double(x[i]) : Double(alpha) * Foundation.expm1(Double(x[i])))
                // expm1's error (≤ 0.85 ulp below 0) and the roundings of α·e and s·v (measured over
                // every third float of [−100, 0]: 0.84 ulp for ELU, 1.59 for α 1.3, 2.09 for SELU).
                XCTAssertLessThanOrEqual(ulpError(y[i], exact), 2.5, "elu(\(x[i]), α \(alpha), s \(scale)) = \(y[i])")
                // The backward follows derivative(x:y:) exactly: g·(x > 0 ? s : y + s·α).
                let expected = g[i] * (x[i] > 0 ? scale : y[i] + scale * alpha)
                XCTAssertTrue(
                    dx[i].bitPattern == expected.bitPattern || (dx[i].isNaN && expected.isNaN),
                    "elu′(\(x[i])): \(dx[i]) vs \(expected)")
            }
        }
        // NaN in gives NaN out, forward and backward; −inf gives −α·s, with derivative −α·s + α·s = 0.
        var y: [Float] = [0, 0], dx: [Float] = [0, 0]
        sg_elu_forward([.nan, -.infinity], &y, 2, 2, 1)
        XCTAssertTrue(y[0].isNaN)
        XCTAssertEqual(y[1], -2)
        sg_elu_backward([1, 1], [.nan, -.infinity], y, &dx, 2, 2, 1)
        XCTAssertTrue(dx[0].isNaN)
        XCTAssertEqual(dx[1], 0)
    }

    /// Every variant this machine can run gives the portable loop's bits (no variant fuses
    /// multiply-adds), over every 4099th float of [−100, 10] and the specials, at a length that
    /// leaves a remainder after the vector loop, out of place and in place.
    func testVariantsMatchThePortableLoopBitForBit() {
        var x = Self.specials
        var bits = (-100 as Float).bitPattern
        while bits > (-0.0 as Float).bitPattern {
            x.append(Float(bitPattern: bits))
            bits -= 4099
        }
        bits = 0
        while bits < (10 as Float).bitPattern {
            x.append(Float(bitPattern: bits))
            bits += 4099
        }
        if x.count % 16 == 0 { x.append(-0.5) }
        let g = x.indices.map { Float($0 % 5) - 1.5 }
        func run(_ isa: Int32) -> [[UInt32]] {
            var y = [Float](repeating: 0, count: x.count), dx = y, inPlace = x
            XCTAssertEqual(sg_elu_forward_isa(isa, x, &y, x.count, Self.seluAlpha, Self.seluScale), 1)
            XCTAssertEqual(sg_elu_backward_isa(isa, g, x, y, &dx, x.count, Self.seluAlpha, Self.seluScale), 1)
            inPlace.withUnsafeMutableBufferPointer {
                _ = sg_elu_forward_isa(isa, UnsafePointer($0.baseAddress), $0.baseAddress, $0.count, 1, 1)
            }
            return [expm1(x, isa: isa), y, dx, inPlace, tanh(x, isa: isa)].map { $0.map(\.bitPattern) }
        }
        let portable = run(SG_ISA_PORTABLE)
        var checked: [String] = []
        for (isa, name) in [(SG_ISA_AVX2, "AVX2"), (SG_ISA_AVX512, "AVX-512")] {
            guard sg_activations_isa_supported(isa) == 1 else { continue }
            checked.append(name)
            let results = run(isa)
            for (k, what) in ["expm1", "selu", "selu′", "elu in place", "tanh"].enumerated() {
                let differing = zip(results[k], portable[k]).filter { $0 != $1 }.count
                XCTAssertEqual(differing, 0, "\(name) \(what): \(differing) of \(x.count) results differ from portable")
            }
        }
        XCTAssertEqual(sg_activations_isa_supported(SG_ISA_PORTABLE), 1)
        XCTAssertEqual(sg_activations_isa_supported(99), 0)
        XCTAssertEqual(sg_elu_forward_isa(99, x, nil, 0, 1, 1), 0, "an unknown variant runs nothing")
        let variants = checked.isEmpty ? "none on this CPU" : checked.joined(separator: ", ")
        print("Activation kernels: variants checked against portable: \(variants); in use: \(sg_activations_isa())")
    }

    /// `check(x, outputs…)` for the tensors `body` makes from x (above the parallel threshold, so
    /// the kernels run over chunks) on one worker and on four, which must give the same bits.
    func onOneAndFourWorkers(_ x: Tensor, _ body: (Tensor) -> [Tensor], check: ([Tensor]) -> Void) {
        let saved = Parallel.workers
        defer { Parallel.workers = saved }
        var results: [[[UInt32]]] = []
        for workers in [1, 4] {
            Parallel.workers = workers
            let outputs = body(x.requiringGradient())
            check(outputs)
            results.append(outputs.map { $0.scalars.map(\.bitPattern) })
        }
        XCTAssertEqual(results[0], results[1], "one worker and four give the same bits")
    }

    /// Tensor.elu and Tensor.selu record the scalar definition's values; their gradients follow
    /// derivative(x:y:).
    func testTensorELUAndSELUOverChunks() {
        let n = Parallel.elementwiseThreshold * 2 + 7
        let x = Tensor.normal([n], using: RandomGenerator(seed: 11)) * 3
        onOneAndFourWorkers(x) { xv in
            let (e, s) = (xv.elu(alpha: 1.3), xv.selu())
            XCTAssertEqual(e.operationName, "elu")
            XCTAssertEqual(s.operationName, "selu")
            return [e, s, gradients(of: (e * e).sum() + s.sum(), withRespectTo: [xv])[0]]
        } check: { outputs in
            let (px, pe, ps, pg) = (x.data, outputs[0].data, outputs[1].data, outputs[2].data)
            for i in stride(from: 0, to: n, by: 97) {
                let v = px[i]
                let elu = v > 0 ? v : 1.3 * Float(Foundation.expm1(Double(v)))
                XCTAssertEqual(pe[i], elu, accuracy: 4e-7 * Swift.max(1, Swift.abs(elu)))
                let selu = Self.seluScale * (v > 0 ? v : Self.seluAlpha * Float(Foundation.expm1(Double(v))))
                XCTAssertEqual(ps[i], selu, accuracy: 4e-7 * Swift.max(1, Swift.abs(selu)))
                let grad =
                    2 * pe[i] * (v > 0 ? 1 : pe[i] + 1.3)
                    + (v > 0 ? Self.seluScale : ps[i] + Self.seluScale * Self.seluAlpha)
                XCTAssertEqual(pg[i], grad, accuracy: 1e-5 * Swift.max(1, Swift.abs(grad)))
            }
        }
    }

    /// Tensor.tanh records values within the kernel's bound of the exact ones; its gradient is
    /// g·(1 − y²).
    func testTensorTanhOverChunks() {
        let n = Parallel.elementwiseThreshold * 2 + 5
        let x = Tensor.normal([n], using: RandomGenerator(seed: 12)) * 2
        onOneAndFourWorkers(x) { xv in
            let y = xv.tanh()
            XCTAssertEqual(y.operationName, "tanh")
            return [y, gradients(of: (y * y).sum(), withRespectTo: [xv])[0]]
        } check: { outputs in
            let (px, py, pg) = (x.data, outputs[0].data, outputs[1].data)
            for i in stride(from: 0, to: n, by: 89) {
                XCTAssertLessThanOrEqual(ulpError(py[i], Foundation.tanh(Double(px[i]))), 2.5, "tanh(\(px[i]))")
                let grad = 2 * py[i] * (1 - py[i] * py[i])
                XCTAssertEqual(pg[i], grad, accuracy: 1e-6 * Swift.max(1, Swift.abs(grad)))
            }
        }
    }
}
