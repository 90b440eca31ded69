import Foundation
import SwiftGANNN
import SwiftGANTensors
import XCTest

@testable import SwiftGANTraining

/// A run of a model built by one's own code: what the library refuses rather than doing silently.
final class LibraryRunTests: XCTestCase {
    func curveModel(_ rng: RandomGenerator) -> GANModel {
        GANModel(
            name: "my-curves", generator: Sequential([Dense(8, 32, rng: rng), ReLU(), Dense(32, 16, rng: rng)]),
            discriminator: Sequential([Dense(16, 32, rng: rng), LeakyReLU(0.2), Dense(32, 1, rng: rng)]),
            noiseSize: 8, sample: .curves(points: 16), dataRange: -1...1, source: CurveGAN.source)
    }

    func testAResumeUnderOtherSettingsIsRefused() throws {
        var config = TrainConfig()
        (config.steps, config.sampleEvery, config.out) = (20, 10, runFolder())
        try TrainingRun(model: curveModel(RandomGenerator(seed: 1)), config: config).run()
        var other = config
        other.steps = 40  // may change
        other.batchSize = 16  // may not
        let run = try TrainingRun(model: curveModel(RandomGenerator(seed: 1)), config: other)
        XCTAssertThrowsError(try run.resume()) {
            XCTAssertTrue("\($0)".contains("other settings (batchSize)"), "\($0)")
        }
        var longer = config
        longer.steps = 30
        let resumed = try TrainingRun(model: curveModel(RandomGenerator(seed: 1)), config: longer)
        try resumed.resume()
        try resumed.run()
        XCTAssertEqual(resumed.history.count, 30)
    }

    func testARecipeAskingForSpectralNormNeedsItInTheModel() throws {
        var config = TrainConfig()
        (config.steps, config.recipe, config.out) = (2, "hinge-sn", runFolder())
        XCTAssertThrowsError(try TrainingRun(model: curveModel(RandomGenerator(seed: 0)), config: config)) {
            XCTAssertTrue("\($0)".contains("asks for spectral norm"), "\($0)")
        }
        let model = curveModel(RandomGenerator(seed: 0))
        let normalized = GANModel(
            name: model.name, generator: model.generator.module,
            discriminator: try model.discriminator.module.rewritingLayers {
                ($0 as? any WeightedLayer).map { SpectralNorm($0, rng: RandomGenerator(seed: 0)) }
            }, noiseSize: 8, sample: model.sample, dataRange: model.dataRange, source: model.source)
        let run = try TrainingRun(model: normalized, config: config)
        XCTAssertEqual(run.config.options.spectralNorm, true)
    }

    func testATwoInputNetworkIsNotExportedAsIfItHadOne() throws {
        final class Projection: LabelledLayer {
            let dense: Dense
            init(rng: RandomGenerator) { dense = Dense(16, 1, rng: rng) }
            func callAsFunction(_ x: Tensor, labels: [Int]?) -> Tensor { dense(x) }
        }
        let rng = RandomGenerator(seed: 0)
        let model = GANModel(
            name: "projected", generator: Sequential([Dense(8 + 3, 16, rng: rng)]), discriminator: Projection(rng: rng),
            noiseSize: 8, sample: .curves(points: 16), dataRange: -1...1, source: CurveGAN.source,
            conditioning: .labels(classes: 3))
        XCTAssertNoThrow(try ONNXExport.model(model, role: "generator", step: 0, producerVersion: "test"))
        // A labelled network of one's own exports only through its own ONNXLabelledExportable form.
        XCTAssertThrowsError(try ONNXExport.model(model, role: "discriminator", step: 0, producerVersion: "test")) {
            XCTAssertTrue("\($0)".contains("no ONNX form for Projection"), "\($0)")
            XCTAssertTrue("\($0)".contains("ONNXLabelledExportable"), "\($0)")
        }
    }
}
