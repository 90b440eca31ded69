import SwiftGANTensors

/// Inverted dropout: in training mode each value is zeroed with probability `rate` and the
/// survivors are scaled by 1/(1 − rate), so inference (identity) needs no rescaling. `rate` is
/// the fraction dropped, as in Keras and PyTorch. Each mask is keyed by one draw of the module's
/// generator (``Tensor/dropoutMask(_:rate:key:)``), so a seed fixes it. In data-parallel training (a ``BatchShard`` is current) each rank draws the
/// mask of the whole global batch and keeps its own rows, so every example gets the mask it gets
/// in one process, whatever the number of processes.
///
/// ```swift
/// let drop = Dropout(rate: 0.4, rng: rng)
/// ```
public final class Dropout: UnaryLayer {
    public let rate: Float
    public private(set) var isTraining = true
    private let rng: RandomGenerator

    public init(rate: Float, rng: RandomGenerator) {
        require(rate >= 0 && rate < 1, "Dropout rate must lie in [0, 1), got \(rate)")
        self.rate = rate
        self.rng = rng
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        guard isTraining, rate > 0 else { return x }
        return x * mask(for: x)
    }

    /// `self(LeakyReLU(slope)(x))` in one pass each way (``Sequential`` calls it for a LeakyReLU
    /// followed by a Dropout): the same mask, values and gradients as the two layers.
    public func callAsFunction(_ x: Tensor, afterLeakyReLU slope: Float) -> Tensor {
        guard isTraining, rate > 0 else { return x.leakyRelu(slope: slope) }
        return x.leakyRelu(slope: slope, masked: mask(for: x))
    }

    /// The next mask, for a batch of x's shape.
    private func mask(for x: Tensor) -> Tensor {
        let key = rng.next()
        return x.rank == 0
            ? Tensor.dropoutMask(x.shape, rate: rate, key: key)
            : BatchShard.rows(x.shape[0]) { Tensor.dropoutMask([$0] + x.shape.dropFirst(), rate: rate, key: key) }
    }

    public func setTraining(_ training: Bool) { isTraining = training }
}
