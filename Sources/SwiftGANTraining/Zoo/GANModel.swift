import SwiftGANNN
import SwiftGANTensors

/// One model of the zoo: a generator, a discriminator, and what the data looks like.
///
/// Each network is any ``UnaryLayer`` (the zoo's `Sequential`s) or ``LabelledLayer`` (a network
/// that takes the class labels itself, e.g. a projection discriminator); the discriminator ends in
/// one logit per example (the sigmoid is folded into the loss). Each zoo file (`MLPGAN.swift`,
/// `CurveGAN.swift`, …) builds one of these and reads top to bottom like the source it follows;
/// a user's own networks fit the same way:
///
/// ```swift
/// let model = GANModel(name: "my-gan", generator: MyGenerator(rng: rng), discriminator: MyCritic(rng: rng),
///                      noiseSize: 64, sample: .grayscale28, dataRange: -1...1,
///                      source: SourceSettings(learningRate: 2e-4, beta1: 0.5, batchSize: 64))
/// ```
public final class GANModel {
    /// The zoo name (`mlp-gan`, `curve-gan`).
    public let name: String
    public let generator: GANNetwork
    public let discriminator: GANNetwork
    /// The length of the noise vector z.
    public let noiseSize: Int
    /// What the generator makes: images of a size, or curves.
    public let sample: SampleKind
    /// The range of the generator's output (and of the data it is trained on).
    public let dataRange: ClosedRange<Float>
    /// The options that built this model (saved in checkpoints to rebuild it).
    public let options: ModelOptions
    /// Whether and how class labels enter the networks (`.none` for unconditional models).
    public let conditioning: Conditioning
    /// How the model's source trains it (optimizer, batch size, targets, batching): the defaults
    /// a ``TrainingRecipe`` starts from. Nothing in the model itself depends on them.
    public let source: SourceSettings

    public init(
        name: String, generator: any Module, discriminator: any Module, noiseSize: Int, sample: SampleKind,
        dataRange: ClosedRange<Float>, source: SourceSettings, options: ModelOptions = ModelOptions(),
        conditioning: Conditioning = .none
    ) {
        (self.name, self.noiseSize) = (name, noiseSize)
        self.generator = generator as? GANNetwork ?? GANNetwork(generator)
        self.discriminator = discriminator as? GANNetwork ?? GANNetwork(discriminator)
        (self.sample, self.dataRange, self.source, self.options, self.conditioning) = (
            sample, dataRange, source, options, conditioning
        )
    }

    /// This model with another discriminator (spectral normalization wraps the zoo's).
    func replacingDiscriminator(_ discriminator: any Module) -> GANModel {
        GANModel(
            name: name, generator: generator, discriminator: discriminator, noiseSize: noiseSize, sample: sample,
            dataRange: dataRange, source: source, options: options, conditioning: conditioning)
    }

    /// The shape of one generated example: [28, 28, 1] for images (NHWC), [16] for curves.
    public var sampleShape: [Int] { sample.shape }

    /// The number of classes a conditional model draws (0: unconditional).
    public var classCount: Int { conditioning.classCount }

    /// Draws z ~ N(0, 1), shape [count, noiseSize].
    public func noise(_ count: Int, using rng: RandomGenerator) -> Tensor {
        Tensor.normal([count, noiseSize], using: rng)
    }

    /// Draws `count` class labels uniformly (the labels a conditional generator is asked for in training).
    public func randomLabels(_ count: Int, using rng: RandomGenerator) -> [Int] {
        (0..<count).map { _ in rng.integer(below: classCount) }
    }

    /// Checks labels given from outside (command line, files) against the model.
    public func validate(labels: [Int]?) throws {
        guard let labels else {
            if classCount > 0 {
                throw GANError("\(name) is conditional: give the class labels to draw (0..<\(classCount))")
            }
            return
        }
        guard classCount > 0 else { throw GANError("\(name) is unconditional: it takes no class labels") }
        if let bad = labels.first(where: { !(0..<classCount).contains($0) }) {
            throw GANError("label \(bad) is out of range: \(name) draws classes 0...\(classCount - 1)")
        }
    }

    /// The generator's input: the noise, followed by the one-hot labels for a conditional model
    /// whose generator does not take the labels itself.
    public func generatorInput(noise: Tensor, labels: [Int]?) -> Tensor {
        guard classCount > 0, !generator.takesLabels else { return noise }
        guard let labels else { fatalError("\(name) is conditional: generating needs class labels") }
        return Tensor.concatenate([noise, oneHot(labels, classes: classCount)], alongAxis: 1)
    }

    /// G's output for `noise` (and, for a conditional model, `labels`), in the current mode and
    /// recording as the current ``GradMode`` says: the training step's forward pass.
    public func generatorOutput(noise: Tensor, labels: [Int]?) -> Tensor {
        generator(generatorInput(noise: noise, labels: labels), labels: labels)
    }

    /// D's raw output on `examples` (judged with `labels`, for a conditional model).
    public func discriminatorOutput(_ examples: Tensor, labels: [Int]?) -> Tensor {
        discriminator(discriminatorInput(examples, labels: labels), labels: labels)
    }

    /// The discriminator's input: the images, with the labels joined as `conditioning` says
    /// (unless the discriminator takes the labels itself).
    public func discriminatorInput(_ images: Tensor, labels: [Int]?) -> Tensor {
        if conditioning.discriminatorSees == .imagesOnly || discriminator.takesLabels { return images }
        guard let labels, labels.count == images.shape[0] else {
            fatalError(
                "\(name): the discriminator needs one label per image (\(images.shape[0]) images, \(labels?.count ?? 0) labels)"
            )
        }
        if conditioning.discriminatorSees == .flattenedWithOneHot {
            return Tensor.concatenate([images.flattenedBatch(), oneHot(labels, classes: classCount)], alongAxis: 1)
        }
        // One-hot planes: label c becomes C extra channels, all 0 but channel c, all 1 (the Keras
        // conditional-GAN example).
        let (b, h, w) = (images.shape[0], images.shape[1], images.shape[2])
        let planes = Tensor.zeros([b, h, w, classCount])
        for (row, label) in labels.enumerated() {
            let base = planes.data + row * h * w * classCount + label
            for p in 0..<(h * w) { base[p * classCount] = 1 }
        }
        return Tensor.concatenate([images, planes], alongAxis: 3)
    }

    /// Generates `noise.shape[0]` examples (of the given classes, for a conditional model) in
    /// inference mode (BatchNorm uses its running statistics, so a sample does not depend on the
    /// others drawn with it), recording nothing.
    /// `batchStatistics`: normalize with the batch's own statistics instead (training mode, as many
    /// PyTorch scripts sample), for comparison.
    public func generate(_ noise: Tensor, labels: [Int]? = nil, batchStatistics: Bool = false) -> Tensor {
        if !batchStatistics { generator.eval() }
        defer { generator.train() }
        return withoutGrad { generatorOutput(noise: noise, labels: labels) }
    }

    /// How many examples ``generate(inBatches:labels:)`` draws at once: outputs of about 2 MB,
    /// 500 of 28×28 and 42 of 64×64×3; a generator's activations are some tens of times that.
    public var inferenceBatchSize: Int { Swift.max(16, Swift.min(500, (1 << 19) / sampleShape.reduce(1, *))) }

    /// ``generate(_:labels:batchStatistics:)`` in inference mode, ``inferenceBatchSize`` examples
    /// at a time, so the memory of a large draw is its output's, not its activations'.
    public func generate(inBatches noise: Tensor, labels: [Int]? = nil) -> Tensor {
        let count = noise.shape[0], step = inferenceBatchSize
        guard count > step else { return generate(noise, labels: labels) }
        let parts = stride(from: 0, to: count, by: step).map { start in
            let range = start..<Swift.min(start + step, count)
            return generate(noise.slice(alongAxis: 0, range), labels: labels.map { Array($0[range]) })
        }
        return Tensor.concatenate(parts, alongAxis: 0)
    }
}

/// A model's training settings as its source gives them: what a run uses unless told otherwise
/// (`swiftgan train --help` lists them per model).
public struct SourceSettings {
    public var learningRate: Float, beta1: Float, batchSize: Int
    /// D's dropout rate without `--d-dropout` (0: none).
    public var discriminatorDropout: Float = 0
    /// nil: epochs over the data; else batches drawn at random, this many per "epoch".
    public var randomBatchesPerEpoch: Int? = nil
    /// D's real/fake targets (smoothing, noise).
    public var targets = DiscriminatorTargets()

    public init(
        learningRate: Float, beta1: Float, batchSize: Int, discriminatorDropout: Float = 0,
        randomBatchesPerEpoch: Int? = nil,
        targets: DiscriminatorTargets = DiscriminatorTargets()
    ) {
        (self.learningRate, self.beta1, self.batchSize, self.discriminatorDropout) = (
            learningRate, beta1, batchSize, discriminatorDropout
        )
        (self.randomBatchesPerEpoch, self.targets) = (randomBatchesPerEpoch, targets)
    }

    /// `rate` when given (> 0), else the source's.
    func dropout(_ rate: Float) -> Float { rate > 0 ? rate : discriminatorDropout }
}

/// What a generator makes. Carried by the model, so the training run, the pictures, `sample`
/// and `evaluate` ask it instead of guessing from a shape.
public enum SampleKind: Equatable, CustomStringConvertible {
    /// Images, height × width × channels (NHWC; 1 channel: gray, 3: RGB).
    case images(height: Int, width: Int, channels: Int)
    /// Curves: y at `points` fixed x positions (curve-gan's parabolas).
    case curves(points: Int)

    /// 28×28 gray images: what the shipped evaluators measure (Fashion-MNIST, MNIST).
    public static let grayscale28 = SampleKind.images(height: 28, width: 28, channels: 1)

    public var shape: [Int] {
        switch self {
        case .images(let h, let w, let c): return [h, w, c]
        case .curves(let n): return [n]
        }
    }

    public var description: String {
        switch self {
        case .images(let h, let w, let c): return "\(h)×\(w) \(c == 1 ? "gray" : "\(c)-channel") images"
        case .curves(let n): return "curves of \(n) points"
        }
    }
}

/// How class labels enter a model (Mirza & Osindero 2014; Odena et al. 2017).
public struct Conditioning: Equatable {
    /// How the discriminator is shown the label.
    public enum DiscriminatorInput: Equatable {
        /// Not at all: unconditional models, auxiliary classifiers (whose D predicts the label
        /// instead), and a D that takes the labels itself (a projection).
        case imagesOnly
        /// The flattened image followed by the one-hot label (an MLP discriminator).
        case flattenedWithOneHot
        /// The one-hot label as constant extra channels of the image (a convolutional discriminator).
        case oneHotPlanes
    }

    /// 0 for an unconditional model. A conditional generator takes concat(noise, one-hot label).
    public var classCount: Int
    public var discriminatorSees: DiscriminatorInput
    /// An auxiliary classifier (acgan; sngan `--conditioning auxiliary`): D's output is
    /// [batch, 1 + classCount], the real/fake logit then the class logits.
    public var auxiliaryClassifier: Bool

    public static let none = Conditioning(classCount: 0, discriminatorSees: .imagesOnly, auxiliaryClassifier: false)
    public static func concatenated(classes: Int, discriminatorSees: DiscriminatorInput) -> Conditioning {
        Conditioning(classCount: classes, discriminatorSees: discriminatorSees, auxiliaryClassifier: false)
    }
    /// A model of one's own whose networks take the labels themselves where they are
    /// ``LabelledLayer``s (a projection D, conditional BatchNorm in G); a one-input generator gets
    /// the one-hot label after the noise.
    public static func labels(classes: Int) -> Conditioning {
        Conditioning(classCount: classes, discriminatorSees: .imagesOnly, auxiliaryClassifier: false)
    }
    /// D also classifies (acgan; sngan `--conditioning auxiliary`); a generator that is a
    /// ``LabelledLayer`` takes the labels itself (sngan's conditional BatchNorm), a one-input one
    /// gets the one-hot label after the noise (acgan).
    public static func auxiliaryClassifier(classes: Int) -> Conditioning {
        Conditioning(classCount: classes, discriminatorSees: .imagesOnly, auxiliaryClassifier: true)
    }
}

/// What varies between builds of a zoo model. Saved in checkpoints and configuration files.
public struct ModelOptions: Codable, Equatable {
    /// Dropout after each hidden layer of the discriminator (0: the model's own,
    /// ``SourceSettings/discriminatorDropout``); `mlp-gan --d-dropout 0.4`.
    public var discriminatorDropout: Float = 0
    /// dcgan64: the base channel count w (nil: 32).
    public var width: Int?
    /// dcgan64: the image size, square or not, whose sides G reaches by doubling a grid of at
    /// least 4 × 4 (nil: 64; 32 for CIFAR-10).
    public var imageSize: ImageSize?
    /// dcgan64: 1 (gray) or 3 (RGB) channels (nil: 3; 1 for MNIST and Fashion-MNIST).
    public var channels: Int?
    /// cgan, acgan, sngan: how many classes the model draws (nil: 10; sngan: none). A run sets it
    /// from its labelled data.
    public var classes: Int?
    /// sngan: no conditioning even on labelled data (nil: conditional where the data has classes).
    public var unconditional: Bool?
    /// cgan: the unconditional body it extends, `mlp` or `dcgan` (nil: mlp).
    public var body: String?

    /// dcgan64: `none` builds D without BatchNorm, as a WGAN-GP critic must be (the gradient
    /// penalty is per example); nil or `batch`: the model's BatchNorm. (The other models' Ds have none.)
    public var discriminatorNormalization: String?
    /// Spectral normalization of every Dense and Conv2D weight in D (Miyato et al. 2018).
    public var spectralNorm: Bool?
    /// cgan, acgan, sngan: how a conditional model takes its labels, one of the model's
    /// ``ZooModel/conditionings`` (nil: its first; sngan `projection`, or `auxiliary`).
    public var conditioning: String?
    /// sngan: a self-attention block after G's and D's blocks that make maps of this side (nil: none).
    public var attention: Int?
    /// sngan: the minibatch standard deviation as one more channel before D's last block (nil: off).
    public var minibatchStddev: Bool?

    /// Every key is optional in the file (see ``TrainConfig/init(from:)``).
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            discriminatorDropout: try c.decodeIfPresent(Float.self, forKey: .discriminatorDropout) ?? 0,
            width: try c.decodeIfPresent(Int.self, forKey: .width),
            imageSize: try c.decodeIfPresent(ImageSize.self, forKey: .imageSize),
            channels: try c.decodeIfPresent(Int.self, forKey: .channels),
            classes: try c.decodeIfPresent(Int.self, forKey: .classes),
            unconditional: try c.decodeIfPresent(Bool.self, forKey: .unconditional),
            body: try c.decodeIfPresent(String.self, forKey: .body),
            discriminatorNormalization: try c.decodeIfPresent(String.self, forKey: .discriminatorNormalization),
            spectralNorm: try c.decodeIfPresent(Bool.self, forKey: .spectralNorm),
            conditioning: try c.decodeIfPresent(String.self, forKey: .conditioning),
            attention: try c.decodeIfPresent(Int.self, forKey: .attention),
            minibatchStddev: try c.decodeIfPresent(Bool.self, forKey: .minibatchStddev))
    }

    public init(
        discriminatorDropout: Float = 0, width: Int? = nil, imageSize: ImageSize? = nil, channels: Int? = nil,
        classes: Int? = nil, unconditional: Bool? = nil, body: String? = nil,
        discriminatorNormalization: String? = nil, spectralNorm: Bool? = nil, conditioning: String? = nil,
        attention: Int? = nil, minibatchStddev: Bool? = nil
    ) {
        (self.channels, self.classes, self.unconditional) = (channels, classes, unconditional)
        (self.discriminatorDropout, self.width, self.imageSize, self.body) = (
            discriminatorDropout, width, imageSize, body
        )
        (self.discriminatorNormalization, self.spectralNorm) = (discriminatorNormalization, spectralNorm)
        (self.conditioning, self.attention, self.minibatchStddev) = (conditioning, attention, minibatchStddev)
    }
}

/// A problem with a model, a checkpoint or a training run; the description says what and where.
public struct GANError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
