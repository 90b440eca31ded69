import SwiftGANTensors

// Activation layers: thin wrappers over the tensor functions, for use inside `Sequential`.

/// max(x, 0).
public final class ReLU: UnaryLayer {
    public init() {}
    public func callAsFunction(_ x: Tensor) -> Tensor { x.relu() }
}

/// x for x > 0, `slope`·x otherwise. The slope is required: Keras defaults to 0.3 and PyTorch to
/// 0.01, and GAN papers use 0.2, so a silent default would be wrong for someone.
public final class LeakyReLU: UnaryLayer {
    public let slope: Float
    public init(_ slope: Float) { self.slope = slope }
    public func callAsFunction(_ x: Tensor) -> Tensor { x.leakyRelu(slope: slope) }
}

/// x for x > 0, α(eˣ − 1) otherwise (α = 1 as in Keras and PyTorch).
public final class ELU: UnaryLayer {
    public let alpha: Float
    public init(alpha: Float = 1) { self.alpha = alpha }
    public func callAsFunction(_ x: Tensor) -> Tensor { x.elu(alpha: alpha) }
}

/// λ·elu(x, α), λ ≈ 1.0507, α ≈ 1.6733 (Klambauer et al., 2017).
public final class SELU: UnaryLayer {
    public init() {}
    public func callAsFunction(_ x: Tensor) -> Tensor { x.selu() }
}

public final class Sigmoid: UnaryLayer {
    public init() {}
    public func callAsFunction(_ x: Tensor) -> Tensor { x.sigmoid() }
}

public final class Tanh: UnaryLayer {
    public init() {}
    public func callAsFunction(_ x: Tensor) -> Tensor { x.tanh() }
}
