import XCTest

@testable import SwiftGANTensors

/// The oneDNN backend against the portable one on the zoo's real layer shapes (all three passes),
/// and by finite differences where channel counts are large. Skipped where oneDNN is not loaded.
final class ConvolutionBackendTests: XCTestCase {
    /// One layer of a zoo model: NHWC input, kernel size, channels, stride, transposed or not.
    struct Layer {
        let name: String, batch: Int, height: Int, width: Int, inChannels: Int, outChannels: Int
        let kernel: Int, stride: Int, padding: Padding, transposed: Bool
    }

    /// dcgan (28×28), acgan (its 80→80 5×5 stride-1 transposed layers at 14×14, 1-channel ends)
    /// and dcgan64 (4×4 kernels, 3 channels), at small batches: the kernels do not depend on it.
    static let modelLayers: [Layer] = [
        Layer(
            name: "dcgan G 128→64", batch: 4, height: 7, width: 7, inChannels: 128, outChannels: 64, kernel: 5,
            stride: 2, padding: .same, transposed: true),
        Layer(
            name: "dcgan G 64→1", batch: 4, height: 14, width: 14, inChannels: 64, outChannels: 1, kernel: 5, stride: 2,
            padding: .same, transposed: true),
        Layer(
            name: "dcgan D 1→64", batch: 4, height: 28, width: 28, inChannels: 1, outChannels: 64, kernel: 5, stride: 2,
            padding: .same, transposed: false),
        Layer(
            name: "dcgan D 64→128", batch: 4, height: 14, width: 14, inChannels: 64, outChannels: 128, kernel: 5,
            stride: 2, padding: .same, transposed: false),
        Layer(
            name: "acgan G 80→80 s1", batch: 2, height: 14, width: 14, inChannels: 80, outChannels: 80, kernel: 5,
            stride: 1, padding: .same, transposed: true),
        Layer(
            name: "acgan D 1→17", batch: 2, height: 28, width: 28, inChannels: 1, outChannels: 17, kernel: 5, stride: 2,
            padding: .same, transposed: false),
        Layer(
            name: "acgan D 70→140 s1", batch: 2, height: 4, width: 4, inChannels: 70, outChannels: 140, kernel: 5,
            stride: 1, padding: .same, transposed: false),
        Layer(
            name: "dcgan64 G 64→3", batch: 2, height: 32, width: 32, inChannels: 64, outChannels: 3, kernel: 4,
            stride: 2, padding: .same, transposed: true),
        Layer(
            name: "dcgan64 D 3→64", batch: 2, height: 64, width: 64, inChannels: 3, outChannels: 64, kernel: 4,
            stride: 2, padding: .same, transposed: false),
        Layer(
            name: "valid 5×5 s2 odd", batch: 2, height: 13, width: 11, inChannels: 3, outChannels: 81, kernel: 5,
            stride: 2, padding: .valid, transposed: false),
    ]

    var layers: [Layer] { Self.modelLayers }

    func apply(_ layer: Layer, _ x: Tensor, _ kernel: Tensor) -> Tensor {
        layer.transposed
            ? x.convTranspose2d(kernel, stride: layer.stride, padding: layer.padding)
            : x.conv2d(kernel, stride: layer.stride, padding: layer.padding)
    }

    /// The output, and the gradients of ⟨output, u⟩ with respect to the input and the kernel.
    func passes(_ layer: Layer, _ x: Tensor, _ kernel: Tensor, _ u: Tensor) -> [Tensor] {
        let (x, kernel) = (x.copy().requiringGradient(), kernel.copy().requiringGradient())
        let y = apply(layer, x, kernel)
        let g = gradients(of: (y * u).sum(), withRespectTo: [x, kernel])
        return [y, g[0], g[1]]
    }

    func testOneDNNMatchesPortablePathOnModelShapes() throws {
        try XCTSkipUnless(
            ConvolutionBackend.isOneDNNAvailable, "oneDNN is not loaded here: \(ConvolutionBackend.oneDNNDescription)")
        // Winograd off: it would take acgan's stride-1 layers on both sides (WinogradTests checks it).
        let winograd = ConvolutionBackend.usesWinograd
        ConvolutionBackend.usesWinograd = false
        defer { ConvolutionBackend.usesWinograd = winograd }
        for (i, layer) in layers.enumerated() {
            let x = awayFromZero([layer.batch, layer.height, layer.width, layer.inChannels], seed: UInt64(i))
            let kernel = awayFromZero(
                layer.transposed
                    ? [layer.kernel, layer.kernel, layer.outChannels, layer.inChannels]
                    : [layer.kernel, layer.kernel, layer.inChannels, layer.outChannels], seed: UInt64(i + 100))
            let yShape = ConvolutionBackend.with(.portable) { apply(layer, x, kernel).shape }
            let u = awayFromZero(yShape, seed: UInt64(i + 200))
            let reference = ConvolutionBackend.with(.portable) { passes(layer, x, kernel, u) }
            // Whole batch on oneDNN's threads, and split into one part per core.
            let saved = ConvolutionBackend.splitsBatch
            defer { ConvolutionBackend.splitsBatch = saved }
            for split in [false, true] {
                ConvolutionBackend.splitsBatch = split
                let fast = ConvolutionBackend.with(.oneDNN) { passes(layer, x, kernel, u) }
                for (pass, (a, b)) in zip(["forward", "input gradient", "kernel gradient"], zip(fast, reference)) {
                    XCTAssertEqual(a.shape, b.shape, "\(layer.name) \(pass) split \(split)")
                    // Both sum the same K = k²·channels products in Float32 in different orders:
                    // rounding differences grow like √K·ε of the output's scale (ε ≈ 6e-8; for
                    // K = 25·140, ≈ 4e-6). The bound, 1e-5·√K of the scale, leaves two orders of
                    // magnitude for that; a wrong tap, flip or channel order errs by the scale itself.
                    let scale = b.scalars.map(abs).max() ?? 1
                    let worst = zip(a.scalars, b.scalars).map { abs($0 - $1) }.max() ?? 0
                    XCTAssertLessThan(
                        worst,
                        1e-5
                            * Float(layer.kernel * layer.kernel * max(layer.inChannels, layer.outChannels)).squareRoot()
                            * scale,
                        "\(layer.name) \(pass) split \(split): worst difference \(worst) of scale \(scale)")
                }
            }
        }
    }

    /// Where oneDNN is loaded, the zoo's layers really run on it (not a silent fallback), so the
    /// comparisons above and the benchmarks measure what they claim to.
    func testModelShapesRunOnOneDNN() throws {
        try XCTSkipUnless(
            ConvolutionBackend.isOneDNNAvailable, "oneDNN is not loaded here: \(ConvolutionBackend.oneDNNDescription)")
        for layer in layers where layer.padding == .same {
            let big =
                layer.transposed
                ? ConvGeometry(
                    inputHeight: layer.height * layer.stride, inputWidth: layer.width * layer.stride,
                    kernelHeight: layer.kernel, kernelWidth: layer.kernel, stride: layer.stride, padding: layer.padding)
                : ConvGeometry(
                    inputHeight: layer.height, inputWidth: layer.width,
                    kernelHeight: layer.kernel, kernelWidth: layer.kernel, stride: layer.stride, padding: layer.padding)
            let conv = ConvolutionBackend.with(.oneDNN) {
                OneDNNConvolution(
                    big, batch: layer.batch, inChannels: layer.transposed ? layer.outChannels : layer.inChannels,
                    outChannels: layer.transposed ? layer.inChannels : layer.outChannels)
            }
            XCTAssertNotNil(conv, "\(layer.name) does not run on oneDNN")
            XCTAssertNil(
                ConvolutionBackend.with(.portable) {
                    OneDNNConvolution(
                        big, batch: layer.batch, inChannels: layer.inChannels, outChannels: layer.outChannels)
                }, "the portable backend must not use oneDNN")
        }
    }

    /// First and second order by finite differences with 80+ channels on oneDNN, through tanh so
    /// the second derivatives are not all zero; strides 1 and 2, both paddings.
    func testManyChannelGradientsOnOneDNN() throws {
        try XCTSkipUnless(
            ConvolutionBackend.isOneDNNAvailable, "oneDNN is not loaded here: \(ConvolutionBackend.oneDNNDescription)")
        ConvolutionBackend.with(.oneDNN) {
            let x = awayFromZero([1, 3, 3, 81], seed: 1) * 0.2, kernel = awayFromZero([3, 3, 81, 2], seed: 2) * 0.1
            assertGradients([x, kernel]) { $0[0].conv2d($0[1], stride: 1, padding: .same).tanh() }
            let xs = awayFromZero([1, 5, 4, 2], seed: 3) * 0.5, wide = awayFromZero([3, 3, 2, 82], seed: 4) * 0.3
            assertGradients([xs, wide]) { $0[0].conv2d($0[1], stride: 2, padding: .valid).tanh() }
            // Kept small: the second-order check's finite differences are of a Float32 sum over
            // every kernel element, whose rounding grows with it.
            let small = awayFromZero([1, 2, 2, 80], seed: 5) * 0.2, tk = awayFromZero([3, 3, 2, 80], seed: 6) * 0.1
            assertGradients([small, tk]) { $0[0].convTranspose2d($0[1], stride: 2, padding: .same).tanh() }
        }
    }
}
