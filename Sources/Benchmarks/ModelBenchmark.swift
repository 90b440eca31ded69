import Datasets
import Foundation
import GAN
import Tensors

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
    }

    public let model: String, batchSize: Int?, seconds: Double

    public init(model: String, batchSize: Int? = nil, seconds: Double = 5) {
        (self.model, self.batchSize, self.seconds) = (model, batchSize, seconds)
    }

    public func run() throws -> Report {
        let rng = RandomGenerator(seed: 0)
        let gan = try ModelZoo.make(model, rng: rng)
        let step = GANTrainingStep(model: gan, rng: rng)
        let batchSize = self.batchSize ?? gan.batchSize
        let real = Tensor.uniform([batchSize] + gan.sampleShape, low: gan.dataRange.lowerBound, high: gan.dataRange.upperBound, using: rng)
        let labels = gan.classCount > 0 ? gan.randomLabels(batchSize, using: rng) : nil
        let times = measure(warmup: 10, seconds: seconds) { _ = step(real: real, labels: labels) }
        let total = times.reduce(0, +)
        return Report(model: model, batch_size: batchSize, steps_per_second: Double(times.count) / total,
                      median_step_ms: times.median * 1e3, steps: times.count, seconds: total,
                      peak_rss_mb: peakResidentMegabytes(), threads: Parallel.workers)
    }
}
