import SwiftGANNN
import SwiftGANTensors

/// What one training step measured.
public struct StepMetrics {
    /// The loss D was updated on (its last update of the step), penalties included.
    public var discriminatorLoss: Float
    /// The share of real and fake examples D classified correctly; nil for a critic (WGAN),
    /// whose outputs have no threshold.
    public var discriminatorAccuracy: Float?
    /// G's loss (its last update of the step).
    public var generatorLoss: Float
    /// The share of fakes D called real in G's update: the balance signal the tutorials watch
    /// (0.5 is ideal; near 0, D dominates; near 1, G does). nil for a critic.
    public var generatorAccuracy: Float?
    /// What the objective and regularizers report besides, by `history.csv` column name:
    /// `wasserstein` (a critic's E[D(x)] − E[D(G(z))]), `gradient_penalty`, `r1_penalty`, `lecam`,
    /// and ADA's `ada_p` (the probability after the step) and `ada_rt` (the r_t it last moved by).
    public var extras: [(name: String, value: Float)] = []

    public init(
        discriminatorLoss: Float, discriminatorAccuracy: Float?, generatorLoss: Float, generatorAccuracy: Float?,
        extras: [(name: String, value: Float)] = []
    ) {
        (self.discriminatorLoss, self.discriminatorAccuracy, self.generatorLoss) = (
            discriminatorLoss, discriminatorAccuracy, generatorLoss
        )
        (self.generatorAccuracy, self.extras) = (generatorAccuracy, extras)
    }

    public var isFinite: Bool {
        discriminatorLoss.isFinite && generatorLoss.isFinite
    }

    public func extra(_ name: String) -> Float? { extras.first { $0.name == name }?.value }
}

/// One GAN training step under a ``TrainingRecipe``: `criticSteps` D updates, each on a real
/// batch (target: real) and a generated one (target: fake), then `generatorSteps` G updates
/// through the updated D (target: real), with the recipe's objective (BCE, LSGAN, hinge, WGAN…).
///
/// Conditional models (Mirza & Osindero 2014) give both networks the labels: the real batch's own,
/// and labels drawn uniformly for the fakes. An auxiliary-classifier model (ACGAN, Odena et al.
/// 2017) adds a class loss to any objective: D's categorical cross-entropy on the real images'
/// labels, and G's on the labels it was asked for. Fake images get an all-zero class target in D's
/// loss, as the ACGAN tutorial does, so they add nothing to it: over the real+fake batch of 2n the
/// class term is the real images' mean cross-entropy times ½.
///
/// D stays fixed during G's update because only G's parameters are differentiated and updated —
/// no trainable flag to toggle.
///
/// Data-parallel (several processes, `collective.size` > 1; StyleGAN's pattern rather than
/// PyTorch's DDP): every rank holds both whole networks and its share of each batch (the real
/// batches it is given: `batch / size` rows each). The step runs under a `BatchShard`, so every
/// random draw (noise, labels, targets, dropout, augmentation, penalties) is the one process's draw
/// for the global batch cut to this rank's rows. Each D update sums D's gradients over the ranks in
/// one all-reduce of a flat buffer and divides by the ranks (each rank's loss is a mean over its
/// rows, so the mean of the ranks' gradients is the global batch's gradient, penalties included);
/// then every rank's optimizer makes the same update. G's updates likewise. Optimizer moments,
/// the moving average, weight clipping and spectral norm's power iteration need no communication:
/// they see the same weights and gradients on every rank. BatchNorm normalizes each rank's rows
/// alone unless `synchronizesBatchStatistics` (`--sync-bn`).
public final class GANTrainingStep {
    public let model: GANModel
    public let recipe: TrainingRecipe
    public let discriminatorOptimizer: any ParameterOptimizer
    public let generatorOptimizer: any ParameterOptimizer
    /// The moving average of G's weights, when the recipe keeps one.
    public let generatorAverage: ParameterAverage?
    /// LeCam's moving averages of D's outputs, when the recipe regularizes with it.
    public let lecam: LeCamRegularizer?
    /// ADA's augmentation probability and the signs it follows, when the recipe adapts it.
    public let adaptiveAugment: AdaptiveAugment?
    public var targets: DiscriminatorTargets { recipe.targets }
    public var generatorSteps: Int { recipe.generatorSteps }
    /// The processes training together; ``SingleProcess`` for a run of its own.
    public let collective: any Collective
    /// Whether BatchNorm normalizes with the global batch's statistics when several processes
    /// train (SyncBatchNorm, `--sync-bn`); in one process it changes nothing.
    public let synchronizesBatchStatistics: Bool
    private let rng: RandomGenerator
    /// Real and fake batches go through D separately when D computes statistics over its batch:
    /// BatchNorm (each batch must be normalized by its own statistics, as in the DCGAN reference
    /// code) and the minibatch standard deviation (in one pass its groups would hold real and fake
    /// examples together: D's output on a real image would depend on the fakes in its group, and D
    /// would learn σ of mixed groups, while G's update shows it groups of fakes alone).
    let separateDiscriminatorPasses: Bool
    /// Spectral normalization iterates once per D update: in its first D pass, not in the others.
    private let hasSpectralNorm: Bool
    /// Per batch size: the fixed D targets (when `targets.isFixed`) and the hard 1/0 targets the
    /// accuracies use, made once.
    private var fixedTargets: [Int: (real: Tensor, fake: Tensor)] = [:]
    private var hardTargets: [Int: (ones: Tensor, zeros: Tensor)] = [:]

    /// `collective`: the processes that train together, each calling this step on its share of
    /// every batch (``SingleProcess``: this process alone, as without it).
    public init(
        model: GANModel, recipe: TrainingRecipe, rng: RandomGenerator, collective: any Collective = SingleProcess(),
        synchronizesBatchStatistics: Bool = false
    ) {
        require(
            recipe.generatorSteps >= 1 && recipe.criticSteps >= 1,
            "generator and critic steps must be at least 1, got \(recipe.generatorSteps) and \(recipe.criticSteps)")
        require(
            recipe.adaptiveAugment == nil || recipe.augment != nil,
            "ADA adapts the probability of DiffAugment's policies: the recipe needs `augment` too")
        self.model = model
        self.recipe = recipe
        self.rng = rng
        self.collective = collective
        self.synchronizesBatchStatistics = synchronizesBatchStatistics
        separateDiscriminatorPasses = model.discriminator.contains(where: {
            $0 is BatchNorm || $0 is MinibatchStandardDeviation
        })
        hasSpectralNorm = model.discriminator.contains(where: { $0 is SpectralNorm })
        discriminatorOptimizer = recipe.discriminatorOptimizer.make(parameters: model.discriminator.parameters)
        generatorOptimizer = recipe.generatorOptimizer.make(parameters: model.generator.parameters)
        generatorAverage = recipe.averageDecay.map {
            ParameterAverage(parameters: model.generator.parameters, decay: $0)
        }
        lecam = recipe.lecamWeight.map { LeCamRegularizer(weight: $0) }
        adaptiveAugment = recipe.adaptiveAugment.map { AdaptiveAugment($0) }
    }

    /// The model's own settings (BCE, Adam), with the given changes.
    public convenience init(
        model: GANModel, learningRate: Float? = nil, beta1: Float? = nil, targets: DiscriminatorTargets? = nil,
        generatorSteps: Int = 1, rng: RandomGenerator
    ) {
        var recipe = TrainingRecipe(model: model)
        let adam = OptimizerSpec.adam(
            learningRate: learningRate ?? model.source.learningRate, beta1: beta1 ?? model.source.beta1, beta2: 0.999)
        (recipe.discriminatorOptimizer, recipe.generatorOptimizer) = (adam, adam)
        recipe.targets = targets ?? model.source.targets
        recipe.generatorSteps = generatorSteps
        self.init(model: model, recipe: recipe, rng: rng)
    }

    /// One step on one real batch (and its labels, for a conditional model); the recipe must
    /// make one D update per step.
    public func callAsFunction(real: Tensor, labels: [Int]? = nil) -> StepMetrics {
        self(batches: [(real, labels)])
    }

    /// One step: one D update per real batch (`recipe.criticSteps` of them), then G's updates.
    /// With several processes, each rank passes its share of every real batch and gets the
    /// metrics of its share (``TrainingRun`` averages them over the ranks).
    public func callAsFunction(batches: [(real: Tensor, labels: [Int]?)]) -> StepMetrics {
        require(
            batches.count == recipe.criticSteps,
            "the recipe makes \(recipe.criticSteps) D update(s) per step; got \(batches.count) batch(es)")
        guard collective.size > 1 else { return train(batches) }
        let shard = BatchShard(
            collective: collective, rowsPerRank: batches[0].real.shape[0],
            synchronizesBatchStatistics: synchronizesBatchStatistics)
        return BatchShard.with(shard) { train(batches) }
    }

    private func train(_ batches: [(real: Tensor, labels: [Int]?)]) -> StepMetrics {
        var last: DiscriminatorUpdate!
        for (i, batch) in batches.enumerated() {
            last = discriminatorUpdate(real: batch.real, labels: batch.labels, keepGraph: i == batches.count - 1)
        }
        let batch = last.fake.shape[0]
        var (gLoss, judged) = generatorUpdate(
            fake: last.fake, labels: last.fakeLabels, real: last.realSeen, realLabels: last.realLabels)
        for _ in 1..<recipe.generatorSteps {
            let labels = model.classCount > 0 ? randomLabels(batch) : nil
            (gLoss, judged) = generatorUpdate(
                fake: model.generatorOutput(noise: noise(batch), labels: labels), labels: labels,
                real: last.realSeen, realLabels: last.realLabels)
        }

        var metrics = StepMetrics(
            discriminatorLoss: last.loss.scalar, discriminatorAccuracy: nil, generatorLoss: gLoss.loss.scalar,
            generatorAccuracy: nil,
            extras: last.extras + gLoss.metrics)
        if let adaptiveAugment {
            metrics.extras.append(("ada_p", adaptiveAugment.probability))
            metrics.extras.append(("ada_rt", adaptiveAugment.reportedSignMean))
        }
        // Accuracies against the hard targets, whatever the smoothing.
        if let threshold = recipe.objective.decisionThreshold {
            let (ones, zeros) = hard(batch)
            metrics.discriminatorAccuracy =
                (binaryAccuracy(logits: last.realOutput - threshold, targets: ones)
                    + binaryAccuracy(logits: last.fakeOutput - threshold, targets: zeros)) / 2
            metrics.generatorAccuracy = binaryAccuracy(logits: judged - threshold, targets: ones)
        }
        return metrics
    }

    private struct DiscriminatorUpdate {
        var fake: Tensor, fakeLabels: [Int]?
        /// The real batch as D saw it (augmented), and its labels: relativistic G losses judge it again.
        var realSeen: Tensor, realLabels: [Int]?
        /// The values the accuracies read D's decision from (its adversarial outputs, or relative ones).
        var realOutput: Tensor, fakeOutput: Tensor
        var loss: Tensor
        var extras: [(name: String, value: Float)]
    }

    /// One update of D on `real` and a fresh fake batch. `keepGraph`: record G's forward pass, so
    /// G's first update can reuse this fake batch.
    private func discriminatorUpdate(real: Tensor, labels: [Int]?, keepGraph: Bool) -> DiscriminatorUpdate {
        let batch = real.shape[0]
        let conditional = model.classCount > 0
        require(!conditional || labels?.count == batch, "\(model.name) is conditional: each real image needs its label")
        let realLabels = conditional ? labels : nil
        let fakeLabels = conditional ? randomLabels(batch) : nil
        let (realTargets, fakeTargets) = discriminatorTargets(batch)
        let discriminator = model.discriminator
        let z = noise(batch)
        let fake = GradMode.with(enabled: keepGraph && GradMode.isEnabled) {
            model.generatorOutput(noise: z, labels: fakeLabels)
        }

        let realOutput: Tensor, fakeOutput: Tensor
        if hasSpectralNorm { discriminator.setSpectralIteration(true) }
        let realSeen = seen(real), fakeSeen = seen(fake.detached())
        if separateDiscriminatorPasses {
            realOutput = model.discriminatorOutput(realSeen, labels: realLabels)
            if hasSpectralNorm { discriminator.setSpectralIteration(false) }
            fakeOutput = model.discriminatorOutput(fakeSeen, labels: fakeLabels)
        } else {
            // One pass over real and fake together: the same loss and gradients (D has no batch
            // statistics and nothing that mixes examples), from GEMMs twice as tall, which BLAS runs faster.
            let both = model.discriminatorOutput(
                Tensor.concatenate([realSeen, fakeSeen], alongAxis: 0),
                labels: realLabels.map { $0 + fakeLabels! })
            realOutput = both.slice(alongAxis: 0, 0..<batch)
            fakeOutput = both.slice(alongAxis: 0, batch..<(2 * batch))
            if hasSpectralNorm { discriminator.setSpectralIteration(false) }
        }
        let realAdversarial = adversarialOutput(realOutput), fakeAdversarial = adversarialOutput(fakeOutput)
        let pass = ObjectivePass(
            real: realAdversarial, fake: fakeAdversarial, targets: (realTargets, fakeTargets),
            labels: (realLabels, fakeLabels), critic: critic)
        let objective = recipe.objective.discriminatorLoss(pass)
        var loss = objective.loss
        if model.conditioning.auxiliaryClassifier {
            let classes = oneHot(realLabels!, classes: model.classCount)
            loss = loss + categoricalCrossEntropy(logits: classLogits(realOutput), targets: classes) * 0.5
        }
        var extras = objective.metrics
        for regularizer in recipe.regularizers {
            // Interpolates and real examples are judged with the real batch's labels.
            let penalty = regularizer.penalty(
                real: real, fake: fake.detached(), critic: { x in self.critic(x, realLabels) }, rng: rng)
            extras.append((regularizer.name, penalty.scalar))
            loss = loss + penalty
        }
        if let lecam {
            // The averages first, from this update's outputs (the official code's order).
            lecam.update(real: realAdversarial, fake: fakeAdversarial)
            let penalty = lecam.penalty(real: realAdversarial, fake: fakeAdversarial)
            extras.append((lecam.name, penalty.scalar))
            loss = loss + penalty
        }
        // D's decisions on the reals it trains on: ADA's overfitting signal, its sign sum summed over
        // the ranks in the same all-reduce as the gradients.
        let threshold = recipe.objective.decisionThreshold ?? 0
        let signs = adaptiveAugment.map { _ in
            [Float(AdaptiveAugment.sumOfSigns(realAdversarial, threshold: threshold))]
        }
        let (dGradients, signSum) = averagedOverRanks(
            gradients(of: loss, withRespectTo: discriminatorOptimizer.parameters), summing: signs ?? [])
        discriminatorOptimizer.step(dGradients)
        if let c = recipe.weightClip {
            withoutGrad { for p in discriminatorOptimizer.parameters { p.assign(p.clamped(min: -c, max: c)) } }
        }
        adaptiveAugment?.record(
            signSum: Int(signSum[0]), images: realAdversarial.count * (BatchShard.current?.size ?? 1))
        let decision = withoutGrad { recipe.objective.discriminatorDecision(pass) }
        return DiscriminatorUpdate(
            fake: fake, fakeLabels: fakeLabels, realSeen: realSeen, realLabels: realLabels,
            realOutput: decision.real, fakeOutput: decision.fake, loss: loss, extras: extras)
    }

    /// D's adversarial output on `examples`, judged with `labels`: what objectives and
    /// regularizers call D with.
    private func critic(_ examples: Tensor, _ labels: [Int]?) -> Tensor {
        adversarialOutput(model.discriminatorOutput(examples, labels: labels))
    }

    /// One update of G through D on `fake` (made from `labels`); `real` (as D saw it) is judged
    /// only if the objective asks. Returns G's loss and the values D's decision on the fakes is read
    /// from (``GANObjective/generatorDecision(_:)``).
    private func generatorUpdate(
        fake: Tensor, labels: [Int]?, real: Tensor, realLabels: [Int]?
    ) -> (ObjectiveLoss, Tensor) {
        let judged = model.discriminatorOutput(seen(fake), labels: labels)
        let adversarial = adversarialOutput(judged)
        let pass = ObjectivePass(
            realOutput: { withoutGrad { self.critic(real, realLabels) } }, fake: adversarial,
            targets: {
                let h = hard(fake.shape[0]); return (h.ones, h.zeros)
            }(), labels: (realLabels, labels), critic: critic)
        var gLoss = recipe.objective.generatorLoss(pass)
        if model.conditioning.auxiliaryClassifier {
            gLoss.loss =
                gLoss.loss
                + categoricalCrossEntropy(
                    logits: classLogits(judged), targets: oneHot(labels!, classes: model.classCount))
        }
        generatorOptimizer.step(
            averagedOverRanks(gradients(of: gLoss.loss, withRespectTo: generatorOptimizer.parameters)).gradients)
        generatorAverage?.update()
        return (gLoss, withoutGrad { recipe.objective.generatorDecision(pass) })
    }

    /// The mean over the ranks of each gradient, and the sums over the ranks of `counts`, from one
    /// all-reduce of a flat buffer of Floats: each rank's gradients are those of the mean loss over
    /// its share of the batch, so their mean is the gradient of the global batch's mean loss. In
    /// one process, the gradients and counts as they are.
    private func averagedOverRanks(
        _ gradients: [Tensor], summing counts: [Float] = []
    ) -> (gradients: [Tensor], counts: [Float]) {
        guard let shard = BatchShard.current else { return (gradients, counts) }
        let total = gradients.reduce(counts.count) { $0 + $1.count }
        let flat = Tensor(uninitialized: [total])
        let buffer = flat.data
        var offset = 0
        for g in gradients {
            (buffer + offset).update(from: g.data, count: g.count)
            offset += g.count
        }
        for (i, count) in counts.enumerated() { buffer[offset + i] = count }
        shard.allReduceSum(UnsafeMutableBufferPointer(start: buffer, count: total))
        let scale = 1 / Float(shard.size)
        offset = 0
        var means: [Tensor] = []
        for g in gradients {
            let mean = Tensor(uninitialized: g.shape)
            let source = buffer + offset, target = mean.data
            for i in 0..<g.count { target[i] = source[i] * scale }
            means.append(mean)
            offset += g.count
        }
        let sums = (0..<counts.count).map { buffer[offset + $0] }
        return withExtendedLifetime(flat) { (means, sums) }
    }

    /// z ~ N(0, 1) for `batch` examples: in data-parallel training, this rank's rows of the
    /// global batch's draw.
    private func noise(_ batch: Int) -> Tensor {
        BatchShard.rows(batch) { model.noise($0, using: rng) }
    }

    /// Class labels drawn for `batch` fakes (this rank's of the global batch's draw).
    private func randomLabels(_ batch: Int) -> [Int] {
        BatchShard.elements(batch) { model.randomLabels($0, using: rng) }
    }

    /// What D is shown of a batch: the batch itself, or its DiffAugment (with ADA, each policy
    /// applied to each image with the current probability).
    private func seen(_ images: Tensor) -> Tensor {
        guard let augment = recipe.augment else { return images }
        guard let adaptiveAugment else { return augment(images, range: model.dataRange, using: rng) }
        return augment(images, range: model.dataRange, probability: adaptiveAugment.probability, using: rng)
    }

    /// Runs `body` with G's averaged weights in place, when the recipe keeps an average.
    public func withGeneratorForSampling<T>(_ body: () throws -> T) rethrows -> T {
        guard let generatorAverage else { return try body() }
        return try generatorAverage.withAverages(body)
    }

    /// Column 0 of an auxiliary-classifier D's output; the whole output otherwise.
    private func adversarialOutput(_ output: Tensor) -> Tensor {
        model.conditioning.auxiliaryClassifier ? output.slice(alongAxis: 1, 0..<1) : output
    }

    private func classLogits(_ output: Tensor) -> Tensor {
        output.slice(alongAxis: 1, 1..<(1 + model.classCount))
    }

    private func discriminatorTargets(_ batch: Int) -> (Tensor, Tensor) {
        // In data-parallel training the targets of the global batch, this rank's rows kept.
        func make() -> (Tensor, Tensor) {
            guard let shard = BatchShard.current else { return targets.make(batch, using: rng) }
            let all = targets.make(shard.globalCount(batch), using: rng)
            return (shard.localRows(of: all.real), shard.localRows(of: all.fake))
        }
        guard targets.isFixed else { return make() }
        if let t = fixedTargets[batch] { return t }
        let t = make()
        fixedTargets[batch] = t
        return t
    }

    private func hard(_ batch: Int) -> (ones: Tensor, zeros: Tensor) {
        if let t = hardTargets[batch] { return t }
        let t = (Tensor.ones([batch, 1]), Tensor.zeros([batch, 1]))
        hardTargets[batch] = t
        return t
    }
}
