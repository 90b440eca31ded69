import Foundation
import SwiftGANDatasets
import SwiftGANTensors
import SwiftGANTraining

/// Training speed of a zoo model: steps per second, where a step is one discriminator and one
/// generator update at the given batch size, on random data of the model's shape (data loading
/// is not part of the figure). Measured after a warm-up, over at least `seconds`.
public struct ModelBenchmark {
    public struct Report: Codable {
        public let model: String
        public let batch_size: Int
        public let steps_per_second: Double
        public let median_step_ms: Double
        public let steps: Int
        public let seconds: Double
        public let peak_rss_mb: Double
        public let threads: Int
        /// Floating-point operations of one step's products (matrix products, convolutions),
        /// counted as the engine issues them.
        public let gflop_per_step: Double
        public let gflops: Double
        /// This machine's sgemm rate on a large square product, measured just before, and the
        /// step's GFLOP/s as a share of it: how close to the arithmetic limit the step runs.
        public let sgemm_gflops: Double
        public let share_of_sgemm: Double
        public let convolution_backend: String
        /// `blas` or `onednn`: the library running the matrix products.
        public let matrix_product_backend: String
        public let cpu: String
    }

    public let model: String, batchSize: Int?, seconds: Double

    public init(model: String, batchSize: Int? = nil, seconds: Double = 5) {
        (self.model, self.batchSize, self.seconds) = (model, batchSize, seconds)
    }

    public func run() throws -> Report {
        let rng = RandomGenerator(seed: 0)
        let gan = try ModelZoo.make(model, rng: rng)
        let step = GANTrainingStep(model: gan, rng: rng)
        let batchSize = self.batchSize ?? gan.source.batchSize
        let real = Tensor.uniform(
            [batchSize] + gan.sampleShape, low: gan.dataRange.lowerBound, high: gan.dataRange.upperBound, using: rng)
        let labels = gan.classCount > 0 ? gan.randomLabels(batchSize, using: rng) : nil
        let times = measure(warmup: 10, seconds: seconds) { _ = step(real: real, labels: labels) }
        let flop = Double(FLOPCounter.counting { _ = step(real: real, labels: labels) })
        let total = times.reduce(0, +)
        let stepsPerSecond = Double(times.count) / total
        let sgemm = Self.sgemmRate()
        return Report(
            model: model, batch_size: batchSize, steps_per_second: stepsPerSecond,
            median_step_ms: times.median * 1e3, steps: times.count, seconds: total,
            peak_rss_mb: peakResidentMegabytes(), threads: Parallel.workers,
            gflop_per_step: flop / 1e9, gflops: flop * stepsPerSecond / 1e9,
            sgemm_gflops: sgemm, share_of_sgemm: flop * stepsPerSecond / 1e9 / sgemm,
            convolution_backend: ConvolutionBackend.current == .oneDNN
                ? ConvolutionBackend.oneDNNDescription : ConvolutionBackend.current.rawValue,
            matrix_product_backend: MatrixProductBackend.current.rawValue, cpu: cpuModel())
    }

    /// GFLOP/s of a 1024³ sgemm, best of a few, with the threads the step uses.
    static func sgemmRate() -> Double {
        let rng = RandomGenerator(seed: 1)
        let a = Tensor.normal([1024, 1024], using: rng), b = Tensor.normal([1024, 1024], using: rng)
        let best = measure(warmup: 2, seconds: 0.5) { _ = withoutGrad { a.matmul(b) } }.min()!
        return 2 * 1024 * 1024 * 1024 / best / 1e9
    }
}
