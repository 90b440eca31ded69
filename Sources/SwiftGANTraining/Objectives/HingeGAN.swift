import SwiftGANNN
import SwiftGANTensors

/// The hinge loss (Lim & Ye 2017; SNGAN, BigGAN), `--loss hinge`:
///
///     D: E[max(0, 1 − D(x))] + E[max(0, 1 + D(G(z)))]      G: −E[D(G(z))]
///
/// D stops pushing an example once it is on the right side of the margin. No targets.
public struct HingeGAN: GANObjective {
    public let name = "hinge", decisionThreshold: Float? = 0, usesTargets = false
    public init() {}

    public func discriminatorLoss(_ pass: ObjectivePass) -> ObjectiveLoss {
        ObjectiveLoss((1 - pass.real).relu().mean() + (1 + pass.fake).relu().mean())
    }

    public func generatorLoss(_ pass: ObjectivePass) -> ObjectiveLoss {
        ObjectiveLoss(-pass.fake.mean())
    }
}
