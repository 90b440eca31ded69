import SwiftGANTensors

/// A lookup table of learned vectors: index i → row i of a [count, dimension] table.
///
/// Initialized U(−0.05, 0.05) as Keras's `Embedding` (PyTorch uses N(0, 1)). The gradient of a
/// row is the sum over the batch positions that used it.
///
/// It is a ``WeightedLayer`` (its weight is the table, whose last axis is the output features), so
/// ``SpectralNorm`` can wrap it: BigGAN's and StudioGAN's `SNEmbedding`, used by projection
/// discriminators. Wrapped, it is called with a label tensor (`Tensor(labels.map { Float($0) })`).
///
/// ```swift
/// let labels = Embedding(count: 10, dimension: 50, rng: rng)
/// let v = labels([3, 1, 4])   // [3, 50]
/// ```
public final class Embedding {
    public let table: Tensor

    public init(count: Int, dimension: Int, initializer: Initializer = .uniform(limit: 0.05), rng: RandomGenerator) {
        table = initializer.make([count, dimension], rng: rng).requiringGradient()
    }

    public func callAsFunction(_ indices: [Int]) -> Tensor { table.gathering(indices, alongAxis: 0) }
}

extension Embedding: UnaryLayer {
    /// Float indices (as stored in a label tensor) rounded to integers.
    public func callAsFunction(_ input: Tensor) -> Tensor {
        self(input.scalars.map { Int($0.rounded()) })
    }

    public var ownParameters: [(name: String, tensor: Tensor)] { [("table", table)] }
}

extension Embedding: WeightedLayer {
    public var weight: Tensor { table }

    /// The lookup in `weight` instead of the table (spectral normalization): rows of `weight` at
    /// the float indices of `input`, rounded.
    public func callAsFunction(_ input: Tensor, weight: Tensor) -> Tensor {
        require(
            weight.rank == 2,
            "SwiftGAN shape error: an Embedding's weight is [count, dimension], got \(describe(weight.shape))")
        return weight.gathering(input.scalars.map { Int($0.rounded()) }, alongAxis: 0)
    }
}
