import SwiftGANTensors

/// Nearest-neighbour upsampling of NHWC images by `factor` (Keras `UpSampling2D`, PyTorch
/// `Upsample(mode: "nearest")`): [batch, H, W, C] → [batch, H·f, W·f, C]. No parameters.
///
/// ```swift
/// let up = Upsample(factor: 2)
/// let y = up(x)   // [8, 7, 7, 64] → [8, 14, 14, 64]
/// ```
public final class Upsample: UnaryLayer {
    public let factor: Int
    public init(factor: Int = 2) { self.factor = factor }
    public func callAsFunction(_ x: Tensor) -> Tensor { x.upsampledNearest(factor: factor) }
}

/// Average pooling of NHWC images over `factor`×`factor` windows with the same stride (Keras
/// `AveragePooling2D`, PyTorch `AvgPool2d`): [batch, H, W, C] → [batch, H/f, W/f, C]. H and W must
/// be multiples of the factor. No parameters.
public final class AveragePool: UnaryLayer {
    public let factor: Int
    public init(factor: Int = 2) { self.factor = factor }
    public func callAsFunction(_ x: Tensor) -> Tensor { x.averagePooled(factor: factor) }
}

/// The sum over all pixels of each channel: [batch, H, W, C] → [batch, C] (the global pooling
/// of SNGAN's and BigGAN's discriminators, which sum rather than average).
public final class GlobalSumPool: UnaryLayer {
    public init() {}
    public func callAsFunction(_ x: Tensor) -> Tensor {
        require(
            x.rank == 4,
            "SwiftGAN shape error: GlobalSumPool takes [batch, height, width, channels] images, got \(describe(x.shape))"
        )
        return x.sum(alongAxes: [1, 2])
    }
}
