import Foundation
import SwiftGANTensors
import XCTest

/// Data-parallel pieces that need no second process: which rows a rank holds, draws for the global
/// batch cut to them, and the all-reduce ops and synchronized BatchNorm against a stand-in for N
/// ranks that all hold the same values (a sum over them is N times the value), under which a
/// statistic of the whole batch equals this rank's and a gradient of the ranks' summed losses is
/// computable by hand. The MPI path itself: GANTests' DataParallelTests.
final class BatchShardTests: XCTestCase {
    /// Rank `rank` of `size` whose every sum over the ranks is `size` times its own values.
    final class EqualRanks: Collective {
        let rank: Int, size: Int
        init(rank: Int, size: Int) { (self.rank, self.size) = (rank, size) }
        func allReduceSum(_ values: UnsafeMutableBufferPointer<Float>) throws {
            for i in values.indices { values[i] *= Float(size) }
        }
        func allReduceSum(_ values: UnsafeMutableBufferPointer<Double>) throws {
            for i in values.indices { values[i] *= Double(size) }
        }
        func allReduce(_ values: inout [Double], _ op: ReduceOperation) throws {
            if op == .sum { values = values.map { $0 * Double(size) } }
        }
        func broadcast(_ bytes: UnsafeMutableRawBufferPointer, from root: Int) throws {}
        func barrier() throws {}
        func finalize() throws {}
        func abort(code: Int32) -> Never { fatalError("aborted with \(code)") }
    }

    func testARankHoldsItsRowsOfEachSegment() {
        let shard = BatchShard(collective: EqualRanks(rank: 1, size: 3), rowsPerRank: 2)
        // [real; fake] of 2 rows each here: rows 2, 3 of the global real batch of 6, then of the fakes.
        XCTAssertEqual((0..<4).map(shard.globalRow), [2, 3, 8, 9])
        XCTAssertEqual(shard.globalCount(4), 12)
        let global = Tensor((0..<24).map(Float.init), shape: [12, 2])
        XCTAssertEqual(shard.localRows(of: global).shape, [4, 2])
        XCTAssertEqual(shard.localRows(of: global).scalars, [4, 5, 6, 7, 16, 17, 18, 19])
        XCTAssertEqual(shard.localElements(of: Array(0..<6)), [2, 3])
    }

    /// Under a shard a draw is the one process's draw for the global batch, this rank's rows kept;
    /// without one it is the process's own, unchanged.
    func testDrawsAreTheGlobalBatchsRowsOfThisRank() {
        let whole = Tensor.normal([8, 3], using: RandomGenerator(seed: 4))
        for rank in 0..<2 {
            let rng = RandomGenerator(seed: 4)
            let shard = BatchShard(collective: EqualRanks(rank: rank, size: 2), rowsPerRank: 4)
            let mine = BatchShard.with(shard) { BatchShard.rows(4) { Tensor.normal([$0, 3], using: rng) } }
            XCTAssertEqual(mine.scalars, whole.slice(alongAxis: 0, (4 * rank)..<(4 * rank + 4)).scalars)
            XCTAssertEqual(rng.state, RandomGenerator(seed: 4).advanced(byNormals: 24).state, "the whole draw is made")
        }
        XCTAssertNil(BatchShard.current)
        let alone = BatchShard.rows(8) { Tensor.normal([$0, 3], using: RandomGenerator(seed: 4)) }
        XCTAssertEqual(alone.scalars, whole.scalars)
        let labels = BatchShard.with(BatchShard(collective: EqualRanks(rank: 1, size: 2), rowsPerRank: 3)) {
            BatchShard.elements(3) { Array(0..<$0) }
        }
        XCTAssertEqual(labels, [3, 4, 5])
    }

    /// Σ over N equal ranks is N·x; its gradient is the sum over the ranks of the gradients that
    /// reach it (every rank's loss reads every rank's x), and it differentiates again.
    func testTheSumOverRanksDifferentiatesAsAnAllReduce() {
        let x = Tensor([1, -2, 3]).requiringGradient()
        let shard = BatchShard(collective: EqualRanks(rank: 0, size: 2), rowsPerRank: 1)
        BatchShard.with(shard) {
            let y = x.summedOverRanks()
            XCTAssertEqual(y.scalars, [2, -4, 6])
            // Each rank's loss Σy², y = Σ_s x_s: ∂(Σ_s L_s)/∂x_r = Σ_s 2y = 2·2y = 8x.
            let g = gradients(of: (y * y).sum(), withRespectTo: [x], createGraph: true)[0]
            XCTAssertEqual(g.scalars, [8, -16, 24])
            // g is itself Σ_s 2·(Σ_s x_s) = 8x as the ranks see it: its gradient is 8.
            let h = gradients(of: g.sum(), withRespectTo: [x])[0]
            XCTAssertEqual(h.scalars, [8, 8, 8])
            XCTAssertEqual(x.globalMean().scalar, Float(2) / 3, accuracy: 1e-6)
        }
        XCTAssertEqual(x.globalMean().scalar, Float(2) / 3, accuracy: 1e-6)
    }

    /// BatchNorm synchronized over ranks that hold copies of one batch sees that batch's statistics:
    /// its output, its first-order gradients and a gradient penalty's second-order gradients are
    /// one process's (the sums go through the all-reduce paths: joined statistics forward, the two
    /// channel sums backward, recorded all-reduces in the penalty).
    func testSynchronizedBatchNormOverCopiesIsThePlainOne() {
        let x = awayFromZero([6, 2, 2, 3], seed: 7) * 2 + 0.5, scale = awayFromZero([3], seed: 8),
            offset = awayFromZero([3], seed: 9), weights = awayFromZero([6, 2, 2, 3], seed: 10)
        func pass() -> [[Float]] {
            let input = x.copy().requiringGradient(), gamma = scale.copy().requiringGradient(),
                beta = offset.copy().requiringGradient()
            let (y, mean, variance) = input.batchNormalized(scale: gamma, offset: beta, epsilon: 1e-3)
            let loss = (y * weights).tanh().sum()
            let first = gradients(of: loss, withRespectTo: [input, gamma, beta])
            // R1-like: ‖∂loss/∂input‖², differentiated with respect to γ.
            let inner = gradients(of: loss, withRespectTo: [input], createGraph: true)[0]
            let second = gradients(of: (inner * inner).sum(), withRespectTo: [gamma, beta])
            return [y.scalars, mean.scalars, variance.scalars] + first.map(\.scalars) + second.map(\.scalars)
        }
        let plain = pass()
        for size in [2, 4] {
            let shard = BatchShard(
                collective: EqualRanks(rank: 1, size: size), rowsPerRank: 6, synchronizesBatchStatistics: true)
            let synced = BatchShard.with(shard) { pass() }
            for (a, b) in zip(synced, plain) { assertClose(a, b, tolerance: 1e-4) }
        }
        // Not synchronized: this rank's statistics, the same bits as without a shard.
        let unsynced = BatchShard.with(BatchShard(collective: EqualRanks(rank: 1, size: 2), rowsPerRank: 6)) { pass() }
        XCTAssertEqual(unsynced, plain)
    }

    /// In one process the agreements run their body and let its error through as it is.
    func testOneProcessAgreesWithoutWrapping() throws {
        let single = SingleProcess()
        XCTAssertEqual(try single.agreeing { 7 }, 7)
        XCTAssertEqual(try single.fromRankZero { [1, 2] }, [1, 2])
        struct Oops: Error {}
        XCTAssertThrowsError(try single.agreeing { () throws -> Int in throw Oops() }) { XCTAssertTrue($0 is Oops) }
        XCTAssertThrowsError(try single.onRankZero { throw Oops() }) { XCTAssertTrue($0 is Oops) }
    }
}

extension RandomGenerator {
    /// A generator `count` standard normals on (as `Tensor.normal` of that many draws leaves it).
    func advanced(byNormals count: Int) -> RandomGenerator {
        _ = Tensor.normal([count], using: self)
        return self
    }
}
