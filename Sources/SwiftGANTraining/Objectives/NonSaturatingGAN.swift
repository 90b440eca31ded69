import SwiftGANNN
import SwiftGANTensors

/// The original GAN (Goodfellow et al. 2014) with the non-saturating generator loss, `--loss bce`:
/// D minimises the binary cross-entropy of σ(D(x)) against the real target (1, or smoothed) and
/// of σ(D(G(z))) against the fake target, averaged; G minimises −log σ(D(G(z))), the BCE of its
/// samples against "real" (the generator's target is never smoothed).
public struct NonSaturatingGAN: GANObjective {
    public let name = "bce", decisionThreshold: Float? = 0, usesTargets = true
    public init() {}

    public func discriminatorLoss(_ pass: ObjectivePass) -> ObjectiveLoss {
        ObjectiveLoss(
            (binaryCrossEntropy(logits: pass.real, targets: pass.targets.real)
                + binaryCrossEntropy(logits: pass.fake, targets: pass.targets.fake)) * 0.5)
    }

    public func generatorLoss(_ pass: ObjectivePass) -> ObjectiveLoss {
        ObjectiveLoss(binaryCrossEntropy(logits: pass.fake, targets: Tensor.ones(pass.fake.shape)))
    }
}
