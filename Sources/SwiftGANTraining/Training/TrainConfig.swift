import Foundation
import SwiftGANArtifacts
import SwiftGANDatasets
import SwiftGANTensors

/// Everything that determines a training run. Parsed from the command line, written to
/// `config.json` in the run folder, so `swiftgan train --config run/config.json` repeats the run.
public struct TrainConfig: Codable, Equatable {
    public var model = "mlp-gan"
    /// `fashion-mnist` or `mnist` (28×28 gray), `cifar10` (32×32 colour) or `folder` (images in
    /// `dataDir`, resized to the model's size); ignored by `curve-gan`.
    public var dataset = "fashion-mnist"
    public var dataDir: String?
    /// `--dataset folder`: how an image of another aspect becomes the model's size, `crop` (nil:
    /// scale to cover, centre-crop) or `pad` (scale to fit inside, black around).
    public var fit: String?
    /// Training steps to run (one discriminator and one generator update each).
    public var steps = 5000
    /// When set, overrides `steps` with epochs × batches per epoch.
    public var epochs: Int?
    /// nil: the model's (64, or 32 for dcgan).
    public var batchSize: Int?
    /// Overrides the model's learning rate and β₁ (nil: the source's values).
    public var learningRate: Float?
    public var beta1: Float?
    public var seed: UInt64 = 0
    /// Trained weights the run starts from instead of a fresh initialization (fine-tuning): a run
    /// folder, a `generator.safetensors` or `discriminator.safetensors` (that network only), or a
    /// pretrained model's name (``InitialWeights``). Read when a new run starts; a resumed run
    /// restores its own weights. nil: a fresh initialization from `seed`.
    public var initFrom: String?
    /// Steps between sample grids (and the last step always).
    public var sampleEvery = 500
    public var options = ModelOptions()
    /// Generator updates per training step (nil: 1).
    public var generatorSteps: Int?
    /// Changes to the model's discriminator targets (label smoothing, noisy labels); nil: the model's own.
    public var targets: TargetOptions?
    /// `epochs` (shuffle without replacement) or `random` (draw each batch at random); nil: the
    /// model's own (random for acgan, as its source; epochs otherwise).
    public var sampling: String?
    /// Batches per "epoch" in random sampling mode (nil: the model's own, or 100).
    public var batchesPerEpoch: Int?
    /// Measure FID and KID every N steps (and at the end) on `evalSamples` generated images, in the
    /// shipped evaluator's feature space against the test split (Fashion-MNIST/MNIST models).
    public var evalEvery: Int?
    /// An evaluator file for `evalEvery` (nil: the one shipped for the dataset).
    public var evaluator: String?
    /// Images generated for each measurement during training (nil: 2,000).
    public var evalSamples: Int?
    /// A named set of options (``Recipes``) filling the ones left unset.
    public var recipe: String?
    /// The objective (`bce`, `lsgan`, `hinge`, `wgan`, `wgan-gp`, `ragan`); nil: bce.
    public var loss: String?
    /// The optimizer of both networks (`adam`, `rmsprop`, `sgd`); nil: the objective's (RMSprop for
    /// wgan) or the model's (Adam).
    public var optimizer: String?
    /// Per-network learning rates (TTUR, Heusel et al. 2017); nil: `learningRate`, or the default.
    public var discriminatorLearningRate: Float?
    public var generatorLearningRate: Float?
    /// Adam's β₂ (nil: 0.9 for wgan-gp, 0.999 otherwise).
    public var beta2: Float?
    /// D updates per step (nil: 5 for wgan and wgan-gp, 1 otherwise).
    public var criticSteps: Int?
    /// WGAN's weight clipping c (nil: 0.01 for wgan, none otherwise).
    public var weightClip: Float?
    /// The gradient penalty's λ (nil: 10 for wgan-gp, none otherwise; 0 turns it off).
    public var gradientPenalty: Float?
    /// The R1 penalty's γ on real data (nil: none).
    public var r1: Float?
    /// LeCam regularization's weight (nil: none; 0.3 is usual).
    public var lecam: Float?
    /// The decay of the moving average of G's weights used for samples, evaluation and the saved
    /// generator (nil: none; 0.999 is usual).
    public var ema: Float?
    /// DiffAugment policies for every image D sees, comma-separated (`color,translation,cutout`).
    public var diffAugment: String?
    /// ADA's target for E[sign(D(x))]: DiffAugment's policies each applied with an adaptive
    /// probability (nil: none; 0.6 is usual).
    public var ada: Float?
    /// ADA's speed: p can cross [0, 1] in this many thousand real images (nil: 500, the paper's).
    public var adaKimg: Float?
    /// Stop cleanly after this many seconds of training (pictures, checkpoints, evaluation as at
    /// the last step), so recipes can be compared at equal time.
    public var timeBudget: Double?
    /// Data-parallel training (`mpirun -n N`): BatchNorm normalizes with the statistics of the
    /// whole batch, summed over the processes (SyncBatchNorm), instead of each process's share
    /// (nil: each its own). In one process it changes nothing.
    public var syncBatchNorm: Bool?
    /// What convolutions and matrix products multiply in: `fp32` or `bf16` (``Precision``; nil: fp32).
    /// A new run writes the one it uses.
    public var precision: String?
    /// The run folder; nil means `runs/<model>`.
    public var out: String?

    public var outputFolder: String { out ?? "runs/\(model)" }

    public init() {}

    /// Every key is optional in the file: a missing one keeps its default, so a setting added
    /// later (even one that always has a value) does not break a `config.json` written before it.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        var config = TrainConfig()
        func read<T: Decodable>(_ path: WritableKeyPath<TrainConfig, T>, _ key: CodingKeys) throws {
            if let value = try c.decodeIfPresent(T.self, forKey: key) { config[keyPath: path] = value }
        }
        func read<T: Decodable>(_ path: WritableKeyPath<TrainConfig, T?>, _ key: CodingKeys) throws {
            config[keyPath: path] = try c.decodeIfPresent(T.self, forKey: key)
        }
        try read(\.model, .model); try read(\.dataset, .dataset); try read(\.dataDir, .dataDir)
        try read(\.fit, .fit)
        try read(\.steps, .steps); try read(\.epochs, .epochs); try read(\.batchSize, .batchSize)
        try read(\.learningRate, .learningRate); try read(\.beta1, .beta1); try read(\.seed, .seed)
        try read(\.initFrom, .initFrom)
        try read(\.sampleEvery, .sampleEvery); try read(\.options, .options);
        try read(\.generatorSteps, .generatorSteps)
        try read(\.targets, .targets); try read(\.sampling, .sampling); try read(\.batchesPerEpoch, .batchesPerEpoch)
        try read(\.evalEvery, .evalEvery); try read(\.evaluator, .evaluator); try read(\.evalSamples, .evalSamples)
        try read(\.recipe, .recipe); try read(\.loss, .loss); try read(\.optimizer, .optimizer)
        try read(\.discriminatorLearningRate, .discriminatorLearningRate);
        try read(\.generatorLearningRate, .generatorLearningRate)
        try read(\.beta2, .beta2); try read(\.criticSteps, .criticSteps); try read(\.weightClip, .weightClip)
        try read(\.gradientPenalty, .gradientPenalty); try read(\.r1, .r1); try read(\.ema, .ema)
        try read(\.lecam, .lecam)
        try read(\.diffAugment, .diffAugment); try read(\.ada, .ada); try read(\.adaKimg, .adaKimg)
        try read(\.timeBudget, .timeBudget); try read(\.syncBatchNorm, .syncBatchNorm); try read(\.out, .out)
        try read(\.precision, .precision)
        self = config
    }

    /// Checks every setting against its option's requirement (``TrainOptions/all``), then the
    /// rules that join settings. A configuration file gets the same checks as a command line.
    /// `modelFromZoo` false: the model is the caller's own, so its name is not checked against the zoo.
    public func validate(modelFromZoo: Bool = true) throws {
        try checkEachOption(modelFromZoo: modelFromZoo)
        if (targets?.twoSided == true || targets?.perExample == true) && targets?.smoothing == nil {
            throw GANError("--two-sided and --per-example qualify --label-smoothing S; give it too")
        }
        if adaKimg != nil && ada == nil { throw GANError("--ada-kimg qualifies --ada TARGET; give it too") }
    }

    /// Each setting against its option's requirement alone.
    func checkEachOption(modelFromZoo: Bool = true) throws {
        for option in TrainOptions.all where modelFromZoo || option.name != "model" {
            if let problem = option.problem(self) { throw GANError(problem) }
        }
    }

    /// The settings a resumed run keeps: this configuration without what `--resume` may change
    /// (the options marked resumable: the run's length, pictures and measurements) and without the
    /// run folder's name.
    public var fixedSettings: TrainConfig {
        var settings = self
        for option in TrainOptions.all where option.resumable || option.name == "out" { option.clear(&settings) }
        return settings
    }

    /// SHA-256 of ``fixedSettings`` in the `config.json` form: what a training state records of
    /// the configuration it belongs to (the same settings give the same digest wherever the folder
    /// is, however long the run, and however the file is spaced).
    public func digest() throws -> String { SHA256.hex(Data(try fixedSettings.json().utf8)) }

    /// The `config.json` form. Throws for a value JSON cannot hold (a non-finite number), which
    /// `validate()` refuses first.
    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        do { return String(decoding: try encoder.encode(self), as: UTF8.self) + "\n" } catch {
            throw GANError("the configuration cannot be written as JSON: \(error)")
        }
    }

    /// The largest config.json read: SwiftGAN writes about 1 kB.
    public static let maximumFileSize = 1 << 20

    public static func load(_ url: URL) throws -> TrainConfig {
        let data: Data
        do { data = try InputFile.read(url, format: "configuration", limit: maximumFileSize) } catch {
            throw GANError("\(error)")
        }
        return try decode(data, name: url.path)
    }

    /// Rank 0's configuration on every rank of a data-parallel run: rank 0 makes it with `make`
    /// (which may read `--resume`'s or `--config`'s file: only rank 0's machine needs it), and
    /// every rank, rank 0 too, decodes its `config.json` form, so all train with the same bits.
    /// In one process, `make()` itself.
    ///
    /// ```swift
    /// let config = try TrainConfig.shared(by: collective) { try request.resolve() }
    /// ```
    public static func shared(by collective: any Collective, _ make: () throws -> TrainConfig) throws -> TrainConfig {
        guard collective.size > 1 else { return try make() }
        let json = try collective.fromRankZero { Array(try make().json().utf8) }
        return try decode(Data(json), name: "rank 0's configuration")
    }

    /// A configuration from JSON bytes; `name` appears in errors.
    public static func decode(_ data: Data, name: String) throws -> TrainConfig {
        // A misspelled key would otherwise be ignored silently, and its option left at the default.
        if let key = JSONKeys.firstDuplicate(in: data) {
            throw GANError("\(name): the key '\(FormatError.printable(key))' appears twice (which one was meant?)")
        }
        if let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] {
            let known = TrainOptions.keys
            let keys = object.flatMap { key, value in
                (value as? [String: Any]).map { $0.keys.map { key + "." + $0 } } ?? [key]
            }
            if let unknown = keys.sorted().first(where: { !known.contains($0) }) {
                throw GANError(
                    "\(name): unknown key '\(FormatError.printable(unknown))' (known: \(known.sorted().joined(separator: ", ")))"
                )
            }
        }
        do {
            return try JSONDecoder().decode(TrainConfig.self, from: data)
        } catch {
            throw GANError("\(name): not a SwiftGAN configuration (\(error))")
        }
    }
}
