import XCTest

@testable import SwiftGANTensors

/// bf16 mixed precision: the rounding it emulates, the error bound that follows from bf16's 8-bit
/// significand and the reduction length, and oneDNN's bf16 passes against both (skipped where the
/// CPU has no bf16 arithmetic; the emulated tests run everywhere).
///
/// The bound. A bf16 pass multiplies x̃ = bf16(x) by w̃ = bf16(w), each within a relative u = 2⁻⁸ of
/// its value, so every product is within (2u + u²)·|x·w| of the exact one; bf16 products are exact
/// in fp32 (8 × 8 significant bits), and summing K of them in fp32 adds at most K·ε·Σ|x̃·w̃|
/// (ε = 2⁻²⁴). Per output element, with S = Σ|x̃·w̃| (the same pass run on absolute values):
///
///     |bf16 − fp32| ≤ ((2u + u²)/(1 − u)² + 2K·ε)·S        |bf16 − emulation| ≤ 2K·ε·S
///
/// where the emulation is the fp32 pass on already-rounded inputs (same products, another order).
final class PrecisionTests: XCTestCase {
    typealias Layer = ConvolutionBackendTests.Layer
    let u = Double(Precision.bf16UnitRoundoff), epsilon = 0x1p-24

    /// The zoo's layer shapes (ConvolutionBackendTests) at batch 1 and without dcgan64's 64×64
    /// ones: the portable reference runs in debug builds, and the kernels do not depend on it.
    static let layers = ConvolutionBackendTests.modelLayers.filter { !$0.name.hasPrefix("dcgan64") }.map {
        Layer(
            name: $0.name, batch: 1, height: $0.height, width: $0.width, inChannels: $0.inChannels,
            outChannels: $0.outChannels, kernel: $0.kernel, stride: $0.stride, padding: $0.padding,
            transposed: $0.transposed)
    }

    func testRoundingIsToNearestEvenAsTheCPUDoes() {
        let spacing: Float = 0x1p-7  // bf16's spacing in [1, 2)
        XCTAssertEqual(Float(1).bfloat16Rounded, 1)
        XCTAssertEqual((1 + spacing / 2).bfloat16Rounded, 1, "a tie goes to the even significand")
        XCTAssertEqual((1 + 3 * spacing / 2).bfloat16Rounded, 1 + 2 * spacing, "a tie goes to the even significand")
        XCTAssertEqual((1 + spacing / 2 + 0x1p-20).bfloat16Rounded, 1 + spacing, "above the tie rounds up")
        XCTAssertEqual((-(1 + spacing / 2 + 0x1p-20)).bfloat16Rounded, -(1 + spacing), "symmetric in sign")
        XCTAssertEqual(
            Float(3.0e-39).bfloat16Rounded.bitPattern, 0, "a subnormal flushes to zero, as vcvtneps2bf16 does")
        XCTAssertEqual((-Float.leastNonzeroMagnitude).bfloat16Rounded.bitPattern, (-0.0 as Float).bitPattern)
        XCTAssertEqual((-0.0 as Float).bfloat16Rounded.bitPattern, (-0.0 as Float).bitPattern)
        XCTAssertEqual(Float.infinity.bfloat16Rounded, .infinity)
        XCTAssertEqual(Float.greatestFiniteMagnitude.bfloat16Rounded, .infinity, "beyond bf16's largest + half a step")
        XCTAssertTrue(Float.nan.bfloat16Rounded.isNaN)
        // Every rounded value has 8 significant bits and lies within u of the value.
        let rng = RandomGenerator(seed: 3)
        for _ in 0..<10_000 {
            let x = Float(rng.uniformDouble() * 2 - 1) * Float(pow(2.0, Double(rng.integer(below: 60)) - 30))
            let r = x.bfloat16Rounded
            XCTAssertEqual(r.bitPattern & 0xffff, 0)
            XCTAssertLessThanOrEqual(abs(Double(r) - Double(x)), u * abs(Double(x)), "\(x) → \(r)")
        }
    }

    /// The output, the input gradient and the kernel gradient of one layer: three passes.
    func passes(_ layer: Layer, _ x: Tensor, _ kernel: Tensor, _ seed: Tensor) -> [Tensor] {
        let (x, kernel) = (x.copy().requiringGradient(), kernel.copy().requiringGradient())
        let y =
            layer.transposed
            ? x.convTranspose2d(kernel, stride: layer.stride, padding: layer.padding)
            : x.conv2d(kernel, stride: layer.stride, padding: layer.padding)
        let g = gradients(of: (y * seed).sum(), withRespectTo: [x, kernel])
        return [y, g[0], g[1]]
    }

    /// Inputs of one layer: x, kernel, and the gradient seed of its output's shape.
    func inputs(_ layer: Layer, seed: UInt64) -> (x: Tensor, kernel: Tensor, seed: Tensor) {
        let x = awayFromZero([layer.batch, layer.height, layer.width, layer.inChannels], seed: seed)
        let kernel = awayFromZero(
            layer.transposed
                ? [layer.kernel, layer.kernel, layer.outChannels, layer.inChannels]
                : [layer.kernel, layer.kernel, layer.inChannels, layer.outChannels], seed: seed + 100)
        let outShape = ConvolutionBackend.with(.portable) {
            withoutGrad {
                layer.transposed
                    ? x.convTranspose2d(kernel, stride: layer.stride, padding: layer.padding).shape
                    : x.conv2d(kernel, stride: layer.stride, padding: layer.padding).shape
            }
        }
        return (x, kernel, awayFromZero(outShape, seed: seed + 200))
    }

    /// The longest sum any of the three passes makes: k²·channels (data passes) or the positions
    /// a kernel tap visits (kernel gradient).
    func reductionLength(_ layer: Layer) -> Double {
        let big = layer.transposed ? layer.height * layer.stride : layer.height
        let bigWidth = layer.transposed ? layer.width * layer.stride : layer.width
        return Double(
            max(layer.kernel * layer.kernel * max(layer.inChannels, layer.outChannels), layer.batch * big * bigWidth))
    }

    /// Elementwise |a − b| ≤ factor·s; returns the largest |a − b| / s seen.
    @discardableResult
    func assertWithin(_ a: Tensor, _ b: Tensor, _ factor: Double, of s: Tensor, _ what: String) -> Double {
        XCTAssertEqual(a.shape, b.shape, what)
        var worst = 0.0
        let sums = s.scalars
        for (i, (p, q)) in zip(a.scalars, b.scalars).enumerated() {
            let bound = factor * Double(sums[i]) + 1e-30
            let d = abs(Double(p) - Double(q))
            worst = max(worst, d / bound * factor)
            if d > bound {
                XCTFail("\(what): element \(i) differs by \(d), bound \(bound)")
                break
            }
        }
        return worst
    }

    func rounded(_ t: (x: Tensor, kernel: Tensor, seed: Tensor)) -> (Tensor, Tensor, Tensor) {
        (t.x.bfloat16Rounded(), t.kernel.bfloat16Rounded(), t.seed.bfloat16Rounded())
    }

    /// Runs everywhere: fp32 passes on rounded inputs stay within the derived bound of the fp32
    /// passes, and differ from them (the rounding is not a no-op).
    func testEmulatedBF16PassesStayWithinTheDerivedBound() {
        for (i, layer) in Self.layers.enumerated() {
            let t = inputs(layer, seed: UInt64(i))
            let (rx, rk, rs) = rounded(t)
            ConvolutionBackend.with(.portable) {
                let exact = passes(layer, t.x, t.kernel, t.seed)
                let emulated = passes(layer, rx, rk, rs)
                let sums = passes(layer, rx.abs(), rk.abs(), rs.abs())
                let factor = (2 * u + u * u) / ((1 - u) * (1 - u)) + 2 * reductionLength(layer) * epsilon
                for (pass, j) in zip(["forward", "input gradient", "kernel gradient"], 0..<3) {
                    assertWithin(emulated[j], exact[j], factor, of: sums[j], "\(layer.name) \(pass)")
                    XCTAssertNotEqual(
                        emulated[j].scalars, exact[j].scalars, "\(layer.name) \(pass): rounding changed nothing")
                }
            }
        }
    }

    /// oneDNN's bf16 passes on the zoo's layer shapes: the same products as the emulation (only the
    /// summation order differs), and within the derived bound of fp32. Winograd layers (fp32 in
    /// either precision) are turned off: this is oneDNN's bf16.
    func testOneDNNBF16PassesMatchTheEmulation() throws {
        try XCTSkipIf(
            Precision.bf16Unavailability != nil, "bf16 does not run here: \(Precision.bf16Unavailability ?? "")")
        try ConvolutionBackend.withWinograd(false) { try oneDNNBF16PassesMatchTheEmulation() }
    }

    func oneDNNBF16PassesMatchTheEmulation() throws {
        for (i, layer) in Self.layers.enumerated() {
            let t = inputs(layer, seed: UInt64(i))
            let (rx, rk, rs) = rounded(t)
            let (exact, emulated, sums) = ConvolutionBackend.with(.portable) {
                (
                    passes(layer, t.x, t.kernel, t.seed), passes(layer, rx, rk, rs),
                    passes(layer, rx.abs(), rk.abs(), rs.abs())
                )
            }
            let bf16 = try ConvolutionBackend.with(.oneDNN) {
                try Precision.with(.bf16) { passes(layer, t.x, t.kernel, t.seed) }
            }
            let orderOnly = 2 * reductionLength(layer) * epsilon
            let bound = (2 * u + u * u) / ((1 - u) * (1 - u)) + orderOnly
            for (pass, j) in zip(["forward", "input gradient", "kernel gradient"], 0..<3) {
                let name = "\(layer.name) \(pass)"
                assertWithin(bf16[j], emulated[j], orderOnly, of: sums[j], "\(name) against the emulation")
                assertWithin(bf16[j], exact[j], bound, of: sums[j], "\(name) against fp32")
                // Not fp32 in disguise: far nearer the emulation than fp32 is.
                let toEmulation = zip(bf16[j].scalars, emulated[j].scalars).map { abs($0 - $1) }.max() ?? 0
                let fp32ToEmulation = zip(exact[j].scalars, emulated[j].scalars).map { abs($0 - $1) }.max() ?? 0
                XCTAssertLessThan(toEmulation, 0.1 * fp32ToEmulation, "\(name): bf16 did not round its inputs")
            }
        }
    }

    /// bf16 matrix products (all four transpose cases, and the dense layer's accumulate) against
    /// the emulation and fp32.
    func testOneDNNBF16MatrixProductsMatchTheEmulation() throws {
        try XCTSkipIf(
            Precision.bf16Unavailability != nil, "bf16 does not run here: \(Precision.bf16Unavailability ?? "")")
        let (m, k, n) = (37, 300, 29)
        let k2 = Double(k) * 2 * epsilon
        for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
            let a = awayFromZero(ta ? [k, m] : [m, k], seed: 1), b = awayFromZero(tb ? [n, k] : [k, n], seed: 2)
            let exact = withoutGrad { a.matmul(b, transposeSelf: ta, transposeOther: tb) }
            let (ra, rb) = (a.bfloat16Rounded(), b.bfloat16Rounded())
            let emulated = withoutGrad { ra.matmul(rb, transposeSelf: ta, transposeOther: tb) }
            let sums = withoutGrad { ra.abs().matmul(rb.abs(), transposeSelf: ta, transposeOther: tb) }
            let bf16 = try Precision.with(.bf16) { withoutGrad { a.matmul(b, transposeSelf: ta, transposeOther: tb) } }
            assertWithin(bf16, emulated, k2, of: sums, "matmul \(ta) \(tb) against the emulation")
            assertWithin(bf16, exact, (2 * u + u * u) / ((1 - u) * (1 - u)) + k2, of: sums, "matmul \(ta) \(tb)")
            XCTAssertNotEqual(bf16.scalars, exact.scalars, "matmul \(ta) \(tb): bf16 did not round its inputs")
        }
        // A product with the identity is the rounding itself, exactly: the gemm path's conversion
        // against the emulation, ties and subnormals included (a NaN would spread along its row).
        let special: [Float] = [
            1 + 0x1p-8, 1 + 3 * 0x1p-8, -(1 + 0x1p-8 + 0x1p-20), 0x1.0bp-128, -0x1.1p-133, 1e38, 3.3895e38,
        ]
        let values = Tensor(
            special + (0..<(16 * 16 - special.count)).map { Float($0) * 0.0137 - 1.3 }, shape: [16, 16])
        let identity = Tensor((0..<256).map { $0 / 16 == $0 % 16 ? 1 : 0 }, shape: [16, 16])
        let rounded = try Precision.with(.bf16) { withoutGrad { values.matmul(identity) } }
        for (got, want) in zip(rounded.scalars, values.bfloat16Rounded().scalars) {
            XCTAssertEqual(got, want, "the gemm path's rounding against the emulation")
        }
        let x = awayFromZero([m, k], seed: 3), w = awayFromZero([k, n], seed: 4), bias = awayFromZero([n], seed: 5)
        let emulated = withoutGrad { x.bfloat16Rounded().linear(w.bfloat16Rounded(), bias: bias) }
        let sums = withoutGrad { x.bfloat16Rounded().abs().matmul(w.bfloat16Rounded().abs()) + bias.abs() }
        let bf16 = try Precision.with(.bf16) { withoutGrad { x.linear(w, bias: bias) } }
        assertWithin(bf16, emulated, k2, of: sums, "linear against the emulation")
    }

    /// A product's bf16 operands are converted once per version of their values (every machine:
    /// the conversion needs no oneDNN): the copy is the emulated rounding bit for bit, a second
    /// use reads the same copy, and an in-place change (an optimizer step, `assign`) makes a new
    /// one, so a product never reads a weight's old values.
    func testBF16OperandCopiesFollowInPlaceChanges() {
        let w = awayFromZero([33, 7], seed: 6)
        func copy(_ t: Tensor) -> [UInt16] {
            Array(UnsafeBufferPointer(start: t.bfloat16Operand.assumingMemoryBound(to: UInt16.self), count: t.count))
        }
        let rounded = { (t: Tensor) in t.bfloat16Rounded().scalars.map { UInt16($0.bitPattern >> 16) } }
        XCTAssertEqual(copy(w), rounded(w))
        XCTAssertEqual(w.bfloat16Operand, w.bfloat16Operand, "converted once while the values stay")
        XCTAssertEqual(Tensor(shape: [7, 33], sharing: w.storage).bfloat16Operand, w.bfloat16Operand, "views share it")
        let other = awayFromZero([33, 7], seed: 7)
        w.assign(other)
        XCTAssertEqual(copy(w), rounded(other), "assign made a new copy")
        let (m, v) = (Tensor.zeros(w.shape), Tensor.zeros(w.shape))
        w.adamUpdate(
            gradient: awayFromZero(w.shape, seed: 8), firstMoment: m, secondMoment: v, correctedLearningRate: 0.1,
            beta1: 0.5, beta2: 0.9, epsilon: 1e-7)
        XCTAssertEqual(copy(w), rounded(w), "an optimizer step made a new copy")
        XCTAssertNotEqual(rounded(w), rounded(other))
    }

    /// Where bf16 cannot run, asking for it says why and changes nothing; where it can, the
    /// precision is set and restored.
    func testBF16IsRefusedWithTheReasonWhereItCannotRun() throws {
        XCTAssertEqual(Precision.current, .fp32)
        if let reason = Precision.bf16Unavailability {
            XCTAssertThrowsError(try Precision.use(.bf16)) { error in
                XCTAssertEqual("\(error)", reason)
            }
            XCTAssertTrue(reason.contains("oneDNN") || reason.contains("AVX512_BF16"), reason)
        } else {
            try Precision.with(.bf16) { XCTAssertEqual(Precision.current, .bf16) }
        }
        XCTAssertEqual(Precision.current, .fp32)
        Precision.inFP32 { XCTAssertEqual(Precision.current, .fp32) }
    }

    /// oneDNN's bf16 passes (Winograd off, batch 3) give the same values on one and on two threads
    /// for the zoo's layer shapes, as the engine's own work does: results do not depend on the
    /// thread count in bf16 either.
    func testBF16ResultsDoNotDependOnTheThreadCount() throws {
        try XCTSkipIf(
            Precision.bf16Unavailability != nil, "bf16 does not run here: \(Precision.bf16Unavailability ?? "")")
        let saved = Parallel.workers
        defer { Parallel.workers = saved }
        var results: [[[Float]]] = []
        for workers in [1, 2] {
            Parallel.workers = workers
            var perLayer: [[Float]] = []
            for (i, layer) in Self.layers.enumerated() {
                let batch = Layer(
                    name: layer.name, batch: 3, height: layer.height, width: layer.width, inChannels: layer.inChannels,
                    outChannels: layer.outChannels, kernel: layer.kernel, stride: layer.stride, padding: layer.padding,
                    transposed: layer.transposed)
                let t = inputs(batch, seed: UInt64(i))
                let bf16 = try ConvolutionBackend.with(.oneDNN) {
                    try ConvolutionBackend.withWinograd(false) {
                        try Precision.with(.bf16) { passes(batch, t.x, t.kernel, t.seed) }
                    }
                }
                perLayer += bf16.map(\.scalars)
            }
            results.append(perLayer)
        }
        XCTAssertEqual(results[0], results[1])
    }

}
