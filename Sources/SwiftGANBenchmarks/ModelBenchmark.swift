import Foundation
import SwiftGANDatasets
import SwiftGANTensors
import SwiftGANTraining

/// Training speed of a zoo model: steps per second, where a step is one discriminator and one
/// generator update at the given batch size, on random data of the model's shape (data loading
/// is not part of the figure). Measured after a warm-up, over at least `seconds`.
///
/// The model and its updates are those of `swiftgan train --model NAME`
/// (``setUp(model:recipe:batchSize:rng:)``): the model's default recipe (sngan and resnet-gan:
/// `hinge-sn`, so spectral norm on D's weights, hinge loss, TTUR Adam and an EMA of G), and a
/// conditional model on Fashion-MNIST's 10 classes, with random labels. The FLOP count covers
/// every product the step issues (Dense layers, every convolution pass, spectral norm's power
/// iteration), not elementwise work (BatchNorm, upsampling, pooling, embedding lookups).
///
/// ```swift
/// let report = try ModelBenchmark(model: "sngan", seconds: 5).run()   // report.recipe == "hinge-sn"
/// ```
public struct ModelBenchmark {
    public struct Report: Codable {
        public let model: String
        /// The recipe the step trains with (the model's default unless one was given), and the
        /// classes a conditional model draws (0: unconditional).
        public let recipe: String
        public let classes: Int
        /// `fp32` or `bf16` (``Precision``): what the step's convolutions and products multiply in.
        public let precision: String
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
        /// This machine's fp32 sgemm rate on a large square product, measured just before, and the
        /// step's GFLOP/s as a share of it: how close to the fp32 arithmetic limit the step runs
        /// (above 1 in bf16 or with Winograd, which do the counted work with fewer fp32 multiplies).
        public let sgemm_gflops: Double
        public let share_of_sgemm: Double
        public let convolution_backend: String
        /// `blas` or `onednn`: the library running the matrix products.
        public let matrix_product_backend: String
        public let cpu: String
    }

    public let model: String, recipe: String?, batchSize: Int?, seconds: Double
    public let precision: Precision

    /// `recipe`: one of ``Recipes`` (nil: the model's default); `batchSize`: nil for the model's.
    public init(
        model: String, recipe: String? = nil, batchSize: Int? = nil, seconds: Double = 5,
        precision: Precision = .preferred
    ) {
        (self.model, self.recipe, self.batchSize, self.seconds) = (model, recipe, batchSize, seconds)
        self.precision = precision
    }

    /// The classes a model that draws its dataset's classes (sngan) is measured with: Fashion-MNIST's,
    /// the default dataset's.
    public static let datasetClasses = 10

    /// What a bench of `model` times: the model built and its step set up as `swiftgan train --model
    /// NAME [--recipe R]` does on Fashion-MNIST (R: ``Recipes/commandLineDefault(for:)`` when nil;
    /// the recipe's options resolved by ``TrainPlan``, spectral norm included), a model that draws
    /// its dataset's classes given ``datasetClasses``, and one D and one G update per step whatever
    /// the recipe's counts (dcgan's `stable-bce` makes two G updates; wgan-gp five D updates): the
    /// step the peers in scripts/compare time. Returns the step (its `model` is the GAN), the
    /// batch size and the recipe's name.
    public static func setUp(
        model: String, recipe: String? = nil, batchSize: Int? = nil, rng: RandomGenerator
    ) throws -> (step: GANTrainingStep, batchSize: Int, recipe: String) {
        let entry = try ModelZoo.entry(model)
        let recipeName = recipe ?? Recipes.commandLineDefault(for: model)
        var config = TrainConfig()
        config.model = model
        config.recipe = recipeName
        config.batchSize = batchSize
        config = try config.applyingRecipe()
        try config.validate()
        config.options = try TrainPlan.modelOptions(config)
        // As a run on a labelled dataset writes its class count: only where it is not the model's own.
        if entry.options.contains(.classes), config.options.classes == nil, config.options.unconditional != true,
            entry.defaultClassCount != datasetClasses
        {
            config.options.classes = datasetClasses
        }
        let gan = try ModelZoo.make(model, options: config.options, rng: rng)
        let plan = try TrainPlan(config, model: gan)
        var oneUpdateEach = plan.recipe
        (oneUpdateEach.criticSteps, oneUpdateEach.generatorSteps) = (1, 1)
        return (GANTrainingStep(model: gan, recipe: oneUpdateEach, rng: rng), plan.batchSize, recipeName)
    }

    /// Throws ``PrecisionError`` when the precision cannot run here.
    public func run() throws -> Report {
        try Precision.with(precision) { try measureStep() }
    }

    private func measureStep() throws -> Report {
        let rng = RandomGenerator(seed: 0)
        let (step, batchSize, recipeName) = try Self.setUp(
            model: model, recipe: self.recipe, batchSize: self.batchSize, rng: rng)
        let gan = step.model
        let real = Tensor.uniform(
            [batchSize] + gan.sampleShape, low: gan.dataRange.lowerBound, high: gan.dataRange.upperBound, using: rng)
        let labels = gan.classCount > 0 ? gan.randomLabels(batchSize, using: rng) : nil
        let times = measure(warmup: 10, seconds: seconds) { _ = step(real: real, labels: labels) }
        let flop = Double(FLOPCounter.counting { _ = step(real: real, labels: labels) })
        let total = times.reduce(0, +)
        let stepsPerSecond = Double(times.count) / total
        let sgemm = Precision.inFP32 { Self.sgemmRate() }
        return Report(
            model: model, recipe: recipeName, classes: gan.classCount, precision: precision.rawValue,
            batch_size: batchSize,
            steps_per_second: stepsPerSecond, median_step_ms: times.median * 1e3, steps: times.count, seconds: total,
            peak_rss_mb: peakResidentMegabytes(), threads: Parallel.workers,
            gflop_per_step: flop / 1e9, gflops: flop * stepsPerSecond / 1e9,
            sgemm_gflops: sgemm, share_of_sgemm: flop * stepsPerSecond / 1e9 / sgemm,
            convolution_backend: (ConvolutionBackend.current == .oneDNN
                ? ConvolutionBackend.oneDNNDescription : ConvolutionBackend.current.rawValue)
                + (ConvolutionBackend.usesWinograd
                    ? "; Winograd F(4×4, 5×5) \(ConvolutionBackend.winogradVariant)" : ""),
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
