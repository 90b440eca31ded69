import Foundation
import SwiftGANArtifacts
import SwiftGANDatasets
import SwiftGANNN
import SwiftGANTensors
import SwiftGANTraining
import XCTest

/// Spectral norm in the zoo, the moving average of G's weights, and DiffAugment.
final class TrainingTricksTests: XCTestCase {
    /// θ̄ ← d·θ̄ + (1 − d)·θ with d = min(0.9, (1 + t)/(10 + t)): written out for three updates.
    func testMovingAverageFollowsTheFormula() {
        let p = Tensor([1, -2]).requiringGradient()
        let average = ParameterAverage(parameters: [p], decay: 0.9)
        var expected: [Double] = [1, -2]
        for (t, values) in [[2.0, 0.0], [4.0, 1.0], [-1.0, 3.0]].enumerated() {
            p.assign(Tensor(values.map(Float.init)))
            let d = min(0.9, Double(1 + t) / Double(10 + t))
            expected = zip(expected, values).map { d * $0 + (1 - d) * $1 }
            XCTAssertEqual(Double(average.currentDecay), d, accuracy: 1e-7)
            average.update()
            assertClose(average.averages[0].scalars, expected.map(Float.init), tolerance: 1e-6)
        }
        let inside = average.withAverages { p.scalars }
        assertClose(inside, expected.map(Float.init), tolerance: 1e-6)
        XCTAssertEqual(p.scalars, [-1, 3], "the live weights come back")
    }

    /// With `--ema`, the saved generator holds the averaged weights, not the live ones.
    func testSavedGeneratorIsTheAverage() throws {
        var config = curveConfig(steps: 30, sampleEvery: 30, seed: 4)
        config.ema = 0.95
        let run = try TrainingRun(config: config)
        try run.run()
        let saved = try Safetensors.read(from: URL(fileURLWithPath: config.out! + "/generator.safetensors"))
        let names = run.model.generator.namedParameters.map(\.name)
        let averages = run.step.generatorAverage!.averages
        for (name, average) in zip(names, averages) {
            XCTAssertEqual(saved.tensors[name]?.values, average.scalars, name)
        }
        XCTAssertNotEqual(saved.tensors[names[0]]?.values, run.model.generator.parameters[0].scalars)
    }

    /// Spectral norm wraps every Dense and Conv2D of D (ACGAN's two heads too), nothing of G.
    func testSpectralNormWrapsEveryWeightOfD() throws {
        for name in ["mlp-gan", "dcgan", "acgan", "dcgan64"] {
            let model = try ModelZoo.make(
                name, options: ModelOptions(spectralNorm: true), rng: RandomGenerator(seed: 1))
            let d = model.discriminator.namedBuffers.filter { $0.name.hasSuffix("sn_u") }.count
            let weights = model.discriminator.namedParameters.filter {
                $0.name.hasSuffix("weight") || $0.name.hasSuffix("kernel")
            }.count
            XCTAssertEqual(d, weights, name)
            XCTAssertGreaterThan(d, 1, name)
            XCTAssertFalse(model.generator.contains { $0 is SpectralNorm }, name)
        }
    }

    /// A run with every trick at once (hinge loss, spectral norm, EMA, DiffAugment, TTUR) resumes
    /// byte-identical: the power-iteration vectors and the averages are in the training state.
    func testRunWithEveryTrickResumesExactly() throws {
        let data = try randomIDXFolder("idx-tricks", count: 40, seed: 6)
        var config = TrainConfig()
        config.model = "mlp-gan"
        config.dataset = "mnist"
        config.dataDir = data.path
        config.batchSize = 8
        config.steps = 10
        config.sampleEvery = 5
        config.seed = 3
        config.loss = "hinge"
        config.options.spectralNorm = true
        config.ema = 0.9
        config.diffAugment = "color,translation,cutout"
        config.discriminatorLearningRate = 4e-4
        config.generatorLearningRate = 1e-4
        try assertResumeIsExact(config)
        // assertResumeIsExact's resumed run folder, left in place.
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "swiftgan-gan-\(getpid())-resumedmlpgan")
        let state = try Safetensors.read(from: folder.appendingPathComponent("training-state.safetensors"))
        XCTAssertTrue(state.tensors.keys.contains { $0.hasSuffix("sn_u") })
        XCTAssertTrue(state.tensors.keys.contains { $0.hasPrefix("generator_average.") })
    }

    /// Each DiffAugment policy is differentiable (finite differences, first and second order) and
    /// seeded: the same seed gives the same augmentation, another seed another.
    func testDiffAugmentIsDifferentiableAndSeeded() throws {
        let x = Tensor.uniform([3, 8, 8, 2], low: -1, high: 1, using: RandomGenerator(seed: 2))
        for policy in DiffAugment.Policy.allCases {
            let augment = try DiffAugment(policy.rawValue)
            func f(_ t: [Tensor]) -> Tensor { augment(t[0], range: -1...1, using: RandomGenerator(seed: 5)) }
            let check = GradientCheck(step: 1e-2, absoluteTolerance: 1e-3, relativeTolerance: 1e-2)
            XCTAssertTrue(check.check([x], f).isEmpty, "\(policy)")
            XCTAssertTrue(check.checkSecondOrder([x], { f($0) * f($0) }).isEmpty, "\(policy) second order")
            XCTAssertEqual(f([x]).scalars, f([x]).scalars, "\(policy)")
            XCTAssertNotEqual(
                augment(x, range: -1...1, using: RandomGenerator(seed: 6)).scalars, f([x]).scalars, "\(policy)")
            XCTAssertNotEqual(f([x]).scalars, x.scalars, "\(policy)")
        }
        XCTAssertThrowsError(try DiffAugment("color,flip")) {
            XCTAssertTrue("\($0)".contains("unknown DiffAugment policy 'flip'"), "\($0)")
        }
    }

    /// Translation by hand: a row shift of +1 moves row 1 to row 0 and zero-fills the last row;
    /// cutout zeroes a (size/2)² square.
    func testTranslationAndCutoutByHand() throws {
        let x = Tensor((1...9).map(Float.init), shape: [1, 3, 3, 1])
        XCTAssertEqual(x.translated(rows: [1], columns: [0]).scalars, [4, 5, 6, 7, 8, 9, 0, 0, 0])
        XCTAssertEqual(x.translated(rows: [0], columns: [-1]).scalars, [0, 1, 2, 0, 4, 5, 0, 7, 8])
        XCTAssertEqual(x.translated(rows: [5], columns: [0]).scalars, [Float](repeating: 0, count: 9))
        let cut = try DiffAugment("cutout")(Tensor.ones([4, 8, 8, 1]), range: -1...1, using: RandomGenerator(seed: 1))
        for b in 0..<4 {
            let zeros = (0..<64).filter { cut.data[b * 64 + $0] == 0 }.count
            XCTAssertTrue((1...16).contains(zeros), "image \(b): \(zeros) zeros, at most a 4×4 square")
        }
    }
}
