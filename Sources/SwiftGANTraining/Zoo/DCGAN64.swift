import SwiftGANNN
import SwiftGANTensors

/// The architecture of the DCGAN paper (Radford, Metz & Chintala, 2016), NHWC, for images of
/// 64×64 by default and of any size whose sides G reaches by doubling a grid of at least 4×4 (32×32
/// for CIFAR-10, 48×80, 40×40…), gray or RGB. With width w (the paper: 128; PyTorch's DCGAN
/// example: 64; here 32 by default so it trains on a CPU):
///
///     G: z(100) → Dense h·w·8w → Reshape → BatchNorm → ReLU      (h × w: the first grid)
///               → [ConvTranspose 4×4, stride 2, same → BatchNorm → ReLU] halving the channels
///               → ConvTranspose C, 4×4, stride 2, same → tanh          (4 → 8 → 16 → 32 → 64)
///     D: Conv w, 4×4, stride 2, same → LeakyReLU(0.2)                  (no BatchNorm on the input layer)
///        → [Conv 4×4, stride 2, same → BatchNorm → LeakyReLU(0.2)] doubling the channels down to 4×4
///        → Flatten → Dense 1 (logit)
///
/// Weights N(0, 0.02) as in the paper; layers followed by BatchNorm have no bias; BatchNorm as
/// PyTorch's example (momentum 0.1 ≙ Keras 0.9, ε 1e-5). Adam(2e-4, β₁ 0.5), batch 64, images in [−1, 1].
public enum DCGAN64 {
    public static let source = SourceSettings(learningRate: 2e-4, beta1: 0.5, batchSize: 64)

    /// The number of doublings from G's first grid to `size`: the most, up to 4, that leave a grid
    /// of at least 4 × 4 with whole sides (64: 4 × 4 → 64 × 64 in 4; 32: 4 × 4 in 3; 48 × 80: 6 × 10
    /// in 3; 28: 7 × 7 in 2); nil where none does (a side below 8, or odd).
    static func stages(for size: ImageSize) -> Int? {
        (1...4).reversed().first { k in
            [size.height, size.width].allSatisfy { $0 % (1 << k) == 0 && $0 >> k >= 4 }
        }
    }

    /// `generatorInputs` and `discriminatorChannels` widen the first layers for a conditional model
    /// (cgan's `dcgan64` body: the one-hot label after the noise, and as constant planes of the image).
    public static func make(
        options: ModelOptions, rng: RandomGenerator, generatorInputs: Int = 100, discriminatorChannels: Int? = nil
    ) -> GANModel {
        let size = options.imageSize ?? 64, w = options.width ?? 32, imageChannels = options.channels ?? 3
        let stages = Self.stages(for: size) ?? 4
        let (gridHeight, gridWidth) = (size.height >> stages, size.width >> stages)
        let init02 = Initializer.normal(std: 0.02)
        func norm(_ c: Int) -> BatchNorm { BatchNorm(featureCount: c, momentum: 0.9, epsilon: 1e-5) }

        var channels = w << (stages - 1)  // 8w for 64×64, 4w for 32×32
        var g: [any UnaryLayer] = [
            Dense(
                generatorInputs, gridHeight * gridWidth * channels, useBias: false, weightInitializer: init02, rng: rng),
            Reshape([gridHeight, gridWidth, channels]), norm(channels), ReLU(),
        ]
        for _ in 0..<(stages - 1) {
            g += [
                ConvTranspose2D(
                    channels, channels / 2, kernelSize: 4, stride: 2, padding: .same, useBias: false,
                    kernelInitializer: init02, rng: rng),
                norm(channels / 2), ReLU(),
            ]
            channels /= 2
        }
        g += [
            ConvTranspose2D(
                channels, imageChannels, kernelSize: 4, stride: 2, padding: .same, kernelInitializer: init02, rng: rng),
            Tanh(),
        ]

        // The source has no dropout in D; `--d-dropout` adds it after each LeakyReLU, as in the other models.
        let rate = source.dropout(options.discriminatorDropout)
        let dropout: () -> [any UnaryLayer] = { rate > 0 ? [Dropout(rate: rate, rng: rng)] : [] }
        var d: [any UnaryLayer] =
            [
                Conv2D(
                    discriminatorChannels ?? imageChannels, w, kernelSize: 4, stride: 2, padding: .same,
                    kernelInitializer: init02, rng: rng),
                LeakyReLU(0.2),
            ] + dropout()
        channels = w
        for _ in 0..<(stages - 1) {
            // Without BatchNorm (a WGAN-GP critic) the convolution keeps its bias.
            let normalized = options.discriminatorNormalization != "none"
            d +=
                [
                    Conv2D(
                        channels, channels * 2, kernelSize: 4, stride: 2, padding: .same, useBias: !normalized,
                        kernelInitializer: init02, rng: rng)
                ]
                + (normalized ? [norm(channels * 2)] : []) + [LeakyReLU(0.2)] + dropout()
            channels *= 2
        }
        d += [Flatten(), Dense(gridHeight * gridWidth * channels, 1, weightInitializer: init02, rng: rng)]
        return GANModel(
            name: "dcgan64", generator: Sequential(g), discriminator: Sequential(d), noiseSize: 100,
            sample: .images(height: size.height, width: size.width, channels: imageChannels), dataRange: -1...1,
            source: source, options: options
        )
    }
}

extension DCGAN64: ZooModel {
    public static let name = "dcgan64"
    public static let summary =
        "the DCGAN paper's architecture (Radford et al. 2016), 64×64 or any size it can reach, gray or RGB"
    public static let options: [ModelOptions.Key] = [.width, .imageSize, .channels, .discriminatorNormalization]
    public static func validate(_ options: ModelOptions) throws {
        if let size = options.imageSize {
            // 256: a 256 × 256 × 3 batch of 64 is already 50 MB of activations per layer.
            guard (8...256).contains(size.height), (8...256).contains(size.width), stages(for: size) != nil else {
                throw GANError(
                    "dcgan64 cannot make \(size.height)×\(size.width) images: its G doubles a grid of at least 4×4 up to "
                        + "4 times, so each side must be even and in 8…256 (for example 28, 32, 40, 48x80, 64, 96, 128); "
                        + "a side divisible by 64 gets all 4 doublings")
            }
        }
        guard [nil, 1, 3].contains(options.channels) else {
            throw GANError("--channels is 1 (gray) or 3 (RGB), not \(options.channels!)")
        }
        // 256: 2,048 channels in G's first layer, already 30 million weights.
        guard (1...256).contains(options.width ?? 32) else {
            throw GANError("--width must lie in 1...256, got \(options.width!)")
        }
    }
    public static func defaults(_ options: ModelOptions, forDataset dataset: String) -> ModelOptions {
        var options = options
        if dataset == "cifar10" && options.imageSize == nil { options.imageSize = 32 }
        if ["mnist", "fashion-mnist"].contains(dataset) {
            // Their own 28×28 gray images: 7×7 doubled twice.
            if options.channels == nil { options.channels = 1 }
            if options.imageSize == nil { options.imageSize = 28 }
        }
        return options
    }
    public static func build(options: ModelOptions, rng: RandomGenerator) throws -> GANModel {
        make(options: options, rng: rng)
    }
}
