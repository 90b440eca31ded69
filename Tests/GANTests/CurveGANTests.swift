import Foundation
import SwiftGANArtifacts
import SwiftGANDatasets
import SwiftGANNN
import SwiftGANTensors
import SwiftGANTraining
import XCTest

func runFolder(_ name: String = #function) -> String {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent(
        "swiftgan-gan-\(getpid())-\(name.filter(\.isLetter))")
    try? FileManager.default.removeItem(at: url)
    return url.path
}

/// A curve-gan configuration writing into a fresh temporary run folder.
func curveConfig(steps: Int, sampleEvery: Int, seed: UInt64 = 0, folder: String = #function) -> TrainConfig {
    var config = TrainConfig()
    config.model = "curve-gan"
    config.steps = steps
    config.sampleEvery = sampleEvery
    config.seed = seed
    config.out = runFolder(folder)
    return config
}

final class CurveGANTests: XCTestCase {
    /// The curve GAN must learn the family y = a·x² + (a − 1), a ∈ [1, 2]: most generated curves fit
    /// a quadratic closely, with the coefficient in range and the offset equal to it minus one.
    func testCurveGANLearnsTheFamily() throws {
        let config = curveConfig(steps: 2500, sampleEvery: 2500, seed: 1)
        let run = try TrainingRun(config: config)
        let before = run.model.generate(run.model.noise(200, using: RandomGenerator(seed: 9)))
        XCTAssertLessThan(familyShare(before), 0.2, "an untrained generator should not already draw the family")
        try run.run()
        let after = run.model.generate(run.model.noise(200, using: RandomGenerator(seed: 9)))
        let share = familyShare(after)
        XCTAssertGreaterThan(share, 0.8, "only \(share) of the curves are in the family")
        // The coefficients spread over [1, 2] rather than collapsing onto one curve.
        let coefficients = (0..<200).map { QuadraticCurves.fit(row(after, $0)).a }
        XCTAssertGreaterThan(
            coefficients.max()! - coefficients.min()!, 0.5,
            "mode collapse: a ∈ \(coefficients.min()!)…\(coefficients.max()!)")
    }

    func row(_ t: Tensor, _ i: Int) -> [Float] { Array(t.scalars[(i * 16)..<((i + 1) * 16)]) }

    func familyShare(_ curves: Tensor) -> Double {
        let n = curves.shape[0]
        return Double((0..<n).filter { QuadraticCurves.isInFamily(row(curves, $0), tolerance: 0.15) }.count) / Double(n)
    }

    func testSameSeedSameRunAndCheckpointRoundTrip() throws {
        var config = curveConfig(steps: 60, sampleEvery: 30, seed: 5, folder: "a")
        let a = try TrainingRun(config: config)
        try a.run()
        config.out = runFolder("b")
        let b = try TrainingRun(config: config)
        try b.run()
        let fa = URL(fileURLWithPath: a.config.out!), fb = URL(fileURLWithPath: b.config.out!)
        for file in ["generator.safetensors", "discriminator.safetensors", "samples/step-000060.png"] {
            XCTAssertEqual(
                try Data(contentsOf: fa.appendingPathComponent(file)),
                try Data(contentsOf: fb.appendingPathComponent(file)), file)
        }
        XCTAssertEqual(a.history.map(\.metrics.generatorLoss), b.history.map(\.metrics.generatorLoss))

        let (loaded, step, _) = try Checkpoint.loadGenerator(from: fa.appendingPathComponent("generator.safetensors"))
        XCTAssertEqual(step, 60)
        XCTAssertEqual(loaded.name, "curve-gan")
        let z = a.model.noise(5, using: RandomGenerator(seed: 3))
        XCTAssertEqual(
            loaded.generate(z).scalars, a.model.generate(z).scalars,
            "the saved generator draws exactly what the trained one draws")

        let csv = try String(contentsOf: fa.appendingPathComponent("history.csv"), encoding: .utf8)
        XCTAssertEqual(csv.split(separator: "\n").count, 61, "header plus one row per step")
        let saved = try TrainConfig.load(fa.appendingPathComponent("config.json"))
        XCTAssertEqual(saved.steps, 60)
        XCTAssertEqual(saved.seed, 5)
    }

    func testWrongCheckpointsGiveClearErrors() throws {
        let run = try TrainingRun(config: curveConfig(steps: 2, sampleEvery: 2))
        try run.run()
        let folder = URL(fileURLWithPath: run.config.out!)
        XCTAssertThrowsError(
            try Checkpoint.loadGenerator(from: folder.appendingPathComponent("discriminator.safetensors"))
        ) {
            XCTAssertTrue("\($0)".contains("not its generator"), "\($0)")
        }
        XCTAssertThrowsError(try Checkpoint.loadGenerator(from: folder.appendingPathComponent("history.csv"))) {
            XCTAssertTrue("\($0)".contains("history.csv"), "\($0)")
        }
        // Weights of one architecture under another's name.
        let data = try Data(contentsOf: folder.appendingPathComponent("generator.safetensors"))
        let file = try Safetensors.decode(data)
        var metadata = file.metadata
        metadata["model"] = "mlp-gan"
        let renamed = folder.appendingPathComponent("renamed.safetensors")
        try AtomicFile.write(
            try Safetensors.encode(
                file.tensors.map { (name: $0.key, shape: $0.value.shape, values: $0.value.values) }, metadata: metadata),
            to: renamed)
        XCTAssertThrowsError(try Checkpoint.loadGenerator(from: renamed)) {
            XCTAssertTrue("\($0)".contains("does not fit"), "\($0)")
        }
    }

    func testDivergenceStopsWithAnError() throws {
        var config = curveConfig(steps: 200, sampleEvery: 5)
        config.learningRate = 1e30
        let run = try TrainingRun(config: config)
        XCTAssertThrowsError(try run.run()) { error in
            XCTAssertTrue("\(error)".contains("diverged"), "\(error)")
        }
        XCTAssertTrue(FileManager.default.fileExists(atPath: run.config.out! + "/history.csv"))
    }
}
