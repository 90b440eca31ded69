import Foundation
import SwiftGANTensors
import XCTest

/// The kernels that split their work across threads (convolutions' im2col/col2im, batch
/// normalization, reductions along an axis, elementwise ops, the optimizer updates) give the same
/// bits on one thread as on four: each thread writes only its own part. The inputs are large
/// enough to split. `scripts/sanitize thread` runs these under ThreadSanitizer, which checks the
/// sharing itself rather than its results.
final class ParallelKernelTests: XCTestCase {
    /// `body` with one worker, then with four, on the portable convolutions and OpenBLAS (oneDNN
    /// keeps its own threads).
    func onOneAndFourWorkers(_ body: () -> [Tensor]) -> (one: [[UInt32]], four: [[UInt32]]) {
        let saved = (Parallel.workers, ConvolutionBackend.current, MatrixProductBackend.current)
        defer { (Parallel.workers, ConvolutionBackend.current, MatrixProductBackend.current) = saved }
        (ConvolutionBackend.current, MatrixProductBackend.current) = (.portable, .blas)
        func bits(_ tensors: [Tensor]) -> [[UInt32]] { tensors.map { $0.scalars.map(\.bitPattern) } }
        Parallel.workers = 1
        let one = bits(body())
        Parallel.workers = 4
        return (one, bits(body()))
    }

    func testConvolutionsAndTheirGradients() {
        // 64 × 32 × 32 × 8 = 2 × the elementwise threshold: two chunks of images.
        let x = Tensor.normal([64, 32, 32, 8], using: RandomGenerator(seed: 1))
        let k = Tensor.normal([3, 3, 8, 8], using: RandomGenerator(seed: 2)) * 0.1
        let (one, four) = onOneAndFourWorkers {
            let (xv, kv) = (x.requiringGradient(), k.requiringGradient())
            let y = xv.conv2d(kv, stride: 2, padding: .same)
            let z = y.convTranspose2d(kv, stride: 2, padding: .same)
            return [y, z] + gradients(of: (z * z).sum(), withRespectTo: [xv, kv])
        }
        XCTAssertEqual(one, four)
    }

    func testNormalizationReductionsAndElementwise() {
        let x = Tensor.normal([4096, 160], using: RandomGenerator(seed: 3))
        let scale = Tensor.normal([160], using: RandomGenerator(seed: 4)),
            offset = Tensor.normal([160], using: RandomGenerator(seed: 5))
        let (one, four) = onOneAndFourWorkers {
            let (xv, sv) = (x.requiringGradient(), scale.requiringGradient())
            let (y, mean, variance) = xv.batchNormalized(scale: sv, offset: offset, epsilon: 1e-3)
            let loss = (y.tanh() * y).sum(alongAxis: 1).mean() + xv.max(alongAxis: 0).sum()
            return [y, mean, variance, xv.sum(alongAxis: 0), xv.mean(alongAxis: 1)]
                + gradients(of: loss, withRespectTo: [xv, sv])
        }
        XCTAssertEqual(one, four)
    }

    func testOptimizerUpdates() {
        let n = 1 << 20
        let g = Tensor.normal([n], using: RandomGenerator(seed: 6))
        let (one, four) = onOneAndFourWorkers {
            let p = Tensor.normal([n], using: RandomGenerator(seed: 7))
            let (m, v) = (Tensor.zeros([n]), Tensor.zeros([n]))
            let q = Tensor.normal([n], using: RandomGenerator(seed: 8)), s = Tensor.zeros([n])
            for _ in 0..<2 {
                p.adamUpdate(
                    gradient: g, firstMoment: m, secondMoment: v, correctedLearningRate: 1e-3, beta1: 0.5, beta2: 0.999,
                    epsilon: 1e-7)
                q.rmspropUpdate(gradient: g, meanSquare: s, learningRate: 1e-3, rho: 0.9, epsilon: 1e-7)
            }
            return [p, m, v, q, s]
        }
        XCTAssertEqual(one, four)
    }

    /// Where oneDNN brings OpenMP, the engine's chunks run on its team: every chunk once, on more
    /// than one thread, with the same bits as on Dispatch's threads.
    func testChunksRunOnTheOpenMPTeamWithDispatchsResults() throws {
        try XCTSkipUnless(Parallel.runsOnOpenMP, "OpenMP is not loaded here (no oneDNN): chunks run on Dispatch")
        let saved = Parallel.workers
        defer { Parallel.workers = saved }
        Parallel.workers = 3
        let lock = NSLock()
        var ranges: [Range<Int>] = [], threads = Set<UInt>()
        Parallel.forEachChunk(3000, minimumChunk: 1000) { r in
            lock.withLock {
                ranges.append(r)
                threads.insert(UInt(bitPattern: Int(bitPattern: pthread_self())))
            }
        }
        XCTAssertEqual(ranges.sorted { $0.lowerBound < $1.lowerBound }, [0..<1000, 1000..<2000, 2000..<3000])
        XCTAssertGreaterThan(threads.count, 1, "the chunks ran on one thread")
        let x = Tensor.normal([2048, 300], using: RandomGenerator(seed: 9))
        func results() -> [[Float]] {
            let xv = x.requiringGradient()
            let y = xv.selu().tanh() * 3
            return [y, gradients(of: (y * y).sum(), withRespectTo: [xv])[0]].map(\.scalars)
        }
        let openMP = results()
        Parallel.runsOnOpenMP = false
        defer { Parallel.runsOnOpenMP = true }
        XCTAssertEqual(openMP, results())
    }
}
