import SwiftGANNN
import SwiftGANTensors

/// Wasserstein GAN (Arjovsky et al. 2017), `--loss wgan`: a critic without sigmoid estimates the
/// Earth-Mover distance E[D(x)] − E[D(G(z))], kept Lipschitz by clamping its weights to ±0.01
/// after every update; G raises the critic's score of its samples.
///
///     D: E[D(G(z))] − E[D(x)]      G: −E[D(G(z))]
///
/// The paper's settings: RMSprop(lr 5e-5) for both networks (ρ 0.99, ε 1e-8, PyTorch's defaults
/// as in the paper's code), 5 critic updates per generator update. (The paper's code also gives
/// the critic 100 updates in the first 25 and every 500th generator step; SwiftGAN does not.)
public struct WassersteinGAN: GANObjective {
    public let name = "wgan", decisionThreshold: Float? = nil, usesTargets = false
    public init() {}
    public var weightClip: Float? { 0.01 }
    public var defaults: ObjectiveDefaults {
        ObjectiveDefaults(optimizer: .rmsprop(learningRate: 5e-5, rho: 0.99, epsilon: 1e-8), criticSteps: 5)
    }

    /// Also reports the critic's estimate of the Wasserstein distance, E[D(x)] − E[D(G(z))].
    public func discriminatorLoss(_ pass: ObjectivePass) -> ObjectiveLoss {
        let estimate = withoutGrad { pass.real.mean().scalar - pass.fake.mean().scalar }
        return ObjectiveLoss(pass.fake.mean() - pass.real.mean(), metrics: [("wasserstein", estimate)])
    }

    public func generatorLoss(_ pass: ObjectivePass) -> ObjectiveLoss {
        ObjectiveLoss(-pass.fake.mean())
    }
}

/// WGAN with gradient penalty (Gulrajani et al. 2017), `--loss wgan-gp`: the Wasserstein losses,
/// with the weight clipping replaced by the penalty λ·E[(‖∇D(x̂)‖₂ − 1)²] on random interpolates
/// of real and fake examples (``GradientPenalty``). The paper's settings (Algorithm 1): λ = 10,
/// Adam(1e-4, β₁ 0, β₂ 0.9) — SwiftGAN uses β₁ 0.5, the value the paper's DCGAN-style and
/// most reference implementations use — 5 critic updates per generator update, and no batch
/// normalization in the critic (the penalty is per example).
public struct WassersteinGANGP: GANObjective {
    public let name = "wgan-gp", decisionThreshold: Float? = nil, usesTargets = false
    public init() {}
    public var defaults: ObjectiveDefaults {
        ObjectiveDefaults(
            optimizer: .adam(learningRate: 1e-4, beta1: 0.5, beta2: 0.9), criticSteps: 5, gradientPenalty: 10,
            allowsBatchNorm: false)
    }

    public func discriminatorLoss(_ pass: ObjectivePass) -> ObjectiveLoss { WassersteinGAN().discriminatorLoss(pass) }
    public func generatorLoss(_ pass: ObjectivePass) -> ObjectiveLoss { WassersteinGAN().generatorLoss(pass) }
}
