import SwiftGANTensors

/// 2-D convolution over NHWC images (channels last, as Keras): [batch, H, W, in] → [batch, outH, outW, out].
///
/// The kernel is stored as Keras stores it, [kh, kw, in, out]; Glorot-uniform initialization with
/// Keras's fans (receptive field × channels), zero bias. Padding follows TensorFlow: `.valid`
/// (none) or `.same` (output ⌈input / stride⌉). Computed as im2col + one GEMM.
///
/// ```swift
/// let conv = Conv2D(1, 64, kernelSize: 5, stride: 2, padding: .same, rng: rng)
/// let y = conv(images)   // [32, 28, 28, 1] → [32, 14, 14, 64]
/// ```
public final class Conv2D: WeightedLayer {
    public let kernel: Tensor
    public let bias: Tensor?
    public let stride: Int
    public let padding: Padding

    public init(
        _ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Padding = .valid,
        useBias: Bool = true, kernelInitializer: Initializer = .glorotUniform, rng: RandomGenerator
    ) {
        kernel = kernelInitializer.make([kernelSize, kernelSize, inChannels, outChannels], rng: rng).requiringGradient()
        bias = useBias ? Tensor.zeros([outChannels]).requiringGradient() : nil
        (self.stride, self.padding) = (stride, padding)
    }

    public func callAsFunction(_ x: Tensor) -> Tensor { self(x, weight: kernel) }

    public var weight: Tensor { kernel }

    /// The layer with `kernel` in place of its own (spectral normalization).
    public func callAsFunction(_ x: Tensor, weight kernel: Tensor) -> Tensor {
        require(
            x.rank == 4 && x.shape[3] == kernel.shape[2],
            "SwiftGAN shape error: Conv2D(\(kernel.shape[2]) → \(kernel.shape[3])) expects [batch, height, width, \(kernel.shape[2])], got \(describe(x.shape))"
        )
        return x.conv2d(kernel, bias: bias, stride: stride, padding: padding)
    }

    public var ownParameters: [(name: String, tensor: Tensor)] {
        [("kernel", kernel)] + (bias.map { [("bias", $0)] } ?? [])
    }
}

/// Transposed 2-D convolution over NHWC images (Keras `Conv2DTranspose`, PyTorch `ConvTranspose2d`):
/// the adjoint of `Conv2D`, upsampling by `stride`: [batch, H, W, in] → [batch, H·stride, W·stride, out]
/// with `.same` padding, ((H − 1)·stride + k) with `.valid`.
///
/// The kernel is stored as Keras stores it, [kh, kw, out, in]; Glorot-uniform, zero bias.
///
/// ```swift
/// let up = ConvTranspose2D(128, 64, kernelSize: 5, stride: 2, padding: .same, rng: rng)
/// let y = up(x)   // [32, 7, 7, 128] → [32, 14, 14, 64]
/// ```
public final class ConvTranspose2D: UnaryLayer {
    public let kernel: Tensor
    public let bias: Tensor?
    public let stride: Int
    public let padding: Padding

    public init(
        _ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Padding = .valid,
        useBias: Bool = true, kernelInitializer: Initializer = .glorotUniform, rng: RandomGenerator
    ) {
        kernel = kernelInitializer.make([kernelSize, kernelSize, outChannels, inChannels], rng: rng).requiringGradient()
        bias = useBias ? Tensor.zeros([outChannels]).requiringGradient() : nil
        (self.stride, self.padding) = (stride, padding)
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        require(
            x.rank == 4 && x.shape[3] == kernel.shape[3],
            "SwiftGAN shape error: ConvTranspose2D(\(kernel.shape[3]) → \(kernel.shape[2])) expects [batch, height, width, \(kernel.shape[3])], got \(describe(x.shape))"
        )
        return x.convTranspose2d(kernel, bias: bias, stride: stride, padding: padding)
    }

    public var ownParameters: [(name: String, tensor: Tensor)] {
        [("kernel", kernel)] + (bias.map { [("bias", $0)] } ?? [])
    }
}
