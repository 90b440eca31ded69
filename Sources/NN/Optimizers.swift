import Foundation
import Tensors

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
public final class Optimizer<Rule: UpdateRule> {
    public let parameters: [Tensor]
    public var rule: Rule
    /// Steps taken so far.
    public private(set) var stepCount = 0
    /// Per parameter, one tensor per slot name, zero-initialized.
    public private(set) var slots: [[Tensor]]

    public init(parameters: [Tensor], rule: Rule) {
        require(Set(parameters.map(ObjectIdentifier.init)).count == parameters.count, "SwiftGAN: an optimizer was given the same parameter twice")
        self.parameters = parameters
        self.rule = rule
        slots = parameters.map { p in rule.slotNames.map { _ in Tensor.zeros(p.shape) } }
    }

    /// Applies one update; `gradients` align with ``parameters``.
    public func step(_ gradients: [Tensor]) {
        require(gradients.count == parameters.count,
                     "SwiftGAN: optimizer has \(parameters.count) parameters but received \(gradients.count) gradients")
        stepCount += 1
        withoutGrad {
            for (i, p) in parameters.enumerated() {
                require(gradients[i].shape == p.shape,
                             "SwiftGAN shape error: gradient \(i) has shape \(describe(gradients[i].shape)), parameter has \(describe(p.shape))")
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
        for (i, s) in slots.enumerated() {
            for (j, name) in rule.slotNames.enumerated() {
                guard let t = state["\(name).\(i)"], t.shape == s[j].shape else {
                    throw ShapeError("optimizer state \(name).\(i) is missing or has the wrong shape (expected \(describe(s[j].shape)))")
                }
                s[j].assign(t)
            }
        }
        stepCount = Int(step.scalar)
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
        require(learningRate >= 0 && (0..<1).contains(beta1) && (0..<1).contains(beta2) && epsilon > 0,
                     "Adam needs lr ≥ 0, β₁ and β₂ in [0, 1), ε > 0 (ε = 0 divides 0 by 0 for parameters that never get a gradient); got lr \(learningRate), β₁ \(beta1), β₂ \(beta2), ε \(epsilon)")
        (self.learningRate, self.beta1, self.beta2, self.epsilon) = (learningRate, beta1, beta2, epsilon)
    }

    public var slotNames: [String] { ["m", "v"] }

    public func update(_ parameter: Tensor, gradient: Tensor, slots: [Tensor], step: Int) {
        let t = Double(step)
        let corrected = Double(learningRate) * (1 - Foundation.pow(Double(beta2), t)).squareRoot() / (1 - Foundation.pow(Double(beta1), t))
        parameter.adamUpdate(gradient: gradient, firstMoment: slots[0], secondMoment: slots[1],
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
        parameter.sgdUpdate(gradient: gradient, velocity: slots.first, learningRate: learningRate, momentum: momentum, nesterov: nesterov)
    }
}

public typealias Adam = Optimizer<AdamRule>
public typealias SGD = Optimizer<SGDRule>

extension Optimizer where Rule == AdamRule {
    /// Adam over `parameters`; see ``AdamRule`` for the update and defaults.
    public convenience init(parameters: [Tensor], learningRate: Float = 0.001, beta1: Float = 0.9,
                            beta2: Float = 0.999, epsilon: Float = 1e-7) {
        self.init(parameters: parameters, rule: AdamRule(learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon))
    }
}

extension Optimizer where Rule == SGDRule {
    /// SGD over `parameters`; see ``SGDRule``.
    public convenience init(parameters: [Tensor], learningRate: Float = 0.01, momentum: Float = 0, nesterov: Bool = false) {
        self.init(parameters: parameters, rule: SGDRule(learningRate: learningRate, momentum: momentum, nesterov: nesterov))
    }
}
