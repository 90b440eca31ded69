import Foundation
import SwiftGANNN
import SwiftGANTensors

/// The engine microbenchmark behind `swiftgan bench engine`: sgemm on the products a GAN makes,
/// and one full discriminator training step (forward, backward, Adam) of a 784-512-256-1 MLP.
public struct EngineBenchmark {
    public struct GemmResult: Codable {
        public let m, n, k: Int
        public let transA, transB: Bool
        public let gflops: Double
        public let seconds: Double
    }

    public struct Report: Codable {
        public let gemm: [GemmResult]
        /// Median milliseconds of one forward+backward+Adam step, batch 64.
        public let d_step_ms: Double
        public let d_step_best_ms: Double
        public let d_step_gflops: Double
        public let pool_fresh_allocations_per_step: Double
        public let threads: Int
    }

    /// (m, n, k, transA, transB): the D/G forward products, an input-gradient product and the
    /// weight-gradient products of an MLP GAN at batch 64.
    public static let gemmShapes: [(Int, Int, Int, Bool, Bool)] = [
        (64, 256, 100, false, false),  // G: noise → 256
        (64, 784, 1024, false, false),  // G: 1024 → 784
        (1024, 784, 64, true, false),  // G: weight gradient Xᵀ·dY of the 1024 → 784 layer
        (64, 1024, 784, false, true),  // G: input gradient dY·Wᵀ of the same layer
        (64, 512, 784, false, false),  // D: 784 → 512
        (784, 512, 64, true, false),  // D: weight gradient of the 784 → 512 layer
    ]

    public var seconds: Double

    public init(seconds: Double = 1) { self.seconds = seconds }

    public func run() -> Report {
        let rng = RandomGenerator(seed: 0)
        var gemm: [GemmResult] = []
        for (m, n, k, ta, tb) in Self.gemmShapes {
            let a = Tensor.normal(ta ? [k, m] : [m, k], using: rng)
            let b = Tensor.normal(tb ? [n, k] : [k, n], using: rng)
            let times = measure(warmup: 3, seconds: seconds / 2) {
                _ = withoutGrad { a.matmul(b, transposeSelf: ta, transposeOther: tb) }
            }
            let best = times.min()!
            gemm.append(
                GemmResult(
                    m: m, n: n, k: k, transA: ta, transB: tb,
                    gflops: 2 * Double(m * n * k) / best / 1e9, seconds: best))
        }

        let d = Sequential([
            Dense(784, 512, rng: rng), LeakyReLU(0.2), Dense(512, 256, rng: rng), LeakyReLU(0.2),
            Dense(256, 1, rng: rng),
        ])
        let optimizer = Adam(parameters: d.parameters, learningRate: 2e-4, beta1: 0.5)
        let x = Tensor.uniform([64, 784], low: -1, high: 1, using: rng)
        let targets = Tensor.ones([64, 1])
        func step() {
            let loss = binaryCrossEntropy(logits: d(x), targets: targets)
            optimizer.step(gradients(of: loss, withRespectTo: optimizer.parameters))
        }
        let before = BufferPool.shared.statistics.freshAllocations
        let times = measure(warmup: 20, seconds: seconds * 2, step)
        let fresh = Double(BufferPool.shared.statistics.freshAllocations - before) / Double(times.count + 20)
        // Forward 2·b·Σ(in·out), backward twice that less the first layer's input gradient.
        let macs = 64 * (784 * 512 + 512 * 256 + 256 * 1)
        let flops = Double(2 * macs * 3 - 2 * 64 * 784 * 512)
        return Report(
            gemm: gemm, d_step_ms: times.median * 1e3, d_step_best_ms: times.min()! * 1e3,
            d_step_gflops: flops / times.median / 1e9,
            pool_fresh_allocations_per_step: fresh, threads: Parallel.workers)
    }
}

/// Encodes a benchmark report as one line of JSON with sorted keys.
public func jsonLine<T: Encodable>(_ value: T) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    return String(decoding: try! encoder.encode(value), as: UTF8.self)
}
