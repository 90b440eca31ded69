import SwiftGANBenchmarks
import SwiftGANNN
import SwiftGANTensors
import SwiftGANTraining
import XCTest

/// `swiftgan bench MODEL` times what `swiftgan train --model MODEL` trains: the model's default
/// recipe and classes, one D and one G update a step; its FLOP count covers every product.
final class ModelBenchmarkTests: XCTestCase {
    /// sngan (#25): ragan-sn (spectral norm on every weight of D, the relativistic average loss,
    /// Adam 8e-4 with β (0, 0.99) for both, an EMA of G), conditional on Fashion-MNIST's 10
    /// classes, batch 64.
    func testSNGANIsBenchedWithItsDefaultRecipeOnTenClasses() throws {
        let (step, batchSize, recipe) = try ModelBenchmark.setUp(model: "sngan", rng: RandomGenerator(seed: 0))
        XCTAssertEqual(recipe, "ragan-sn")
        XCTAssertEqual(batchSize, 64)
        XCTAssertEqual(step.model.classCount, 10)
        XCTAssertEqual(step.recipe.objective.name, "ragan")
        XCTAssertEqual(step.recipe.discriminatorOptimizer, .adam(learningRate: 8e-4, beta1: 0, beta2: 0.99))
        XCTAssertEqual(step.recipe.generatorOptimizer, .adam(learningRate: 8e-4, beta1: 0, beta2: 0.99))
        XCTAssertEqual(step.generatorAverage?.decay, 0.999)
        XCTAssertEqual(step.recipe.criticSteps, 1)
        XCTAssertEqual(step.recipe.generatorSteps, 1)
        let (wrapped, bare) = spectralNormCoverage(of: step.model.discriminator.module)
        XCTAssertEqual(bare, 0)
        XCTAssertEqual(wrapped, 2 * 3 + 2, "two blocks of three convolutions, ψ and the embedding")

        let rng = RandomGenerator(seed: 1)
        let real = Tensor.uniform([4] + step.model.sampleShape, low: -1, high: 1, using: rng)
        XCTAssertTrue(step(real: real, labels: step.model.randomLabels(4, using: rng)).isFinite)
    }

    /// A recipe with other counts per step is timed as one D and one G update, the step the peers
    /// in scripts/compare time; models with a class count of their own keep it.
    func testEveryRecipeIsTimedAsOneDAndOneGUpdate() throws {
        let dcgan = try ModelBenchmark.setUp(model: "dcgan", rng: RandomGenerator(seed: 0))
        XCTAssertEqual(dcgan.recipe, "stable-bce")
        XCTAssertEqual(dcgan.step.recipe.generatorSteps, 1)
        let critic = try ModelBenchmark.setUp(model: "mlp-gan", recipe: "wgan-gp", rng: RandomGenerator(seed: 0))
        XCTAssertEqual(critic.step.recipe.criticSteps, 1)
        XCTAssertEqual(critic.step.recipe.objective.name, "wgan-gp")
        let acgan = try ModelBenchmark.setUp(model: "acgan", rng: RandomGenerator(seed: 0))
        XCTAssertEqual(acgan.step.model.classCount, 10)
        XCTAssertEqual(acgan.batchSize, 128)
        XCTAssertThrowsError(try ModelBenchmark.setUp(model: "dcgan", recipe: "nope", rng: RandomGenerator(seed: 0)))
        let refused = try swiftgan(["bench", "sngan", "--recipe", "fastest"], expectSuccess: false)
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.output.contains("unknown recipe 'fastest' (known: tutorial"), refused.output)
    }

    /// GFLOP/s counts every one of sngan's products, whichever path a convolution takes (oneDNN,
    /// im2col and a GEMM, the direct loop of D's one-channel 3×3 and narrow 1×1s): G's and D's
    /// forward passes against the multiply-adds of their layers. Upsampling, pooling, BatchNorm and
    /// the embeddings are not products and count nothing.
    func testFLOPCountCoversEverySNGANConvolution() throws {
        let w = 8, b = 3, labels = [0, 4, 9]
        let model = try ModelZoo.make(
            "sngan", options: ModelOptions(width: w, classes: 10), rng: RandomGenerator(seed: 1))
        let noise = model.noise(b, using: RandomGenerator(seed: 2))
        /// A residual block's 3×3, 3×3 and 1×1 convolutions, in → out channels, with side×side outputs.
        func block(_ input: Int, _ output: Int, side: Int) -> Int {
            side * side * (9 * input * output + 9 * output * output + input * output)
        }
        let generator =
            128 * 7 * 7 * 4 * w + block(4 * w, 2 * w, side: 14) + block(2 * w, w, side: 28) + 28 * 28 * 9 * w
        let discriminator = block(1, w, side: 28) + block(w, 2 * w, side: 14) + 2 * w

        let generated = FLOPCounter.counting { _ = model.generate(noise, labels: labels) }
        XCTAssertEqual(generated, 2 * b * generator)
        let images = model.generate(noise, labels: labels)
        let judged = FLOPCounter.counting { _ = withoutGrad { model.discriminatorOutput(images, labels: labels) } }
        XCTAssertEqual(judged, 2 * b * discriminator)
    }
}
