import ArgumentParser
import Artifacts
import Foundation
import GAN

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a GAN; writes samples, charts, history and checkpoints to the run folder.",
        discussion: """
        The run folder holds config.json, generator.safetensors, discriminator.safetensors, history.csv,
        curves.png and samples/step-NNNNNN.png. Fashion-MNIST is found in --data-dir, the cache
        ($SWIFTGAN_CACHE or ~/.cache/swiftgan), /usr/share/datasets (Debian's dataset-fashion-mnist),
        or downloaded with checksum verification.
        """
    )

    @Option(help: "Model: \(ModelZoo.names.joined(separator: ", ")).") var model: String?
    @Option(help: "Dataset for image models: fashion-mnist, mnist (28×28), cifar10 (32×32 colour) or folder (--data-dir of PNG/JPEG files).") var dataset: String?
    @Option(help: "Folder holding the dataset's files (skips the cache, system and download); for --dataset folder, the images.") var dataDir: String?
    @Option(help: "dcgan64: base channel count w (G goes 8w → 4w → 2w → w; default 32).") var width: Int?
    @Option(help: "dcgan64: image size, 64 or 32 (32 for CIFAR-10).") var imageSize: Int?
    @Option(help: "Training steps (one discriminator and one generator update each).") var steps: Int?
    @Option(help: "Epochs instead of steps (epoch = one pass over the data, or --batches-per-epoch batches).") var epochs: Int?
    @Option(help: "Examples per batch.") var batchSize: Int?
    @Option(help: "Adam learning rate for both networks (default: the model's).") var lr: Float?
    @Option(help: "Adam β₁ for both networks (default: the model's).") var beta1: Float?
    @Option(help: "Seed for initialization, data order, noise and dropout.") var seed: UInt64?
    @Option(help: "Write a sample grid every N steps.") var sampleEvery: Int?
    @Option(name: .customLong("d-dropout"), help: "Dropout rate after each hidden layer of the discriminator (0 = the model's own: none for mlp-gan and curve-gan, 0.3 for dcgan; dcgan64 has none).") var dDropout: Float?
    @Option(help: "cgan: the body it conditions, mlp (mlp-gan's layers) or dcgan.") var body: String?
    @Option(help: "Label smoothing s for D's targets: real targets 1 − s (one-sided, Salimans et al. 2016). Default: the model's (acgan: 0.2, two-sided, per example; others: none); the model's other target settings stay unless given.") var labelSmoothing: Float?
    @Flag(help: "With --label-smoothing: fake targets s as well.") var twoSided = false
    @Flag(help: "With --label-smoothing: draw each target from U(1 − s, 1) (and U(0, s) if two-sided) instead of the fixed values.") var perExample = false
    @Option(name: .customLong("g-steps"), help: "Generator updates per step (2: DCGAN-tensorflow's remedy when D wins too easily).") var gSteps: Int?
    @Option(help: "Noisy labels: the probability that each of D's targets is flipped.") var labelFlip: Float?
    @Option(help: "Measure FID and KID every N steps (and at the end) with the shipped evaluator (Fashion-MNIST models); shown live and in history.csv and curves.png.") var evalEvery: Int?
    @Option(help: "Images generated for each --eval-every measurement.") var evalSamples: Int?
    @Option(help: "With --eval-every: an evaluator from 'swiftgan train-evaluator' (default: the one shipped for the dataset).") var evaluator: String?
    @Option(help: "Batching: epochs (shuffle without replacement) or random (draw each batch at random).") var sampling: String?
    @Option(help: "Batches per epoch in random sampling mode.") var batchesPerEpoch: Int?
    @Option(help: "A named set of options, filling those not given (default for a new run: stable-bce for dcgan, tutorial for the others): \(Recipes.all.map { "\($0.name) (\($0.summary))" }.joined(separator: "; ")).") var recipe: String?
    @Option(help: "Objective: \(Objectives.names.joined(separator: ", ")) (default: bce, the non-saturating GAN loss). wgan and wgan-gp bring their papers' optimizer and 5 D updates per step unless given.") var loss: String?
    @Option(help: "Optimizer of both networks: adam, rmsprop or sgd (default: the objective's — RMSprop for wgan — or Adam).") var optimizer: String?
    @Option(name: .customLong("d-lr"), help: "D's learning rate (default: --lr or the recipe's).") var dLr: Float?
    @Option(name: .customLong("g-lr"), help: "G's learning rate (default: --lr or the recipe's).") var gLr: Float?
    @Option(help: "Adam β₂ for both networks (default: 0.9 for wgan-gp, 0.999 otherwise).") var beta2: Float?
    @Option(name: .customLong("d-steps"), help: "D updates per step, each on a fresh real batch (default: 5 for wgan and wgan-gp, 1 otherwise).") var dSteps: Int?
    @Option(help: "Clamp D's parameters to ±C after each update (default: 0.01 for wgan, none otherwise).") var clip: Float?
    @Option(name: .customLong("gp-weight"), help: "Gradient penalty λ on interpolates of real and fake (default: 10 for wgan-gp, none otherwise; 0: off).") var gpWeight: Float?
    @Option(help: "R1 penalty γ on real data (γ/2·E‖∇D(x)‖²; default: none).") var r1: Float?
    @Option(name: .customLong("d-norm"), help: "dcgan64: D's normalization, batch or none (default: none for wgan-gp, batch otherwise).") var dNorm: String?
    @Flag(help: "Spectral normalization of D's Dense and Conv2D weights (Miyato et al. 2018; one power iteration per D update).") var spectralNorm = false
    @Option(help: "Samples, evaluation and the saved generator use a moving average of G's weights with this decay (0.999 is usual; with a warm-up).") var ema: Float?
    @Option(help: "DiffAugment for every image D sees, real and fake: any of color,translation,cutout (Zhao et al. 2020).") var diffaugment: String?
    @Option(help: "Stop after this many seconds of training, saving everything as at the last step.") var timeBudget: Double?
    @Option(help: "Run folder (default: runs/<model>).") var out: String?
    @Option(help: "Start from a saved config.json; other options override it.") var config: String?
    @Option(help: "Continue the run in this folder from its last sample point (give a larger --steps to extend it).") var resume: String?

    func validate() throws {
        if resume != nil {
            let fixed: [(String, Bool)] = [("--config", config != nil), ("--model", model != nil), ("--dataset", dataset != nil),
                                           ("--data-dir", dataDir != nil), ("--batch-size", batchSize != nil), ("--lr", lr != nil),
                                           ("--beta1", beta1 != nil), ("--seed", seed != nil), ("--d-dropout", dDropout != nil),
                                           ("--sampling", sampling != nil), ("--batches-per-epoch", batchesPerEpoch != nil),
                                           ("--width", width != nil), ("--image-size", imageSize != nil), ("--out", out != nil),
                                           ("--body", body != nil), ("--label-smoothing", labelSmoothing != nil), ("--two-sided", twoSided),
                                           ("--per-example", perExample), ("--label-flip", labelFlip != nil), ("--g-steps", gSteps != nil),
                                           ("--eval-samples", evalSamples != nil), ("--loss", loss != nil), ("--recipe", recipe != nil), ("--optimizer", optimizer != nil),
                                           ("--d-lr", dLr != nil), ("--g-lr", gLr != nil), ("--beta2", beta2 != nil), ("--d-steps", dSteps != nil),
                                           ("--clip", clip != nil), ("--gp-weight", gpWeight != nil), ("--r1", r1 != nil), ("--d-norm", dNorm != nil), ("--spectral-norm", spectralNorm), ("--ema", ema != nil), ("--diffaugment", diffaugment != nil)]
            let given = fixed.filter(\.1).map(\.0)
            guard given.isEmpty else {
                throw ValidationError("--resume continues a run as it was configured; only --steps, --epochs, --time-budget, --sample-every, --eval-every and --evaluator may change (got \(given.joined(separator: ", ")))")
            }
        }
        if steps != nil && epochs != nil { throw ValidationError("give --steps or --epochs, not both") }
        if (twoSided || perExample) && labelSmoothing == nil { throw ValidationError("--two-sided and --per-example qualify --label-smoothing S; give it too") }
        if let evalSamples, evalSamples < 2 { throw ValidationError("--eval-samples must be at least 2") }
    }

    func run() throws {
        let saved = resume.map { $0 + "/config.json" } ?? config
        var c = try saved.map { try TrainConfig.load(URL(fileURLWithPath: $0)) } ?? TrainConfig()
        if let model, model != c.model {
            // Another model than the saved configuration's: its own default folder and batch size.
            c.model = model
            if out == nil { c.out = nil }
            if batchSize == nil { c.batchSize = nil }
            if sampling == nil { c.sampling = nil }
            if batchesPerEpoch == nil { c.batchesPerEpoch = nil }
            c.options = ModelOptions()
            c.targets = nil
        }
        if let dataset { c.dataset = dataset }
        if let dataDir { c.dataDir = dataDir }
        if let steps { c.steps = steps; c.epochs = nil }
        if let epochs { c.epochs = epochs }
        if let batchSize { c.batchSize = batchSize }
        if let lr { c.learningRate = lr }
        if let beta1 { c.beta1 = beta1 }
        if let seed { c.seed = seed }
        if let sampleEvery { c.sampleEvery = sampleEvery }
        if let dDropout { c.options.discriminatorDropout = dDropout }
        if let width { c.options.width = width }
        if let imageSize { c.options.imageSize = imageSize }
        if let body { c.options.body = body }
        if labelSmoothing != nil || labelFlip != nil {
            var t = c.targets ?? TargetOptions()
            if let labelSmoothing { t.smoothing = labelSmoothing }
            if twoSided { t.twoSided = true }
            if perExample { t.perExample = true }
            if let labelFlip { t.flipProbability = labelFlip }
            c.targets = t
        }
        if c.model == "dcgan64" && c.dataset == "cifar10" && c.options.imageSize == nil { c.options.imageSize = 32 }
        if let sampling { c.sampling = sampling }
        if let batchesPerEpoch { c.batchesPerEpoch = batchesPerEpoch }
        if let gSteps { c.generatorSteps = gSteps }
        if let evalEvery { c.evalEvery = evalEvery }
        if let evalSamples { c.evalSamples = evalSamples }
        if let evaluator { c.evaluator = evaluator }
        if let recipe { c.recipe = recipe }
        // A new run without a recipe gets the model's best measured one; a saved configuration
        // is repeated as it was.
        if saved == nil && c.recipe == nil { c.recipe = Recipes.commandLineDefault(for: c.model) }
        if let loss { c.loss = loss }
        if let optimizer { c.optimizer = optimizer }
        if let dLr { c.discriminatorLearningRate = dLr }
        if let gLr { c.generatorLearningRate = gLr }
        if let beta2 { c.beta2 = beta2 }
        if let dSteps { c.criticSteps = dSteps }
        if let clip { c.weightClip = clip }
        if let gpWeight { c.gradientPenalty = gpWeight }
        if let r1 { c.r1 = r1 }
        if let dNorm { c.options.discriminatorNormalization = dNorm }
        if spectralNorm { c.options.spectralNorm = true }
        if let ema { c.ema = ema }
        if let diffaugment { c.diffAugment = diffaugment }
        if let timeBudget { c.timeBudget = timeBudget }
        if let out { c.out = out }
        if let resume { c.out = resume }

        let log: (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
        let run = try TrainingRun(config: c, log: log)
        if resume != nil { try run.resume() }
        let bar = ProgressBar(title: run.model.name, total: run.config.steps, initialStep: run.startStep)
        var recent: [StepMetrics] = []
        var quality: QualityReport?
        run.onStep = { n, m in
            recent.append(m)
            if recent.count > 50 { recent.removeFirst() }
            bar.update(step: n, values: Self.summary(recent, quality))
        }
        run.onEvaluation = { n, report in
            quality = report
            bar.update(step: n, values: Self.summary(recent, quality))
        }
        log("training \(run.model.name) for \(run.config.steps) steps, batch \(run.batchSize), seed \(run.config.seed) → \(run.folder.path)")
        do {
            try run.run()
        } catch {
            bar.finish()
            throw error
        }
        bar.finish(values: Self.summary(recent, quality))
        let f = run.folder.path
        print("""
        samples:     \(f)/samples/  (last: step-\(String(format: "%06d", run.finalStep)).png)
        curves:      \(f)/curves.png
        history:     \(f)/history.csv
        generator:   \(f)/generator.safetensors   (swiftgan sample --checkpoint \(f)/generator.safetensors --out grid.png)
        """)
    }

    /// Running means over the recent steps, formatted for the progress line.
    static func summary(_ recent: [StepMetrics], _ quality: QualityReport? = nil) -> [(String, String)] {
        guard !recent.isEmpty else { return [] }
        func mean(_ f: (StepMetrics) -> Float?) -> Float { recent.compactMap(f).reduce(0, +) / Float(recent.count) }
        // A critic has no accuracies: its Wasserstein estimate is the number to watch.
        let values: [(String, String)] = recent[0].discriminatorAccuracy == nil ? [
            ("D", String(format: "%.3f", mean(\.discriminatorLoss))), ("G", String(format: "%.3f", mean(\.generatorLoss))),
            ("W", String(format: "%.3f", mean { $0.extra("wasserstein") })),
        ] : [
            ("D", String(format: "%.3f (acc %.2f)", mean(\.discriminatorLoss), mean(\.discriminatorAccuracy))),
            ("G", String(format: "%.3f (acc %.2f)", mean(\.generatorLoss), mean(\.generatorAccuracy))),
        ]
        return values + (quality.map { [("FID", String(format: "%.2f", $0.fid)), ("KID", String(format: "%.4f", $0.kid))] } ?? [])
    }
}
