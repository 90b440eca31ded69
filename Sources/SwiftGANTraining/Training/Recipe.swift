import SwiftGANNN
import SwiftGANTensors

/// How a model is trained, apart from its architecture: the objective, each network's optimizer,
/// how many D and G updates make a step, D's targets, and D's regularizers. A model brings its
/// source's settings (``init(model:objective:)``); a run's options change them
/// (``TrainConfig/recipe(for:objective:)``).
public struct TrainingRecipe {
    public var objective: any GANObjective
    public var discriminatorOptimizer: OptimizerSpec
    public var generatorOptimizer: OptimizerSpec
    /// D updates per step, each on a fresh real batch and fresh noise (WGAN's n_critic).
    public var criticSteps: Int
    /// G updates per step: the first on the fakes D just saw, the others on fresh noise
    /// (DCGAN-tensorflow's remedy when D wins too easily: "run g_optim twice").
    public var generatorSteps: Int
    /// D's real and fake targets, for objectives that have targets.
    public var targets: DiscriminatorTargets
    /// Penalties added to D's loss (WGAN-GP's gradient penalty, R1).
    public var regularizers: [any DiscriminatorRegularizer]
    /// D's parameters are clamped to ±c after each update (WGAN).
    public var weightClip: Float?
    /// Samples, evaluation and the saved generator use an exponential moving average of G's
    /// weights with this decay (``ParameterAverage``); nil: the live weights.
    public var averageDecay: Float?
    /// Augmentations applied to every image D sees (``DiffAugment``); nil: none.
    public var augment: DiffAugment?
    /// ADA: `augment`'s policies each applied with an adaptive probability instead of always
    /// (``AdaptiveAugment``); nil: always.
    public var adaptiveAugment: AdaptiveAugment.Settings?
    /// LeCam regularization's weight λ (``LeCamRegularizer``); nil: none.
    public var lecamWeight: Float?

    /// The model's source settings with `objective` and the settings its paper prescribes.
    public init(model: GANModel, objective: any GANObjective = NonSaturatingGAN()) {
        let optimizer =
            objective.defaults.optimizer
            ?? .adam(learningRate: model.source.learningRate, beta1: model.source.beta1, beta2: 0.999)
        self.objective = objective
        (discriminatorOptimizer, generatorOptimizer) = (optimizer, optimizer)
        criticSteps = objective.defaults.criticSteps ?? 1
        generatorSteps = 1
        targets = objective.usesTargets ? model.source.targets : DiscriminatorTargets()
        regularizers = objective.defaults.gradientPenalty.map { [GradientPenalty(weight: $0)] } ?? []
        weightClip = objective.weightClip
    }

    /// One line for the run's log.
    public var summary: String {
        var parts = ["loss \(objective.name)", "D \(discriminatorOptimizer)", "G \(generatorOptimizer)"]
        if criticSteps > 1 { parts.append("\(criticSteps) D updates per step") }
        if generatorSteps > 1 { parts.append("\(generatorSteps) G updates per step") }
        if let weightClip { parts.append("D weights clipped to ±\(weightClip)") }
        if let augment {
            let policies = augment.policies.map(\.rawValue).joined(separator: ",")
            if let ada = adaptiveAugment {
                parts.append("ADA \(policies) (target \(ada.target), \(ada.kimg) kimg)")
            } else {
                parts.append("DiffAugment " + policies)
            }
        }
        if let averageDecay { parts.append("G weights averaged (EMA \(averageDecay))") }
        for r in regularizers {
            if let gp = r as? GradientPenalty { parts.append("gradient penalty λ \(gp.weight)") }
            if let r1 = r as? R1Penalty { parts.append("R1 γ \(r1.gamma)") }
        }
        if let lecamWeight { parts.append("LeCam λ \(lecamWeight)") }
        return parts.joined(separator: ", ")
    }
}

extension TrainConfig {
    /// The objective this configuration names (bce when none).
    public func objective() throws -> any GANObjective { try Objectives.named(loss ?? "bce") }

    /// The model's recipe under this configuration's objective (or `custom`, an objective of
    /// one's own), with its options applied.
    public func recipe(for model: GANModel, objective custom: (any GANObjective)? = nil) throws -> TrainingRecipe {
        let objective = try custom ?? objective()
        var recipe = TrainingRecipe(model: model, objective: objective)
        if let targets {
            guard objective.usesTargets else {
                throw GANError(
                    "--loss \(objective.name) has no targets to smooth or flip (label smoothing and flips apply to "
                        + Objectives.all.filter(\.usesTargets).map(\.name).joined(separator: " and ") + ")")
            }
            recipe.targets = targets.applied(to: model.source.targets)
        }
        let base = recipe.discriminatorOptimizer
        let lr = learningRate ?? base.learningRate
        let spec: OptimizerSpec
        switch optimizer ?? base.kind {
        case "adam":
            var (b1, b2) = (model.source.beta1, Float(0.999))
            if case .adam(_, let beta1, let beta2) = base { (b1, b2) = (beta1, beta2) }
            spec = .adam(learningRate: lr, beta1: beta1 ?? b1, beta2: beta2 ?? b2)
        case "rmsprop":
            if case .rmsprop(_, let rho, let eps) = base {
                spec = .rmsprop(learningRate: lr, rho: rho, epsilon: eps)
            } else {
                spec = .rmsprop(learningRate: lr, rho: 0.9, epsilon: 1e-7)
            }
        default:
            spec = .sgd(learningRate: lr, momentum: 0)
        }
        if beta1 != nil || beta2 != nil, spec.kind != "adam" {
            throw GANError("--beta1 and --beta2 are Adam's; the optimizer is \(spec.kind)")
        }
        recipe.discriminatorOptimizer = spec.with(learningRate: discriminatorLearningRate ?? lr)
        recipe.generatorOptimizer = spec.with(learningRate: generatorLearningRate ?? lr)
        if let criticSteps { recipe.criticSteps = criticSteps }
        if let generatorSteps { recipe.generatorSteps = generatorSteps }
        if let weightClip { recipe.weightClip = weightClip }
        if let gradientPenalty {
            recipe.regularizers.removeAll { $0 is GradientPenalty }
            if gradientPenalty > 0 { recipe.regularizers.append(GradientPenalty(weight: gradientPenalty)) }
        }
        if let r1 { recipe.regularizers.append(R1Penalty(gamma: r1)) }
        recipe.averageDecay = ema
        if diffAugment != nil || ada != nil {
            guard case .images = model.sample else {
                let flag = diffAugment != nil ? "--diffaugment" : "--ada"
                throw GANError("\(flag) augments images; \(model.name) makes \(model.sample)")
            }
            recipe.augment = try DiffAugment(diffAugment ?? AdaptiveAugment.defaultPolicies)
        }
        if let ada {
            recipe.adaptiveAugment = AdaptiveAugment.Settings(
                target: ada, kimg: adaKimg ?? AdaptiveAugment.Settings.paperKimg)
        }
        recipe.lecamWeight = lecam
        return recipe
    }
}

extension OptimizerSpec {
    /// The `--optimizer` name.
    var kind: String {
        switch self {
        case .adam: return "adam"
        case .rmsprop: return "rmsprop"
        case .sgd: return "sgd"
        }
    }
}
