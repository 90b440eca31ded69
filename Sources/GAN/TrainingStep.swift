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
/// The discriminator stays fixed during the generator's step because only the generator's
/// parameters are differentiated and updated — no trainable flag to toggle.
public final class GANTrainingStep {
    public let model: GANModel
    public let discriminatorOptimizer: Adam
    public let generatorOptimizer: Adam
    private let rng: RandomGenerator
    /// Real and fake batches go through D separately when D normalizes by batch statistics (each
    /// batch must be normalized by its own statistics, as in the DCGAN reference code).
    private let separateDiscriminatorPasses: Bool
    private var targets: [Int: (real: Tensor, fake: Tensor)] = [:]

    public init(model: GANModel, learningRate: Float? = nil, beta1: Float? = nil, rng: RandomGenerator) {
        self.model = model
        self.rng = rng
        separateDiscriminatorPasses = model.discriminator.contains(where: { $0 is BatchNorm })
        let lr = learningRate ?? model.learningRate, b1 = beta1 ?? model.beta1
        discriminatorOptimizer = Adam(parameters: model.discriminator.parameters, learningRate: lr, beta1: b1)
        generatorOptimizer = Adam(parameters: model.generator.parameters, learningRate: lr, beta1: b1)
    }

    public func callAsFunction(real: Tensor) -> StepMetrics {
        let batch = real.shape[0]
        let (ones, zeros) = labels(batch)
        let generator = model.generator, discriminator = model.discriminator
        let fake = generator(model.noise(batch, using: rng))

        // ---- Train Discriminator ----
        let realLogits: Tensor, fakeLogits: Tensor
        if separateDiscriminatorPasses {
            realLogits = discriminator(real)
            fakeLogits = discriminator(fake.detached())
        } else {
            // One pass over real and fake together: the same loss and gradients (D has no batch
            // statistics), from GEMMs twice as tall, which BLAS runs faster.
            let both = discriminator(Tensor.concatenate([real, fake.detached()], alongAxis: 0))
            realLogits = both.slice(alongAxis: 0, 0..<batch)
            fakeLogits = both.slice(alongAxis: 0, batch..<(2 * batch))
        }
        let dLoss = (binaryCrossEntropy(logits: realLogits, targets: ones)
                     + binaryCrossEntropy(logits: fakeLogits, targets: zeros)) * 0.5
        discriminatorOptimizer.step(gradients(of: dLoss, withRespectTo: discriminatorOptimizer.parameters))

        // ---- Train Generator ----
        let judged = discriminator(fake)
        let gLoss = binaryCrossEntropy(logits: judged, targets: ones)
        generatorOptimizer.step(gradients(of: gLoss, withRespectTo: generatorOptimizer.parameters))

        let dAccuracy = (binaryAccuracy(logits: realLogits, targets: ones) + binaryAccuracy(logits: fakeLogits, targets: zeros)) / 2
        return StepMetrics(discriminatorLoss: dLoss.scalar, discriminatorAccuracy: dAccuracy,
                           generatorLoss: gLoss.scalar, generatorAccuracy: binaryAccuracy(logits: judged, targets: ones))
    }

    private func labels(_ batch: Int) -> (Tensor, Tensor) {
        if let t = targets[batch] { return t }
        let t = (Tensor.ones([batch, 1]), Tensor.zeros([batch, 1]))
        targets[batch] = t
        return t
    }
}
