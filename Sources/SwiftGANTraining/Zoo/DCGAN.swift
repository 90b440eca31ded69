import SwiftGANNN
import SwiftGANTensors

/// The DCGAN of the Fashion-MNIST tutorial (Géron, *Hands-On Machine Learning*, ch. 17), NHWC:
///
///     G: z(100) → Dense 7·7·128 → Reshape 7×7×128 → BatchNorm
///               → ConvTranspose 64, 5×5, stride 2, same → SELU → BatchNorm
///               → ConvTranspose 1, 5×5, stride 2, same → tanh               (28×28×1)
///     D: Conv 64, 5×5, stride 2, same → LeakyReLU(0.2) → Dropout(0.3)
///        → Conv 128, 5×5, stride 2, same → LeakyReLU(0.2) → Dropout(0.3)
///        → Flatten → Dense 1 (logit)
///
/// Keras defaults everywhere else: Glorot-uniform kernels, BatchNorm(momentum 0.99, ε 1e-3), and
/// Adam(1e-3, β₁ 0.9). Binary cross-entropy, batch 32, images in [−1, 1]. This is the layer list and
/// optimizer as SwiftGAN's issue #4 specifies them; the book's own code differs in three places:
/// 30-dimensional codings, Dropout(0.4) and RMSprop.
public enum DCGAN {
    public static let source = SourceSettings(learningRate: 1e-3, beta1: 0.9, batchSize: 32, discriminatorDropout: 0.3)

    /// `generatorInputs` and `imageChannels` widen the first layers for a conditional variant (``CGAN``).
    public static func make(
        options: ModelOptions, rng: RandomGenerator, generatorInputs: Int = 100, imageChannels: Int = 1
    ) -> GANModel {
        let generator = Sequential([
            Dense(generatorInputs, 7 * 7 * 128, rng: rng), Reshape([7, 7, 128]), BatchNorm(featureCount: 128),
            ConvTranspose2D(128, 64, kernelSize: 5, stride: 2, padding: .same, rng: rng), SELU(),
            BatchNorm(featureCount: 64),
            ConvTranspose2D(64, 1, kernelSize: 5, stride: 2, padding: .same, rng: rng), Tanh(),
        ])
        let dropout = source.dropout(options.discriminatorDropout)
        let discriminator = Sequential([
            Conv2D(imageChannels, 64, kernelSize: 5, stride: 2, padding: .same, rng: rng), LeakyReLU(0.2),
            Dropout(rate: dropout, rng: rng),
            Conv2D(64, 128, kernelSize: 5, stride: 2, padding: .same, rng: rng), LeakyReLU(0.2),
            Dropout(rate: dropout, rng: rng),
            Flatten(), Dense(7 * 7 * 128, 1, rng: rng),
        ])
        return GANModel(
            name: "dcgan", generator: generator, discriminator: discriminator, noiseSize: 100,
            sample: .grayscale28, dataRange: -1...1, source: source, options: options)
    }
}

extension DCGAN: ZooModel {
    public static let name = "dcgan"
    public static let summary = "the DCGAN of the Fashion-MNIST tutorial, 28×28 gray"
    /// The best measured per CPU-minute (docs/recipes.md).
    public static let defaultRecipe = "stable-bce"
    public static func build(options: ModelOptions, rng: RandomGenerator) throws -> GANModel {
        make(options: options, rng: rng)
    }
}
