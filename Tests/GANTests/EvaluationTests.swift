import Foundation
import SwiftGANArtifacts
import SwiftGANDatasets
import SwiftGANNN
import SwiftGANTensors
import SwiftGANTraining
import XCTest

/// The evaluator network, the quality report built on it, `swiftgan evaluate`, and measuring
/// during training. (The metric formulas themselves: QualityMetricsTests.)
final class EvaluationTests: XCTestCase {
    /// 28×28 images whose class is where a bright 10×10 block sits (4 places), with pixel noise.
    static func blocks(_ count: Int, seed: UInt64) throws -> ImageDataset {
        let rng = RandomGenerator(seed: seed)
        var pixels: [UInt8] = [], labels: [Int] = []
        for i in 0..<count {
            let label = i % 4, (top, left) = (label / 2 * 14 + 2, label % 2 * 14 + 2)
            for y in 0..<28 {
                for x in 0..<28 {
                    let inside = (top..<(top + 10)).contains(y) && (left..<(left + 10)).contains(x)
                    pixels.append(UInt8(inside ? 180 + rng.integer(below: 76) : rng.integer(below: 60)))
                }
            }
            labels.append(label)
        }
        return try ImageDataset(
            name: "blocks", height: 28, width: 28, channels: 1, pixels: pixels, labels: labels,
            classNames: ["top left", "top right", "bottom left", "bottom right"])
    }

    /// Writes a dataset as the four Fashion-MNIST IDX files (the same images as train and test split).
    static func writeIDX(_ data: ImageDataset, to folder: URL) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let images = IDXFile(dimensions: [data.count, 28, 28], values: data.pixels)
        let labels = IDXFile(dimensions: [data.count], values: data.labels.map(UInt8.init))
        for (name, file) in [
            ("train-images-idx3-ubyte", images), ("train-labels-idx1-ubyte", labels),
            ("t10k-images-idx3-ubyte", images), ("t10k-labels-idx1-ubyte", labels),
        ] {
            try file.encoded().write(to: folder.appendingPathComponent(name))
        }
    }

    /// Training learns the blocks; saving and loading keeps the network exactly; the report of real
    /// images against themselves is the floor: FID 0, precision and recall 1, and the conditional
    /// accuracy of real images with their true labels is the classifier's own accuracy.
    func testEvaluatorTrainsAndTheReportOfRealImagesIsTheFloor() throws {
        let data = try Self.blocks(256, seed: 1)
        let (evaluator, accuracy) = Evaluator.train(on: data, test: data, epochs: 2, batchSize: 32, seed: 4)
        XCTAssertGreaterThan(accuracy, 0.9)

        let file = URL(fileURLWithPath: runFolder()).appendingPathComponent("evaluator.safetensors")
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try evaluator.save(to: file, dataset: "blocks", testAccuracy: accuracy, command: "test")
        let (loaded, dataset, saved) = try Evaluator.load(from: file)
        XCTAssertEqual(dataset, "blocks")
        XCTAssertEqual(saved, accuracy, accuracy: 1e-4)
        let images = data.batch(Array(0..<data.count), range: 0...1)
        XCTAssertEqual(loaded.features(images).scalars, evaluator.features(images).scalars)

        let judge = try QualityJudge(evaluator: loaded, real: data)
        let report = try judge.report(images: images, labels: data.labels, rng: RandomGenerator(seed: 0))
        XCTAssertEqual(report.fid, 0, accuracy: 1e-3)
        XCTAssertEqual(report.precision, 1)
        XCTAssertEqual(report.recall, 1)
        XCTAssertEqual(report.conditionalAccuracy!, loaded.accuracy(on: data), accuracy: 1e-12)
        XCTAssertEqual(report.classShares.reduce(0, +), 1, accuracy: 1e-9)

        // One class only: worse FID, lower recall, collapsed class entropy.
        let one = data.batch(data.labels.indices.filter { data.labels[$0] == 0 }, range: 0...1)
        let collapsed = try judge.report(images: one, labels: nil, rng: RandomGenerator(seed: 0))
        XCTAssertGreaterThan(collapsed.fid, 1)
        XCTAssertLessThan(collapsed.recall!, 0.5)
        XCTAssertLessThan(collapsed.normalizedClassEntropy, 0.3)

        XCTAssertThrowsError(
            try judge.report(images: Tensor.zeros([3, 32, 32, 1]), labels: nil, rng: RandomGenerator(seed: 0)))
        XCTAssertThrowsError(try judge.report(images: images, labels: [1, 2], rng: RandomGenerator(seed: 0)))
    }

    /// An evaluator file's metadata is checked before anything is built from it: the class count
    /// (it sizes the head) against a limit and against the head's weights in the file, the dataset
    /// name (it reaches messages) for terminal escapes, the accuracy, the weights for NaN. Each is
    /// refused with an error that starts with the file's name.
    func testDamagedEvaluatorMetadataIsRefused() throws {
        let good = try Evaluator(classes: 3, rng: RandomGenerator(seed: 0)).encoded(
            dataset: "blocks", testAccuracy: 0.5, command: "test")
        let (tensors, metadata) = try Safetensors.decode(good)
        func file(_ changes: [String: String], nanBias: Bool = false) throws -> Data {
            let list: [(name: String, shape: [Int], values: [Float])] = tensors.map { name, tensor in
                let values = nanBias && name == "head.1.bias" ? [Float](repeating: .nan, count: 3) : tensor.values
                return (name: name, shape: tensor.shape, values: values)
            }
            return try Safetensors.encode(list, metadata: metadata.merging(changes) { $1 })
        }
        func message(_ data: Data) -> String {
            do {
                _ = try Evaluator.decode(data, name: "e.safetensors")
                return "no error"
            } catch {
                return "\(error)"
            }
        }
        let loaded = try Evaluator.decode(try file([:]), name: "e.safetensors")
        XCTAssertEqual(loaded.evaluator.classCount, 3)
        XCTAssertEqual(loaded.dataset, "blocks")
        XCTAssertEqual(loaded.testAccuracy, 0.5)
        let cases: [([String: String], String)] = [
            (["classes": "9223372036854775807"], "class count \"9223372036854775807\" is not a number in 1...10000"),
            (["classes": "-1"], "is not a number in 1...10000"),
            (["classes": "many"], "is not a number in 1...10000"),
            (["classes": "4"], "the metadata says 4 classes but head.1.weight has shape [128, 3]"),
            (
                ["dataset": "\u{1B}]0;retitled\u{07}"],
                "dataset name \"\\x1B]0;retitled\\x07\" is not a short printable name"
            ),
            (["test_accuracy": "7"], "test accuracy 7.0 is outside 0...1"),
            (["format": "swiftgan"], "e.safetensors is not a SwiftGAN evaluator"),
        ]
        for (changes, expected) in cases {
            let text = message(try file(changes))
            XCTAssertTrue(text.hasPrefix("e.safetensors") && text.contains(expected), "\(changes): \(text)")
            XCTAssertFalse(text.unicodeScalars.contains { $0.value < 0x20 }, text.debugDescription)
        }
        XCTAssertTrue(message(try file([:], nanBias: true)).contains("head.1.bias holds NaN"))
        XCTAssertTrue(message(Data([1, 2, 3])).hasPrefix("e.safetensors: not a readable evaluator"))
    }

    /// The shipped Fashion-MNIST evaluator is the file its checksum names, loads, and reaches its
    /// recorded accuracy on the real test split when that is on this machine.
    func testShippedEvaluator() throws {
        let (evaluator, accuracy, url) = try Evaluator.shipped(for: "fashion-mnist")
        XCTAssertEqual(SHA256.hex(try Data(contentsOf: url)), Evaluator.shippedChecksums["fashion-mnist"])
        XCTAssertGreaterThan(accuracy, 0.85)
        XCTAssertThrowsError(try Evaluator.shipped(for: "cifar10")) {
            XCTAssertTrue("\($0)".contains("train-evaluator"), "\($0)")
        }

        var locator = DatasetLocator()
        locator.allowDownload = false
        guard let test = try? locator.load(.fashionMNIST, train: false).dataset else {
            throw XCTSkip(
                "Fashion-MNIST is not on this machine (cache or /usr/share/datasets); the accuracy check needs it")
        }
        // The whole test split: the recorded figure, up to a few images' worth of float rounding
        // from other thread counts or BLAS builds.
        XCTAssertEqual(evaluator.accuracy(on: test), accuracy, accuracy: 0.0005)
    }

    /// `swiftgan evaluate` on a .npy with labels, and its errors.
    func testEvaluateCommand() throws {
        try XCTSkipUnless(
            FileManager.default.isExecutableFile(atPath: tool.path), "swiftgan is not built next to the tests")
        let folder = URL(fileURLWithPath: runFolder())
        let data = try Self.blocks(120, seed: 2)
        try Self.writeIDX(data, to: folder.appendingPathComponent("data"))
        let npy = folder.appendingPathComponent("images.npy").path,
            labels = folder.appendingPathComponent("labels.npy").path
        try NPY.encode(uint8: Array(data.pixels.prefix(60 * 784)), shape: [60, 28, 28]).write(
            to: URL(fileURLWithPath: npy))
        try NPY.encode(int64: data.labels.prefix(60).map(Int64.init), shape: [60]).write(
            to: URL(fileURLWithPath: labels))
        let json = folder.appendingPathComponent("report.json").path
        let common = [
            "evaluate", "--dataset", "fashion-mnist", "--data-dir", folder.appendingPathComponent("data").path,
        ]
        let run = try swiftgan(common + ["--npy", npy, "--labels", labels, "--json", json])
        XCTAssertTrue(run.output.contains("FID") && run.output.contains("conditional accuracy"), run.output)
        let report = try JSONDecoder().decode(QualityReport.self, from: Data(contentsOf: URL(fileURLWithPath: json)))
        XCTAssertEqual(report.imageCount, 60)
        XCTAssertEqual(report.realCount, 120)
        XCTAssertNotNil(report.conditionalAccuracy)

        // --class: the reference is that class's test images only, by number or name.
        let first = try XCTUnwrap(data.labels.min())
        let name = DatasetSpec.fashionMNIST.classNames[first]
        let count = data.labels.filter { $0 == first }.count
        for given in ["\(first)", name] {
            let one = try swiftgan(common + ["--npy", npy, "--class", given])
            XCTAssertTrue(one.output.contains("against \(count) fashion-mnist (\(name) only) test images"), one.output)
        }
        let unknown = try swiftgan(common + ["--npy", npy, "--class", "Spaceship"], expectSuccess: false)
        XCTAssertTrue(unknown.output.contains("--class 'Spaceship' is none of"), unknown.output)

        try NPY.encode(uint8: [UInt8](repeating: 0, count: 4 * 32 * 32), shape: [4, 32, 32]).write(
            to: URL(fileURLWithPath: npy))
        let wrongShape = try swiftgan(common + ["--npy", npy], expectSuccess: false)
        XCTAssertTrue(wrongShape.output.contains("28×28"), wrongShape.output)
        XCTAssertEqual(wrongShape.status, 1, "a file's content is not a usage error")
        XCTAssertFalse(wrongShape.output.contains("USAGE"), wrongShape.output)
        let neither = try swiftgan(common, expectSuccess: false)
        XCTAssertTrue(neither.output.contains("--checkpoint FILE, --pretrained NAME or --npy FILE"), neither.output)
        XCTAssertEqual(neither.status, 64, "a missing option is")

        // A missing file and a damaged header: the file is named, no Foundation dump, no binary.
        let missing = try swiftgan(
            common + ["--npy", folder.appendingPathComponent("nothing.npy").path], expectSuccess: false)
        XCTAssertTrue(
            missing.output.contains("nothing.npy") && !missing.output.contains("Error Domain"), missing.output)
        let header = Data("{'descr': \u{1}\u{2}\u{7}}   \n".utf8)
        try (Data([0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.count), 0]) + header).write(
            to: URL(fileURLWithPath: npy))
        let garbled = try swiftgan(common + ["--npy", npy], expectSuccess: false)
        XCTAssertTrue(garbled.output.contains("images.npy") && garbled.output.contains("\\x07"), garbled.output)
        XCTAssertFalse(
            garbled.output.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" && $0 != "\r" }, garbled.output)
    }

    /// `--eval-every` adds FID and KID to the history at the measured steps (and only there).
    func testMeasuringDuringTraining() throws {
        let folder = URL(fileURLWithPath: runFolder())
        try Self.writeIDX(try Self.blocks(64, seed: 3), to: folder.appendingPathComponent("data"))
        var config = TrainConfig()
        config.model = "mlp-gan"
        config.dataDir = folder.appendingPathComponent("data").path
        config.batchSize = 16
        config.steps = 4
        config.sampleEvery = 4
        config.evalEvery = 2
        config.evalSamples = 30
        config.out = folder.appendingPathComponent("run").path
        let run = try TrainingRun(config: config)
        var measured: [Int] = []
        run.onEvaluation = { n, _ in measured.append(n) }
        try run.run()
        XCTAssertEqual(measured, [2, 4])
        XCTAssertEqual(run.history.map { $0.fid != nil }, [false, true, false, true])
        let csv = try String(contentsOfFile: config.out! + "/history.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(csv[0], "step,epoch,d_loss,d_accuracy,g_loss,g_accuracy,seconds,fid,kid")
        XCTAssertTrue(csv[1].hasSuffix(",,"))
        XCTAssertEqual(csv[2].split(separator: ",").count, 9)

        config.model = "curve-gan"
        XCTAssertThrowsError(try TrainingRun(config: config)) {
            XCTAssertTrue("\($0)".contains("--eval-every"), "\($0)")
        }
    }
}
