import SwiftGANTensors

/// Inverted dropout: in training mode each value is zeroed with probability `rate` and the
/// survivors are scaled by 1/(1 − rate), so inference (identity) needs no rescaling. `rate` is
/// the fraction dropped, as in Keras and PyTorch. The mask comes from the module's generator, so
/// a seed fixes it. In data-parallel training (a ``BatchShard`` is current) each rank draws the
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
        let keep = 1 / (1 - rate)
        let mask =
            x.rank == 0
            ? Tensor.uniform(x.shape, using: rng)
            : BatchShard.rows(x.shape[0]) { Tensor.uniform([$0] + x.shape.dropFirst(), using: rng) }
        let m = mask.data  // hoisted: a class property read per element blocks vectorization
        for i in 0..<mask.count { m[i] = m[i] < rate ? 0 : keep }
        return x * mask
    }

    public func setTraining(_ training: Bool) { isTraining = training }
}
