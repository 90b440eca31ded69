import SwiftGANArtifacts
import SwiftGANNN
import SwiftGANTensors

/// The conditional GAN of Mirza & Osindero (2014): both networks are told the class. The generator
/// takes concat(z, one-hot label); the discriminator sees the image together with the label and
/// judges whether the pair is real. Two bodies (`--body`):
///
///     mlp   (default) mlp-gan's layers:  G: concat(z(100), y(C)) → 256 → 512 → 1024 → 784, tanh
///                                        D: concat(flatten(x)(784), y(C)) → 512 → 256 → 1
///     dcgan dcgan's layers:              G: concat(z, y)(100 + C) → Dense 7·7·128 → … → 28×28×1, tanh
///                                        D: x with y as C constant channels (28×28×(1 + C)) → Conv 64 → …
///     dcgan64 dcgan64's layers, at its size and channels (`--image-size 48x80 --channels 3`):
///                                        G: concat(z, y) → the first grid → … ; D: x with y as C planes
///
/// Everything else (activations, BatchNorm, initialisers, Adam settings, batch size) is the
/// unconditional body's, so a cgan run compares directly with an mlp-gan or dcgan run. Keras-GAN
/// and PyTorch-GAN join a learned label embedding instead of a one-hot vector (multiplied in
/// Keras-GAN); a one-hot vector is the paper's form and needs no extra parameters.
public enum CGAN {
    /// The classes drawn without ``ModelOptions/classes``: Fashion-MNIST's and MNIST's ten.
    public static let defaultClasses = 10

    public static func make(options: ModelOptions, rng: RandomGenerator) throws -> GANModel {
        try validate(options)
        let classes = options.classes ?? defaultClasses
        let unconditional: GANModel, sees: Conditioning.DiscriminatorInput
        switch options.body ?? "mlp" {
        case "mlp":
            unconditional = MLPGAN.make(
                options: options, rng: rng, generatorInputs: 100 + classes, discriminatorInputs: 784 + classes)
            sees = .flattenedWithOneHot
        case "dcgan":
            unconditional = DCGAN.make(
                options: options, rng: rng, generatorInputs: 100 + classes, imageChannels: 1 + classes)
            sees = .oneHotPlanes
        case "dcgan64":
            unconditional = DCGAN64.make(
                options: options, rng: rng, generatorInputs: 100 + classes,
                discriminatorChannels: (options.channels ?? 3) + classes)
            sees = .oneHotPlanes
        case let other:
            throw GANError(
                "cgan's --body is 'mlp', 'dcgan' or 'dcgan64', not '\(FormatError.printable(other, limit: 40))'")
        }
        let u = unconditional
        return GANModel(
            name: "cgan", generator: u.generator, discriminator: u.discriminator, noiseSize: u.noiseSize,
            sample: u.sample, dataRange: u.dataRange, source: u.source, options: options,
            conditioning: .concatenated(classes: classes, discriminatorSees: sees))
    }
}

extension CGAN: ZooModel {
    public static let name = "cgan"
    public static let summary =
        "the conditional GAN (Mirza & Osindero 2014) on mlp-gan's, dcgan's (28×28 gray) or dcgan64's body (any size), the data's classes"
    public static let options: [ModelOptions.Key] = [.body, .classes, .width, .imageSize, .channels, .conditioning]
    public static let conditionings = ["concatenation"]
    public static var defaultClassCount: Int? { defaultClasses }
    public static var source: SourceSettings { MLPGAN.source }
    public static func source(for options: ModelOptions) -> SourceSettings {
        switch options.body {
        case "dcgan": DCGAN.source
        case "dcgan64": DCGAN64.source
        default: MLPGAN.source
        }
    }
    public static func defaults(_ options: ModelOptions, forDataset dataset: String) -> ModelOptions {
        options.body == "dcgan64" ? DCGAN64.defaults(options, forDataset: dataset) : options
    }
    public static let sourceNote: String? = "its body's"
    public static func validate(_ options: ModelOptions) throws {
        try ModelZoo.validateClasses(options)
        guard ["mlp", "dcgan", "dcgan64"].contains(options.body ?? "mlp") else {
            throw GANError(
                "cgan's --body is 'mlp', 'dcgan' or 'dcgan64', not '\(FormatError.printable(options.body!, limit: 40))'"
            )
        }
        if options.body == "dcgan64" {
            try DCGAN64.validate(options)
            // D sees the image with one constant plane per class: bound what one example costs.
            let size = options.imageSize ?? 64, planes = (options.channels ?? 3) + (options.classes ?? defaultClasses)
            guard size.height * size.width * planes <= 1 << 22 else {
                throw GANError(
                    "cgan --body dcgan64 at \(size.height)×\(size.width) with \(planes - (options.channels ?? 3)) classes gives D \(planes) input channels, "
                        + "\(size.height * size.width * planes) values an image (at most \(1 << 22)); use a smaller --image-size"
                )
            }
        } else if options.imageSize != nil || options.channels != nil || options.width != nil {
            throw GANError(
                "--image-size, --channels and --width shape cgan's dcgan64 body only; give --body dcgan64 (its \(options.body ?? "mlp") body makes 28×28 gray)"
            )
        }
    }
    public static func build(options: ModelOptions, rng: RandomGenerator) throws -> GANModel {
        try make(options: options, rng: rng)
    }
}
