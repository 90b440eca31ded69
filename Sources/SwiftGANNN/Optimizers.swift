import Foundation
import SwiftGANTensors

/// How one optimizer turns a gradient into a parameter change. An ``Optimizer`` holds the
/// parameters, the per-parameter state ("slots") and the step count; a rule only says how many
/// slots it needs and how to apply one step. Adam and SGD are two rules under one mechanism.
public protocol UpdateRule {
    /// Names of the per-parameter state tensors (e.g. Adam's first and second moments).
    var slotNames: [String] { get }
    /// Applies step `step` (counting from 1) to one parameter.
    func update(_ parameter: Tensor, gradient: Tensor, slots: [Tensor], step: Int)
}

/// Updates a fixed list of parameters from their gradients.
///
/// An optimizer only ever touches the parameters it was given: a GAN keeps one per network, and
/// the discriminator stays frozen during the generator's step simply because its parameters are
/// not in the generator's optimizer (and not asked for in `gradients(of:withRespectTo:)`).
///
/// ```swift
/// let optG = Adam(parameters: g.parameters, learningRate: 2e-4, beta1: 0.5)
/// optG.step(gradients(of: gLoss, withRespectTo: optG.parameters))
/// ```
public final class Optimizer<Rule: UpdateRule>: ParameterOptimizer {
    public let parameters: [Tensor]
    public var rule: Rule
    /// Steps taken so far.
    public private(set) var stepCount = 0
    /// Per parameter, one tensor per slot name, zero-initialized.
    public private(set) var slots: [[Tensor]]

    public init(parameters: [Tensor], rule: Rule) {
        require(
            !parameters.isEmpty,
            "SwiftGAN: an optimizer was given no parameters, so it would train nothing "
                + "(is the network empty, or does a custom `children` leave its layers out?)")
        require(
            Set(parameters.map(ObjectIdentifier.init)).count == parameters.count,
            "SwiftGAN: an optimizer was given the same parameter twice")
        self.parameters = parameters
        self.rule = rule
        slots = parameters.map { p in rule.slotNames.map { _ in Tensor.zeros(p.shape) } }
    }

    /// Applies one update; `gradients` align with ``parameters``.
    public func step(_ gradients: [Tensor]) {
        require(
            gradients.count == parameters.count,
            "SwiftGAN: optimizer has \(parameters.count) parameters but received \(gradients.count) gradients")
        stepCount += 1
        withoutGrad {
            for (i, p) in parameters.enumerated() {
                require(
                    gradients[i].shape == p.shape,
                    "SwiftGAN shape error: gradient \(i) has shape \(describe(gradients[i].shape)), parameter has \(describe(p.shape))"
                )
                rule.update(p, gradient: gradients[i], slots: slots[i], step: stepCount)
            }
        }
    }

    /// The whole optimizer state, named for checkpoints: `"<slot>.<parameter index>"` plus `"step"`
    /// (stored as a Float: exact up to 2²⁴ ≈ 16.7 million steps).
    public var state: [(name: String, tensor: Tensor)] {
        var result: [(name: String, tensor: Tensor)] = [("step", Tensor(scalar: Float(stepCount)))]
        for (i, s) in slots.enumerated() {
            for (j, name) in rule.slotNames.enumerated() { result.append(("\(name).\(i)", s[j])) }
        }
        return result
    }

    /// Restores a state saved from ``state``.
    public func load(state: [String: Tensor]) throws {
        guard let step = state["step"], step.count == 1 else { throw ShapeError("optimizer state has no step count") }
        // Saved as a Float: a whole number (exact below 2^24; Adam's bias correction is 1 long before).
        let count = step.scalar
        guard count.isFinite, count >= 0, count <= 2_147_483_648, count == count.rounded() else {
            throw ShapeError("optimizer state has an invalid step count (\(count))")
        }
        // Everything is checked before anything is assigned, so a refused state changes nothing.
        var restored: [(slot: Tensor, saved: Tensor)] = []
        for (i, s) in slots.enumerated() {
            for (j, name) in rule.slotNames.enumerated() {
                guard let t = state["\(name).\(i)"], t.shape == s[j].shape else {
                    throw ShapeError(
                        "optimizer state \(name).\(i) is missing or has the wrong shape (expected \(describe(s[j].shape)))"
                    )
                }
                restored.append((s[j], t))
            }
        }
        for (slot, saved) in restored { slot.assign(saved) }
        stepCount = Int(count)
    }
}

/// Adam (Kingma & Ba, 2015) in the form Keras implements:
///
///     m ← β₁m + (1 − β₁)g,   v ← β₂v + (1 − β₂)g²
///     θ ← θ − lr·√(1 − β₂ᵗ)/(1 − β₁ᵗ) · m / (√v + ε)
///
/// Defaults are Keras's: lr 0.001, β₁ 0.9, β₂ 0.999, ε 1e-7. PyTorch adds ε to the bias-corrected
/// √v̂ instead (and defaults to ε = 1e-8); the two agree up to ε's scale, √(1 − β₂ᵗ).
public struct AdamRule: UpdateRule {
    public var learningRate: Float
    public var beta1: Float
    public var beta2: Float
    public var epsilon: Float

    public init(learningRate: Float = 0.001, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-7) {
        require(
            learningRate >= 0 && (0..<1).contains(beta1) && (0..<1).contains(beta2) && epsilon > 0,
            "Adam needs lr ≥ 0, β₁ and β₂ in [0, 1), ε > 0 (ε = 0 divides 0 by 0 for parameters that never get a gradient); got lr \(learningRate), β₁ \(beta1), β₂ \(beta2), ε \(epsilon)"
        )
        (self.learningRate, self.beta1, self.beta2, self.epsilon) = (learningRate, beta1, beta2, epsilon)
    }

    public var slotNames: [String] { ["m", "v"] }

    public func update(_ parameter: Tensor, gradient: Tensor, slots: [Tensor], step: Int) {
        let t = Double(step)
        let corrected =
            Double(learningRate) * (1 - Foundation.pow(Double(beta2), t)).squareRoot()
            / (1 - Foundation.pow(Double(beta1), t))
        parameter.adamUpdate(
            gradient: gradient, firstMoment: slots[0], secondMoment: slots[1],
            correctedLearningRate: Float(corrected), beta1: beta1, beta2: beta2, epsilon: epsilon)
    }
}

/// Stochastic gradient descent with optional momentum, in Keras's form:
/// u ← μu − lr·g, θ ← θ + u (Nesterov: θ ← θ + μu − lr·g). Defaults: lr 0.01, μ 0.
/// PyTorch's form (u ← μu + g, θ ← θ − lr·u) takes the same steps for a constant learning rate.
public struct SGDRule: UpdateRule {
    public var learningRate: Float
    /// Fixed at creation: it decides whether the optimizer keeps a velocity slot.
    public let momentum: Float
    public var nesterov: Bool

    public init(learningRate: Float = 0.01, momentum: Float = 0, nesterov: Bool = false) {
        require(learningRate >= 0 && momentum >= 0, "SGD needs lr ≥ 0 and momentum ≥ 0")
        (self.learningRate, self.momentum, self.nesterov) = (learningRate, momentum, nesterov)
    }

    public var slotNames: [String] { momentum > 0 ? ["velocity"] : [] }

    public func update(_ parameter: Tensor, gradient: Tensor, slots: [Tensor], step: Int) {
        parameter.sgdUpdate(
            gradient: gradient, velocity: slots.first, learningRate: learningRate, momentum: momentum,
            nesterov: nesterov)
    }
}

/// RMSprop (Hinton's lecture 6e) in the form Keras and PyTorch share:
///
///     v ← ρv + (1 − ρ)g²,   θ ← θ − lr·g / (√v + ε)
///
/// Defaults are Keras's: lr 0.001, ρ 0.9, ε 1e-7. PyTorch's defaults differ (α = ρ = 0.99,
/// ε 1e-8); the WGAN recipe uses those, as the paper's code does. No momentum, not centered.
public struct RMSpropRule: UpdateRule {
    public var learningRate: Float
    public var rho: Float
    public var epsilon: Float

    public init(learningRate: Float = 0.001, rho: Float = 0.9, epsilon: Float = 1e-7) {
        require(
            learningRate >= 0 && (0..<1).contains(rho) && epsilon > 0,
            "RMSprop needs lr ≥ 0, ρ in [0, 1), ε > 0; got lr \(learningRate), ρ \(rho), ε \(epsilon)")
        (self.learningRate, self.rho, self.epsilon) = (learningRate, rho, epsilon)
    }

    public var slotNames: [String] { ["v"] }

    public func update(_ parameter: Tensor, gradient: Tensor, slots: [Tensor], step: Int) {
        parameter.rmspropUpdate(
            gradient: gradient, meanSquare: slots[0], learningRate: learningRate, rho: rho, epsilon: epsilon)
    }
}

public typealias Adam = Optimizer<AdamRule>
public typealias SGD = Optimizer<SGDRule>
public typealias RMSprop = Optimizer<RMSpropRule>

/// What a training loop needs of an optimizer, whatever its rule: a GAN holds one per network
/// without knowing whether it is Adam, RMSprop or SGD.
public protocol ParameterOptimizer: AnyObject {
    var parameters: [Tensor] { get }
    var stepCount: Int { get }
    func step(_ gradients: [Tensor])
    var state: [(name: String, tensor: Tensor)] { get }
    func load(state: [String: Tensor]) throws
}

/// An optimizer and its settings as data (configuration files, recipes), made into an optimizer
/// with ``make(parameters:)``.
///
/// ```swift
/// let spec = OptimizerSpec.adam(learningRate: 1e-4, beta1: 0.5, beta2: 0.9)
/// let optD = spec.make(parameters: d.parameters)
/// ```
public enum OptimizerSpec: Codable, Equatable, CustomStringConvertible {
    case adam(learningRate: Float, beta1: Float, beta2: Float)
    case rmsprop(learningRate: Float, rho: Float, epsilon: Float)
    case sgd(learningRate: Float, momentum: Float)

    public var learningRate: Float {
        switch self {
        case .adam(let lr, _, _), .rmsprop(let lr, _, _), .sgd(let lr, _): return lr
        }
    }

    /// The same optimizer with another learning rate.
    public func with(learningRate lr: Float) -> OptimizerSpec {
        switch self {
        case .adam(_, let b1, let b2): return .adam(learningRate: lr, beta1: b1, beta2: b2)
        case .rmsprop(_, let rho, let eps): return .rmsprop(learningRate: lr, rho: rho, epsilon: eps)
        case .sgd(_, let mu): return .sgd(learningRate: lr, momentum: mu)
        }
    }

    public func make(parameters: [Tensor]) -> any ParameterOptimizer {
        switch self {
        case .adam(let lr, let b1, let b2): return Adam(parameters: parameters, learningRate: lr, beta1: b1, beta2: b2)
        case .rmsprop(let lr, let rho, let eps):
            return RMSprop(parameters: parameters, rule: RMSpropRule(learningRate: lr, rho: rho, epsilon: eps))
        case .sgd(let lr, let mu): return SGD(parameters: parameters, learningRate: lr, momentum: mu)
        }
    }

    public var description: String {
        switch self {
        case .adam(let lr, let b1, let b2): return "Adam(lr \(lr), β₁ \(b1), β₂ \(b2))"
        case .rmsprop(let lr, let rho, _): return "RMSprop(lr \(lr), ρ \(rho))"
        case .sgd(let lr, let mu): return "SGD(lr \(lr), momentum \(mu))"
        }
    }
}

extension Optimizer where Rule == AdamRule {
    /// Adam over `parameters`; see ``AdamRule`` for the update and defaults.
    public convenience init(
        parameters: [Tensor], learningRate: Float = 0.001, beta1: Float = 0.9,
        beta2: Float = 0.999, epsilon: Float = 1e-7
    ) {
        self.init(
            parameters: parameters,
            rule: AdamRule(learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon))
    }
}

extension Optimizer where Rule == SGDRule {
    /// SGD over `parameters`; see ``SGDRule``.
    public convenience init(
        parameters: [Tensor], learningRate: Float = 0.01, momentum: Float = 0, nesterov: Bool = false
    ) {
        self.init(
            parameters: parameters, rule: SGDRule(learningRate: learningRate, momentum: momentum, nesterov: nesterov))
    }
}
