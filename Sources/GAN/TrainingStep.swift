import NN
import Tensors

/// What one training step measured.
public struct StepMetrics {
    /// Discriminator loss: the mean of its real-batch and fake-batch binary cross-entropies.
    public var discriminatorLoss: Float
    /// The share of real and fake examples the discriminator classified correctly.
    public var discriminatorAccuracy: Float
    /// Generator loss: binary cross-entropy of D(G(z)) against "real".
    public var generatorLoss: Float
    /// The share of fakes the discriminator called real in the generator's step: the balance
    /// signal the tutorials watch (0.5 is ideal; near 0, D dominates; near 1, G does).
    public var generatorAccuracy: Float

    public var isFinite: Bool {
        discriminatorLoss.isFinite && generatorLoss.isFinite
    }
}

/// The standard GAN update (Goodfellow et al. 2014, non-saturating generator loss), one step:
/// the discriminator learns from a real batch (target 1) and a generated batch (target 0), then
/// the generator learns through the updated discriminator with target 1.
///
/// Conditional models (Mirza & Osindero 2014) give both networks the labels: the real batch's own,
/// and labels drawn uniformly for the fakes. An auxiliary-classifier model (ACGAN, Odena et al.
/// 2017) adds a class loss: D's categorical cross-entropy on the real images' labels, and G's on
/// the labels it was asked for. Fake images get an all-zero class target in D's loss, as the ACGAN
/// tutorial does, so they add nothing to it: over the real+fake batch of 2n the class term is
/// the real images' mean cross-entropy times ½.
///
/// The discriminator stays fixed during the generator's step because only the generator's
/// parameters are differentiated and updated — no trainable flag to toggle.
public final class GANTrainingStep {
    public let model: GANModel
    public let discriminatorOptimizer: Adam
    public let generatorOptimizer: Adam
    public let targets: DiscriminatorTargets
    /// Generator updates per step: the first on the fakes D just saw, the others on fresh noise
    /// (DCGAN-tensorflow's remedy when D wins too easily: "run g_optim twice").
    public let generatorSteps: Int
    private let rng: RandomGenerator
    /// Real and fake batches go through D separately when D normalizes by batch statistics (each
    /// batch must be normalized by its own statistics, as in the DCGAN reference code).
    private let separateDiscriminatorPasses: Bool
    /// Per batch size: the fixed D targets (when `targets.isFixed`) and the hard 1/0 targets that
    /// G's loss and the accuracies use, made once.
    private var fixedTargets: [Int: (real: Tensor, fake: Tensor)] = [:]
    private var hardTargets: [Int: (ones: Tensor, zeros: Tensor)] = [:]

    public init(model: GANModel, learningRate: Float? = nil, beta1: Float? = nil, targets: DiscriminatorTargets? = nil,
                generatorSteps: Int = 1, rng: RandomGenerator) {
        require(generatorSteps >= 1, "generator steps must be at least 1, got \(generatorSteps)")
        self.model = model
        self.generatorSteps = generatorSteps
        self.rng = rng
        self.targets = targets ?? model.targets
        separateDiscriminatorPasses = model.discriminator.contains(where: { $0 is BatchNorm })
        let lr = learningRate ?? model.learningRate, b1 = beta1 ?? model.beta1
        discriminatorOptimizer = Adam(parameters: model.discriminator.parameters, learningRate: lr, beta1: b1)
        generatorOptimizer = Adam(parameters: model.generator.parameters, learningRate: lr, beta1: b1)
    }

    /// One D and one G update on a batch of real images (and their labels, for a conditional model).
    public func callAsFunction(real: Tensor, labels: [Int]? = nil) -> StepMetrics {
        let batch = real.shape[0]
        let conditional = model.classCount > 0
        require(!conditional || labels?.count == batch, "\(model.name) is conditional: each real image needs its label")
        let realLabels = conditional ? labels : nil
        let fakeLabels = conditional ? model.randomLabels(batch, using: rng) : nil
        let (realTargets, fakeTargets) = discriminatorTargets(batch)
        let generator = model.generator, discriminator = model.discriminator
        let fake = generator(model.generatorInput(noise: model.noise(batch, using: rng), labels: fakeLabels))

        // ---- Train Discriminator ----
        let realOutput: Tensor, fakeOutput: Tensor
        if separateDiscriminatorPasses {
            realOutput = discriminator(model.discriminatorInput(real, labels: realLabels))
            fakeOutput = discriminator(model.discriminatorInput(fake.detached(), labels: fakeLabels))
        } else {
            // One pass over real and fake together: the same loss and gradients (D has no batch
            // statistics), from GEMMs twice as tall, which BLAS runs faster.
            let both = discriminator(model.discriminatorInput(Tensor.concatenate([real, fake.detached()], alongAxis: 0),
                                                              labels: realLabels.map { $0 + fakeLabels! }))
            realOutput = both.slice(alongAxis: 0, 0..<batch)
            fakeOutput = both.slice(alongAxis: 0, batch..<(2 * batch))
        }
        let realLogits = adversarialLogit(realOutput), fakeLogits = adversarialLogit(fakeOutput)
        var dLoss = (binaryCrossEntropy(logits: realLogits, targets: realTargets)
                     + binaryCrossEntropy(logits: fakeLogits, targets: fakeTargets)) * 0.5
        if model.conditioning.auxiliaryClassifier {
            let classes = oneHot(realLabels!, classes: model.classCount)
            dLoss = dLoss + categoricalCrossEntropy(logits: classLogits(realOutput), targets: classes) * 0.5
        }
        discriminatorOptimizer.step(gradients(of: dLoss, withRespectTo: discriminatorOptimizer.parameters))

        // ---- Train Generator ----
        var (gLoss, judgedLogits) = generatorUpdate(fake: fake, labels: fakeLabels)
        for _ in 1..<generatorSteps {
            let labels = conditional ? model.randomLabels(batch, using: rng) : nil
            (gLoss, judgedLogits) = generatorUpdate(fake: generator(model.generatorInput(noise: model.noise(batch, using: rng), labels: labels)),
                                                    labels: labels)
        }

        // Accuracies against the hard targets, whatever the smoothing.
        let (hardOnes, hardZeros) = hard(batch)
        let dAccuracy = (binaryAccuracy(logits: realLogits, targets: hardOnes) + binaryAccuracy(logits: fakeLogits, targets: hardZeros)) / 2
        return StepMetrics(discriminatorLoss: dLoss.scalar, discriminatorAccuracy: dAccuracy,
                           generatorLoss: gLoss.scalar, generatorAccuracy: binaryAccuracy(logits: judgedLogits, targets: hardOnes))
    }

    /// One Adam update of G through D on `fake` (made from `labels`); returns G's loss and D's logits.
    private func generatorUpdate(fake: Tensor, labels: [Int]?) -> (Tensor, Tensor) {
        let judged = model.discriminator(model.discriminatorInput(fake, labels: labels))
        let judgedLogits = adversarialLogit(judged)
        var gLoss = binaryCrossEntropy(logits: judgedLogits, targets: hard(fake.shape[0]).ones)
        if model.conditioning.auxiliaryClassifier {
            gLoss = gLoss + categoricalCrossEntropy(logits: classLogits(judged), targets: oneHot(labels!, classes: model.classCount))
        }
        generatorOptimizer.step(gradients(of: gLoss, withRespectTo: generatorOptimizer.parameters))
        return (gLoss, judgedLogits)
    }

    /// Column 0 of an auxiliary-classifier D's output; the whole output otherwise.
    private func adversarialLogit(_ output: Tensor) -> Tensor {
        model.conditioning.auxiliaryClassifier ? output.slice(alongAxis: 1, 0..<1) : output
    }

    private func classLogits(_ output: Tensor) -> Tensor {
        output.slice(alongAxis: 1, 1..<(1 + model.classCount))
    }

    private func discriminatorTargets(_ batch: Int) -> (Tensor, Tensor) {
        guard targets.isFixed else { return targets.make(batch, using: rng) }
        if let t = fixedTargets[batch] { return t }
        let t = targets.make(batch, using: rng)
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
