import NN
import Tensors

/// The original GAN (Goodfellow et al. 2014) with the non-saturating generator loss, `--loss bce`:
/// D minimises the binary cross-entropy of σ(D(x)) against the real target (1, or smoothed) and
/// of σ(D(G(z))) against the fake target, averaged; G minimises −log σ(D(G(z))), the BCE of its
/// samples against "real" (the generator's target is never smoothed).
public struct NonSaturatingGAN: GANObjective {
    public let name = "bce", decisionThreshold: Float? = 0, usesTargets = true
    public init() {}

    public func discriminatorLoss(real: Tensor, fake: Tensor, targets: (real: Tensor, fake: Tensor)) -> Tensor {
        (binaryCrossEntropy(logits: real, targets: targets.real) + binaryCrossEntropy(logits: fake, targets: targets.fake)) * 0.5
    }

    public func generatorLoss(fake: Tensor) -> Tensor {
        binaryCrossEntropy(logits: fake, targets: Tensor.ones(fake.shape))
    }
}
