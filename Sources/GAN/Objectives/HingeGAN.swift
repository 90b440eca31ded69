import NN
import Tensors

/// The hinge loss (Lim & Ye 2017; SNGAN, BigGAN), `--loss hinge`:
///
///     D: E[max(0, 1 − D(x))] + E[max(0, 1 + D(G(z)))]      G: −E[D(G(z))]
///
/// D stops pushing an example once it is on the right side of the margin. No targets.
public struct HingeGAN: GANObjective {
    public let name = "hinge", decisionThreshold: Float? = 0, usesTargets = false
    public init() {}

    public func discriminatorLoss(real: Tensor, fake: Tensor, targets: (real: Tensor, fake: Tensor)) -> Tensor {
        (1 - real).relu().mean() + (1 + fake).relu().mean()
    }

    public func generatorLoss(fake: Tensor) -> Tensor {
        -fake.mean()
    }
}
