import NN
import Tensors

/// One model of the zoo: a generator, a discriminator, and what the data looks like.
///
/// Both networks are `Sequential` modules; the discriminator ends in one logit per example (the
/// sigmoid is folded into the loss). Each zoo file (`MLPGAN.swift`, `CurveGAN.swift`, …) builds
/// one of these from a `ModelOptions` and reads top to bottom like the source it follows.
public final class GANModel {
    /// The zoo name (`mlp-gan`, `curve-gan`).
    public let name: String
    public let generator: Sequential
    public let discriminator: Sequential
    /// The length of the noise vector z.
    public let noiseSize: Int
    /// The shape of one generated example: [28, 28, 1] for images, [16] for curves.
    public let sampleShape: [Int]
    /// The range of the generator's output (and of the data it is trained on).
    public let dataRange: ClosedRange<Float>
    /// Adam settings both networks train with, and the batch size, from the source.
    public let learningRate: Float, beta1: Float
    public let batchSize: Int
    /// The options that built this model (saved in checkpoints to rebuild it).
    public let options: ModelOptions

    public init(name: String, generator: Sequential, discriminator: Sequential, noiseSize: Int, sampleShape: [Int],
                dataRange: ClosedRange<Float>, learningRate: Float, beta1: Float, batchSize: Int, options: ModelOptions) {
        (self.name, self.generator, self.discriminator, self.noiseSize) = (name, generator, discriminator, noiseSize)
        (self.sampleShape, self.dataRange, self.learningRate, self.beta1, self.options) = (sampleShape, dataRange, learningRate, beta1, options)
        self.batchSize = batchSize
    }

    /// Draws z ~ N(0, 1), shape [count, noiseSize].
    public func noise(_ count: Int, using rng: RandomGenerator) -> Tensor {
        Tensor.normal([count, noiseSize], using: rng)
    }

    /// Generates `noise.shape[0]` examples in inference mode (BatchNorm uses its running
    /// statistics, so a sample does not depend on the others drawn with it), recording nothing.
    public func generate(_ noise: Tensor) -> Tensor {
        generator.eval()
        defer { generator.train() }
        return withoutGrad { generator(noise) }
    }
}

/// What varies between builds of a zoo model. Saved in checkpoints and configuration files.
public struct ModelOptions: Codable, Equatable {
    /// Dropout after each hidden layer of the discriminator (0 = the model's own choice: none for
    /// mlp-gan and dcgan64, 0.3 for dcgan); `mlp-gan --d-dropout 0.4`.
    public var discriminatorDropout: Float = 0
    /// dcgan64: the base channel count w (nil: 32).
    public var width: Int?
    /// dcgan64: 64 or 32 pixels (nil: 64).
    public var imageSize: Int?

    public init(discriminatorDropout: Float = 0, width: Int? = nil, imageSize: Int? = nil) {
        (self.discriminatorDropout, self.width, self.imageSize) = (discriminatorDropout, width, imageSize)
    }
}

/// The zoo: model names and their builders.
public enum ModelZoo {
    public static let names = ["mlp-gan", "curve-gan", "dcgan", "dcgan64"]

    public static func make(_ name: String, options: ModelOptions = ModelOptions(), rng: RandomGenerator) throws -> GANModel {
        switch name {
        case "mlp-gan": return MLPGAN.make(options: options, rng: rng)
        case "curve-gan": return CurveGAN.make(options: options, rng: rng)
        case "dcgan": return DCGAN.make(options: options, rng: rng)
        case "dcgan64":
            guard [nil, 32, 64].contains(options.imageSize) else { throw GANError("dcgan64 makes 64×64 or 32×32 images, not \(options.imageSize!)") }
            guard (options.width ?? 32) >= 1 else { throw GANError("--width must be positive") }
            return DCGAN64.make(options: options, rng: rng)
        default: throw GANError("unknown model '\(name)' (known: \(names.joined(separator: ", ")))")
        }
    }
}

/// A problem with a model, a checkpoint or a training run; the description says what and where.
public struct GANError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
