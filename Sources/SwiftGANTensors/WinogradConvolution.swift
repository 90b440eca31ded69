import Foundation
import SwiftGANCKernels

extension ConvolutionBackend {
    /// Whether stride-1 5×5 convolutions run as Winograd F(4×4, 5×5) where its rule finds them
    /// worth it (both channel counts at least 16, maps of 3×3 and up; see WinogradConvolution.swift),
    /// on either backend: the kernels are SwiftGAN's own fp32 C and need neither oneDNN nor BLAS.
    /// Results differ from the direct kernels' by rounding only (≈1e-5 of the output's scale).
    ///
    /// Default: on in optimized builds, off in debug builds, where SwiftPM compiles the C kernels
    /// at -O0 (≈9× slower, slower than oneDNN: acgan's debug-build tests took 1.5 min longer).
    /// `SWIFTGAN_WINOGRAD=0` (or `false`, `no`, `off`) starts it off, any other value on, so
    /// benchmarks and tests can compare. Set it from one thread, between steps.
    nonisolated(unsafe) public static var usesWinograd: Bool = {
        let setting = ProcessInfo.processInfo.environment["SWIFTGAN_WINOGRAD"]?.lowercased() ?? ""
        if ["0", "false", "no", "off"].contains(setting) { return false }
        if !setting.isEmpty { return true }
        #if DEBUG
        return false
        #else
        return true
        #endif
    }()

    /// Which Winograd kernels this CPU runs ("avx512", "avx2+fma" or "portable"), for logs.
    public static var winogradVariant: String { String(cString: sg_winograd_variant()) }

    /// Runs `body` with Winograd on or off, restoring the previous setting after.
    public static func withWinograd<T>(_ on: Bool, _ body: () throws -> T) rethrows -> T {
        let saved = usesWinograd
        usesWinograd = on
        defer { usesWinograd = saved }
        return try body()
    }
}

/// A stride-1 5×5 convolution computed with Winograd's F(4×4, 5×5): each 4×4 block of outputs
/// comes from the 8×8 block of inputs under it as
///
///     y = Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A,
///
/// which over the channels is 64 matrix products (one per frequency point) of 64 multiply-adds per
/// tile and channel pair where the direct form needs 16·25 = 400: on 14×14 maps, whose 16 tiles
/// cover 16×16, 4.8× fewer. The kernels are in SwiftGANCKernels/winograd.c (matrices, transforms,
/// the three passes). The passes are those of ``OneDNNConvolution``, each the adjoint of the
/// others, so gradients of gradients work:
///
///     y  = forward(x, W)          ∂/∂x: backwardData(g, W)      ∂/∂W: backwardWeights(x, g)
///     dx = backwardData(dy, W)    ∂/∂dy: forward(g, W)          ∂/∂W: backwardWeights(g, dy)
///     dW = backwardWeights(x, dy) ∂/∂x: backwardData(dy, g)     ∂/∂dy: forward(x, g)
///
/// Values differ from the direct form's by up to ≈1e-5 of max|y| (the transforms' points ±2, ±½
/// amplify fp32 rounding); they never depend on the worker count.
struct WinogradConvolution {
    let kernelShape: [Int]  // [5, 5, in, out] (Keras's Conv2D layout)
    let inputShape: [Int], outputShape: [Int]
    private let shape: sg_winograd_shape

    /// When Winograd runs instead of the direct kernels (the one place this is decided; stride 1
    /// and 5×5 are the initializer's to check):
    /// - both channel counts at least 16: the tile transforms cost per channel about what each
    ///   frequency point's product costs per channel pair, so with fewer channels they are no
    ///   longer small next to the products, and oneDNN's direct kernels are already cheap there;
    /// - the tiles cover the output with at most half the direct form's multiplies (64 per tile
    ///   against 25 per output): 3×3 maps and larger qualify (14×14: 4.8× fewer; 4×4: 6.3×),
    ///   1×1 and 2×2 do not. The transforms and a product rate below oneDNN's direct kernels eat
    ///   about half the advantage: on one Zen 5 core (C harness against oneDNN 2.6), acgan's
    ///   80 → 80 at 14×14 ran 2.3× (forward), 2.6× (backward data) and 1.7–2.1× (backward weights)
    ///   faster for 4.8× fewer multiplies, 70 ↔ 140 on 4×4 maps 1.5–3.3×, 16 → 16 at 14×14
    ///   1.0–1.3×, and 8 → 8 lost (1.5 ms against 0.8).
    static func isWorthwhile(_ g: ConvGeometry, inChannels: Int, outChannels: Int) -> Bool {
        let tiles = (g.outputHeight + 3) / 4 * ((g.outputWidth + 3) / 4)
        return inChannels >= 16 && outChannels >= 16 && 2 * 64 * tiles <= 25 * g.outputHeight * g.outputWidth
    }

    /// The convolution `g` over a batch of `n` images of `inChannels` to `outChannels`, when
    /// Winograd is switched on and worth it for the shape.
    init?(_ g: ConvGeometry, batch n: Int, inChannels: Int, outChannels: Int) {
        guard ConvolutionBackend.usesWinograd, Self.isWorthwhile(g, inChannels: inChannels, outChannels: outChannels)
        else { return nil }
        self.init(anyChannels: g, batch: n, inChannels: inChannels, outChannels: outChannels)
    }

    /// Any stride-1 5×5 geometry, whatever its channels and the switch (tests reach every shape).
    init?(anyChannels g: ConvGeometry, batch n: Int, inChannels: Int, outChannels: Int) {
        let sizes = [
            n, g.inputHeight, g.inputWidth, inChannels, g.outputHeight, g.outputWidth, outChannels, g.padTop,
            g.padLeft,
        ].compactMap { Int32(exactly: $0) }
        guard g.stride == 1, g.kernelHeight == 5, g.kernelWidth == 5, sizes.count == 9 else { return nil }
        var s = sg_winograd_shape(
            batch: sizes[0], in_height: sizes[1], in_width: sizes[2], in_channels: sizes[3],
            out_height: sizes[4], out_width: sizes[5], out_channels: sizes[6], pad_top: sizes[7], pad_left: sizes[8])
        // The C side checks the rest (positive sizes, buffer sizes that fit): 0 is its "no".
        let passes = [SG_WINOGRAD_FORWARD, SG_WINOGRAD_BACKWARD_DATA, SG_WINOGRAD_BACKWARD_WEIGHTS]
        let buffers =
            passes.map { sg_winograd_scratch_floats(&s, $0) }
            + passes.dropLast().map { sg_winograd_kernel_floats(&s, $0) }
            + [sg_winograd_partials_floats(&s)]
        guard !buffers.contains(0) else { return nil }
        shape = s
        kernelShape = [5, 5, inChannels, outChannels]
        inputShape = [n, g.inputHeight, g.inputWidth, inChannels]
        outputShape = [n, g.outputHeight, g.outputWidth, outChannels]
    }

    func forward(_ x: Tensor, _ kernel: Tensor) -> Tensor {
        let y = overImages(SG_WINOGRAD_FORWARD, x, kernel, from: inputShape, to: outputShape)
        return Tensor.record("winogradConv2d", y, [x, kernel]) { g, wanted in
            [wanted[0] ? backwardData(g, kernel) : nil, wanted[1] ? backwardWeights(x, g) : nil]
        }
    }

    func backwardData(_ dy: Tensor, _ kernel: Tensor) -> Tensor {
        let dx = overImages(SG_WINOGRAD_BACKWARD_DATA, dy, kernel, from: outputShape, to: inputShape)
        return Tensor.record("winogradConv2dBackwardData", dx, [dy, kernel]) { g, wanted in
            [wanted[0] ? forward(g, kernel) : nil, wanted[1] ? backwardWeights(g, dy) : nil]
        }
    }

    func backwardWeights(_ x: Tensor, _ dy: Tensor) -> Tensor {
        check(x, inputShape, nil)
        check(dy, outputShape, nil)
        FLOPCounter.addMultiplyAdds(directMultiplyAdds)
        var s = shape
        let groups = Int(sg_winograd_weight_groups(&s)),
            floats = sg_winograd_scratch_floats(&s, SG_WINOGRAD_BACKWARD_WEIGHTS)
        // Each group of images sums its tiles into its own partial (groups are fixed by the shape),
        // then the partials are added in group order: the same sums for any number of workers.
        let partials = Tensor(uninitialized: [sg_winograd_partials_floats(&s)])
        parallel(groups, minimumChunk: chunk(work: transformedMultiplyAdds / groups)) { s, range in
            let scratch = Tensor(uninitialized: [floats])
            return withExtendedLifetime(scratch) {
                sg_winograd_backward_weights(
                    &s, x.data, dy.data, partials.data, partials.count, range.first, range.end, scratch.data,
                    scratch.count)
            }
        }
        let dW = Tensor(uninitialized: kernelShape)
        let channels = kernelShape[2]
        parallel(channels, minimumChunk: chunk(work: partials.count / channels, elementwise: true)) { s, range in
            sg_winograd_reduce_weights(&s, partials.data, partials.count, dW.data, range.first, range.end)
        }
        return Tensor.record("winogradConv2dBackwardWeights", dW, [x, dy]) { g, wanted in
            [wanted[0] ? backwardData(dy, g) : nil, wanted[1] ? forward(x, g) : nil]
        }
    }

    // MARK: Work split

    /// Multiply-adds of the direct form (what FLOPCounter counts, as for oneDNN's passes, so that
    /// GFLOP/s figures stay comparable between backends).
    private var directMultiplyAdds: Int { outputShape.reduce(1, *) * 25 * kernelShape[2] }

    /// Multiply-adds of the 64 products over all tiles: the bulk of the work.
    private var transformedMultiplyAdds: Int {
        inputShape[0] * ((outputShape[1] + 3) / 4) * ((outputShape[2] + 3) / 4) * 64 * kernelShape[2] * kernelShape[3]
    }

    /// Items per thread for at least ≈2M multiply-adds (≈10 µs) a thread, or for elementwise
    /// (memory-bound) work the engine's usual threshold; a thread hand-off costs microseconds.
    private func chunk(work perItem: Int, elementwise: Bool = false) -> Int {
        Swift.max(1, (elementwise ? Parallel.elementwiseThreshold / 2 : 1 << 21) / Swift.max(perItem, 1))
    }

    /// Runs `body` on contiguous ranges of `0..<count`, on the workers; the C calls return 0 on success.
    private func parallel(
        _ count: Int, minimumChunk: Int, _ body: (inout sg_winograd_shape, (first: Int32, end: Int32)) -> Int32
    ) {
        var failed = false
        Parallel.forEachChunk(count, minimumChunk: minimumChunk) { range in
            var s = shape
            if body(&s, (Int32(range.lowerBound), Int32(range.upperBound))) != 0 { failed = true }
        }
        require(
            !failed,
            "SwiftGAN internal error: the Winograd kernels refused a convolution they accepted (\(describe(inputShape)) → \(describe(outputShape)))"
        )
    }

    /// A forward or backward-data pass (the same C signature, kernel transformed for the pass)
    /// over images, each range of images with its own scratch.
    private func overImages(
        _ pass: Int32, _ input: Tensor, _ kernel: Tensor, from inShape: [Int], to outShape: [Int]
    ) -> Tensor {
        check(input, inShape, kernel)
        FLOPCounter.addMultiplyAdds(directMultiplyAdds)
        let output = Tensor(uninitialized: outShape)
        let u = transformed(kernel, for: pass)
        let run = pass == SG_WINOGRAD_FORWARD ? sg_winograd_forward : sg_winograd_backward_data
        var s = shape
        let floats = sg_winograd_scratch_floats(&s, pass), n = inputShape[0]
        parallel(n, minimumChunk: chunk(work: transformedMultiplyAdds / n)) { s, images in
            let scratch = Tensor(uninitialized: [floats])
            return withExtendedLifetime(scratch) {
                run(&s, input.data, u.data, u.count, output.data, images.first, images.end, scratch.data, scratch.count)
            }
        }
        return output
    }

    /// The kernel in the transform domain, in the layout `pass` reads (transformed per call: it
    /// costs ≈1 % of a pass, and the weights change every step).
    private func transformed(_ kernel: Tensor, for pass: Int32) -> Tensor {
        var s = shape
        let u = Tensor(uninitialized: [sg_winograd_kernel_floats(&s, pass)])
        let rows = pass == SG_WINOGRAD_FORWARD ? kernelShape[2] : kernelShape[3]
        // G g Gᵀ: 8·5·5 + 8·8·5 = 520 multiply-adds per channel pair.
        parallel(rows, minimumChunk: chunk(work: 520 * kernelShape[2] * kernelShape[3] / rows)) { s, range in
            sg_winograd_transform_kernel(&s, pass, kernel.data, u.data, u.count, range.first, range.end)
        }
        return u
    }

    /// The C kernels read raw memory: a shape mismatch must stop here, not read past a buffer.
    private func check(_ t: Tensor, _ expected: [Int], _ kernel: Tensor?) {
        require(
            t.shape == expected && (kernel.map { $0.shape == kernelShape } ?? true),
            "SwiftGAN internal error: Winograd convolution of \(describe(t.shape)) with kernel \(describe(kernel?.shape ?? kernelShape)), planned for \(describe(expected)) and \(describe(kernelShape))"
        )
    }
}

extension WinogradConvolution {
    /// Runs `body` with the portable C kernels instead of the CPU's vector ones (tests compare them).
    static func withPortableKernels<T>(_ body: () throws -> T) rethrows -> T {
        sg_winograd_force_portable(1)
        defer { sg_winograd_force_portable(0) }
        return try body()
    }
}
