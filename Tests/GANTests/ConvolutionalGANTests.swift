import Foundation
import SwiftGANArtifacts
import SwiftGANDatasets
import SwiftGANNN
import SwiftGANTensors
import SwiftGANTraining
import XCTest

final class ConvolutionalGANTests: XCTestCase {
    /// The zoo's convolutional models produce the shapes their sources do, and a training step
    /// changes both networks and returns finite metrics.
    func testShapesAndOneTrainingStep() throws {
        for (name, options) in [
            ("dcgan", ModelOptions()), ("dcgan64", ModelOptions(width: 4)),
            ("dcgan64", ModelOptions(width: 4, imageSize: 32)),
        ] {
            let rng = RandomGenerator(seed: 1)
            let model = try ModelZoo.make(name, options: options, rng: rng)
            let z = model.noise(3, using: rng)
            let fake = model.generator(z)
            XCTAssertEqual(fake.shape, [3] + model.sampleShape, name)
            XCTAssertEqual(model.discriminator(fake).shape, [3, 1], name)
            let step = GANTrainingStep(model: model, rng: rng)
            let before = model.generator.parameters.map(\.scalars),
                dBefore = model.discriminator.parameters.map(\.scalars)
            let real = Tensor.uniform([4] + model.sampleShape, low: -1, high: 1, using: rng)
            let metrics = step(real: real)
            XCTAssertTrue(metrics.isFinite, name)
            XCTAssertNotEqual(model.generator.parameters.map(\.scalars), before, name)
            XCTAssertNotEqual(model.discriminator.parameters.map(\.scalars), dBefore, name)
        }
    }

    /// The tutorial's exact layer list for dcgan: parameter names and counts.
    func testDCGANParameterCounts() throws {
        let model = try ModelZoo.make("dcgan", rng: RandomGenerator(seed: 0))
        // Dense 100→6272 (+bias), BN(128), ConvT 5×5×64×128 (+64), BN(64), ConvT 5×5×1×64 (+1).
        XCTAssertEqual(
            model.generator.parameterCount, 100 * 6272 + 6272 + 2 * 128 + 25 * 64 * 128 + 64 + 2 * 64 + 25 * 64 + 1)
        // Conv 5×5×1×64 (+64), Conv 5×5×64×128 (+128), Dense 6272→1 (+1).
        XCTAssertEqual(model.discriminator.parameterCount, 25 * 64 + 64 + 25 * 64 * 128 + 128 + 6272 + 1)
        XCTAssertEqual(model.source.batchSize, 32)
    }

    /// A folder of generated colour pictures (discs and squares on coloured backgrounds, of several
    /// sizes and aspect ratios) trains dcgan64 without error and gives a GIF of the run.
    func testDCGAN64TrainsOnAnImageFolderAndWritesAGIF() throws {
        let images = URL(fileURLWithPath: runFolder("shapes-data"))
        try FileManager.default.createDirectory(at: images, withIntermediateDirectories: true)
        let rng = RandomGenerator(seed: 2)
        for i in 0..<24 {
            let (w, h) = [(40, 40), (48, 36), (30, 44)][i % 3]
            let background = (0..<3).map { _ in UInt8(rng.integer(below: 256)) },
                ink = (0..<3).map { _ in UInt8(rng.integer(below: 256)) }
            var pixels = [UInt8](repeating: 0, count: w * h * 3)
            let (cx, cy, r) = (Double(w) / 2, Double(h) / 2, Double(min(w, h)) / 3)
            for y in 0..<h {
                for x in 0..<w {
                    let dx = Double(x) - cx, dy = Double(y) - cy
                    let inside = i % 2 == 0 ? dx * dx + dy * dy < r * r : abs(dx) < r && abs(dy) < r
                    for c in 0..<3 { pixels[(y * w + x) * 3 + c] = inside ? ink[c] : background[c] }
                }
            }
            try PNG.write(
                pixels: pixels, width: w, height: h, channels: 3, to: images.appendingPathComponent("shape-\(i).png"))
        }
        try Data("not a picture".utf8).write(to: images.appendingPathComponent("broken.png"))

        // Keep the decoded-folder cache out of the user's ~/.cache.
        setenv("SWIFTGAN_CACHE", runFolder("cache"), 1)
        defer { unsetenv("SWIFTGAN_CACHE") }
        var config = TrainConfig()
        config.model = "dcgan64"
        config.dataset = "folder"
        config.dataDir = images.path
        config.options = ModelOptions(width: 4, imageSize: 32)
        config.batchSize = 8
        config.steps = 6
        config.sampleEvery = 3
        config.out = runFolder()
        var lines: [String] = []
        let run = try TrainingRun(config: config, log: { lines.append($0) })
        try run.run()
        XCTAssertTrue(lines.contains { $0.contains("skipped 1") && $0.contains("broken.png") }, "\(lines)")
        let gif = try GIF.read(from: URL(fileURLWithPath: config.out! + "/training.gif"))
        XCTAssertEqual(gif.frames.count, 3, "steps 0, 3 and 6")
        XCTAssertTrue(run.history.allSatisfy { $0.metrics.isFinite })
    }

    /// CIFAR-10 cannot be downloaded here; files generated in its real binary format load and train.
    func testDCGAN64TrainsOnCIFAR10FormatFiles() throws {
        let folder = URL(fileURLWithPath: runFolder("cifar-data")).appendingPathComponent("cifar-10-batches-bin")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let rng = RandomGenerator(seed: 4)
        for name in CIFAR10.trainFiles + CIFAR10.testFiles {
            var bytes: [UInt8] = []
            for _ in 0..<6 {
                bytes.append(UInt8(rng.integer(below: 10)))
                bytes += (0..<3072).map { _ in UInt8(rng.integer(below: 256)) }
            }
            try Data(bytes).write(to: folder.appendingPathComponent(name))
        }
        var config = TrainConfig()
        config.model = "dcgan64"
        config.dataset = "cifar10"
        config.dataDir = folder.deletingLastPathComponent().path
        config.options = ModelOptions(width: 4, imageSize: 32)
        config.batchSize = 8
        config.steps = 2
        config.sampleEvery = 2
        config.out = runFolder()
        let run = try TrainingRun(config: config)
        try run.run()
        XCTAssertEqual(run.history.count, 2)
        XCTAssertTrue(FileManager.default.fileExists(atPath: config.out! + "/samples/step-000002.png"))
    }
}
