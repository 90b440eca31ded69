import SwiftGANArtifacts
import SwiftGANNN
import SwiftGANTensors

/// One model of the zoo, as `swiftgan train --model NAME` knows it: its name, what it is, its
/// source's training settings, the checks on its options, the recipe it trains with by default,
/// and its builder. A zoo file declares its model and adopts this protocol; ``ModelZoo/all``
/// lists them, and nothing else in the package names a model.
///
/// ```swift
/// public enum MyGAN: ZooModel {
///     public static let name = "my-gan", summary = "…"
///     public static let source = SourceSettings(learningRate: 2e-4, beta1: 0.5, batchSize: 64)
///     public static func build(options: ModelOptions, rng: RandomGenerator) throws -> GANModel { … }
/// }
/// ```
public protocol ZooModel {
    /// The `--model` name.
    static var name: String { get }
    /// One line for `--help` and the docs.
    static var summary: String { get }
    /// How its source trains it.
    static var source: SourceSettings { get }
    /// The model options it reads (`width`, `imageSize`, `body`, `discriminatorNormalization`), for
    /// the help of those options; dropout and spectral norm apply to every model. `attention` and
    /// `minibatchStddev` given to a model that does not list them are refused.
    static var options: [ModelOptions.Key] { get }
    /// The source settings under `options`, where they depend on them (cgan: its body's).
    static func source(for options: ModelOptions) -> SourceSettings
    /// What the help says of a per-model setting whose value depends on the options (cgan:
    /// "its body's"); nil where ``source`` is the whole story.
    static var sourceNote: String? { get }
    /// Refuses options it cannot build (they may come from a checkpoint, not only a checked
    /// command line), with a message that names the acceptable values.
    static func validate(_ options: ModelOptions) throws
    /// The options a run on `dataset` uses where they were not given (dcgan64 makes 32×32
    /// images for CIFAR-10).
    static func defaults(_ options: ModelOptions, forDataset dataset: String) -> ModelOptions
    /// The recipe a new run uses without `--recipe` (``Recipes``).
    static var defaultRecipe: String { get }
    /// Builds it; `options` have been validated.
    static func build(options: ModelOptions, rng: RandomGenerator) throws -> GANModel
    /// Whether the model trains unconditionally on data without classes (sngan) instead of refusing it
    /// (cgan and acgan need labels).
    static var conditionsOnlyOnLabelledData: Bool { get }
    /// The class count a conditional model draws when ``ModelOptions/classes`` is nil (10), if any.
    static var defaultClassCount: Int? { get }
    /// The `--conditioning` values it takes, its default first (cgan: `concatenation`; sngan:
    /// `projection`, `auxiliary`); empty for a model that takes no labels.
    static var conditionings: [String] { get }
}

extension ZooModel {
    public static var options: [ModelOptions.Key] { [] }
    public static func source(for options: ModelOptions) -> SourceSettings { source }
    public static var sourceNote: String? { nil }
    public static func validate(_ options: ModelOptions) throws {}
    public static func defaults(_ options: ModelOptions, forDataset dataset: String) -> ModelOptions { options }
    public static var defaultRecipe: String { "tutorial" }
    public static var conditionsOnlyOnLabelledData: Bool { false }
    public static var defaultClassCount: Int? { nil }
    public static var conditionings: [String] { [] }
}

extension ModelOptions {
    /// The model options a zoo model may read.
    public enum Key: String {
        case width, imageSize, channels, classes, unconditional, body, discriminatorNormalization
        case conditioning, attention, minibatchStddev
    }
}

/// The zoo: every ``ZooModel``, and building one by name.
public enum ModelZoo {
    /// Every model, in the order `--help` lists them. Adding a model is its file and a line here.
    public static let all: [any ZooModel.Type] = [
        MLPGAN.self, CurveGAN.self, DCGAN.self, DCGAN64.self, CGAN.self, ACGAN.self,
        ResNetGAN.self, SNGAN.self,
    ]

    public static var names: [String] { all.map { $0.name } }

    /// The model named `name`, or an error listing the known names.
    /// The most classes a conditional model of the zoo draws (a one-hot input of 1,000 is still
    /// small beside its layers).
    public static let maximumClasses = 1000

    /// A conditional model's class count: 2…``maximumClasses``.
    static func validateClasses(_ options: ModelOptions) throws {
        if let classes = options.classes, !(2...maximumClasses).contains(classes) {
            throw GANError("a conditional model draws 2…\(maximumClasses) classes, not \(classes)")
        }
    }

    public static func entry(_ name: String) throws -> any ZooModel.Type {
        guard let entry = all.first(where: { $0.name == name }) else {
            throw GANError(
                "unknown model '\(FormatError.printable(name, limit: 60))' (known: \(names.joined(separator: ", ")))")
        }
        return entry
    }

    /// A model's source settings, without building it (cgan's are its body's).
    public static func source(of name: String, body: String? = nil) throws -> SourceSettings {
        try entry(name).source(for: ModelOptions(body: body))
    }

    /// The models that read `key`, for the help of its option.
    public static func models(taking key: ModelOptions.Key) -> [String] {
        all.filter { $0.options.contains(key) }.map { $0.name }
    }

    /// Every `--conditioning` value some model takes, in the zoo's order.
    public static var conditionings: [String] {
        all.flatMap { $0.conditionings }.reduce(into: [String]()) { kinds, kind in
            if !kinds.contains(kind) { kinds.append(kind) }
        }
    }

    /// Which model takes which `--conditioning`: "cgan: concatenation; acgan: auxiliary; sngan:
    /// projection or auxiliary".
    public static var conditioningTakers: String {
        all.filter { !$0.conditionings.isEmpty }
            .map { "\($0.name): " + $0.conditionings.joined(separator: " or ") }
            .joined(separator: "; ")
    }

    /// Options that only some models read, given to one that does not: an error naming the models
    /// that take them, not a silent no. (The older model options are ignored where unread, as before.)
    static func validateTaken(_ options: ModelOptions, by entry: any ZooModel.Type) throws {
        let given: [(key: ModelOptions.Key, flag: String, isGiven: Bool)] = [
            (.attention, "--attention", options.attention != nil),
            (.minibatchStddev, "--minibatch-stddev", options.minibatchStddev == true),
        ]
        for option in given where option.isGiven && !entry.options.contains(option.key) {
            throw GANError(
                "\(entry.name) takes no \(option.flag) (\(models(taking: option.key).joined(separator: ", ")) does)")
        }
        if let kind = options.conditioning, !entry.conditionings.contains(kind) {
            let which = "which model takes which: \(conditioningTakers)"
            throw GANError(
                entry.conditionings.isEmpty
                    ? "\(entry.name) takes no labels, so no --conditioning (\(which))"
                    : "\(entry.name) does not take --conditioning \(FormatError.printable(kind, limit: 40)) (\(which))")
        }
    }

    /// Builds the model `name` with `options`, spectral normalization included when asked.
    public static func make(
        _ name: String, options: ModelOptions = ModelOptions(), rng: RandomGenerator
    ) throws -> GANModel {
        let entry = try entry(name)
        // Options can come from a checkpoint's metadata, not only from a checked command line.
        guard (0..<1).contains(options.discriminatorDropout) else {
            throw GANError("the D dropout rate must lie in [0, 1), got \(options.discriminatorDropout)")
        }
        try validateTaken(options, by: entry)
        try entry.validate(options)
        let model = try entry.build(options: options, rng: rng)
        guard options.spectralNorm == true else { return model }
        return model.replacingDiscriminator(try spectrallyNormalized(model.discriminator.module, rng: rng))
    }

    /// `module` with every Dense, Conv2D and Embedding in it (every ``WeightedLayer``) wrapped in
    /// ``SpectralNorm``.
    static func spectrallyNormalized(_ module: any Module, rng: RandomGenerator) throws -> any Module {
        do {
            return try module.rewritingLayers { ($0 as? any WeightedLayer).map { SpectralNorm($0, rng: rng) } }
        } catch {
            throw GANError("spectral norm: \(error)")
        }
    }
}
