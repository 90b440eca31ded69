import SwiftGANNN
import SwiftGANTensors

/// Least-squares GAN (Mao et al. 2017, eq. 2), `--loss lsgan`: D's raw output is regressed onto
/// b for real and a for fake examples, G's onto c:
///
///     D: ½·E[(D(x) − b)²] + ½·E[(D(G(z)) − a)²]      G: ½·E[(D(G(z)) − c)²]
///
/// with the paper's a = 0, b = c = 1. Label smoothing moves b (and a, two-sided) as it moves
/// BCE's targets. D calls an example real above ½, halfway between the targets.
public struct LeastSquaresGAN: GANObjective {
    public let name = "lsgan", decisionThreshold: Float? = 0.5, usesTargets = true
    public init() {}

    public func discriminatorLoss(_ pass: ObjectivePass) -> ObjectiveLoss {
        ObjectiveLoss(
            (meanSquaredError(pass.real, pass.targets.real) + meanSquaredError(pass.fake, pass.targets.fake)) * 0.5)
    }

    public func generatorLoss(_ pass: ObjectivePass) -> ObjectiveLoss {
        ObjectiveLoss(((pass.fake - 1) * (pass.fake - 1)).mean() * 0.5)
    }
}
