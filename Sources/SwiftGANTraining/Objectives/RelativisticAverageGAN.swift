import SwiftGANNN
import SwiftGANTensors

/// The relativistic average GAN (Jolicoeur-Martineau 2018, RaSGAN), `--loss ragan`: D judges
/// whether a real example looks more real than the average fake, and the reverse, and G is trained
/// on both directions, so it also pushes the real examples' scores down:
///
///     D: ½·[BCE(σ(D(x) − E D(G(z))), 1) + BCE(σ(D(G(z)) − E D(x)), 0)]
///     G: ½·[BCE(σ(D(G(z)) − E D(x)), 1) + BCE(σ(D(x) − E D(G(z))), 0)]
///
/// In G's update D(x) is computed without recording: only its value enters G's loss. Targets
/// (label smoothing) apply to D's two terms as with `bce`.
public struct RelativisticAverageGAN: GANObjective {
    public let name = "ragan", decisionThreshold: Float? = 0, usesTargets = true
    public init() {}

    /// D(x) − E[D(G(z))] and D(G(z)) − E[D(x)], the expectations over the whole batch (in
    /// data-parallel training, over every rank's share: `globalMean()`).
    private func relative(_ pass: ObjectivePass) -> (real: Tensor, fake: Tensor) {
        let real = pass.real, fake = pass.fake
        return (real - fake.globalMean(), fake - real.globalMean())
    }

    /// D calls a real example real when it scores above the average fake: the accuracies read
    /// the relative outputs (D's raw outputs may drift by any constant without changing the loss).
    public func discriminatorDecision(_ pass: ObjectivePass) -> (real: Tensor, fake: Tensor) { relative(pass) }
    public func generatorDecision(_ pass: ObjectivePass) -> Tensor { relative(pass).fake }

    public func discriminatorLoss(_ pass: ObjectivePass) -> ObjectiveLoss {
        let (real, fake) = relative(pass)
        return ObjectiveLoss(
            (binaryCrossEntropy(logits: real, targets: pass.targets.real)
                + binaryCrossEntropy(logits: fake, targets: pass.targets.fake)) * 0.5)
    }

    public func generatorLoss(_ pass: ObjectivePass) -> ObjectiveLoss {
        let (real, fake) = relative(pass)
        return ObjectiveLoss(
            (binaryCrossEntropy(logits: fake, targets: Tensor.ones(fake.shape))
                + binaryCrossEntropy(logits: real, targets: Tensor.zeros(real.shape))) * 0.5)
    }
}
