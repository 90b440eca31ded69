import Foundation
import SwiftGANArtifacts
import SwiftGANDatasets
import SwiftGANTensors
import SwiftGANTraining
import XCTest

extension XCTestCase {
    /// A run stopped at a sample point and resumed ends exactly where an uninterrupted run ends.
    func assertResumeIsExact(_ config: TrainConfig, file: StaticString = #filePath, line: UInt = #line) throws {
        var straight = config
        straight.out = runFolder("straight-\(config.model)")
        try TrainingRun(config: straight).run()

        var first = config
        first.out = runFolder("resumed-\(config.model)")
        first.steps = config.steps / 2
        try TrainingRun(config: first).run()
        var second = first
        second.steps = config.steps
        let resumed = try TrainingRun(config: second)
        try resumed.resume()
        XCTAssertEqual(resumed.startStep, config.steps / 2, file: file, line: line)
        try resumed.run()

        for name in ["generator.safetensors", "discriminator.safetensors"] {
            let a = try Data(contentsOf: URL(fileURLWithPath: straight.out! + "/" + name))
            let b = try Data(contentsOf: URL(fileURLWithPath: second.out! + "/" + name))
            XCTAssertEqual(a, b, "\(name) differs after resuming", file: file, line: line)
        }
        // The training state matches too, apart from the wall-clock time it records.
        let a = try Safetensors.read(from: URL(fileURLWithPath: straight.out! + "/training-state.safetensors"))
        let b = try Safetensors.read(from: URL(fileURLWithPath: second.out! + "/training-state.safetensors"))
        XCTAssertEqual(
            a.metadata.filter { $0.key != "seconds" }, b.metadata.filter { $0.key != "seconds" }, file: file, line: line
        )
        XCTAssertEqual(a.tensors.mapValues(\.values), b.tensors.mapValues(\.values), file: file, line: line)
        XCTAssertEqual(resumed.history.count, config.steps, file: file, line: line)
        let gif = try Data(contentsOf: URL(fileURLWithPath: second.out! + "/training.gif"))
        XCTAssertEqual(
            gif, try Data(contentsOf: URL(fileURLWithPath: straight.out! + "/training.gif")), file: file, line: line)
    }

    /// `count` random 28×28 images labelled 0…9 in turn, as the four MNIST-style IDX files.
    func randomIDXFolder(_ name: String, count: Int, seed: UInt64) throws -> URL {
        let data = URL(fileURLWithPath: runFolder(name))
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        let rng = RandomGenerator(seed: seed)
        let images = IDXFile(
            dimensions: [count, 28, 28], values: (0..<(count * 784)).map { _ in UInt8(rng.integer(below: 256)) })
        let labels = IDXFile(dimensions: [count], values: (0..<count).map { UInt8($0 % 10) })
        for (name, file) in [
            ("train-images-idx3-ubyte", images), ("train-labels-idx1-ubyte", labels),
            ("t10k-images-idx3-ubyte", images), ("t10k-labels-idx1-ubyte", labels),
        ] {
            try file.encoded().write(to: data.appendingPathComponent(name))
        }
        return data
    }
}

final class ResumeTests: XCTestCase {
    func testCurveGANResumesExactly() throws {
        try assertResumeIsExact(curveConfig(steps: 40, sampleEvery: 10, seed: 3))
    }

    /// An image model: the data order (a shuffled epoch half consumed) must survive the restart too.
    func testImageGANResumesExactlyAcrossEpochs() throws {
        let data = try randomIDXFolder("idx-data", count: 37, seed: 1)
        var config = TrainConfig()
        config.model = "mlp-gan"
        config.dataset = "mnist"
        config.dataDir = data.path
        config.batchSize = 8
        config.steps = 14
        config.sampleEvery = 7
        config.seed = 2
        try assertResumeIsExact(config)
    }

    /// A conditional model with random targets, label noise, two G updates per step, random
    /// batches and quality measurements: every random draw must continue where it stopped.
    func testConditionalRunWithEveryOptionResumesExactly() throws {
        let data = try randomIDXFolder("idx-data-conditional", count: 40, seed: 5)
        var config = TrainConfig()
        config.model = "cgan"
        config.dataDir = data.path
        config.batchSize = 8
        config.steps = 12
        config.sampleEvery = 6
        config.seed = 4
        config.targets = TargetOptions(smoothing: 0.2, twoSided: true, perExample: true, flipProbability: 0.05)
        config.generatorSteps = 2
        config.sampling = "random"
        config.batchesPerEpoch = 5
        config.evalEvery = 3
        config.evalSamples = 10
        try assertResumeIsExact(config)
        // The measurements too (fid and kid columns), at steps 3, 6, 9 and 12.
        func quality(_ folder: String) throws -> [String] {
            // runFolder's path, without the clean-up runFolder does.
            let path = FileManager.default.temporaryDirectory.appendingPathComponent(
                "swiftgan-gan-\(getpid())-\(folder.filter(\.isLetter))"
            ).path
            return try String(contentsOfFile: path + "/history.csv", encoding: .utf8).split(separator: "\n").dropFirst()
                .map { $0.split(separator: ",", omittingEmptySubsequences: false).suffix(2).joined(separator: ",") }
        }
        let straight = try quality("straight-cgan"), resumed = try quality("resumed-cgan")
        XCTAssertEqual(straight, resumed)
        XCTAssertEqual(straight.enumerated().filter { $0.element != "," }.map { $0.offset + 1 }, [3, 6, 9, 12])
    }

    func testResumingAFinishedRunAsksForMoreSteps() throws {
        var config = curveConfig(steps: 4, sampleEvery: 2)
        try TrainingRun(config: config).run()
        let again = try TrainingRun(config: config)
        XCTAssertThrowsError(try again.resume()) { XCTAssertTrue("\($0)".contains("larger --steps"), "\($0)") }
        config.out = runFolder("empty")
        XCTAssertThrowsError(try TrainingRun(config: config).resume()) {
            XCTAssertTrue("\($0)".contains("cannot resume"), "\($0)")
        }
    }
}
