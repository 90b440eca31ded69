import Foundation
import SwiftGANNN
import SwiftGANTensors
import SwiftGANTraining
import XCTest

/// The residual model of the zoo: its shapes, spectral norm reaching into its blocks, and a short
/// run with its default recipe. It was added as a zoo file and a registry line; the help and the
/// default recipe come from its entry.
final class ResNetGANTests: XCTestCase {
    func testShapesAndSpectralNormInsideTheBlocks() throws {
        let model = try ModelZoo.make(
            "resnet-gan", options: ModelOptions(width: 4, spectralNorm: true), rng: RandomGenerator(seed: 0))
        let z = model.noise(3, using: RandomGenerator(seed: 1))
        let fake = model.generator(z)
        XCTAssertEqual(fake.shape, [3, 28, 28, 1])
        XCTAssertEqual(model.discriminator(fake).shape, [3, 1])
        let modules = model.discriminator.namedModules.map(\.module)
        // Two blocks of three convolutions each, and the final Dense: all normalized, none left bare.
        XCTAssertEqual(modules.filter { $0 is SpectralNorm }.count, 7)
        XCTAssertEqual(modules.filter { $0 is Conv2D || $0 is Dense }.count, 0)
        XCTAssertTrue(
            model.discriminator.namedParameters.map(\.name).contains("0.main.0.kernel"),
            model.discriminator.namedParameters.map(\.name).joined(separator: ", "))
        // Dense 128 → 7·7·8; up blocks 8 → 4 and 4 → 4 (BN, conv 3×3, BN, conv 3×3, shortcut 1×1); BN; conv 3×3 → 1.
        let upBlock = { (i: Int, o: Int) in 2 * i + (9 * i * o + o) + 2 * o + (9 * o * o + o) + (i * o + o) }
        XCTAssertEqual(
            model.generator.parameterCount, (128 * 392 + 392) + upBlock(8, 4) + upBlock(4, 4) + 2 * 4 + (9 * 4 + 1))
    }

    func testTheEntryIsTheOnlyPlaceThatNamesIt() throws {
        XCTAssertTrue(ModelZoo.names.contains("resnet-gan"))
        XCTAssertEqual(Recipes.commandLineDefault(for: "resnet-gan"), "hinge-sn")
        XCTAssertTrue(try XCTUnwrap(TrainOptions.named("width")).help.hasPrefix("dcgan64, cgan, resnet-gan, sngan:"))
        XCTAssertTrue(try XCTUnwrap(TrainOptions.named("model")).help.contains("resnet-gan"))
        XCTAssertThrowsError(
            try ModelZoo.make("resnet-gan", options: ModelOptions(width: 0), rng: RandomGenerator(seed: 0))
        ) {
            XCTAssertTrue("\($0)".contains("--width must lie in 1...256, got 0"), "\($0)")
        }
    }

    func testTrainsWithItsDefaultRecipe() throws {
        let data = try randomIDXFolder("idx-resnet", count: 32, seed: 5)
        var config = TrainConfig()
        (config.model, config.dataset, config.dataDir) = ("resnet-gan", "mnist", data.path)
        config.recipe = Recipes.commandLineDefault(for: "resnet-gan")
        config.options.width = 4
        (config.batchSize, config.steps, config.sampleEvery) = (8, 4, 2)
        config.out = runFolder()
        let run = try TrainingRun(config: config)
        try run.run()
        XCTAssertEqual(run.history.count, 4)
        XCTAssertTrue(run.history.allSatisfy { $0.metrics.isFinite })
        XCTAssertEqual(run.step.recipe.objective.name, "hinge")
        XCTAssertTrue(run.model.discriminator.contains { $0 is SpectralNorm })
        XCTAssertNotNil(run.step.generatorAverage)
    }
}
