import SwiftGANDatasets
import SwiftGANNN

/// A run's settings, resolved: what a request (``TrainConfig``, whose settings are optional or
/// defaulted) means for one model and one dataset, every default filled from its one source.
///
/// Where each value comes from, in order: the request; the named recipe preset (``Recipes``,
/// filling what the request leaves unset, before the checks); the objective's paper (its
/// optimizer, critic steps, penalty and whether D may use batch statistics: ``ObjectiveDefaults``,
/// ``modelOptions(_:)``); the model's source (``SourceSettings``: batch size, learning rate,
/// targets, batching). ``config`` is the request
/// with every resolved value written in: what `config.json` records, so the run can be repeated.
public struct TrainPlan {
    /// The largest batch: dcgan64's two networks hold about 3 GB of activations at 1,024 images.
    public static let maximumBatchSize = 1024

    /// The resolved configuration (batch size, sampling, steps, loss and run folder filled in).
    public private(set) var config: TrainConfig
    /// How each step trains: objective, optimizers, updates per step, targets, penalties, average.
    public let recipe: TrainingRecipe
    public let batchSize: Int
    /// How real batches are drawn from an image dataset.
    public let batching: BatchSampler.Mode

    /// The options a zoo model is built with for `request`: its own, and no batch statistics in D
    /// for an objective whose penalty is per example (WGAN-GP) unless the request says otherwise.
    public static func modelOptions(_ request: TrainConfig) throws -> ModelOptions {
        var options = request.options
        if try !request.objective().defaults.allowsBatchNorm && options.discriminatorNormalization == nil {
            options.discriminatorNormalization = "none"
        }
        return options
    }

    /// The plan for `request` (recipe preset applied and checked: ``TrainConfig/applyingRecipe()``,
    /// ``TrainConfig/validate(modelFromZoo:)``) on `model`. `objective`: one of one's own in place
    /// of the request's loss; `regularizers`: penalties of one's own after the request's. A request
    /// in epochs gets its steps from ``countingEpochs(exampleCount:)`` once the data is found.
    public init(
        _ request: TrainConfig, model: GANModel, objective custom: (any GANObjective)? = nil,
        regularizers: [any DiscriminatorRegularizer] = []
    ) throws {
        var config = request
        let batchSize = config.batchSize ?? model.source.batchSize
        config.batchSize = batchSize
        // Every batch D judges (real, fake, a penalty's interpolates) has this size, and a minibatch
        // standard deviation must split it into whole groups.
        for case let layer as MinibatchStandardDeviation in model.discriminator.namedModules.map(\.module) {
            if let group = layer.groupSize, batchSize > group, !batchSize.isMultiple(of: group) {
                throw GANError(
                    "D's minibatch standard deviation (--minibatch-stddev) takes groups of \(group) examples: "
                        + "--batch-size must be a multiple of \(group) (or at most \(group)), got \(batchSize)")
            }
        }
        var recipe = try config.recipe(for: model, objective: custom)
        recipe.regularizers += regularizers
        if let custom { config.loss = custom.name }
        let sampling = config.sampling ?? (model.source.randomBatchesPerEpoch == nil ? "epochs" : "random")
        let batchesPerEpoch = config.batchesPerEpoch ?? model.source.randomBatchesPerEpoch ?? 100
        (config.sampling, config.batchesPerEpoch) = (sampling, batchesPerEpoch)
        config.out = config.outputFolder
        (self.config, self.recipe, self.batchSize) = (config, recipe, batchSize)
        batching = sampling == "random" ? .randomSampling(batchesPerEpoch: batchesPerEpoch) : .epochs
    }

    /// The plan with `--epochs` turned into steps: passes over `exampleCount` examples (nil for
    /// synthetic data, whose epochs are `batchesPerEpoch` batches), one real batch per D update.
    public func countingEpochs(exampleCount: Int?) throws -> TrainPlan {
        guard let epochs = config.epochs else { return self }
        let perEpoch =
            batching == .epochs
            ? exampleCount.map { $0 / batchSize } ?? config.batchesPerEpoch! : config.batchesPerEpoch!
        let (batches, overflow) = epochs.multipliedReportingOverflow(by: perEpoch)
        guard !overflow else {
            throw GANError("--epochs \(epochs) × \(perEpoch) batches per epoch is more steps than a run can count")
        }
        var plan = self
        plan.config.steps = Swift.max(1, batches / recipe.criticSteps)
        return plan
    }
}
