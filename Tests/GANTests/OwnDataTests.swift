import Foundation
import SwiftGANArtifacts
import SwiftGANDatasets
import SwiftGANNN
import SwiftGANTensors
import XCTest

@testable import SwiftGANTraining

/// A user's own images (#22): any size and aspect for dcgan64, gray or RGB, and any number of
/// named classes for the conditional models, drawn by name.
final class OwnDataTests: XCTestCase {
    override func setUp() {
        // Keep the decoded-folder cache out of the user's ~/.cache.
        setenv("SWIFTGAN_CACHE", runFolder("own-data-cache"), 1)
    }

    override func tearDown() { unsetenv("SWIFTGAN_CACHE") }

    /// A folder of `classes` subfolders named `names`, `perClass` pictures each of `height`×`width`
    /// with `channels`; class k's pictures are a flat gray level k / (classes − 1) with a little
    /// noise, so a conditional model can tell them apart in a few hundred steps.
    func writeFolder(
        _ name: String, names: [String], perClass: Int, height: Int, width: Int, channels: Int
    ) throws -> URL {
        let root = URL(fileURLWithPath: runFolder(name))
        let rng = RandomGenerator(seed: 9)
        for (k, className) in names.enumerated() {
            let folder = names.count > 1 ? root.appendingPathComponent(className) : root
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let level = names.count > 1 ? Double(k) / Double(names.count - 1) : 0.5
            for i in 0..<perClass {
                let pixels = (0..<(height * width * channels)).map { _ in
                    UInt8(max(0, min(255, (level * 255 + Double(rng.integer(below: 21)) - 10).rounded())))
                }
                try PNG.write(
                    pixels: pixels, width: width, height: height, channels: channels,
                    to: folder.appendingPathComponent("\(i).png"))
            }
        }
        return root
    }

    func testImageSizesReadAsNumbersOrHeightByWidth() throws {
        XCTAssertEqual(ImageSize("48x80"), ImageSize(height: 48, width: 80))
        XCTAssertEqual(ImageSize("64"), 64)
        XCTAssertEqual(ImageSize("40×40"), 40)
        XCTAssertNil(ImageSize("48x"))
        XCTAssertNil(ImageSize("a"))
        let options = ModelOptions(imageSize: ImageSize(height: 48, width: 80), channels: 1, classes: 13)
        let json = String(decoding: try JSONEncoder().encode(ModelOptions(imageSize: 64)), as: UTF8.self)
        XCTAssertTrue(json.contains("\"imageSize\":64"), "a square size is written as before: \(json)")
        XCTAssertEqual(try JSONDecoder().decode(ModelOptions.self, from: JSONEncoder().encode(options)), options)
        XCTAssertEqual(
            try JSONDecoder().decode(ModelOptions.self, from: Data(#"{"imageSize": 32}"#.utf8)).imageSize, 32)
    }

    func testDCGAN64ReachesAnyEvenSizeAndSaysWhichItCannot() throws {
        for (size, channels, stages) in [("48x80", 1, 3), ("40", 1, 3), ("64", 3, 4), ("32", 3, 3), ("28", 1, 2)] {
            let imageSize = try XCTUnwrap(ImageSize(size))
            XCTAssertEqual(DCGAN64.stages(for: imageSize), stages, size)
            let model = try ModelZoo.make(
                "dcgan64", options: ModelOptions(width: 4, imageSize: imageSize, channels: channels),
                rng: RandomGenerator(seed: 1))
            let images = model.generate(model.noise(2, using: RandomGenerator(seed: 2)))
            XCTAssertEqual(images.shape, [2, imageSize.height, imageSize.width, channels], size)
            XCTAssertEqual(model.discriminator(images).shape, [2, 1], size)
        }
        for bad in ["33", "6", "48x81", "512"] {
            XCTAssertThrowsError(
                try ModelZoo.make(
                    "dcgan64", options: ModelOptions(imageSize: ImageSize(bad)), rng: RandomGenerator(seed: 1))
            ) { XCTAssertTrue("\($0)".contains("each side must be even and in 8…256"), "\(bad): \($0)") }
        }
        // The sizes it made before keep their layers, so older checkpoints load.
        let old = try ModelZoo.make("dcgan64", options: ModelOptions(width: 4), rng: RandomGenerator(seed: 1))
        XCTAssertEqual(old.generator.namedState.first?.tensor.shape, [100, 4 * 4 * 32])
    }

    func testConditionalModelsDrawTheDatasClasses() throws {
        for name in ["acgan", "cgan"] {
            let model = try ModelZoo.make(name, options: ModelOptions(classes: 13), rng: RandomGenerator(seed: 1))
            XCTAssertEqual(model.classCount, 13)
            let images = model.generate(model.noise(3, using: RandomGenerator(seed: 2)), labels: [0, 7, 12])
            XCTAssertEqual(images.shape, [3, 28, 28, 1])
            XCTAssertThrowsError(
                try ModelZoo.make(name, options: ModelOptions(classes: 1), rng: RandomGenerator(seed: 1)))
        }
        XCTAssertEqual(try ModelZoo.make("acgan", rng: RandomGenerator(seed: 1)).classCount, 10, "the default")
    }

    /// 48×80 RGB and 40×40 gray folders train dcgan64 for a few steps; the grids' cells have that size.
    func testDCGAN64TrainsOnFoldersOfTheirOwnSize() throws {
        for (size, channels, fit) in [("48x80", 3, "crop"), ("40", 1, "pad")] {
            let imageSize = try XCTUnwrap(ImageSize(size))
            let folder = try writeFolder(
                "own-size-\(size)", names: ["only"], perClass: 8, height: 60, width: 90, channels: 3)
            var config = TrainConfig()
            config.model = "dcgan64"
            config.dataset = "folder"
            config.dataDir = folder.path
            config.fit = fit
            config.options = ModelOptions(width: 4, imageSize: imageSize, channels: channels)
            config.batchSize = 4
            config.steps = 2
            config.sampleEvery = 2
            config.out = runFolder("own-size-run-\(size)")
            let run = try TrainingRun(config: config)
            try run.run()
            XCTAssertEqual(run.model.sampleShape, [imageSize.height, imageSize.width, channels])
            let grid = try PNG.read(from: run.folder.samplePicture(step: 2))
            // 10 columns of cells shown at 2×, with 2 px gaps (ImageGrid's layout).
            XCTAssertGreaterThanOrEqual(grid.width, 10 * 2 * imageSize.width, size)
            XCTAssertLessThan(grid.width, 10 * (2 * imageSize.width + 8), size)
            let saved = try TrainConfig.load(run.folder.config)
            XCTAssertEqual(saved.options.imageSize, imageSize)
            XCTAssertEqual(saved.fit, fit)
        }
    }

    /// Thirteen classes with names train acgan and cgan; `sample --label NAME` draws that class.
    func testThirteenNamedClassesTrainAndAreDrawnByName() throws {
        let names = [
            "alder", "birch", "cedar", "dogwood", "elm", "fir", "ginkgo", "hazel", "ivy", "juniper", "kapok",
            "larch", "maple",
        ]
        let folder = try writeFolder("thirteen", names: names, perClass: 6, height: 28, width: 28, channels: 1)
        var checkpoint = ""
        for model in ["acgan", "cgan"] {
            var config = TrainConfig()
            config.model = model
            config.dataset = "folder"
            config.dataDir = folder.path
            config.batchSize = 26
            config.steps = model == "cgan" ? 600 : 4
            config.sampleEvery = config.steps
            config.out = runFolder("thirteen-\(model)")
            let run = try TrainingRun(config: config)
            try run.run()
            XCTAssertEqual(run.model.classCount, 13)
            XCTAssertEqual(try TrainConfig.load(run.folder.config).options.classes, 13)
            let (_, _, classNames) = try Checkpoint.loadGenerator(from: run.folder.generator)
            XCTAssertEqual(classNames, names)
            XCTAssertEqual(run.fixedLabels.map { Set($0) }, Set(0..<13), "a row per class")
            checkpoint = run.folder.generator.path
        }
        // cgan has learned the classes' gray levels well enough to tell them apart by name.
        var means: [Double] = []
        for name in ["alder", "ginkgo", "maple"] {
            let out = runFolder("thirteen-\(name)") + ".npy"
            try swiftgan([
                "sample", "--checkpoint", checkpoint, "--label", name, "--count", "32", "--npy", out, "--float32",
            ])
            let values = NPY.float32Values(try NPY.read(from: URL(fileURLWithPath: out)).payload)
            means.append(values.reduce(0) { $0 + Double($1) } / Double(values.count))
        }
        XCTAssertLessThan(means[0], means[1], "\(means)")
        XCTAssertLessThan(means[1], means[2], "\(means)")
        let wrong = try swiftgan(
            ["sample", "--checkpoint", checkpoint, "--label", "oak", "--out", runFolder("oak") + ".png"],
            expectSuccess: false)
        XCTAssertTrue(wrong.output.contains("--label 'oak' is none of this checkpoint's classes: alder, birch"))
    }

    /// The issue's case: 13 kinds of 48×80 colour pictures, trained conditionally at their own size.
    func testThirteenClassesOf48x80TrainConditionallyAtTheirOwnSize() throws {
        let names = (0..<13).map { "kind-\(Character(UnicodeScalar(UInt8(97 + $0))))" }
        let folder = try writeFolder("kinds-48x80", names: names, perClass: 2, height: 48, width: 80, channels: 3)
        var config = TrainConfig()
        config.model = "cgan"
        config.dataset = "folder"
        config.dataDir = folder.path
        config.options = ModelOptions(width: 4, imageSize: ImageSize(height: 48, width: 80), body: "dcgan64")
        config.batchSize = 13
        config.steps = 2
        config.sampleEvery = 2
        config.out = runFolder("kinds-48x80-run")
        let run = try TrainingRun(config: config)
        try run.run()
        XCTAssertEqual(run.model.classCount, 13)
        XCTAssertEqual(run.model.sampleShape, [48, 80, 3])
        let (model, _, classNames) = try Checkpoint.loadGenerator(from: run.folder.generator)
        XCTAssertEqual(classNames, names)
        XCTAssertEqual(
            model.generate(model.noise(2, using: RandomGenerator(seed: 1)), labels: [0, 12]).shape, [2, 48, 80, 3])
        XCTAssertEqual(try TrainConfig.load(run.folder.config).options.body, "dcgan64")
    }

    /// A name wins over a number (folders "1", "10", "2" sort as strings), and a conditional model
    /// on ten classes writes no class count, as configurations from before it could vary did.
    func testLabelsByNameFirstAndTenClassesUnwritten() throws {
        let out = runFolder("numbered-classes")
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let model = try ModelZoo.make("cgan", rng: RandomGenerator(seed: 1))
        let names = ["1", "10", "2", "3", "4", "5", "6", "7", "8", "9"]
        let checkpoint = out + "/generator.safetensors"
        try Checkpoint.save(
            model.generator, of: model, role: "generator", step: 1, classNames: names,
            to: URL(fileURLWithPath: checkpoint))
        try swiftgan(["sample", "--checkpoint", checkpoint, "--label", "10", "--count", "2", "--npy", out + "/ten.npy"])
        let labels = try NPY.read(from: URL(fileURLWithPath: out + "/ten-labels.npy"))
        XCTAssertEqual(labels.payload.withUnsafeBytes { $0.loadUnaligned(as: Int64.self) }, 1, "the class named 10")

        let data = try randomIDXFolder("ten-classes", count: 20, seed: 1)
        var config = TrainConfig()
        config.model = "cgan"
        config.dataset = "mnist"
        config.dataDir = data.path
        config.batchSize = 4
        config.steps = 1
        config.sampleEvery = 1
        config.out = runFolder("ten-classes-run")
        let run = try TrainingRun(config: config)
        try run.run()
        XCTAssertEqual(run.model.classCount, 10)
        XCTAssertNil(try TrainConfig.load(run.folder.config).options.classes)

        config.options = ModelOptions(imageSize: 64)
        XCTAssertThrowsError(try TrainingRun(config: config)) {
            XCTAssertTrue("\($0)".contains("give --body dcgan64"), "\($0)")
        }
    }

    func testAnUnlabelledFolderCannotTrainAConditionalModel() throws {
        let folder = try writeFolder("unlabelled", names: ["only"], perClass: 4, height: 28, width: 28, channels: 1)
        var config = TrainConfig()
        config.model = "acgan"
        config.dataset = "folder"
        config.dataDir = folder.path
        config.out = runFolder("unlabelled-run")
        XCTAssertThrowsError(try TrainingRun(config: config)) {
            XCTAssertTrue("\($0)".contains("put each class's images in a subfolder of its own"), "\($0)")
        }
    }
}
