import Foundation

/// This process's share of every batch in data-parallel training: `size` processes (ranks) each
/// hold `rowsPerRank` rows of a global batch of `rowsPerRank · size`, rank r its rows
/// [r·rowsPerRank, (r + 1)·rowsPerRank).
///
/// While a training step runs under ``with(_:_:)``, what draws random numbers per example
/// (dropout masks, noise, labels, D's targets, augmentation, a gradient penalty's interpolation
/// factors) draws for the whole global batch from the one seeded generator and keeps this rank's
/// rows (``rows(_:_:)``, ``elements(_:_:)``). Every rank so makes the same draws, in the same order,
/// as one process training on the global batch: the random stream, and each example's draws, do
/// not depend on the number of processes. Where a statistic of the whole batch is wanted, it is
/// summed over the ranks (``Tensor/summedOverRanks()``, ``Tensor/globalMean()``, and BatchNorm's
/// statistics with ``synchronizesBatchStatistics``).
///
/// A tensor of several batches joined along axis 0 (real and fake in one D pass) is read as
/// segments of `rowsPerRank` rows, each this rank's share of a global segment:
///
///     local row i  ↦  global row (⌊i / m⌋·size + rank)·m + (i mod m),   m = rowsPerRank
///
/// In one process ``current`` is nil: every draw is the process's own, as without this type.
///
/// ```swift
/// let shard = BatchShard(collective: mpi, rowsPerRank: 16)
/// let noise = BatchShard.with(shard) {
///     BatchShard.rows(16) { Tensor.normal([$0, 100], using: rng) }   // rows 16·rank ..< 16·(rank + 1) of [16·size, 100]
/// }
/// ```
public struct BatchShard {
    /// The processes training together; its rank and size are this shard's.
    public let collective: any Collective
    /// Rows of each batch this rank holds: the global batch divided by the number of ranks.
    public let rowsPerRank: Int
    /// Whether BatchNorm normalizes with the statistics of the global batch (`--sync-bn`): one
    /// all-reduce of per-channel sums in its forward pass, and one in its backward pass.
    public let synchronizesBatchStatistics: Bool

    public var rank: Int { collective.rank }
    public var size: Int { collective.size }

    public init(collective: any Collective, rowsPerRank: Int, synchronizesBatchStatistics: Bool = false) {
        require(rowsPerRank >= 1, "SwiftGAN: a batch shard holds at least one row per rank, got \(rowsPerRank)")
        (self.collective, self.rowsPerRank, self.synchronizesBatchStatistics) = (
            collective, rowsPerRank, synchronizesBatchStatistics
        )
    }

    /// The shard the running training step holds; nil outside one, and in one process.
    nonisolated(unsafe) public private(set) static var current: BatchShard?

    /// Runs `body` with `shard` as ``current``, restoring the previous one afterwards. Like
    /// ``GradMode``, the setting is per process: train from one thread.
    public static func with<T>(_ shard: BatchShard?, _ body: () throws -> T) rethrows -> T {
        let saved = current
        current = shard
        defer { current = saved }
        return try body()
    }

    /// How many rows the global batch has where this rank holds `localRows`.
    public func globalCount(_ localRows: Int) -> Int {
        require(
            localRows % rowsPerRank == 0,
            "SwiftGAN: \(localRows) rows are not whole shares of \(rowsPerRank) rows of a batch split over \(size) ranks"
        )
        return localRows * size
    }

    /// The row of the global batch that this rank's row `local` is.
    public func globalRow(_ local: Int) -> Int {
        (local / rowsPerRank * size + rank) * rowsPerRank + local % rowsPerRank
    }

    /// This rank's rows of `global`, a tensor drawn for the global batch along axis 0: a new
    /// tensor of `global.shape[0] / size` rows, recording nothing.
    public func localRows(of global: Tensor) -> Tensor {
        require(global.rank >= 1, "SwiftGAN: a batch shard cuts rows of a batch, not a scalar")
        let local = global.shape[0] / size
        _ = globalCount(local)
        require(
            local * size == global.shape[0],
            "SwiftGAN: \(global.shape[0]) rows do not split over \(size) ranks")
        let width = global.shape[0] == 0 ? 0 : global.count / global.shape[0]
        let result = Tensor(uninitialized: [local] + global.shape.dropFirst())
        let block = rowsPerRank * width
        for segment in 0..<(local / rowsPerRank) {
            (result.data + segment * block).update(from: global.data + (segment * size + rank) * block, count: block)
        }
        return result
    }

    /// This rank's elements of `global`, one per row of the global batch.
    public func localElements<T>(of global: [T]) -> [T] {
        let local = global.count / size
        _ = globalCount(local)
        require(local * size == global.count, "SwiftGAN: \(global.count) values do not split over \(size) ranks")
        return (0..<local).map { global[globalRow($0)] }
    }

    /// `draw(n)` for the global batch cut to this rank's `localRows` rows under ``current``;
    /// `draw(localRows)` itself outside data-parallel training.
    public static func rows(_ localRows: Int, _ draw: (Int) -> Tensor) -> Tensor {
        guard let shard = current else { return draw(localRows) }
        return shard.localRows(of: draw(shard.globalCount(localRows)))
    }

    /// `draw(n)` (one value per example) for the global batch cut to this rank's `localCount`
    /// examples under ``current``; `draw(localCount)` itself outside data-parallel training.
    public static func elements<T>(_ localCount: Int, _ draw: (Int) -> [T]) -> [T] {
        guard let shard = current else { return draw(localCount) }
        return shard.localElements(of: draw(shard.globalCount(localCount)))
    }

    /// Replaces `values` with their sum over the ranks. Called inside a training step, where
    /// nothing can be thrown: a rank whose collective fails says why and ends every rank of the
    /// job (the others wait in this same call).
    public func allReduceSum(_ values: UnsafeMutableBufferPointer<Float>) {
        do { try collective.allReduceSum(values) } catch { stop(error) }
    }

    /// Replaces `values` with their sum over the ranks (see the Float version).
    public func allReduceSum(_ values: UnsafeMutableBufferPointer<Double>) {
        do { try collective.allReduceSum(values) } catch { stop(error) }
    }

    private func stop(_ error: any Error) -> Never {
        FileHandle.standardError.write(Data("rank \(rank) of \(size): \(error); ending every rank\n".utf8))
        collective.abort(code: 1)
    }
}

extension Tensor {
    /// The element-wise sum of this tensor over the ranks of the running step's
    /// ``BatchShard/current``, on every rank; the tensor itself outside data-parallel training.
    ///
    /// Differentiable: every rank's loss reads the sum, so the gradient of the ranks' summed
    /// losses with respect to this rank's tensor is the sum over the ranks of the gradients
    /// arriving at the sum, which is the same operation again (and so differentiable to any order):
    ///
    ///     y = Σ_r x_r   ⇒   ∂(Σ_s L_s)/∂x_r = Σ_s ∂L_s/∂y
    ///
    /// ```swift
    /// let total = batchLoss.sum().summedOverRanks()   // the global batch's sum, on every rank
    /// ```
    public func summedOverRanks() -> Tensor {
        guard let shard = BatchShard.current else { return self }
        return summed(over: shard)
    }

    /// ``summedOverRanks()`` over `shard`'s ranks.
    func summed(over shard: BatchShard) -> Tensor {
        let total = copy()
        shard.allReduceSum(UnsafeMutableBufferPointer(start: total.data, count: total.count))
        return Tensor.record("summedOverRanks", total, [self]) { g, _ in [g.summed(over: shard)] }
    }

    /// The mean of every element of the global batch: `mean()` in one process; under a
    /// ``BatchShard`` the sum over every rank's elements divided by their count (every rank
    /// holds as many). For statistics of the whole batch inside a loss (a relativistic
    /// objective's E[D(x)], LeCam's averages), differentiable.
    ///
    /// ```swift
    /// let relative = real - fake.globalMean()
    /// ```
    public func globalMean() -> Tensor {
        guard let shard = BatchShard.current else { return mean() }
        return sum().summed(over: shard) / Float(count * shard.size)
    }
}
