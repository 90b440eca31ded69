import Foundation
import SwiftGANArtifacts
import SwiftGANDatasets
import SwiftGANTensors
import SwiftGANTraining

/// Every parser that reads outside input, as one function of bytes each: what `scripts/fuzz`
/// hands libFuzzer's inputs to, and what the regression test replays the kept inputs through.
/// A parser may refuse any input with an error; it must never trap, hang or read out of bounds.
/// Each target also makes small valid files, the fuzzer's seeds (and the test's check that a
/// target reaches its parser's success path).
public enum FuzzTargets {
    public struct Target {
        public let name: String
        public let summary: String
        public let run: (Data) throws -> Void
        public let seeds: () throws -> [Data]
    }

    public static let all: [Target] = [
        idx, gzipTarget, cifar10, tarTarget, image, png, gif, safetensors, npy, config, checkpoint, trainingState,
        imageFolderCache, evaluator,
    ]

    static let idx = Target(
        name: "idx", summary: "IDX files, raw or gzip (MNIST, Fashion-MNIST)",
        run: { _ = try IDXFile(data: $0, name: "input") },
        seeds: {
            let images = IDXFile(dimensions: [2, 4, 4], values: (0..<32).map { UInt8($0 * 7 & 255) }).encoded()
            return [images, IDXFile(dimensions: [3], values: [1, 2, 3]).encoded(), Gzip.compress(images)]
        })

    static let gzipTarget = Target(
        name: "gzip", summary: "gzip streams (dataset archives)",
        run: { _ = try Gzip.decompress($0, name: "input", limit: 16 << 20) },
        seeds: {
            [Gzip.compress(Data("SwiftGAN fuzz seed".utf8)), Gzip.compress(Data(count: 4096))]
        })

    static let cifar10 = Target(
        name: "cifar10", summary: "CIFAR-10 binary batches", run: { _ = try CIFAR10.decode($0, name: "input") },
        seeds: {
            // Two records: label byte, then 3072 pixel bytes.
            let bytes: [UInt8] = (0..<(2 * 3073)).map { (i: Int) -> UInt8 in
                i % 3073 == 0 ? UInt8(i / 3073) : UInt8(truncatingIfNeeded: i)
            }
            return [Data(bytes)]
        })

    static let tarTarget = Target(
        name: "tar", summary: "tar archives (CIFAR-10's download)", run: { _ = try Tar.files(in: $0, name: "input") },
        seeds: {
            [
                Tar.archive([
                    ("cifar-10-batches-bin", "5", Data()),
                    ("cifar-10-batches-bin/data_batch_1.bin", "0", Data(count: 3073)),
                    (
                        "cifar-10-batches-bin/" + String(repeating: "long-name-", count: 12) + ".html", "0",
                        Data("hi".utf8)
                    ),
                ])
            ]
        })

    static let image = Target(
        name: "image", summary: "PNG and JPEG decoding of the image-folder path (libpng, libjpeg)",
        run: { _ = try ImageDecoder.decode($0, smallestUsefulSide: 1) }, seeds: imageSeeds)

    static let png = Target(
        name: "png", summary: "SwiftGAN's own PNG reader (the tests' and `report`'s)", run: { _ = try PNG.decode($0) },
        seeds: {
            [try PNG.encode(pixels: (0..<48).map { UInt8($0 * 5) }, width: 4, height: 4, channels: 3)]
        })

    static let gif = Target(
        name: "gif", summary: "GIF decoding (the tests' reader of training.gif)", run: { _ = try GIF.decode($0) },
        seeds: {
            let pixels: [UInt8] = (0..<48).map { UInt8($0 + 40) }
            let frames = [
                RasterImage(width: 4, height: 4, channels: 3, pixels: pixels),
                RasterImage(width: 4, height: 4, channels: 3, pixels: pixels.reversed()),
            ]
            return [try GIF.encodeAnimation(frames)]
        })

    static let safetensors = Target(
        name: "safetensors", summary: "safetensors files (checkpoints, training states, evaluators)",
        run: { _ = try Safetensors.decode($0) },
        seeds: {
            [
                try Safetensors.encode(
                    [(name: "w", shape: [2, 2], values: [1, 2, 3, 4]), (name: "b", shape: [], values: [0.5])],
                    metadata: ["format": "swiftgan"])
            ]
        })

    static let npy = Target(
        name: "npy", summary: "NumPy .npy arrays (`sample --noise`, `evaluate`)", run: { _ = try NPY.decode($0) },
        seeds: {
            [
                NPY.encode(float32: [1, 2, 3, 4, 5, 6], shape: [2, 3]),
                NPY.encode(uint8: [1, 2, 3, 4], shape: [1, 2, 2]), NPY.encode(int64: [7], shape: [1]),
            ]
        })

    static let config = Target(
        name: "config", summary: "config.json (`train --config`)",
        run: { data in
            let config = try TrainConfig.decode(data, name: "input")
            try config.validate()
            _ = try config.applyingRecipe()
        },
        seeds: {
            var config = TrainConfig()
            config.model = "dcgan"
            config.steps = 100
            config.recipe = "stable-bce"
            var curves = TrainConfig()
            curves.model = "curve-gan"
            curves.loss = "wgan-gp"
            return [Data(try config.json().utf8), Data(try curves.json().utf8)]
        })

    static let checkpoint = Target(
        name: "checkpoint", summary: "generator and discriminator checkpoints (`sample`, `export`, `interpolate`)",
        run: { data in
            _ = try Checkpoint.loadNetwork(from: try scratchFile(data, "checkpoint.safetensors"))
        },
        seeds: {
            let model = try ModelZoo.make("curve-gan", rng: RandomGenerator(seed: 0))
            let url = try scratchURL("seed.safetensors")
            try Checkpoint.save(model.generator, of: model, role: "generator", step: 3, to: url)
            let g = try Data(contentsOf: url)
            try Checkpoint.save(model.discriminator, of: model, role: "discriminator", step: 3, to: url)
            return [g, try Data(contentsOf: url)]
        })

    static let trainingState = Target(
        name: "training-state", summary: "a run's training-state.safetensors (`train --resume`)",
        run: { data in
            let run = try stateRun()
            try data.write(to: run.folder.state)
            try run.resume()
        },
        seeds: {
            [try Data(contentsOf: try stateRun().folder.state)]
        })

    static let imageFolderCache = Target(
        name: "image-folder-cache", summary: "an image folder's decoded cache (~/.cache/swiftgan/folders/*.bin)",
        run: { _ = try ImageFolderCache.decode($0, name: "input") },
        seeds: {
            // Two gray 2×2 images of one class; three RGB images of 2 rows × 3 columns, of two
            // classes, with a skipped file.
            let gray = try ImageDataset(
                name: "gray", height: 2, width: 2, channels: 1, pixels: (0..<8).map { UInt8($0 * 30) },
                labels: [0, 0], classNames: ["gray"])
            let rgb = try ImageDataset(
                name: "rgb", height: 2, width: 3, channels: 3, pixels: (0..<54).map { UInt8($0 * 4) },
                labels: [0, 1, 1], classNames: ["cats", "dogs"])
            return [
                try ImageFolderCache.encode(gray, skipped: []),
                try ImageFolderCache.encode(rgb, skipped: [(path: "/data/rgb/bad.png", reason: "empty file")]),
            ]
        })

    static let evaluator = Target(
        name: "evaluator", summary: "evaluator files (`evaluate --evaluator`, `train --evaluator`)",
        run: { _ = try Evaluator.decode($0, name: "input") },
        seeds: {
            // The architecture is fixed (its 3136 × 128 dense layer makes any seed 1.6 MB); two classes.
            let network = Evaluator(classes: 2, rng: RandomGenerator(seed: 0))
            return [try network.encoded(dataset: "fuzz", testAccuracy: 0.5, command: "seed")]
        })

    public static func named(_ name: String) -> Target? { all.first { $0.name == name } }

    /// 8×8 gray and RGB pictures as PNG (SwiftGAN's writer) and as baseline and progressive JPEG.
    static func imageSeeds() throws -> [Data] {
        let gray: [UInt8] = (0..<64).map { UInt8($0 * 4) }
        let rgb: [UInt8] = (0..<192).map { UInt8($0 & 255) }
        var seeds: [Data] = [
            try PNG.encode(pixels: gray, width: 8, height: 8, channels: 1),
            try PNG.encode(pixels: rgb, width: 8, height: 8, channels: 3),
        ]
        seeds.append(JPEGEncoder.encode(pixels: gray, width: 8, height: 8, channels: 1))
        seeds.append(JPEGEncoder.encode(pixels: rgb, width: 8, height: 8, channels: 3, progressive: true))
        return seeds
    }

    /// A file of this process's scratch folder (one per process: fuzzers run in parallel).
    static func scratchURL(_ name: String) throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("swiftgan-fuzz-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder.appendingPathComponent(name)
    }

    static func scratchFile(_ data: Data, _ name: String) throws -> URL {
        let url = try scratchURL(name)
        try data.write(to: url)
        return url
    }

    /// A curve-gan run of two steps, made once per process; each call returns a fresh
    /// `TrainingRun` on its folder, whose state file the caller may replace.
    static func stateRun() throws -> TrainingRun {
        var config = TrainConfig()
        config.model = "curve-gan"
        config.steps = 2
        config.sampleEvery = 2
        config.out = try scratchURL("run").path
        if !FileManager.default.fileExists(atPath: config.out! + "/seed-state.safetensors") {
            try? FileManager.default.removeItem(atPath: config.out!)
            try TrainingRun(config: config).run()
            try FileManager.default.copyItem(
                atPath: config.out! + "/training-state.safetensors", toPath: config.out! + "/seed-state.safetensors")
        }
        config.steps = 4
        let run = try TrainingRun(config: config)
        try FileManager.default.removeItem(at: run.folder.state)
        try FileManager.default.copyItem(atPath: config.out! + "/seed-state.safetensors", toPath: run.folder.state.path)
        return run
    }
}
