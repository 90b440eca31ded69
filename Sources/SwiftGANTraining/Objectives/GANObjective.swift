import SwiftGANNN
import SwiftGANTensors

/// The adversarial part of a GAN's losses: what D is trained to output on real and generated
/// examples, and what G is trained to make D output. Each update hands the objective an
/// ``ObjectivePass`` (D's raw outputs on the real and the fake batch, the targets, the labels and
/// D itself) and takes back an ``ObjectiveLoss``: the loss, plus named metrics for the history and
/// TensorBoard. Each objective applies its own link (a sigmoid inside BCE, none for the others).
/// Conditioning and ACGAN's class loss are added by the training step, on top of any objective;
/// gradient penalties are ``DiscriminatorRegularizer``s.
///
/// Adding an objective is one file: a type conforming to this protocol, and a line in
/// ``Objectives/all`` (``RelativisticAverageGAN`` is one, 35 lines).
public protocol GANObjective {
    /// The `--loss` name.
    var name: String { get }
    /// D's loss, from its outputs on a real and a fake batch ([n, 1] each) and the targets.
    func discriminatorLoss(_ pass: ObjectivePass) -> ObjectiveLoss
    /// G's loss, from D's outputs on G's samples (and, where the objective asks for them, on the
    /// real batch: ``ObjectivePass/real`` is computed on first use in G's update).
    func generatorLoss(_ pass: ObjectivePass) -> ObjectiveLoss
    /// The output above which D calls an example real, for the accuracies; nil for a critic,
    /// whose outputs have no fixed scale.
    var decisionThreshold: Float? { get }
    /// Whether label smoothing and flipped labels mean anything to this objective.
    var usesTargets: Bool { get }
    /// D's weights clamped to ±c after every update (the original WGAN's Lipschitz constraint).
    var weightClip: Float? { get }
    /// Settings the objective's paper trains with, where they differ from the model's.
    var defaults: ObjectiveDefaults { get }
    /// The values D's decision is read from in its update, compared with ``decisionThreshold``
    /// for the accuracies: its outputs (the default), or for a relativistic objective its outputs
    /// relative to the other batch's.
    func discriminatorDecision(_ pass: ObjectivePass) -> (real: Tensor, fake: Tensor)
    /// The same for the fakes in G's update (the balance signal); the default reads D's outputs
    /// and so never computes ``ObjectivePass/real``.
    func generatorDecision(_ pass: ObjectivePass) -> Tensor
}

extension GANObjective {
    public var weightClip: Float? { nil }
    public var defaults: ObjectiveDefaults { ObjectiveDefaults() }
    public func discriminatorDecision(_ pass: ObjectivePass) -> (real: Tensor, fake: Tensor) { (pass.real, pass.fake) }
    public func generatorDecision(_ pass: ObjectivePass) -> Tensor { pass.fake }
}

/// What an objective sees of one D or G update (TF-GAN's `GANModel` tuple, cut to a GAN step).
///
/// ```swift
/// let pass = ObjectivePass(real: d(x), fake: d(g(z)))
/// let dLoss = HingeGAN().discriminatorLoss(pass).loss
/// ```
public final class ObjectivePass {
    /// D's adversarial outputs [n, 1] on the fake batch (recorded: G's loss flows through them).
    public let fake: Tensor
    /// D's real and fake targets (1 and 0 unless smoothed or flipped), [n, 1] each.
    public let targets: (real: Tensor, fake: Tensor)
    /// The class labels of the real batch and the ones the fakes were drawn for (conditional models).
    public let labels: (real: [Int]?, fake: [Int]?)
    /// D's adversarial output on any batch of examples, judged with the given labels: for terms
    /// that run D again (consistency, penalties of one's own).
    public let critic: (_ examples: Tensor, _ labels: [Int]?) -> Tensor
    private var realOutput: Tensor?
    private let makeRealOutput: () -> Tensor

    /// D's adversarial outputs [n, 1] on the real batch. In D's update they are the ones D is
    /// trained on. In G's update they are computed on first use, without recording (no gradient
    /// reaches G through them), so objectives that ignore them cost nothing; computing them runs D
    /// once more in training mode (BatchNorm statistics and dropout as in D's own passes).
    public var real: Tensor {
        if let realOutput { return realOutput }
        let output = makeRealOutput()
        realOutput = output
        return output
    }

    /// A pass over outputs computed already. `critic` defaults to one that refuses to run.
    public init(
        real: Tensor, fake: Tensor, targets: (real: Tensor, fake: Tensor)? = nil,
        labels: (real: [Int]?, fake: [Int]?) = (nil, nil),
        critic: ((Tensor, [Int]?) -> Tensor)? = nil
    ) {
        self.realOutput = real
        self.makeRealOutput = { real }
        self.fake = fake
        self.targets = targets ?? (Tensor.ones(real.shape), Tensor.zeros(fake.shape))
        self.labels = labels
        self.critic = critic ?? { _, _ in fatalError("SwiftGAN: this ObjectivePass was made without a critic") }
    }

    /// A pass whose real outputs are computed when first asked for (G's update).
    public init(
        realOutput: @escaping () -> Tensor, fake: Tensor, targets: (real: Tensor, fake: Tensor),
        labels: (real: [Int]?, fake: [Int]?), critic: @escaping (Tensor, [Int]?) -> Tensor
    ) {
        self.makeRealOutput = realOutput
        (self.fake, self.targets, self.labels, self.critic) = (fake, targets, labels, critic)
    }
}

/// An objective's answer: the loss to differentiate, and what it measured on the way
/// (`history.csv` columns and TensorBoard scalars under `metrics/`, e.g. `wasserstein`).
public struct ObjectiveLoss {
    public var loss: Tensor
    public var metrics: [(name: String, value: Float)]
    public init(_ loss: Tensor, metrics: [(name: String, value: Float)] = []) {
        (self.loss, self.metrics) = (loss, metrics)
    }
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
    public static let all: [any GANObjective] = [
        NonSaturatingGAN(), LeastSquaresGAN(), HingeGAN(), WassersteinGAN(), WassersteinGANGP(),
        RelativisticAverageGAN(),
    ]
    public static var names: [String] { all.map(\.name) }

    public static func named(_ name: String) throws -> any GANObjective {
        guard let objective = all.first(where: { $0.name == name }) else {
            throw GANError("unknown loss '\(name)' (known: \(names.joined(separator: ", ")))")
        }
        return objective
    }
}
