import Foundation

/// Everything that determines a training run. Parsed from the command line, written to
/// `config.json` in the run folder, so `swiftgan train --config run/config.json` repeats the run.
public struct TrainConfig: Codable, Equatable {
    public var model = "mlp-gan"
    /// `fashion-mnist` or `mnist` (28×28 gray), `cifar10` (32×32 colour) or `folder` (images in
    /// `dataDir`, resized to the model's size); ignored by `curve-gan`.
    public var dataset = "fashion-mnist"
    public var dataDir: String?
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
    /// The objective (`bce`, `lsgan`, `hinge`, `wgan`, `wgan-gp`); nil: bce.
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
    /// The decay of the moving average of G's weights used for samples, evaluation and the saved
    /// generator (nil: none; 0.999 is usual).
    public var ema: Float?
    /// DiffAugment policies for every image D sees, comma-separated (`color,translation,cutout`).
    public var diffAugment: String?
    /// Stop cleanly after this many seconds of training (pictures, checkpoints, evaluation as at
    /// the last step), so recipes can be compared at equal time.
    public var timeBudget: Double?
    /// The run folder; nil means `runs/<model>`.
    public var out: String?

    public var outputFolder: String { out ?? "runs/\(model)" }

    public init() {}

    public func validate() throws {
        if let epochs, epochs <= 0 { throw GANError("--epochs must be positive, got \(epochs)") }
        guard steps > 0 else { throw GANError("--steps must be positive, got \(steps)") }
        if let batchSize, batchSize < 2 { throw GANError("--batch-size must be at least 2, got \(batchSize)") }
        guard sampleEvery > 0 else { throw GANError("--sample-every must be positive, got \(sampleEvery)") }
        if let sampling, !["epochs", "random"].contains(sampling) { throw GANError("--sampling must be 'epochs' or 'random', got '\(sampling)'") }
        if let batchesPerEpoch, batchesPerEpoch <= 0 { throw GANError("--batches-per-epoch must be positive") }
        if let targets { try targets.applied(to: DiscriminatorTargets()).validate() }
        if let generatorSteps, generatorSteps < 1 { throw GANError("--g-steps must be at least 1, got \(generatorSteps)") }
        if let evalEvery, evalEvery <= 0 { throw GANError("--eval-every must be positive, got \(evalEvery)") }
        if let evalSamples, evalSamples < 2 { throw GANError("--eval-samples must be at least 2, got \(evalSamples)") }
        if let lr = learningRate, !(lr > 0) { throw GANError("--lr must be positive, got \(lr)") }
        if let beta1, !(0..<1).contains(beta1) { throw GANError("--beta1 must lie in [0, 1), got \(beta1)") }
        if let recipe { _ = try Recipes.named(recipe) }
        if let loss { _ = try Objectives.named(loss) }
        if let optimizer, !["adam", "rmsprop", "sgd"].contains(optimizer) { throw GANError("--optimizer must be adam, rmsprop or sgd, got '\(optimizer)'") }
        for (flag, value) in [("--d-lr", discriminatorLearningRate), ("--g-lr", generatorLearningRate), ("--clip", weightClip), ("--r1", r1)] {
            if let value, !(value > 0 && value.isFinite) { throw GANError("\(flag) must be positive and finite, got \(value)") }
        }
        if let lr = learningRate, !lr.isFinite { throw GANError("--lr must be finite, got \(lr)") }
        if let diffAugment { _ = try DiffAugment(diffAugment) }
        if let ema, !(0..<1).contains(ema) { throw GANError("--ema must lie in [0, 1), got \(ema)") }
        if let beta2, !(0..<1).contains(beta2) { throw GANError("--beta2 must lie in [0, 1), got \(beta2)") }
        if let criticSteps, criticSteps < 1 { throw GANError("--d-steps must be at least 1, got \(criticSteps)") }
        if let gradientPenalty, !(gradientPenalty >= 0 && gradientPenalty.isFinite) { throw GANError("--gp-weight must be ≥ 0 and finite, got \(gradientPenalty)") }
        if let timeBudget, !(timeBudget > 0 && timeBudget.isFinite) { throw GANError("--time-budget must be a positive number of seconds, got \(timeBudget)") }
        if let n = options.discriminatorNormalization, !["batch", "none"].contains(n) {
            throw GANError("--d-norm must be batch or none, got '\(n)'")
        }
        guard (0..<1).contains(options.discriminatorDropout) else { throw GANError("--d-dropout must lie in [0, 1)") }
        guard ["fashion-mnist", "mnist", "cifar10", "folder"].contains(dataset) else {
            throw GANError("unknown dataset '\(dataset)' (known: fashion-mnist, mnist, cifar10, folder)")
        }
        guard ModelZoo.names.contains(model) else { throw GANError("unknown model '\(model)' (known: \(ModelZoo.names.joined(separator: ", ")))") }
    }

    public func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try! encoder.encode(self), as: UTF8.self) + "\n"
    }

    public static func load(_ url: URL) throws -> TrainConfig {
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw GANError("\(url.path): cannot read the configuration (\(error.localizedDescription))") }
        // A misspelled key would otherwise be ignored silently, and its option left at the default.
        if let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] {
            try checkKeys(object, of: TrainConfig(), in: url.path, path: "")
            if let options = object["options"] as? [String: Any] { try checkKeys(options, of: ModelOptions(), in: url.path, path: "options.") }
            if let targets = object["targets"] as? [String: Any] { try checkKeys(targets, of: TargetOptions(), in: url.path, path: "targets.") }
        }
        do {
            return try JSONDecoder().decode(TrainConfig.self, from: data)
        } catch {
            throw GANError("\(url.path): not a SwiftGAN configuration (\(error))")
        }
    }

    /// Refuses keys that are not stored properties of `value`'s type (the synthesized coding keys).
    private static func checkKeys(_ object: [String: Any], of value: Any, in file: String, path: String) throws {
        let known = Mirror(reflecting: value).children.compactMap(\.label)
        if let unknown = object.keys.sorted().first(where: { !known.contains($0) }) {
            throw GANError("\(file): unknown key '\(path)\(unknown)' (known: \(known.sorted().map { path + $0 }.joined(separator: ", ")))")
        }
    }
}
