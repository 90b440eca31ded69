import Dispatch
import Foundation
import SwiftGANCDNNL

/// Which kernels run 2-D convolutions.
///
/// - `oneDNN`: Intel's oneDNN 2.x (Debian `libdnnl-dev`, the library behind PyTorch's CPU
///   convolutions), opened at run time; its direct JIT kernels for AVX2 and AVX-512 run on NHWC
///   activations with the kernel reordered into a blocked format per call. Used for every shape
///   where it has a fast kernel for all three passes (forward, gradient of the input, gradient of
///   the kernel); others keep the portable path.
/// - `portable`: im2col/col2im plus one BLAS GEMM (OpenBLAS or Accelerate), and direct loops for
///   tiny windows. Builds and runs everywhere; it is the reference the oneDNN path is tested
///   against.
///
/// The default is `oneDNN` where it loads (set `SWIFTGAN_NO_DNNL=1` to keep it from loading),
/// else `portable`. Both give the same values up to float rounding (summation order differs).
public enum ConvolutionBackend: String, CaseIterable, Sendable {
    case oneDNN = "onednn", portable

    /// The backend convolutions use from now on. Set it from one thread, between steps.
    nonisolated(unsafe) public static var current: ConvolutionBackend = isOneDNNAvailable ? .oneDNN : .portable

    /// Whether oneDNN convolutions split the batch into one part per core, each part on one
    /// thread (true), or run the whole batch on oneDNN's own OpenMP threads (false).
    /// `SWIFTGAN_DNNL_SPLIT=1` starts it true.
    nonisolated(unsafe) public static var splitsBatch =
        ProcessInfo.processInfo.environment["SWIFTGAN_DNNL_SPLIT"] == "1"

    /// Whether oneDNN was found at build time (header) and loads at run time.
    public static var isOneDNNAvailable: Bool { sg_dnnl_available() != 0 }

    /// Which oneDNN is loaded, or why none is.
    public static var oneDNNDescription: String { String(cString: sg_dnnl_description()) }

    /// Runs `body` with `backend` as the current backend, restoring the previous one after.
    public static func with<T>(_ backend: ConvolutionBackend, _ body: () throws -> T) rethrows -> T {
        let saved = current
        current = backend
        defer { current = saved }
        return try body()
    }
}

/// The three passes of a convolution; each is bilinear in its two inputs, and the adjoints of
/// each are the other two, so a graph built from them differentiates to any order:
///
///     y  = forward(x, W)          ∂/∂x: backwardData(g, W)      ∂/∂W: backwardWeights(x, g)
///     dx = backwardData(dy, W)    ∂/∂dy: forward(g, W)          ∂/∂W: backwardWeights(g, dy)
///     dW = backwardWeights(x, dy) ∂/∂x: backwardData(dy, g)     ∂/∂dy: forward(x, g)
struct OneDNNConvolution {
    let kernelShape: [Int]  // [kh, kw, in, out] (Keras's Conv2D layout, oneDNN's hwio)
    let inputShape: [Int], outputShape: [Int]
    /// The batch in contiguous parts, one per core, each run single-threaded on its own core:
    /// on 2 cores that was faster than one call on oneDNN's two OpenMP threads (see
    /// docs/benchmarks.md). Parts' kernel gradients are added in part order, so results are the same
    /// on every run with the same number of workers.
    let parts: [(shape: sg_conv_shape, firstImage: Int)]
    /// Multiplies in bf16 (``Precision/bf16`` is current and oneDNN has bf16 kernels for the shape).
    let bf16: Bool
    let geometry: ConvGeometry

    /// The convolution `g` over a batch of `n` images of `inChannels` to `outChannels`, when
    /// oneDNN is the current backend and has fast kernels for it (in bf16 when that is the current
    /// precision and oneDNN has bf16 kernels for the shape, else in fp32).
    init?(_ g: ConvGeometry, batch n: Int, inChannels: Int, outChannels: Int) {
        guard ConvolutionBackend.current == .oneDNN, n > 0 else { return nil }
        func shape(_ images: Int) -> sg_conv_shape {
            sg_conv_shape(
                batch: Int32(images), in_height: Int32(g.inputHeight), in_width: Int32(g.inputWidth),
                in_channels: Int32(inChannels),
                out_height: Int32(g.outputHeight), out_width: Int32(g.outputWidth), out_channels: Int32(outChannels),
                kernel_height: Int32(g.kernelHeight), kernel_width: Int32(g.kernelWidth),
                stride: Int32(g.stride), pad_top: Int32(g.padTop), pad_left: Int32(g.padLeft))
        }
        let count = ConvolutionBackend.splitsBatch ? Swift.min(Parallel.workers, n) : 1
        let bounds = (0...count).map { $0 * n / count }
        let parts = (0..<count).map { (shape: shape(bounds[$0 + 1] - bounds[$0]), firstImage: bounds[$0]) }
        self.parts = parts
        func supported(bf16: Bool) -> Bool {
            parts.allSatisfy { part in
                var s = part.shape
                return sg_dnnl_supports(&s, bf16 ? 1 : 0) != 0
            }
        }
        if Precision.current == .bf16 && supported(bf16: true) {
            bf16 = true
        } else if supported(bf16: false) {
            bf16 = false
        } else {
            return nil
        }
        geometry = g
        kernelShape = [g.kernelHeight, g.kernelWidth, inChannels, outChannels]
        inputShape = [n, g.inputHeight, g.inputWidth, inChannels]
        outputShape = [n, g.outputHeight, g.outputWidth, outChannels]
    }

    private func run(_ pass: Int32, input: Tensor, weights: Tensor, output: Tensor) {
        FLOPCounter.addMultiplyAdds(outputShape.reduce(1, *) * kernelShape[0] * kernelShape[1] * kernelShape[2])
        let inputImage = inputShape.dropFirst().reduce(1, *), outputImage = outputShape.dropFirst().reduce(1, *)
        // Kernel gradients: part 0 writes `weights`, the others their own buffers, added after.
        let partials =
            pass == SG_CONV_BACKWARD_WEIGHTS ? (1..<parts.count).map { _ in Tensor(uninitialized: kernelShape) } : []
        let threads = parts.count == 1 ? Int32(Parallel.workers) : 1
        var failed = false
        let (pi, pw, po) = (input.data, weights.data, output.data)
        func runPart(_ i: Int) {
            var s = parts[i].shape
            let first = parts[i].firstImage
            let w = i == 0 || partials.isEmpty ? pw : partials[i - 1].data
            let status = sg_dnnl_convolution(
                &s, pass, bf16 ? 1 : 0, pi + first * inputImage, w, po + first * outputImage, threads)
            if status != 0 { failed = true }
        }
        if parts.count == 1 {
            runPart(0)
        } else {
            DispatchQueue.concurrentPerform(iterations: parts.count, execute: runPart)
        }
        require(
            !failed,
            "SwiftGAN internal error: oneDNN failed a convolution it accepted (\(describe(inputShape)) → \(describe(outputShape)))"
        )
        for partial in partials {
            let src = partial.data
            for j in 0..<weights.count { pw[j] += src[j] }
        }
    }

    func forward(_ x: Tensor, _ kernel: Tensor) -> Tensor {
        let y = Tensor(uninitialized: outputShape)
        run(SG_CONV_FORWARD, input: x, weights: kernel, output: y)
        return Tensor.record("conv2d", y, [x, kernel]) { g, wanted in
            [wanted[0] ? backwardData(g, kernel) : nil, wanted[1] ? backwardWeights(x, g) : nil]
        }
    }

    func backwardData(_ dy: Tensor, _ kernel: Tensor) -> Tensor {
        let dx: Tensor
        if kernelShape[2] == 1 {
            // One input channel (G's last transposed convolution, D's first input gradient):
            // oneDNN's kernel for this pass ran at 6–8 GFLOP/s, one GEMM to the window columns
            // and a col2im 7.4× faster. Only this pass: the other two are fast in oneDNN.
            // In this convolution's precision: fp32 where oneDNN had no bf16 kernel for the shape.
            let columns = {
                dy.reshaped([-1, kernelShape[3]]).matmul(kernel.reshaped([-1, kernelShape[3]]), transposeOther: true)
            }
            dx = withoutGrad {
                (bf16 ? columns() : Precision.inFP32(columns)).col2im(geometry, batch: inputShape[0], channels: 1)
            }
        } else {
            dx = Tensor(uninitialized: inputShape)
            run(SG_CONV_BACKWARD_DATA, input: dx, weights: kernel, output: dy)
        }
        return Tensor.record("conv2dBackwardData", dx, [dy, kernel]) { g, wanted in
            [wanted[0] ? forward(g, kernel) : nil, wanted[1] ? backwardWeights(g, dy) : nil]
        }
    }

    func backwardWeights(_ x: Tensor, _ dy: Tensor) -> Tensor {
        let dW = Tensor(uninitialized: kernelShape)
        run(SG_CONV_BACKWARD_WEIGHTS, input: x, weights: dW, output: dy)
        return Tensor.record("conv2dBackwardWeights", dW, [x, dy]) { g, wanted in
            [wanted[0] ? backwardData(dy, g) : nil, wanted[1] ? forward(x, g) : nil]
        }
    }
}
