import SwiftGANNN
import SwiftGANTensors
import XCTest

/// Dropout in data-parallel training: each rank's mask is its rows of the mask one process draws
/// for the whole batch, also where a batch joins two (D's real and fake examples in one pass).
final class ShardedDropoutTests: XCTestCase {
    /// A rank of `size` (no other process: the mask needs no communication).
    final class Rank: Collective {
        let rank: Int, size: Int
        init(_ rank: Int, of size: Int) { (self.rank, self.size) = (rank, size) }
        func allReduceSum(_ values: UnsafeMutableBufferPointer<Float>) throws {}
        func allReduceSum(_ values: UnsafeMutableBufferPointer<Double>) throws {}
        func allReduce(_ values: inout [Double], _ op: ReduceOperation) throws {}
        func broadcast(_ bytes: UnsafeMutableRawBufferPointer, from root: Int) throws {}
        func barrier() throws {}
        func finalize() throws {}
        func abort(code: Int32) -> Never { fatalError("aborted with \(code)") }
    }

    func testEachRankKeepsItsRowsOfTheWholeBatchsMask() {
        let width = 5
        // One process: a pass over [real; fake] of 6 examples each.
        let whole = Dropout(rate: 0.5, rng: RandomGenerator(seed: 11))(Tensor.ones([12, width])).scalars
        for rank in 0..<3 {
            let drop = Dropout(rate: 0.5, rng: RandomGenerator(seed: 11))
            let shard = BatchShard(collective: Rank(rank, of: 3), rowsPerRank: 2)
            // This rank's 2 real and 2 fake examples, joined the same way.
            let mine = BatchShard.with(shard) { drop(Tensor.ones([4, width])) }.scalars
            let rows = [2 * rank, 2 * rank + 1, 6 + 2 * rank, 6 + 2 * rank + 1]
            XCTAssertEqual(mine, rows.flatMap { whole[($0 * width)..<(($0 + 1) * width)] }, "rank \(rank)")
        }
    }
}
