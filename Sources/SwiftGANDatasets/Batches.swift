import SwiftGANTensors

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
        require(
            batchSize > 0 && count > 0,
            "BatchSampler needs examples and a positive batch size (count \(count), batch \(batchSize))")
        if mode == .epochs {
            require(count >= batchSize, "batch size \(batchSize) exceeds the \(count) examples available")
        }
        (self.count, self.batchSize, self.mode, self.rng) = (count, batchSize, mode, rng)
    }

    /// Where the sampler stands: the current epoch's order, the position in it, the epoch count.
    /// With the generator's state, it is all a resumed run needs to draw the same batches.
    public struct State: Equatable {
        public var order: [Int]
        public var position: Int
        public var epoch: Int
        public init(order: [Int], position: Int, epoch: Int) {
            (self.order, self.position, self.epoch) = (order, position, epoch)
        }
    }

    public var state: State {
        get { State(order: order, position: position, epoch: epoch) }
        set {
            require(
                newValue.order.allSatisfy { (0..<count).contains($0) } && newValue.position >= 0,
                "BatchSampler state does not fit \(count) examples")
            (order, position, epoch) = (newValue.order, newValue.position, newValue.epoch)
        }
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
