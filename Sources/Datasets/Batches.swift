import Tensors

/// Which examples each training batch holds.
///
/// - `epochs`: a fresh random permutation per epoch, cut into full batches without replacement
///   (the incomplete tail is dropped so every step sees the same batch size, as GAN training does).
/// - `randomSampling`: each batch draws indices uniformly at random, with replacement, and an
///   "epoch" is `batchesPerEpoch` batches — the tutorials' `np.random.randint(0, n, batch_size)` loop.
///
/// Both draw only from the given generator, so a seed fixes the order.
public struct BatchSampler {
    public enum Mode: Equatable {
        case epochs
        case randomSampling(batchesPerEpoch: Int)
    }

    public let count: Int
    public let batchSize: Int
    public let mode: Mode
    private let rng: RandomGenerator
    private var order: [Int] = []
    private var position = 0
    public private(set) var epoch = 0

    public init(count: Int, batchSize: Int, mode: Mode = .epochs, rng: RandomGenerator) {
        require(batchSize > 0 && count > 0, "BatchSampler needs examples and a positive batch size (count \(count), batch \(batchSize))")
        if mode == .epochs {
            require(count >= batchSize, "batch size \(batchSize) exceeds the \(count) examples available")
        }
        (self.count, self.batchSize, self.mode, self.rng) = (count, batchSize, mode, rng)
    }

    /// Full batches per epoch.
    public var batchesPerEpoch: Int {
        switch mode {
        case .epochs: return count / batchSize
        case .randomSampling(let n): return n
        }
    }

    /// The indices of the next batch.
    public mutating func next() -> [Int] {
        switch mode {
        case .randomSampling(let perEpoch):
            position += 1
            if position > perEpoch { position = 1; epoch += 1 }
            return (0..<batchSize).map { _ in rng.integer(below: count) }
        case .epochs:
            if order.isEmpty || position + batchSize > count {
                if !order.isEmpty { epoch += 1 }
                order = rng.permutation(count)
                position = 0
            }
            defer { position += batchSize }
            return Array(order[position..<(position + batchSize)])
        }
    }
}
