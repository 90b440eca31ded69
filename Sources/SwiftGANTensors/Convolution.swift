// 2-D convolution and transposed convolution on NHWC tensors, built from two primitive
// operations that are each other's adjoint: im2col (gather every kernel window into a row) and
// col2im (add the rows back into an image). A convolution is im2col followed by one GEMM with the
// kernel; a transposed convolution is one GEMM followed by col2im. Because both primitives are
// differentiable operations whose backward is the other, convolutions differentiate to any order.
// Tiny windows (one input channel, one output channel) skip im2col and run a direct loop.
// Where oneDNN is loaded and has a fast kernel for the shape, it runs all three passes instead
// (ConvolutionBackend.swift); this file's path is the portable one and the reference. Ahead of
// both, stride-1 5×5 layers with enough channels run as Winograd F(4×4, 5×5), on either backend
// (WinogradConvolution.swift), unless ConvolutionBackend.usesWinograd is off.

/// TensorFlow/Keras padding: `valid` uses no padding; `same` pads so the output is ⌈input/stride⌉
/// (a transposed convolution's output is input × stride), the odd pixel going to the bottom/right.
public enum Padding: String, Codable, Sendable {
    case same, valid
}

/// The geometry of a convolution from an H×W input to an outH×outW output.
public struct ConvGeometry: Equatable {
    public let inputHeight: Int, inputWidth: Int
    public let kernelHeight: Int, kernelWidth: Int
    public let stride: Int
    public let padTop: Int, padLeft: Int
    public let outputHeight: Int, outputWidth: Int

    /// The geometry Keras's `Conv2D` uses for this input size.
    public init(inputHeight: Int, inputWidth: Int, kernelHeight: Int, kernelWidth: Int, stride: Int, padding: Padding) {
        require(
            stride > 0 && kernelHeight > 0 && kernelWidth > 0,
            "SwiftGAN: convolution needs a positive kernel size and stride")
        func axis(_ input: Int, _ k: Int) -> (out: Int, padBefore: Int) {
            switch padding {
            case .valid:
                return (input >= k ? (input - k) / stride + 1 : 0, 0)
            case .same:
                let out = (input + stride - 1) / stride
                let total = Swift.max((out - 1) * stride + k - input, 0)
                return (out, total / 2)
            }
        }
        let (oh, pt) = axis(inputHeight, kernelHeight), (ow, pl) = axis(inputWidth, kernelWidth)
        (self.inputHeight, self.inputWidth, self.kernelHeight, self.kernelWidth, self.stride) = (
            inputHeight, inputWidth, kernelHeight, kernelWidth, stride
        )
        (self.padTop, self.padLeft, self.outputHeight, self.outputWidth) = (pt, pl, oh, ow)
        require(
            oh > 0 && ow > 0,
            "SwiftGAN shape error: a \(kernelHeight)×\(kernelWidth) '\(padding.rawValue)' convolution does not fit a \(inputHeight)×\(inputWidth) input"
        )
    }

    /// The output size of Keras's `Conv2DTranspose` for an input size: input × stride for `same`,
    /// input × stride + max(kernel − stride, 0) for `valid` (= (input − 1) × stride + kernel when
    /// the kernel is at least the stride).
    public static func transposedOutputSize(_ input: Int, kernel: Int, stride: Int, padding: Padding) -> Int {
        padding == .same ? input * stride : input * stride + Swift.max(kernel - stride, 0)
    }

    var windowSize: Int { kernelHeight * kernelWidth }

    /// Walks image `b`'s windows in im2col row order: for each output pixel and kernel tap,
    /// `body(row, tap, inputPixel)`, with `inputPixel` the index into the batch's [n·H·W] input
    /// pixels, or nil where the tap falls on padding. im2col, col2im and the direct kernels all
    /// move data along this one walk.
    @inline(__always)
    func forEachTap(ofImage b: Int, _ body: (_ row: Int, _ tap: Int, _ inputPixel: Int?) -> Void) {
        for oh in 0..<outputHeight {
            for ow in 0..<outputWidth {
                let row = (b * outputHeight + oh) * outputWidth + ow
                for kh in 0..<kernelHeight {
                    let ih = oh * stride - padTop + kh
                    for kw in 0..<kernelWidth {
                        let iw = ow * stride - padLeft + kw
                        let inside = ih >= 0 && ih < inputHeight && iw >= 0 && iw < inputWidth
                        body(row, kh * kernelWidth + kw, inside ? (b * inputHeight + ih) * inputWidth + iw : nil)
                    }
                }
            }
        }
    }
}

/// Runs `body` for each of `n` images, whole images per thread (so no two threads write one
/// pixel), splitting only when an image's work is a sizeable share of the elementwise threshold.
@inline(__always)
private func forEachImage(_ n: Int, valuesPerImage: Int, _ body: (Int) -> Void) {
    Parallel.forEachChunk(n, minimumChunk: Swift.max(1, Parallel.elementwiseThreshold / Swift.max(valuesPerImage, 1))) {
        images in
        for b in images { body(b) }
    }
}

extension Tensor {
    /// [n, H, W, c] → [n·outH·outW, kh·kw·c]: row r holds the input window of output position r,
    /// tap-major then channel (zeros where the window overhangs the padding).
    public func im2col(_ g: ConvGeometry) -> Tensor {
        require(
            rank == 4 && shape[1] == g.inputHeight && shape[2] == g.inputWidth,
            "SwiftGAN shape error: im2col expects [batch, \(g.inputHeight), \(g.inputWidth), channels], got \(describe(shape))"
        )
        let (n, c) = (shape[0], shape[3])
        let rowLength = g.windowSize * c
        let out = Tensor(uninitialized: [n * g.outputHeight * g.outputWidth, rowLength])
        let px = data, po = out.data
        forEachImage(n, valuesPerImage: out.count / Swift.max(n, 1)) { b in
            g.forEachTap(ofImage: b) { row, tap, pixel in
                let dst = po + row * rowLength + tap * c
                if let pixel {
                    dst.update(from: px + pixel * c, count: c)
                } else {
                    dst.initialize(repeating: 0, count: c)
                }
            }
        }
        let inputShape = shape
        return Tensor.record("im2col", out, [self]) { grad, _ in
            [grad.col2im(g, batch: inputShape[0], channels: inputShape[3])]
        }
    }

    /// The adjoint of ``im2col(_:)``: [n·outH·outW, kh·kw·c] → [n, H, W, c], adding every row's
    /// values back where their window came from.
    public func col2im(_ g: ConvGeometry, batch n: Int, channels c: Int) -> Tensor {
        require(
            shape == [n * g.outputHeight * g.outputWidth, g.windowSize * c],
            "SwiftGAN shape error: col2im expects [\(n * g.outputHeight * g.outputWidth), \(g.windowSize * c)], got \(describe(shape))"
        )
        let out = Tensor.zeros([n, g.inputHeight, g.inputWidth, c])
        let rowLength = g.windowSize * c
        let px = data, po = out.data
        forEachImage(n, valuesPerImage: count / Swift.max(n, 1)) { b in
            g.forEachTap(ofImage: b) { row, tap, pixel in
                guard let pixel else { return }
                let src = px + row * rowLength + tap * c, dst = po + pixel * c
                for j in 0..<c { dst[j] += src[j] }
            }
        }
        return Tensor.record("col2im", out, [self]) { grad, _ in [grad.im2col(g)] }
    }

    /// 2-D convolution (cross-correlation, as in Keras and PyTorch) of an NHWC input with a kernel
    /// [kh, kw, in, out] (Keras's layout), optional bias [out]: [n, H, W, in] → [n, outH, outW, out].
    public func conv2d(_ kernel: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: Padding = .valid) -> Tensor {
        require(
            rank == 4 && kernel.rank == 4 && kernel.shape[2] == shape[3],
            "SwiftGAN shape error: conv2d of input \(describe(shape)) (NHWC) with kernel \(describe(kernel.shape)) ([kh, kw, in, out])"
        )
        let g = ConvGeometry(
            inputHeight: shape[1], inputWidth: shape[2], kernelHeight: kernel.shape[0],
            kernelWidth: kernel.shape[1], stride: stride, padding: padding)
        let outChannels = kernel.shape[3]
        if let winograd = WinogradConvolution(g, batch: shape[0], inChannels: shape[3], outChannels: outChannels) {
            let y = winograd.forward(self, kernel)
            return bias.map { y + $0 } ?? y
        }
        if let dnnl = OneDNNConvolution(g, batch: shape[0], inChannels: shape[3], outChannels: outChannels) {
            let y = dnnl.forward(self, kernel)
            return bias.map { y + $0 } ?? y
        }
        if g.windowSize * shape[3] <= Self.directConvolutionLimit { return directConv2d(kernel, bias: bias, g) }
        if Self.isSymmetricStride1(g) { return symmetricStride1Conv2d(kernel, bias: bias, g) }
        let columns = im2col(g)
        let weights = kernel.reshaped([-1, outChannels])
        let y = bias.map { columns.linear(weights, bias: $0) } ?? columns.matmul(weights)
        return y.reshaped([shape[0], g.outputHeight, g.outputWidth, outChannels])
    }

    /// Transposed 2-D convolution (Keras `Conv2DTranspose`, the adjoint of `conv2d`) of an NHWC
    /// input with a kernel [kh, kw, out, in] (Keras's layout), optional bias [out]:
    /// [n, H, W, in] → [n, H·stride, W·stride, out] for `same` padding.
    public func convTranspose2d(
        _ kernel: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: Padding = .valid
    ) -> Tensor {
        require(
            rank == 4 && kernel.rank == 4 && kernel.shape[3] == shape[3],
            "SwiftGAN shape error: convTranspose2d of input \(describe(shape)) (NHWC) with kernel \(describe(kernel.shape)) ([kh, kw, out, in])"
        )
        let (n, h, w, inChannels) = (shape[0], shape[1], shape[2], shape[3])
        let (kh, kw, outChannels) = (kernel.shape[0], kernel.shape[1], kernel.shape[2])
        let outH = ConvGeometry.transposedOutputSize(h, kernel: kh, stride: stride, padding: padding)
        let outW = ConvGeometry.transposedOutputSize(w, kernel: kw, stride: stride, padding: padding)
        // The convolution this one is the adjoint of: from the outH×outW output back to H×W.
        let g = ConvGeometry(
            inputHeight: outH, inputWidth: outW, kernelHeight: kh, kernelWidth: kw, stride: stride, padding: padding)
        require(g.outputHeight == h && g.outputWidth == w, "SwiftGAN internal error: transposed convolution geometry")
        if let winograd = WinogradConvolution(g, batch: n, inChannels: outChannels, outChannels: inChannels) {
            let y = winograd.backwardData(self, kernel)
            return bias.map { y + $0 } ?? y
        }
        if let dnnl = OneDNNConvolution(g, batch: n, inChannels: outChannels, outChannels: inChannels) {
            let y = dnnl.backwardData(self, kernel)
            return bias.map { y + $0 } ?? y
        }
        if g.windowSize * outChannels <= Self.directConvolutionLimit {
            return directConvTranspose2d(kernel, bias: bias, g)
        }
        // Stride 1 with symmetric padding: the convolution with the kernel flipped in space and its
        // channel roles swapped, whose GEMM has kh·kw·in as inner dimension (not just in) and no
        // kh·kw-fold column matrix to fold back.
        if Self.isSymmetricStride1(g) {
            return conv2d(kernel.spatiallyFlippedTransposed(), bias: bias, stride: 1, padding: .same)
        }
        let columns = reshaped([n * h * w, inChannels]).matmul(
            kernel.reshaped([kh * kw * outChannels, inChannels]), transposeOther: true)
        let y = columns.col2im(g, batch: n, channels: outChannels)
        return bias.map { y + $0 } ?? y
    }

    // MARK: Stride 1, symmetric padding

    /// Stride 1 with (k − 1)/2 padding on every side ('same' with an odd kernel, or 1×1): the
    /// output has the input's size and the convolution's adjoint is again such a convolution
    /// (kernel flipped, channels swapped).
    static func isSymmetricStride1(_ g: ConvGeometry) -> Bool {
        g.stride == 1 && 2 * g.padTop == g.kernelHeight - 1 && 2 * g.padLeft == g.kernelWidth - 1
    }

    /// [kh, kw, a, b] → [kh, kw, b, a], reversed along both spatial axes.
    func spatiallyFlippedTransposed() -> Tensor {
        gathering(Array((0..<shape[0]).reversed()), alongAxis: 0)
            .gathering(Array((0..<shape[1]).reversed()), alongAxis: 1)
            .permuted([0, 1, 3, 2])
    }

    /// conv2d for `isSymmetricStride1` geometries, with its own backward rule: the input gradient
    /// is the convolution of the output gradient with the flipped, transposed kernel (im2col +
    /// a GEMM with inner dimension kh·kw·out) instead of a GEMM with inner dimension `out` whose
    /// kh·kw-times-larger result col2im folds back. The rule is built from differentiable
    /// operations, so higher-order gradients work as for the general form.
    private func symmetricStride1Conv2d(_ kernel: Tensor, bias: Tensor?, _ g: ConvGeometry) -> Tensor {
        let (n, outChannels) = (shape[0], kernel.shape[3])
        let y = withoutGrad { () -> Tensor in
            let columns = im2col(g), weights = kernel.reshaped([-1, outChannels])
            return (bias.map { columns.linear(weights, bias: $0) } ?? columns.matmul(weights))
                .reshaped([n, g.outputHeight, g.outputWidth, outChannels])
        }
        let x = self
        return Tensor.record("conv2d", y, [self, kernel] + (bias.map { [$0] } ?? [])) { grad, wanted in
            let dx = wanted[0] ? grad.conv2d(kernel.spatiallyFlippedTransposed(), stride: 1, padding: .same) : nil
            let dKernel =
                wanted[1]
                ? x.im2col(g).matmul(grad.reshaped([-1, outChannels]), transposeSelf: true).reshaped(kernel.shape) : nil
            let dBias = wanted.count > 2 && wanted[2] ? grad.sum(alongAxes: [0, 1, 2]) : nil
            return [dx, dKernel] + (bias == nil ? [] : [dBias])
        }
    }

    // MARK: Direct kernels for tiny windows

    /// Window sizes (taps × channels on the im2col side) up to which convolutions skip im2col: a
    /// 5×5 window over one channel is 25 values per output, where building and multiplying the
    /// column matrix costs more than the arithmetic itself.
    public static let directConvolutionLimit = 32

    /// conv2d computed output pixel by output pixel. Its backward rule is the im2col form's, built
    /// from differentiable operations, so higher-order gradients work the same way.
    private func directConv2d(_ kernel: Tensor, bias: Tensor?, _ g: ConvGeometry) -> Tensor {
        let (n, cin, cout) = (shape[0], shape[3], kernel.shape[3])
        let out = Tensor(uninitialized: [n, g.outputHeight, g.outputWidth, cout])
        let px = data, pk = kernel.data, po = out.data, pb = bias?.data
        FLOPCounter.addMultiplyAdds(out.count * g.windowSize * cin)
        forEachImage(n, valuesPerImage: out.count / Swift.max(n, 1)) { b in
            g.forEachTap(ofImage: b) { row, tap, pixel in
                let dst = po + row * cout
                if tap == 0 {
                    if let pb { dst.update(from: pb, count: cout) } else { dst.initialize(repeating: 0, count: cout) }
                }
                guard let pixel else { return }
                let src = px + pixel * cin, taps = pk + tap * cin * cout
                for c in 0..<cin {
                    let v = src[c], row = taps + c * cout
                    for o in 0..<cout { dst[o] += v * row[o] }
                }
            }
        }
        let x = self
        let inputs = bias.map { [x, kernel, $0] } ?? [x, kernel]
        return Tensor.record("conv2d", out, inputs) { grad, wanted in
            let rows = grad.reshaped([n * g.outputHeight * g.outputWidth, cout])
            let flatKernel = kernel.reshaped([-1, cout])
            var result: [Tensor?] = [
                wanted[0] ? rows.matmul(flatKernel, transposeOther: true).col2im(g, batch: n, channels: cin) : nil,
                wanted[1] ? x.im2col(g).matmul(rows, transposeSelf: true).reshaped(kernel.shape) : nil,
            ]
            if bias != nil { result.append(wanted[2] ? rows.sum(alongAxis: 0) : nil) }
            return result
        }
    }

    /// convTranspose2d computed input pixel by input pixel, adding each one's contribution into
    /// its output window; backward as the GEMM + col2im form's.
    private func directConvTranspose2d(_ kernel: Tensor, bias: Tensor?, _ g: ConvGeometry) -> Tensor {
        let (n, cin, cout) = (shape[0], shape[3], kernel.shape[2])
        let (h, w) = (g.outputHeight, g.outputWidth)  // this op's input is the geometry's output side
        let out = Tensor(uninitialized: [n, g.inputHeight, g.inputWidth, cout])
        let px = data, pk = kernel.data, po = out.data, pb = bias?.data
        let perImage = g.inputHeight * g.inputWidth * cout
        FLOPCounter.addMultiplyAdds(count * g.windowSize * cout)
        forEachImage(n, valuesPerImage: perImage) { b in
            let image = po + b * perImage
            if let pb {
                for p in 0..<(g.inputHeight * g.inputWidth) { (image + p * cout).update(from: pb, count: cout) }
            } else {
                image.initialize(repeating: 0, count: perImage)
            }
            // The walk's rows are this op's input pixels; its "input" pixels are this op's outputs.
            g.forEachTap(ofImage: b) { row, tap, pixel in
                guard let pixel else { return }
                let src = px + row * cin, dst = po + pixel * cout, taps = pk + tap * cout * cin
                for o in 0..<cout {
                    let weights = taps + o * cin
                    var s: Float = 0
                    for c in 0..<cin { s += src[c] * weights[c] }
                    dst[o] += s
                }
            }
        }
        let x = self
        let inputs = bias.map { [x, kernel, $0] } ?? [x, kernel]
        return Tensor.record("convTranspose2d", out, inputs) { grad, wanted in
            let windows = grad.im2col(g)  // [n·h·w, taps·cout]
            let flatKernel = kernel.reshaped([-1, cin])
            var result: [Tensor?] = [
                wanted[0] ? windows.matmul(flatKernel).reshaped(x.shape) : nil,
                wanted[1]
                    ? windows.matmul(x.reshaped([n * h * w, cin]), transposeSelf: true).reshaped(kernel.shape) : nil,
            ]
            if bias != nil { result.append(wanted[2] ? grad.sum(alongAxes: [0, 1, 2]) : nil) }
            return result
        }
    }
}
