import Foundation
import SwiftGANArtifacts
import SwiftGANDatasets
import SwiftGANNN
import SwiftGANTensors

/// A whole training run: builds the model and data from a `TrainConfig`, trains, and keeps the
/// run folder (``RunFolder``) up to date at each sample point and at the end, so an interrupted or
/// diverged run keeps its last good state. A non-finite loss or weight stops the run with an error.
///
/// The run is the loop; what it leaves behind is written by its observers (``TrainingObserver``):
/// sample pictures, the TensorBoard log, the history, the checkpoints, the training state and the
/// report, in that order, plus the balance watch, all reading this run as their shared view. Add
/// one of your own with ``add(_:)``.
///
/// A new run starts from a fresh, seeded initialization, or from trained weights
/// (``TrainConfig/initFrom``, `--init-from`: fine-tuning, ``InitialWeights``).
///
/// The model is a zoo model named in the configuration (`swiftgan train`), or one built by the
/// caller's own code (``init(model:config:data:objective:regularizers:collective:log:)``): either way the run
/// gets the same run folder, resume, Ctrl-C safety, TensorBoard log, report and FID while training.
///
/// ```swift
/// var config = TrainConfig()
/// config.steps = 2000
/// config.out = "runs/mine"
/// let run = try TrainingRun(model: myModel, config: config, data: myImages)
/// try run.run()                     // or: try run.resume(); try run.run()
/// ```
///
/// Data-parallel (`mpirun -n N swiftgan train …`): give every process the same configuration and
/// its ``Collective`` (`Collectives.fromEnvironment()`). `config.batchSize` stays the global
/// batch, N must divide it, and each rank trains on its share (``GANTrainingStep``); the random
/// stream is one process's whatever N, so the weights follow one process's to rounding (BatchNorm
/// aside: each rank normalizes its share unless `syncBatchNorm`). Rank 0 alone writes the run
/// folder (its observers alone are told); the others wait for each save. Rank 0's state (a new
/// run's weights, or the one ``resume()`` reads) goes to every rank, so only rank 0 needs the
/// folder, while every rank reads the dataset from its own disk. Each step's metrics are
/// averaged over the ranks, and a stop request on any rank, or rank 0's clock past the time
/// budget, stops every rank at the same step. A failure that every rank sees, or that rank 0
/// meets while writing, is thrown on every rank as `StoppedOnEveryRank`; build the run inside
/// `collective.agreeing { }` so that a rank that cannot (its data is missing, say) stops them all.
///
/// ```swift
/// let collective = try Collectives.fromEnvironment()
/// let run = try collective.agreeing { try TrainingRun(config: config, collective: collective) }
/// try run.run()
/// try collective.finalize()
/// ```
public final class TrainingRun {
    public let config: TrainConfig
    public let model: GANModel
    public let folder: RunFolder
    public let step: GANTrainingStep
    /// The global batch: every rank of a data-parallel run holds `batchSize / collective.size` of it.
    public let batchSize: Int
    /// The processes training together (``SingleProcess``: this one alone).
    public let collective: any Collective
    /// This rank's share of each real batch; nil in one process.
    let shard: BatchShard?
    public internal(set) var history: [HistoryRow] = []
    /// Called after every step with the step number (1-based) and its metrics.
    public var onStep: ((Int, StepMetrics) -> Void)?
    /// Called after each quality measurement (`evalEvery`).
    public var onEvaluation: ((Int, QualityReport) -> Void)?
    /// Measures generated samples during training (`evalEvery`).
    let judge: QualityJudge?
    /// One line per notable event (data found, files written).
    public var log: (String) -> Void

    var data: RealData
    let rng: RandomGenerator
    /// The noise (and labels) behind every sample picture, and the real examples shown beside them.
    let fixedNoise: Tensor
    let fixedLabels: [Int]?
    let realExamples: Tensor
    /// Steps over which the balance signal is watched before warning (``BalanceWatch``).
    public var balanceWindow = BalanceWatch.window
    /// The step the run starts after: 0, or the saved step when resuming.
    public private(set) var startStep = 0
    public let classNames: [String]?
    /// The latest sample picture (its step, the image and its PNG bytes).
    public internal(set) var samplePicture: (step: Int, image: RasterImage, png: Data)?
    /// Everything that follows the run, in the order it is told.
    public private(set) var observers: [any TrainingObserver] = [
        SamplePictureRecorder(), TensorBoardRecorder(), HistoryRecorder(), CheckpointRecorder(), StateRecorder(),
        ReportRecorder(), BalanceWatch(),
    ]

    /// Adds an observer after the run's own: it sees each save once everything is on disk.
    public func add(_ observer: any TrainingObserver) { observers.append(observer) }

    /// A run of the zoo model `config.model`; `collective`: the processes that train it together.
    public convenience init(
        config requested: TrainConfig, collective: any Collective = SingleProcess(),
        log: @escaping (String) -> Void = { _ in }
    ) throws {
        // Validated after the recipe fills its options: the recipe only sets what was left unset.
        var config = try requested.applyingRecipe()
        try config.validate()
        // One generator, in a fixed order: weights, then sample noise, then data order, noise and dropout.
        let rng = RandomGenerator(seed: config.seed)
        config.options = try TrainPlan.modelOptions(config)
        // A conditional model draws the data's classes: the data is read first (its image shape does
        // not depend on the class count, so a model built to learn it draws no numbers from `rng`).
        var preloaded: ImageDataset?
        let entry = try ModelZoo.entry(config.model)
        if entry.options.contains(.classes), config.options.classes == nil, config.options.unconditional != true {
            let shape = try ModelZoo.make(config.model, options: config.options, rng: RandomGenerator(seed: 0)).sample
            if case .images(let height, let width, let channels) = shape {
                let data = try RealData.loadImages(config, height: height, width: width, channels: channels, log: log)
                if data.classNames.count < 2 && entry.conditionsOnlyOnLabelledData {
                    config.options.unconditional = true
                } else {
                    guard data.classNames.count >= 2 else {
                        throw GANError(
                            "\(config.model) draws the classes of labelled data, but \(data.name) has \(data.classNames.count) class "
                                + "(for a folder: put each class's images in a subfolder of its own)")
                    }
                    // The model's own count stays unwritten, so configurations from before classes
                    // could vary (and their resumes) read the same.
                    if data.classNames.count != entry.defaultClassCount {
                        config.options.classes = data.classNames.count
                    }
                }
                preloaded = data
            }
        }
        let model = try ModelZoo.make(config.model, options: config.options, rng: rng)
        try self.init(
            model: model, config: config, rng: rng, data: nil, preloaded: preloaded, objective: nil, regularizers: [],
            collective: collective, log: log)
    }

    /// A run of a model built by the caller's own code: the configuration's training settings
    /// (steps, batch, objective, optimizers, recipe, sampling, evaluation, run folder) apply; its
    /// model settings do not (`config.model` becomes the model's name). `data`: the real images to
    /// train on; nil reads `config.dataset` as `swiftgan train` does. Build the model with a
    /// generator of its own: the run's (seeded from `config.seed`) draws the data order and noise.
    /// `objective`: one of one's own instead of `config.loss` (its name is written to
    /// `config.json`); `regularizers`: penalties of one's own added to D's loss after the
    /// configuration's (`gradientPenalty`, `r1`), each reported under its name. To continue a run,
    /// build the same model, pass the same arguments and call ``resume()`` before ``run()``.
    /// `collective`: the processes that train it together (data-parallel; every rank builds the
    /// same model and passes the same data).
    public convenience init(
        model: GANModel, config requested: TrainConfig, data: ImageDataset? = nil,
        objective: (any GANObjective)? = nil, regularizers: [any DiscriminatorRegularizer] = [],
        collective: any Collective = SingleProcess(), log: @escaping (String) -> Void = { _ in }
    ) throws {
        var config = requested
        config.model = model.name
        if objective != nil { config.loss = nil }
        config = try config.applyingRecipe()
        try config.validate(modelFromZoo: false)
        // Model settings are the model's own: a request (or its recipe) cannot change a model
        // built by code, so one it asks for and the model lacks is an error, not a silent no.
        let normalized = model.discriminator.contains { $0 is SpectralNorm }
        if config.options.spectralNorm == true && !normalized {
            throw GANError(
                "the configuration asks for spectral norm (its recipe '\(config.recipe ?? "none")' or spectralNorm), but \(model.name)'s "
                    + "discriminator has none: build it with SpectralNorm (e.g. rewritingLayers) or give another recipe"
            )
        }
        config.options = model.options
        config.options.spectralNorm = normalized ? true : nil
        for network in [model.generator, model.discriminator] where network.parameters.isEmpty {
            throw GANError(
                "\(model.name)'s \(network === model.generator ? "generator" : "discriminator") has no parameters to train"
            )
        }
        try self.init(
            model: model, config: config, rng: RandomGenerator(seed: config.seed), data: data, preloaded: nil,
            objective: objective, regularizers: regularizers, collective: collective, log: log)
    }

    private init(
        model: GANModel, config validated: TrainConfig, rng: RandomGenerator, data given: ImageDataset?,
        preloaded: ImageDataset?, objective: (any GANObjective)?, regularizers: [any DiscriminatorRegularizer],
        collective: any Collective, log: @escaping (String) -> Void
    ) throws {
        self.log = log
        self.rng = rng
        self.model = model
        self.collective = collective
        folder = RunFolder(URL(fileURLWithPath: validated.outputFolder))
        var validated = validated
        // Written out, so the run's config.json and report say what it multiplied in.
        let chosen = validated.precision == nil
        if chosen {
            // Every rank multiplies in the same precision: bf16 by default only where all of them run it.
            var fp32Somewhere = [Precision.preferred == .fp32 ? 1.0 : 0]
            try collective.allReduce(&fp32Somewhere, .max)
            validated.precision = (fp32Somewhere[0] > 0 ? Precision.fp32 : .bf16).rawValue
        }
        var plan = try TrainPlan(validated, model: model, objective: objective, regularizers: regularizers)
        batchSize = plan.batchSize
        shard = try TrainingRun.share(of: batchSize, model: model, config: plan.config, collective: collective)
        step = GANTrainingStep(
            model: model, recipe: plan.recipe, rng: rng, collective: collective,
            synchronizesBatchStatistics: plan.config.syncBatchNorm == true)
        log("recipe: \(plan.recipe.summary)")
        if plan.config.precision == Precision.bf16.rawValue {
            // Refused before anything is written, where this CPU cannot run it.
            if let reason = Precision.bf16Unavailability { throw GANError(reason) }
            log(
                "precision: bf16 convolutions and matrix products (fp32 accumulation, weights and optimizer state)"
                    + (chosen ? "; this CPU's default (--precision fp32 for fp32)" : ""))
        }
        var dataset: ImageDataset?
        if case .images(let height, let width, let channels) = model.sample {
            let found =
                try given ?? preloaded
                ?? RealData.loadImages(plan.config, height: height, width: width, channels: channels, log: log)
            guard found.imageShape == model.sampleShape else {
                throw GANError(
                    "\(model.name) makes \(model.sampleShape) images but \(found.name) holds \(found.imageShape)")
            }
            if model.classCount > 0 && found.classNames.count != model.classCount {
                throw GANError(
                    "\(model.name) draws \(model.classCount) classes but \(found.name) has \(found.classNames.count)")
            }
            dataset = found
        }
        plan = try plan.countingEpochs(exampleCount: dataset?.count)
        var config = plan.config
        if let given { config.dataset = given.name }

        if let dataset {
            guard plan.batching != .epochs || dataset.count >= batchSize else {
                throw GANError("batch size \(batchSize) exceeds the \(dataset.count) images of \(dataset.name)")
            }
            data = .images(
                dataset, BatchSampler(count: dataset.count, batchSize: batchSize, mode: plan.batching, rng: rng))
            // A conditional model's grid: rows of 8, one class each; the band shows a few classes.
            fixedLabels = RunPictures.sampleLabels(classCount: model.classCount)
            fixedNoise = model.noise(fixedLabels?.count ?? 80, using: rng)
            realExamples = dataset.batch(
                RunPictures.bandExamples(labels: dataset.labels, classCount: dataset.classNames.count),
                range: model.dataRange)
            classNames = dataset.classNames
        } else {
            data = .curves
            fixedNoise = model.noise(48, using: rng)
            realExamples = QuadraticCurves.sample(48, using: rng)
            classNames = nil
            fixedLabels = nil
        }
        if config.evalEvery != nil {
            guard model.sample == .grayscale28, ["fashion-mnist", "mnist"].contains(config.dataset) else {
                throw GANError(
                    "--eval-every measures 28×28 Fashion-MNIST or MNIST models, not \(model.name) on \(config.dataset)")
            }
            if collective.rank == 0 {
                // Rank 0 measures (and only it needs the evaluator file and the test split).
                let evaluator =
                    try config.evaluator.map { try Evaluator.load(from: URL(fileURLWithPath: $0)).evaluator }
                    ?? Evaluator.shipped(for: config.dataset).evaluator
                var locator = DatasetLocator(explicitFolder: config.dataDir.map { URL(fileURLWithPath: $0) })
                locator.log = log
                judge = try QualityJudge(
                    evaluator: evaluator,
                    real: try locator.load(try DatasetSpec.named(config.dataset), train: false).dataset)
            } else {
                judge = nil
            }
        } else {
            judge = nil
        }
        self.config = config
    }

    /// This rank's share of each real batch of `batchSize` (nil in one process), refusing a batch
    /// the processes cannot split evenly or into shares the model cannot train on.
    private static func share(
        of batchSize: Int, model: GANModel, config: TrainConfig, collective: any Collective
    ) throws -> BatchShard? {
        let ranks = collective.size
        guard ranks > 1 else { return nil }
        guard batchSize.isMultiple(of: ranks) else {
            throw GANError(
                "--batch-size \(batchSize) does not split evenly over \(ranks) processes: each trains on an equal share, "
                    + "so give a multiple of \(ranks) (or launch a number of processes that divides \(batchSize))")
        }
        let share = batchSize / ranks
        // The minibatch standard deviation's groups lie within each rank's share.
        for case let layer as MinibatchStandardDeviation in model.discriminator.namedModules.map(\.module) {
            if let group = layer.groupSize, share > group, !share.isMultiple(of: group) {
                throw GANError(
                    "D's minibatch standard deviation takes groups of \(group) examples within each process's share of "
                        + "the batch, \(batchSize)/\(ranks) = \(share): give a --batch-size whose share is a multiple of \(group)"
                )
            }
        }
        let normalized = [model.generator, model.discriminator].contains { network in
            network.contains { $0 is BatchNorm }
        }
        if share < 2 && normalized && config.syncBatchNorm != true {
            throw GANError(
                "each of the \(ranks) processes holds 1 example of the batch of \(batchSize), and BatchNorm needs more: "
                    + "give a larger --batch-size, or --sync-bn (statistics over the whole batch)")
        }
        return BatchShard(collective: collective, rowsPerRank: share)
    }

    /// FID and KID of freshly generated samples, recorded in the last history row. Noise comes from
    /// a generator of its own, so measuring does not change the training run.
    private func evaluate(step n: Int) throws {
        guard let judge else { return }
        let rng = RandomGenerator(seed: config.seed &+ 0x9E37_79B9 &+ UInt64(n))
        let (images, labels) = step.withGeneratorForSampling {
            model.generateForEvaluation(count: config.evalSamples ?? 2000, using: rng)
        }
        let report = try judge.report(images: images, labels: labels, full: false, rng: rng)
        history[history.count - 1].fid = report.fid
        history[history.count - 1].kid = report.kid
        for observer in observers { observer.evaluationDidEnd(self, step: n, report: report) }
        onEvaluation?(n, report)
    }

    /// Continues the run saved in the run folder (weights, optimizers, random state, data order,
    /// history and sample frames) from its last sample point. Call before `run()`. In data-parallel
    /// training rank 0 reads and checks the state, and every rank takes it from rank 0.
    public func resume() throws {
        // Read under the lock; `run()` takes it again and checks that the state is still the one read.
        try collective.onRankZero {
            try lockFolder()
            defer { unlockFolder() }
            try continueSavedRun()
            resumedState = stateStamp()
        }
        if collective.size > 1 { startStep = try shareState(step: startStep) }
    }

    /// The training state file as ``resume()`` read it: its modification time and size.
    private var resumedState: String?

    private func stateStamp() -> String? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: folder.state.path) else { return nil }
        let date = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
        return "\(date) \(attributes[.size] as? Int ?? -1)"
    }

    private func continueSavedRun() throws {
        startStep = try restoreState()
        guard startStep < config.steps else {
            // A run whose end failed on its animation (a full disk, say) gets it now.
            if try folder.writeMissingAnimation(log: log) { log("wrote the missing \(folder.animation.path)") }
            throw GANError(
                "the run in \(folder.path) already reached step \(startStep); give a larger --steps to continue it")
        }
        if let budget = config.timeBudget, let spent = history.last?.seconds, spent >= budget {
            throw GANError(
                String(
                    format:
                        "the run in %@ already spent its time budget (%.0f of %.0f s); give a larger --time-budget to continue it",
                    folder.path, spent, budget))
        }
        log("resuming \(model.name) at step \(startStep) of \(config.steps)")
    }

    /// The last step trained: `config.steps`, or where the time budget ran out.
    public private(set) var finalStep = 0

    /// Asked after every step: true stops the run there, saving everything as at a sample point
    /// (the command line's Ctrl-C and SIGTERM).
    public var stopRequested: () -> Bool = { false }
    /// Whether the run stopped because `stopRequested` said so.
    public private(set) var stoppedOnRequest = false

    /// The digest of the configuration this run wrote (``TrainConfig/digest()``): the training
    /// state names the configuration it belongs to.
    var configDigest = ""

    /// Refuses to continue a run under settings other than those it was trained with, but for the
    /// ones a resume may change (``TrainOption/resumable``: its length, pictures and measurements).
    /// (States saved before config.json was named in them are not checked: their files may lack
    /// keys that later versions write.)
    func requireSavedConfiguration() throws {
        let saved = try TrainConfig.load(folder.config).fixedSettings, wanted = config.fixedSettings
        guard saved != wanted else { return }
        let encoder = JSONEncoder()
        func fields(_ c: TrainConfig) throws -> [String: String] {
            let object = try JSONSerialization.jsonObject(with: encoder.encode(c)) as? [String: Any] ?? [:]
            return object.mapValues { "\($0)" }
        }
        let (a, b) = (try fields(saved), try fields(wanted))
        let differing = Set(a.keys).union(b.keys).filter { a[$0] != b[$0] }.sorted()
        throw GANError(
            "\(folder.path) was trained with other settings (\(differing.joined(separator: ", "))); a resumed run keeps them, "
                + "and may change only " + TrainOptions.all.filter(\.resumable).map(\.key).joined(separator: ", "))
    }

    /// This process's lock on the run folder, from ``resume()`` or ``run()`` to the end of ``run()``.
    private var lock: FolderLock?

    private func lockFolder() throws {
        if lock == nil { lock = try FolderLock(folder.url, holder: "training \(model.name)") }
    }

    private func unlockFolder() {
        lock?.release()
        lock = nil
    }

    /// Whether a new run may replace a run already in its folder (`--force`). The old files are
    /// moved aside, and deleted only once this run has saved its first state.
    public var replacesExistingRun = false

    /// Trains for `config.steps` steps, or until `config.timeBudget` is spent. Returns the run folder.
    @discardableResult
    public func run() throws -> URL {
        // One process writes a run folder at a time (rank 0, of several); the lock goes when the run
        // does (or the process).
        defer { unlockFolder() }
        var replaced: URL?
        try collective.onRankZero { replaced = try prepareFolder() }
        do {
            // A new run starts every rank from rank 0's weights (its --init-from ones too), generator
            // and data order; a resumed run's came with resume().
            if collective.size > 1 && startStep == 0 { try shareState(step: 0) }
            let precision = config.precision.flatMap(Precision.init(rawValue:)) ?? .fp32
            try Precision.with(precision) {
                try train(afterSaving: {
                    if let aside = replaced { try? FileManager.default.removeItem(at: aside); replaced = nil }
                })
            }
        } catch {
            if let replaced { log("the run this one was to replace is kept in \(replaced.path)") }
            throw error
        }
        return folder.url
    }

    /// The run folder made ready for this run (by rank 0 alone): locked, still holding the state
    /// that was resumed, a new run's starting weights read, half-written files removed, and a run
    /// it replaces moved aside. Returns where the replaced run's files wait.
    private func prepareFolder() throws -> URL? {
        try lockFolder()
        if startStep > 0, stateStamp() != resumedState {
            throw GANError(
                "the training state in \(folder.path) changed after it was resumed (another process?); resume it again")
        }
        // A new run's starting weights, read before anything in the folder moves (SOURCE may be the
        // run this one replaces). A resumed run has restored its own and never reads SOURCE again.
        if startStep == 0, let source = config.initFrom { try initialiseWeights(from: source) }
        // A new run never destroys an old one it was not asked to replace, nor before its own
        // state is safe: the old files wait aside until then.
        for dir in [folder.url, folder.samples] {
            let stale = AtomicFile.removeStaleTemporaries(in: dir)
            if !stale.isEmpty {
                log("removed \(stale.count) half-written file(s) a killed process left in \(dir.path)")
            }
        }
        var replaced: URL?
        let previous = startStep == 0 ? folder.runFiles() : []
        if !previous.isEmpty {
            guard replacesExistingRun else {
                throw GANError(
                    "\(folder.path) already holds a run (\(previous.map(\.lastPathComponent).joined(separator: ", "))). "
                        + "Continue it with --resume \(folder.path), give this run another --out, or --force to replace it."
                )
            }
            replaced = try folder.moveAside(previous)
            log(
                "the run in \(folder.path) is replaced; its files wait in \(replaced!.path) until this run has saved its first state"
            )
        }
        return replaced
    }

    /// The weights `source` names in place of the fresh ones (``InitialWeights``), G's moving
    /// average started again from them: the first sample picture shows what was loaded.
    private func initialiseWeights(from source: String) throws {
        let weights: InitialWeights
        do {
            weights = try InitialWeights.read(source)
            try weights.load(into: model)
        } catch {
            throw GANError("--init-from \(FormatError.printable(source, limit: 1024)): \(error)")
        }
        if weights.generator != nil { step.generatorAverage?.restart() }
        let differing = weights.optionDifferences(from: model)
        if !differing.isEmpty {
            log(
                "note: \(weights.origin) was trained with other model options (\(differing.joined(separator: "; "))); "
                    + "every tensor fits, so the run starts from it")
        }
        let rest =
            weights.discriminator == nil
            ? "; D starts from a fresh initialization"
            : weights.generator == nil ? "; G starts from a fresh initialization" : ""
        log("initialised \(weights.networks) from \(weights.origin)\(rest)")
    }

    private func train(afterSaving: () -> Void) throws {
        try collective.onRankZero {
            let json = try config.json()
            try AtomicFile.write(json, to: folder.config)
            configDigest = try config.digest()
            // A resumed run drops the pictures past its state.
            folder.removeSamples(after: startStep)
        }
        let started = Date(timeIntervalSinceNow: -(history.last?.seconds ?? 0))
        var lastSaved = startStep
        // Rank 0's observers follow the run (the run folder's writers among them); the other ranks
        // train and wait for rank 0 at each save.
        let observers = collective.rank == 0 ? self.observers : []
        do {
            try collective.onRankZero { for observer in observers { try observer.runWillStart(self) } }
            finalStep = config.steps
            for n in (startStep + 1)...config.steps {
                var metrics = step(batches: (0..<step.recipe.criticSteps).map { _ in realBatch() })
                var seconds = Date().timeIntervalSince(started)
                // Several ranks: the step as all of them saw it (means, rank 0's clock, any stop request).
                var agreed: (budgetSpent: Bool, interrupted: Bool)?
                if collective.size > 1 {
                    let outcome = try agree(on: metrics, seconds: seconds)
                    metrics = outcome.metrics
                    seconds = outcome.seconds
                    agreed = (budgetSpent: outcome.budgetSpent, interrupted: outcome.interrupted)
                }
                history.append(HistoryRow(step: n, epoch: data.epoch, metrics: metrics, seconds: seconds))
                onStep?(n, metrics)
                for observer in observers { observer.stepDidEnd(self, step: n, metrics: metrics) }
                let budgetSpent =
                    agreed?.budgetSpent ?? config.timeBudget.map { Date().timeIntervalSince(started) >= $0 } ?? false
                let interrupted = agreed?.interrupted ?? stopRequested()
                let last = n == config.steps || budgetSpent || interrupted
                let measure = config.evalEvery.map { n % $0 == 0 || last } ?? false
                let save = n % config.sampleEvery == 0 || last
                // The losses must be finite, and before anything is saved or measured the weights
                // too: this step's updates may have broken them even where its losses were fine.
                if let problem = try divergence(metrics, checkingWeights: measure || save) {
                    try collective.onRankZero {
                        for observer in observers { try? observer.runDidDiverge(self, step: n) }
                    }
                    let error = GANError(
                        "training diverged at step \(n): \(problem). "
                            + (lastSaved > 0
                                ? "The last good checkpoint (step \(lastSaved)) is in \(folder.path)."
                                : "No checkpoint was saved yet."))
                    // Every rank saw it (the averaged losses, or the ranks' agreement on the weights).
                    if collective.size > 1 { throw StoppedOnEveryRank(error, reportedHere: collective.rank == 0) }
                    throw error
                }
                if measure {
                    // A failed measurement is reported, not fatal: the run goes on.
                    do { try evaluate(step: n) } catch {
                        log("warning: the quality measurement at step \(n) failed: \(error)")
                    }
                }
                if save {
                    // The other ranks wait until rank 0 has saved (or stop with it if it cannot).
                    try collective.onRankZero { for observer in observers { try observer.save(self, step: n) } }
                    lastSaved = n
                    afterSaving()
                    for observer in observers { observer.didSave(self, step: n) }
                }
                if interrupted && n < config.steps {
                    finalStep = n
                    stoppedOnRequest = true
                    log("stopped at step \(n) of \(config.steps); everything is saved")
                    break
                }
                if budgetSpent {
                    finalStep = n
                    if n < config.steps {
                        log(
                            String(
                                format: "time budget of %.0f s spent: stopped at step %d of %d", config.timeBudget!, n,
                                config.steps))
                    }
                    break
                }
            }
            try collective.onRankZero { for observer in observers { try observer.runDidEnd(self) } }
        } catch {
            for observer in observers { observer.runDidStop(self) }
            throw error
        }
    }

    /// What makes this step's result unusable, or nil: a non-finite loss, or (when asked) a
    /// non-finite weight or statistic in either network. In data-parallel training the losses are
    /// the ranks' averages (one rank's NaN makes them NaN), and the ranks agree on the weights.
    private func divergence(_ metrics: StepMetrics, checkingWeights: Bool) throws -> String? {
        guard metrics.isFinite else { return "D loss \(metrics.discriminatorLoss), G loss \(metrics.generatorLoss)" }
        guard checkingWeights else { return nil }
        let state = model.generator.namedState + model.discriminator.namedState
        let problem = state.allSatisfy({ $0.tensor.isFinite }) ? nil : "the weights are no longer finite"
        guard collective.size > 1 else { return problem }
        return try agreeOnWeights(problem)
    }
}
