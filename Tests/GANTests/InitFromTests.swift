import Foundation
import SwiftGANArtifacts
import SwiftGANNN
import SwiftGANTensors
import XCTest

@testable import SwiftGANTraining

/// A run's weights, and G's moving average, as its first step begins: what it was initialised with.
private final class StartingWeights: TrainingObserver {
    var generator: [String: [Float]] = [:], discriminator: [String: [Float]] = [:]
    var averages: [[Float]]?

    func runWillStart(_ run: TrainingRun) throws {
        generator = Self.values(run.model.generator)
        discriminator = Self.values(run.model.discriminator)
        averages = run.step.generatorAverage?.averages.map(\.scalars)
    }

    static func values(_ network: any Module) -> [String: [Float]] {
        Dictionary(uniqueKeysWithValues: network.namedState.map { ($0.name, $0.tensor.scalars) })
    }
}

/// Fine-tuning: `--init-from` a run folder, a checkpoint or a pretrained model, and `--pretrained`.
final class InitFromTests: XCTestCase {
    /// One network's tensors in a run's training state.
    func stateTensors(_ folder: String, _ prefix: String) throws -> [String: [Float]] {
        let file = try Safetensors.read(from: URL(fileURLWithPath: folder + "/training-state.safetensors"))
        return Dictionary(
            uniqueKeysWithValues: file.tensors.filter { $0.key.hasPrefix(prefix + ".") }.map {
                (String($0.key.dropFirst(prefix.count + 1)), $0.value.values)
            })
    }

    /// The files of a model that ships; the test is skipped, naming the missing file, where this
    /// build lacks them.
    func pretrainedFiles(_ name: String) throws -> (generator: URL, discriminator: URL?, config: URL?) {
        do { return try Pretrained.files(named: name) } catch { throw XCTSkip("\(error)") }
    }

    /// Run B starts where run A ended: its G and D before any step are A's raw networks from A's
    /// training state, G's moving average starts from them, and B's step-0 picture is A's last G
    /// drawing the same fixed noise (the seed is the same, and the model is built from it before the
    /// noise is drawn). The picture files themselves differ in one thing: curve-gan's plot is
    /// titled with its step ("at step 12", "at step 0"), so A's final G is drawn again with B's title
    /// and compared byte for byte.
    func testARunStartsFromAnotherRunsTrainingState() throws {
        let a = try TrainingRun(config: curveConfig(steps: 12, sampleEvery: 6, seed: 4, folder: "init-a"))
        try a.run()
        var config = curveConfig(steps: 3, sampleEvery: 3, seed: 4, folder: "init-b")
        config.initFrom = a.config.out!
        config.ema = 0.9
        var lines: [String] = []
        let b = try TrainingRun(config: config, log: { lines.append($0) })
        let start = StartingWeights()
        b.add(start)
        try b.run()

        XCTAssertEqual(start.generator, try stateTensors(a.config.out!, "generator"))
        XCTAssertEqual(start.discriminator, try stateTensors(a.config.out!, "discriminator"))
        XCTAssertEqual(start.generator, StartingWeights.values(a.model.generator), "the state holds A's last G")
        XCTAssertEqual(
            start.averages, a.model.generator.parameters.map(\.scalars), "the EMA starts from the loaded weights")
        XCTAssertTrue(
            lines.contains {
                $0.hasPrefix("initialised G and D from ") && $0.contains("training-state.safetensors (step 12)")
            }, "\(lines)")

        XCTAssertEqual(a.fixedNoise.scalars, b.fixedNoise.scalars, "the same seed draws the same fixed noise")
        // Drawn in the precision B ran in (this CPU's default), as B drew it.
        let redrawn = try Precision.with(.preferred) {
            try RunPictures.samples(
                generated: a.model.generate(a.fixedNoise, labels: a.fixedLabels), real: a.realExamples, model: a.model,
                step: 0
            ).png()
        }
        XCTAssertEqual(try Data(contentsOf: b.folder.samplePicture(step: 0)), redrawn)
        // B is a run of its own: steps from 0, its own configuration recording where it started.
        XCTAssertEqual(b.history.map(\.step), [1, 2, 3])
        XCTAssertEqual(try TrainConfig.load(b.folder.config).initFrom, a.config.out!)
    }

    /// Weights of another model are refused naming both; the same model built with other options
    /// is refused listing each tensor whose shape differs, with both shapes. Neither changes the
    /// model or writes a file.
    func testAnotherModelOrOtherOptionsAreRefusedWithTheDifferences() throws {
        let folder = URL(fileURLWithPath: runFolder("init-files"))
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let mlp = try ModelZoo.make("mlp-gan", rng: RandomGenerator(seed: 1))
        let mlpFile = folder.appendingPathComponent("mlp-generator.safetensors")
        try Checkpoint.save(mlp.generator, of: mlp, role: "generator", step: 3, to: mlpFile)

        var config = TrainConfig()
        config.model = "dcgan"
        config.dataset = "mnist"
        config.dataDir = try randomIDXFolder("init-data", count: 16, seed: 1).path
        config.batchSize = 8
        config.steps = 1
        config.out = runFolder("init-dcgan")
        config.initFrom = mlpFile.path
        let run = try TrainingRun(config: config)
        let before = StartingWeights.values(run.model.generator)
        XCTAssertThrowsError(try run.run()) {
            let message = "\($0)"
            XCTAssertTrue(message.hasPrefix("--init-from "), message)
            XCTAssertTrue(message.contains("generator of mlp-gan, not of dcgan"), message)
        }
        XCTAssertEqual(StartingWeights.values(run.model.generator), before, "a refused load changes nothing")
        XCTAssertEqual(run.folder.runFiles(), [], "a refused run writes nothing")

        let narrow = try ModelZoo.make(
            "dcgan64", options: ModelOptions(width: 16, imageSize: 32), rng: RandomGenerator(seed: 2))
        let narrowFile = folder.appendingPathComponent("dcgan64-w16.safetensors")
        try Checkpoint.save(narrow.generator, of: narrow, role: "generator", step: 5, to: narrowFile)
        let wide = try ModelZoo.make(
            "dcgan64", options: ModelOptions(width: 32, imageSize: 32), rng: RandomGenerator(seed: 2))
        let weights = try InitialWeights.read(narrowFile.path)
        XCTAssertEqual(weights.networks, "G")
        let mismatches = wide.generator.stateMismatches(try XCTUnwrap(weights.generator))
        XCTAssertFalse(mismatches.isEmpty)
        let wideBefore = StartingWeights.values(wide.generator)
        XCTAssertThrowsError(try weights.load(into: wide)) {
            let message = "\($0)"
            XCTAssertTrue(message.contains("--width 16 in the file, 32 here"), message)
            XCTAssertTrue(message.contains("(\(mismatches.count) difference"), message)
            for line in mismatches.prefix(64) { XCTAssertTrue(message.contains("\n  generator: " + line), line) }
            XCTAssertTrue(
                mismatches.contains { $0.contains(": saved shape [") && $0.contains("does not match the model's [") },
                "\(mismatches)")
        }
        XCTAssertEqual(StartingWeights.values(wide.generator), wideBefore, "a refused load changes nothing")

        // NaN weights are refused before anything is loaded.
        let broken = try ModelZoo.make("mlp-gan", rng: RandomGenerator(seed: 3))
        let poisoned = broken.generator.namedState[0].tensor.data
        poisoned[0] = .nan
        let brokenFile = folder.appendingPathComponent("nan.safetensors")
        try Checkpoint.save(broken.generator, of: broken, role: "generator", step: 1, to: brokenFile)
        let target = try ModelZoo.make("mlp-gan", rng: RandomGenerator(seed: 4))
        let targetBefore = StartingWeights.values(target.generator)
        XCTAssertThrowsError(try InitialWeights.read(brokenFile.path).load(into: target)) {
            XCTAssertTrue("\($0)".contains("NaN or infinite"), "\($0)")
        }
        XCTAssertEqual(StartingWeights.values(target.generator), targetBefore)
    }

    /// A `generator.safetensors` starts G alone: D is the fresh, seeded initialization a run
    /// without `--init-from` has.
    func testAGeneratorCheckpointStartsOnlyG() throws {
        let a = try TrainingRun(config: curveConfig(steps: 4, sampleEvery: 4, seed: 2, folder: "init-g-a"))
        try a.run()
        var config = curveConfig(steps: 1, sampleEvery: 1, seed: 9, folder: "init-g-b")
        config.initFrom = a.config.out! + "/generator.safetensors"
        var lines: [String] = []
        let b = try TrainingRun(config: config, log: { lines.append($0) })
        let start = StartingWeights()
        b.add(start)
        try b.run()

        let saved = try Safetensors.read(from: URL(fileURLWithPath: config.initFrom!)).tensors.mapValues(\.values)
        XCTAssertEqual(start.generator, saved)
        let fresh = try ModelZoo.make("curve-gan", options: b.model.options, rng: RandomGenerator(seed: 9))
        XCTAssertEqual(start.discriminator, StartingWeights.values(fresh.discriminator))
        XCTAssertNotEqual(start.discriminator, StartingWeights.values(a.model.discriminator))
        XCTAssertTrue(
            lines.contains {
                $0.hasPrefix("initialised G from ") && $0.hasSuffix("; D starts from a fresh initialization")
            }, "\(lines)")
    }

    /// A run started from other weights and resumed ends byte for byte where the same run
    /// uninterrupted ends: the resume restores the run's own state (its EMA too) and never reads
    /// the initial weights again (they are deleted before it).
    func testAResumedRunRestoresItsOwnStateNotTheInitialWeights() throws {
        let a = try TrainingRun(config: curveConfig(steps: 6, sampleEvery: 6, seed: 1, folder: "init-r-a"))
        try a.run()
        var straight = curveConfig(steps: 10, sampleEvery: 5, seed: 3, folder: "init-r-straight")
        straight.initFrom = a.config.out!
        straight.ema = 0.9
        try TrainingRun(config: straight).run()

        var first = straight
        first.out = runFolder("init-r-resumed")
        first.steps = 5
        try TrainingRun(config: first).run()
        try FileManager.default.removeItem(atPath: a.config.out!)
        var second = first
        second.steps = 10
        let resumed = try TrainingRun(config: second)
        try resumed.resume()
        XCTAssertEqual(resumed.startStep, 5)
        try resumed.run()

        for name in ["generator.safetensors", "discriminator.safetensors"] {
            XCTAssertEqual(
                try Data(contentsOf: URL(fileURLWithPath: straight.out! + "/" + name)),
                try Data(contentsOf: URL(fileURLWithPath: second.out! + "/" + name)), name)
        }
        let x = try Safetensors.read(from: URL(fileURLWithPath: straight.out! + "/training-state.safetensors"))
        let y = try Safetensors.read(from: URL(fileURLWithPath: second.out! + "/training-state.safetensors"))
        XCTAssertEqual(x.tensors.mapValues(\.values), y.tensors.mapValues(\.values))

        // --resume takes the starting point from the run's config.json; it cannot be given again.
        XCTAssertThrowsError(try TrainRequest(arguments: ["--resume", second.out!, "--init-from", "fashion-dcgan"])) {
            XCTAssertTrue("\($0)".contains("--init-from"), "\($0)")
        }
    }

    /// Every shipped model loads: its generator as `sample` reads it, both networks as
    /// `--init-from` reads them, into the model its configuration names.
    func testEveryShippedModelLoads() throws {
        let models = ["fashion-dcgan": "dcgan", "fashion-acgan": "acgan"]
        XCTAssertEqual(Set(Pretrained.names), Set(models.keys))
        for name in Pretrained.names {
            let files = try pretrainedFiles(name)
            let (model, _, _) = try Checkpoint.loadGenerator(from: files.generator)
            XCTAssertEqual(model.name, models[name], name)
            let weights = try InitialWeights.read(name)
            XCTAssertEqual(weights.networks, "G and D", name)
            if let config = files.config { XCTAssertEqual(try TrainConfig.load(config).model, models[name], name) }
            let fresh = try ModelZoo.make(
                model.name, options: weights.options ?? ModelOptions(), rng: RandomGenerator(seed: 0))
            try weights.load(into: fresh)
        }
    }

    /// `sample --pretrained` and `train --init-from NAME` from the command line (on a tiny
    /// generated dataset).
    func testSampleAndTrainFromAPretrainedModel() throws {
        try XCTSkipUnless(
            FileManager.default.isExecutableFile(atPath: tool.path), "swiftgan is not built next to the tests")
        _ = try pretrainedFiles("fashion-dcgan")
        let out = runFolder()
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let sample = try swiftgan(["sample", "--pretrained", "fashion-dcgan", "--count", "4", "--out", out + "/x.png"])
        XCTAssertTrue(sample.output.contains("4 samples of dcgan"), sample.output)
        XCTAssertNoThrow(try PNG.read(from: URL(fileURLWithPath: out + "/x.png")))

        let data = try randomIDXFolder("init-pretrained-data", count: 16, seed: 4)
        let train = try swiftgan([
            "train", "--model", "dcgan", "--init-from", "fashion-dcgan", "--dataset", "fashion-mnist", "--data-dir",
            data.path, "--batch-size", "8", "--steps", "2", "--out", out + "/run",
        ])
        XCTAssertTrue(train.output.contains("initialised G and D from "), train.output)
        XCTAssertEqual(try TrainConfig.load(URL(fileURLWithPath: out + "/run/config.json")).initFrom, "fashion-dcgan")
    }

    /// An unknown pretrained name is refused listing the known ones, in every command that takes
    /// one; `--checkpoint` and `--pretrained` together, or neither, are refused.
    func testPretrainedNamesAndTheCheckpointOptionAreChecked() throws {
        try XCTSkipUnless(
            FileManager.default.isExecutableFile(atPath: tool.path), "swiftgan is not built next to the tests")
        let out = runFolder()
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let commands = [
            ["sample", "--out", out + "/x.png"], ["interpolate", "--out", out + "/x.png"],
            ["export", "--onnx", out + "/x.onnx"], ["evaluate"],
        ]
        for command in commands {
            let unknown = try swiftgan(command + ["--pretrained", "fashion-gan"], expectSuccess: false)
            XCTAssertNotEqual(unknown.status, 0, unknown.output)
            XCTAssertTrue(unknown.output.contains("unknown pretrained model 'fashion-gan'"), unknown.output)
            for name in Pretrained.names { XCTAssertTrue(unknown.output.contains(name), unknown.output) }
        }
        for command in commands.prefix(3) {
            let both = try swiftgan(
                command + ["--checkpoint", out + "/g.safetensors", "--pretrained", "fashion-dcgan"],
                expectSuccess: false)
            XCTAssertTrue(both.output.contains("not both"), both.output)
            let neither = try swiftgan(command, expectSuccess: false)
            XCTAssertTrue(neither.output.contains("give --checkpoint FILE or --pretrained NAME"), neither.output)
        }
        let train = try swiftgan(
            ["train", "--model", "curve-gan", "--init-from", "fashion-gan", "--steps", "1", "--out", out + "/run"],
            expectSuccess: false)
        XCTAssertNotEqual(train.status, 0, train.output)
        XCTAssertTrue(
            train.output.contains("pretrained: " + Pretrained.names.joined(separator: ", ")), train.output)
    }
}
