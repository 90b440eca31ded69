import SwiftGANTensors

/// A lookup table of learned vectors: index i → row i of a [count, dimension] table.
///
/// Initialized U(−0.05, 0.05) as Keras's `Embedding` (PyTorch uses N(0, 1)). The gradient of a
/// row is the sum over the batch positions that used it.
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
