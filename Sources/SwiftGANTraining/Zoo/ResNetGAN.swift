import SwiftGANNN
import SwiftGANTensors

/// A small residual GAN in the SNGAN/BigGAN style (Miyato et al. 2018; Brock et al. 2019) for
/// 28×28 gray images, sized for a CPU by `--width` w (default 32), NHWC:
///
///     G: z(128) → Dense 7·7·2w → Reshape 7×7×2w
///        → UpBlock 2w → w (14×14) → UpBlock w → w (28×28)
///        → BatchNorm → ReLU → Conv 1, 3×3, same → tanh                       (28×28×1)
///     D: DownBlock 1 → w (14×14, no leading ReLU) → DownBlock w → 2w (7×7)
///        → ReLU → global sum pool → Dense 1 (logit)
///
///     UpBlock:   BN → ReLU → upsample ×2 → Conv 3×3 → BN → ReLU → Conv 3×3,  + upsample ×2 → Conv 1×1
///     DownBlock: ReLU → Conv 3×3 → ReLU → Conv 3×3 → avg-pool 2,             + Conv 1×1 → avg-pool 2
///
/// `--d-dropout` adds Dropout after each of D's blocks. Trained by default with the `hinge-sn` recipe (hinge loss, spectral norm on every weight of D,
/// TTUR, an EMA of G), as SNGAN is. Glorot-uniform kernels, images in [−1, 1], batch 64.
public enum ResNetGAN {
    public static let source = SourceSettings(learningRate: 2e-4, beta1: 0.0, batchSize: 64)

    public static func make(options: ModelOptions, rng: RandomGenerator) -> GANModel {
        let w = options.width ?? 32
        let generator = Sequential([
            Dense(128, 7 * 7 * 2 * w, rng: rng), Reshape([7, 7, 2 * w]),
            ResidualBlock.up(2 * w, w, rng: rng), ResidualBlock.up(w, w, rng: rng),
            BatchNorm(featureCount: w), ReLU(), Conv2D(w, 1, kernelSize: 3, padding: .same, rng: rng), Tanh(),
        ])
        let rate = source.dropout(options.discriminatorDropout)
        let dropout: () -> [any UnaryLayer] = { rate > 0 ? [Dropout(rate: rate, rng: rng)] : [] }
        let discriminator = Sequential(
            [ResidualBlock.down(1, w, leadingActivation: false, rng: rng)] + dropout() + [
                ResidualBlock.down(w, 2 * w, rng: rng)
            ] + dropout()
                + [ReLU(), GlobalSumPool(), Dense(2 * w, 1, rng: rng)]
        )
        return GANModel(
            name: name, generator: generator, discriminator: discriminator, noiseSize: 128,
            sample: .grayscale28, dataRange: -1...1, source: source, options: options)
    }
}

extension ResNetGAN: ZooModel {
    public static let name = "resnet-gan"
    public static let summary =
        "a small residual GAN in the SNGAN/BigGAN style (residual blocks, nearest upsampling, average pooling), 28×28 gray"
    public static let options: [ModelOptions.Key] = [.width]
    public static let defaultRecipe = "hinge-sn"
    public static func validate(_ options: ModelOptions) throws {
        guard (1...256).contains(options.width ?? 32) else {
            throw GANError("--width must lie in 1...256, got \(options.width!)")
        }
    }
    public static func build(options: ModelOptions, rng: RandomGenerator) throws -> GANModel {
        make(options: options, rng: rng)
    }
}

/// A residual block: `main(x) + shortcut(x)`, the two paths being any layers that agree on their
/// output's shape. ResNet-GAN's two kinds are two ways to fill them.
public final class ResidualBlock: UnaryLayer, LayerContainer {
    public let main: Sequential
    public let shortcut: Sequential

    public init(main: Sequential, shortcut: Sequential) { (self.main, self.shortcut) = (main, shortcut) }

    /// G's block: BN → ReLU → upsample ×2 → Conv 3×3 → BN → ReLU → Conv 3×3, plus the shortcut
    /// upsample ×2 → Conv 1×1: [b, h, w, in] → [b, 2h, 2w, out].
    public static func up(_ input: Int, _ output: Int, rng: RandomGenerator) -> ResidualBlock {
        let main = Sequential([
            BatchNorm(featureCount: input), ReLU(), Upsample(factor: 2),
            Conv2D(input, output, kernelSize: 3, padding: .same, rng: rng),
            BatchNorm(featureCount: output), ReLU(), Conv2D(output, output, kernelSize: 3, padding: .same, rng: rng),
        ])
        return ResidualBlock(
            main: main, shortcut: Sequential([Upsample(factor: 2), Conv2D(input, output, kernelSize: 1, rng: rng)]))
    }

    /// D's block: [ReLU →] Conv 3×3 → ReLU → Conv 3×3 → avg-pool 2, plus the shortcut Conv 1×1 →
    /// avg-pool 2: [b, h, w, in] → [b, h/2, w/2, out]. D's first block starts without the ReLU
    /// (its input is the image).
    public static func down(
        _ input: Int, _ output: Int, leadingActivation: Bool = true, rng: RandomGenerator
    ) -> ResidualBlock {
        let main = Sequential(
            (leadingActivation ? [ReLU()] : []) + [
                Conv2D(input, output, kernelSize: 3, padding: .same, rng: rng), ReLU(),
                Conv2D(output, output, kernelSize: 3, padding: .same, rng: rng), AveragePool(factor: 2),
            ])
        return ResidualBlock(
            main: main, shortcut: Sequential([Conv2D(input, output, kernelSize: 1, rng: rng), AveragePool(factor: 2)]))
    }

    public func callAsFunction(_ x: Tensor) -> Tensor { main(x) + shortcut(x) }

    public func mapLayers(_ transform: (any UnaryLayer) throws -> any UnaryLayer) rethrows -> Self {
        Self(main: try main.mapLayers(transform), shortcut: try shortcut.mapLayers(transform))
    }
}

extension ResidualBlock: ONNXExportable {
    public func emitONNX(_ x: ONNXValue, into onnx: inout ONNXBuilder) throws -> ONNXValue {
        try onnx.sum(onnx.emit(main, x), onnx.emit(shortcut, x))
    }
}
