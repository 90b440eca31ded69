import NN
import Tensors

/// The adversarial part of a GAN's losses: what D is trained to output on real and generated
/// examples, and what G is trained to make D output. D's raw output (one number per example,
/// no sigmoid) goes in; each objective applies its own link (a sigmoid inside BCE, none for the
/// others). Conditioning and ACGAN's class loss are added by the training step, on top of any
/// objective; gradient penalties are ``DiscriminatorRegularizer``s.
///
/// Adding an objective is one file: a type conforming to this protocol, and a line in
/// ``Objectives/all``.
public protocol GANObjective {
    /// The `--loss` name.
    var name: String { get }
    /// D's loss from its outputs on a real and a fake batch ([n, 1] each). `targets` are the
    /// real and fake targets (smoothed or flipped) for objectives that have targets.
    func discriminatorLoss(real: Tensor, fake: Tensor, targets: (real: Tensor, fake: Tensor)) -> Tensor
    /// G's loss from D's outputs on G's samples.
    func generatorLoss(fake: Tensor) -> Tensor
    /// The output above which D calls an example real, for the accuracies; nil for a critic,
    /// whose outputs have no fixed scale.
    var decisionThreshold: Float? { get }
    /// Whether label smoothing and flipped labels mean anything to this objective.
    var usesTargets: Bool { get }
    /// D's weights clamped to ±c after every update (the original WGAN's Lipschitz constraint).
    var weightClip: Float? { get }
    /// Settings the objective's paper trains with, where they differ from the model's.
    var defaults: ObjectiveDefaults { get }
}

extension GANObjective {
    public var weightClip: Float? { nil }
    public var defaults: ObjectiveDefaults { ObjectiveDefaults() }
}

/// What an objective's paper prescribes beside the losses (nil: the model's own setting).
public struct ObjectiveDefaults {
    public var optimizer: OptimizerSpec? = nil
    public var criticSteps: Int? = nil
    public var gradientPenalty: Float? = nil
    /// Whether D may normalize by batch statistics (a gradient penalty is per example, so
    /// WGAN-GP's critic must not mix examples).
    public var allowsBatchNorm = true
}

/// The objectives `--loss` chooses from.
public enum Objectives {
    public static let all: [any GANObjective] = [NonSaturatingGAN(), LeastSquaresGAN(), HingeGAN(), WassersteinGAN(), WassersteinGANGP()]
    public static var names: [String] { all.map(\.name) }

    public static func named(_ name: String) throws -> any GANObjective {
        guard let objective = all.first(where: { $0.name == name }) else {
            throw GANError("unknown loss '\(name)' (known: \(names.joined(separator: ", ")))")
        }
        return objective
    }
}
