import SwiftGANTensors

/// A fully connected layer: y = x·W + b.
///
/// The weight is stored as Keras stores its kernel, [inputSize, outputSize], so the forward pass
/// is one GEMM with no transpose (PyTorch's `nn.Linear` stores the transpose, [out, in]).
/// Defaults follow Keras: Glorot-uniform weight, zero bias.
///
/// ```swift
/// let layer = Dense(784, 512, rng: rng)
/// let y = layer(x)   // [batch, 784] → [batch, 512]
/// ```
public final class Dense: WeightedLayer {
    public let weight: Tensor
    public let bias: Tensor?

    public init(
        _ inputSize: Int, _ outputSize: Int, useBias: Bool = true,
        weightInitializer: Initializer = .glorotUniform, biasInitializer: Initializer = .zeros,
        rng: RandomGenerator
    ) {
        weight = weightInitializer.make([inputSize, outputSize], rng: rng).requiringGradient()
        bias = useBias ? biasInitializer.make([outputSize], rng: rng).requiringGradient() : nil
    }

    public func callAsFunction(_ input: Tensor) -> Tensor { self(input, weight: weight) }

    /// The layer with `weight` in place of its own (spectral normalization).
    public func callAsFunction(_ input: Tensor, weight: Tensor) -> Tensor {
        require(
            input.rank == 2 && input.shape[1] == weight.shape[0],
            "SwiftGAN shape error: Dense(\(weight.shape[0]) → \(weight.shape[1])) expects [batch, \(weight.shape[0])], got \(describe(input.shape))"
        )
        guard let bias else { return input.matmul(weight) }
        return input.linear(weight, bias: bias)
    }

    public var ownParameters: [(name: String, tensor: Tensor)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }
}
