import SwiftGANTensors
import XCTest

/// The random generator and the buffer pool.
final class RuntimeTests: XCTestCase {
    func testSameSeedSameStream() {
        let a = RandomGenerator(seed: 42), b = RandomGenerator(seed: 42)
        XCTAssertEqual((0..<10).map { _ in a.next() }, (0..<10).map { _ in b.next() })
        XCTAssertNotEqual(RandomGenerator(seed: 1).next(), RandomGenerator(seed: 2).next())
        let saved = a.state
        let x = Tensor.normal([100], using: a).scalars
        a.state = saved
        XCTAssertEqual(Tensor.normal([100], using: a).scalars, x, "restoring the state replays the stream")
    }

    func testDistributionMoments() {
        let rng = RandomGenerator(seed: 3)
        let n = 200_000
        let u = Tensor.uniform([n], low: -1, high: 3, using: rng)
        XCTAssertEqual(u.mean().scalar, 1, accuracy: 0.02)
        XCTAssertTrue(u.scalars.allSatisfy { $0 >= -1 && $0 < 3 })
        let z = Tensor.normal([n], mean: 2, std: 0.5, using: rng)
        let mean = z.mean().scalar
        XCTAssertEqual(mean, 2, accuracy: 0.01)
        XCTAssertEqual(((z - mean).pow(2)).mean().scalar.squareRoot(), 0.5, accuracy: 0.01)
        var counts = [Int](repeating: 0, count: 3)
        for _ in 0..<30_000 { counts[rng.integer(below: 3)] += 1 }
        XCTAssertTrue(counts.allSatisfy { abs($0 - 10_000) < 500 }, "\(counts)")
        XCTAssertEqual(rng.permutation(50).sorted(), Array(0..<50))
    }

    /// After a warm-up, a training-shaped step (forward, backward, in-place update) takes every
    /// buffer from the pool: no fresh allocations.
    func testSteadyStateStepAllocatesNothingNew() {
        let rng = RandomGenerator(seed: 5)
        let w1 = Tensor.normal([784, 128], std: 0.05, using: rng).requiringGradient()
        let w2 = Tensor.normal([128, 1], std: 0.05, using: rng).requiringGradient()
        let x = Tensor.uniform([32, 784], using: rng)
        func step() {
            let loss = (x.matmul(w1).leakyRelu(slope: 0.2).matmul(w2)).softplus().mean()
            let g = gradients(of: loss, withRespectTo: [w1, w2])
            withoutGrad {
                w1.assign(w1 - g[0] * 0.01)
                w2.assign(w2 - g[1] * 0.01)
            }
        }
        for _ in 0..<3 { step() }
        let before = BufferPool.shared.statistics
        for _ in 0..<10 { step() }
        let after = BufferPool.shared.statistics
        XCTAssertEqual(after.freshAllocations, before.freshAllocations)
        XCTAssertGreaterThan(after.reuses, before.reuses)
    }
}
