import SwiftGANNN
import SwiftGANTensors

/// A penalty added to D's loss that looks at D's gradient with respect to its input; taking its
/// own gradient needs second derivatives (`createGraph: true`), through convolutions too.
public protocol DiscriminatorRegularizer {
    /// The column it is reported under in `history.csv`.
    var name: String { get }
    /// The penalty for one D update. `critic` maps a batch of examples to D's adversarial output
    /// [n, 1]; `real` and `fake` are the batches D is trained on (fake detached from G).
    func penalty(real: Tensor, fake: Tensor, critic: (Tensor) -> Tensor, rng: RandomGenerator) -> Tensor
}

/// Per example, ‖∂ D(x)ᵢ / ∂ xᵢ‖² (over all of its pixels and channels), [n]: D's outputs are
/// per example, so the gradient of their sum holds each example's own input gradient.
private func squaredInputGradientNorms(_ x: Tensor, critic: (Tensor) -> Tensor) -> Tensor {
    let input = x.requiringGradient()
    let g = gradients(of: critic(input).sum(), withRespectTo: [input], createGraph: true)[0]
    return (g * g).flattenedBatch().sum(alongAxis: 1)
}

/// WGAN-GP's penalty (Gulrajani et al. 2017, Algorithm 1): λ·E[(‖∇D(x̂)‖₂ − 1)²] on
/// x̂ = εx + (1 − ε)x̃ with one ε ~ U(0, 1) per example (real x, fake x̃). The norm is
/// √(‖∇‖² + 10⁻¹²), which keeps its gradient finite where D is flat.
public struct GradientPenalty: DiscriminatorRegularizer {
    public var weight: Float
    public init(weight: Float = 10) { self.weight = weight }
    public var name: String { "gradient_penalty" }

    public func penalty(real: Tensor, fake: Tensor, critic: (Tensor) -> Tensor, rng: RandomGenerator) -> Tensor {
        require(
            real.shape == fake.shape,
            "gradient penalty: real \(describe(real.shape)) and fake \(describe(fake.shape)) batches differ")
        // Drawn for the global batch in data-parallel training, each rank keeping its examples' ε.
        let eps = BatchShard.rows(real.shape[0]) {
            Tensor.uniform([$0] + Array(repeating: 1, count: real.rank - 1), using: rng)
        }
        let interpolates = withoutGrad { Self.interpolate(real: real.detached(), fake: fake.detached(), eps: eps) }
        let norms = (squaredInputGradientNorms(interpolates, critic: critic) + 1e-12).sqrt()
        return ((norms - 1) * (norms - 1)).mean() * weight
    }

    /// x̂ = x̃ + ε·(x − x̃), with ε of shape [n, 1, …] (one per example).
    public static func interpolate(real: Tensor, fake: Tensor, eps: Tensor) -> Tensor {
        fake + eps * (real - fake)
    }

    public static func interpolate(real: Tensor, fake: Tensor, eps: [Float]) -> Tensor {
        interpolate(
            real: real, fake: fake, eps: Tensor(eps, shape: [eps.count] + Array(repeating: 1, count: real.rank - 1)))
    }
}

/// The R1 penalty (Mescheder et al. 2018): γ/2·E[‖∇D(x)‖²] on real examples only, pushing D to
/// be flat on the data; `--r1 γ`.
public struct R1Penalty: DiscriminatorRegularizer {
    public var gamma: Float
    public init(gamma: Float) { self.gamma = gamma }
    public var name: String { "r1_penalty" }

    public func penalty(real: Tensor, fake: Tensor, critic: (Tensor) -> Tensor, rng: RandomGenerator) -> Tensor {
        squaredInputGradientNorms(real.detached(), critic: critic).mean() * (gamma / 2)
    }
}
