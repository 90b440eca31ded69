import Foundation
import SwiftGANArtifacts
import SwiftGANNN
import SwiftGANTensors
import XCTest

@testable import SwiftGANTraining

/// sngan (#25): residual G with conditional BatchNorm, residual D with a projection head, at
/// 28, 32 and 64, conditional on labelled data and unconditional otherwise.
final class SNGANTests: XCTestCase {
    func testShapesAtEverySizeConditionalOrNot() throws {
        for (size, channels, classes) in [(28, 1, 10), (32, 3, 13), (64, 3, 0)] {
            let options = ModelOptions(
                width: 4, imageSize: ImageSize(height: size, width: size), channels: channels,
                classes: classes == 0 ? nil : classes)
            let model = try ModelZoo.make("sngan", options: options, rng: RandomGenerator(seed: 1))
            XCTAssertEqual(model.classCount, classes)
            let labels = classes > 0 ? [0, classes - 1, 1] : nil
            let images = model.generate(model.noise(3, using: RandomGenerator(seed: 2)), labels: labels)
            XCTAssertEqual(images.shape, [3, size, size, channels])
            let logits = model.discriminator(images, labels: labels)
            XCTAssertEqual(logits.shape, [3, 1])
            XCTAssertTrue(logits.isFinite)
        }
        XCTAssertThrowsError(
            try ModelZoo.make("sngan", options: ModelOptions(imageSize: 48), rng: RandomGenerator(seed: 1))
        ) { XCTAssertTrue("\($0)".contains("28×28, 32×32 or 64×64"), "\($0)") }
        let unconditional = try ModelZoo.make(
            "sngan", options: ModelOptions(classes: 10, unconditional: true), rng: RandomGenerator(seed: 1))
        XCTAssertEqual(unconditional.classCount, 0)
    }

    /// The labels change what G draws and what D says, through cBN and the projection.
    func testLabelsReachBothNetworks() throws {
        let model = try ModelZoo.make(
            "sngan", options: ModelOptions(width: 4, classes: 3), rng: RandomGenerator(seed: 1))
        // Move the class embeddings off their initial values (scale 1, shift 0: the same for every class).
        for parameter in model.generator.parameters where parameter.rank == 2 && parameter.shape[0] == 3 {
            for i in 0..<parameter.count { parameter.data[i] += Float(i % 7) * 0.1 }
        }
        let noise = model.noise(2, using: RandomGenerator(seed: 2))
        let a = model.generate(noise, labels: [0, 0]), b = model.generate(noise, labels: [2, 2])
        XCTAssertTrue(a.isFinite && b.isFinite)
        XCTAssertFalse(a.scalars == b.scalars, "G draws by class")
        XCTAssertFalse(
            model.discriminator(a, labels: [0, 0]).scalars == model.discriminator(a, labels: [1, 1]).scalars,
            "D judges by class")
    }

    /// Spectral norm (the default recipe's) wraps every weight of D: convolutions, the Dense ψ and
    /// the embedding, and with `--attention` the attention block's four convolutions; with
    /// `--conditioning auxiliary` both Dense heads.
    func testSpectralNormWrapsEveryWeightOfD() throws {
        for (attention, conditioning) in [(nil, nil), (14, nil), (14, "auxiliary")] as [(Int?, String?)] {
            let options = ModelOptions(
                width: 8, classes: 10, spectralNorm: true, conditioning: conditioning, attention: attention,
                minibatchStddev: attention != nil)
            let model = try ModelZoo.make("sngan", options: options, rng: RandomGenerator(seed: 1))
            let (wrapped, bare) = spectralNormCoverage(of: model.discriminator.module)
            XCTAssertEqual(bare, 0, "\(options)")
            // Two blocks of three convolutions, the heads (ψ and the embedding, or ψ and the
            // classifier) and the attention's query, key, value and output.
            XCTAssertEqual(wrapped, 2 * 3 + 2 + (attention == nil ? 0 : 4), "\(options)")
            let attentions = model.discriminator.namedModules.filter { $0.module is SelfAttention }
            XCTAssertEqual(attentions.count, attention == nil ? 0 : 1)
            for (name, module) in attentions {
                XCTAssertTrue(module.children.allSatisfy { $0.module is SpectralNorm }, name)
            }
            let images = model.generate(model.noise(4, using: RandomGenerator(seed: 2)), labels: [0, 1, 2, 3])
            XCTAssertTrue(model.discriminator(images, labels: [0, 1, 2, 3]).isFinite)
        }
    }

    /// A short conditional run with its default recipe, then with WGAN-GP and R1, whose penalties
    /// differentiate D's input gradient through cBN-free D and the projection: finite, and resumable
    /// to the same bytes.
    func testTrainsWithPenaltiesAndResumesExactly() throws {
        let data = try randomIDXFolder("sngan-data", count: 40, seed: 3)
        var config = TrainConfig()
        config.model = "sngan"
        config.dataset = "mnist"
        config.dataDir = data.path
        config.options = ModelOptions(width: 4)
        config.batchSize = 8
        config.steps = 6
        config.sampleEvery = 3
        config.seed = 5
        config.r1 = 1
        config.recipe = Recipes.commandLineDefault(for: "sngan")
        config.out = runFolder("sngan-r1")
        let run = try TrainingRun(config: config)
        try run.run()
        XCTAssertEqual(run.model.classCount, 10, "conditional on labelled data")
        XCTAssertTrue(run.history.allSatisfy { $0.metrics.isFinite })
        XCTAssertEqual(config.recipe, "ragan-sn")
        XCTAssertTrue(run.model.discriminator.contains { $0 is SpectralNorm }, "ragan-sn's spectral norm")

        var gp = config
        gp.r1 = nil
        gp.loss = "wgan-gp"
        gp.out = runFolder("sngan-gp")
        let penalised = try TrainingRun(config: gp)
        try penalised.run()
        XCTAssertTrue(penalised.history.allSatisfy { $0.metrics.isFinite })

        config.r1 = nil
        try assertResumeIsExact(config)
    }
}

/// How many weighted layers under `module` spectral norm wraps, and how many it leaves bare (a
/// wrapped layer's own weights are not counted again).
func spectralNormCoverage(of module: any Module) -> (wrapped: Int, bare: Int) {
    if module is SpectralNorm { return (1, 0) }
    var count = (wrapped: 0, bare: module is any WeightedLayer ? 1 : 0)
    for child in module.children {
        let inner = spectralNormCoverage(of: child.module)
        count.wrapped += inner.wrapped
        count.bare += inner.bare
    }
    return count
}
