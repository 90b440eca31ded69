import SwiftGANNN
import SwiftGANTensors

/// The MLP GAN of the Keras GAN tutorials (Keras-GAN's `gan.py`, Goodfellow et al. 2014 with
/// LeakyReLU and BatchNorm):
///
///     G: z(100) → Dense 256 → LeakyReLU(0.2) → BatchNorm(0.8)
///               → Dense 512 → LeakyReLU(0.2) → BatchNorm(0.8)
///               → Dense 1024 → LeakyReLU(0.2) → BatchNorm(0.8)
///               → Dense 784 → tanh → 28×28×1
///     D: Flatten → Dense 512 → LeakyReLU(0.2) → Dense 256 → LeakyReLU(0.2) → Dense 1 (logit)
///
/// Adam(2e-4, β₁ 0.5) for both, binary cross-entropy, batch 64, images in [−1, 1].
/// `BatchNorm(momentum: 0.8)` is the source's `BatchNormalization(momentum=0.8)` (Keras semantics;
/// PyTorch-GAN's port passes 0.8 as *epsilon* by mistake). With `discriminatorDropout` > 0, D gets
/// Dropout after each hidden activation, as the TensorFlow tutorial variant does (0.4 there).
public enum MLPGAN {
    public static let source = SourceSettings(learningRate: 2e-4, beta1: 0.5, batchSize: 64)

    /// `generatorInputs` and `discriminatorInputs` widen the first layers for a conditional variant (``CGAN``).
    public static func make(
        options: ModelOptions, rng: RandomGenerator, generatorInputs: Int = 100, discriminatorInputs: Int? = nil
    ) -> GANModel {
        func block(_ input: Int, _ output: Int) -> [any UnaryLayer] {
            [Dense(input, output, rng: rng), LeakyReLU(0.2), BatchNorm(featureCount: output, momentum: 0.8)]
        }
        let generator = Sequential(
            block(generatorInputs, 256) + block(256, 512) + block(512, 1024)
                + [Dense(1024, 784, rng: rng), Tanh(), Reshape([28, 28, 1])]
        )
        func dropout() -> [any UnaryLayer] {
            let rate = source.dropout(options.discriminatorDropout)
            return rate > 0 ? [Dropout(rate: rate, rng: rng)] : []
        }
        let discriminator = Sequential(
            (discriminatorInputs.map { [Dense($0, 512, rng: rng)] } ?? [Flatten(), Dense(784, 512, rng: rng)]) + [
                LeakyReLU(0.2)
            ] + dropout()
                + [Dense(512, 256, rng: rng), LeakyReLU(0.2)] + dropout()
                + [Dense(256, 1, rng: rng)]
        )
        return GANModel(
            name: "mlp-gan", generator: generator, discriminator: discriminator, noiseSize: 100,
            sample: .grayscale28, dataRange: -1...1, source: source, options: options)
    }
}

extension MLPGAN: ZooModel {
    public static let name = "mlp-gan"
    public static let summary = "the vanilla MLP GAN of the Keras/PyTorch tutorials, 28×28 gray"
    public static func build(options: ModelOptions, rng: RandomGenerator) throws -> GANModel {
        make(options: options, rng: rng)
    }
}
