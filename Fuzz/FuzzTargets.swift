@testable import Artifacts
import CJPEG
@testable import Datasets
import Foundation
@testable import GAN
import Tensors

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
        Target(name: "idx", summary: "IDX files, raw or gzip (MNIST, Fashion-MNIST)", run: { _ = try IDXFile(data: $0, name: "input") }, seeds: {
            let images = IDXFile(dimensions: [2, 4, 4], values: (0..<32).map { UInt8($0 * 7 & 255) }).encoded()
            return [images, IDXFile(dimensions: [3], values: [1, 2, 3]).encoded(), try gzip(images)]
        }),
        Target(name: "gzip", summary: "gzip streams (dataset archives)", run: { _ = try Gzip.decompress($0, name: "input", limit: 16 << 20) }, seeds: {
            [try gzip(Data("SwiftGAN fuzz seed".utf8)), try gzip(Data(count: 4096))]
        }),
        Target(name: "cifar10", summary: "CIFAR-10 binary batches", run: { _ = try CIFAR10.decode($0, name: "input") }, seeds: {
            [Data((0..<(2 * 3073)).map { $0 % 3073 == 0 ? UInt8($0 / 3073) : UInt8($0 & 255) })]
        }),
        Target(name: "tar", summary: "tar archives (CIFAR-10's download)", run: { _ = try Tar.files(in: $0, name: "input") }, seeds: {
            [tar([("cifar-10-batches-bin/data_batch_1.bin", Data(count: 3073)), ("readme.html", Data("hi".utf8))])]
        }),
        Target(name: "image", summary: "PNG and JPEG decoding of the image-folder path (libpng, libjpeg)",
               run: { _ = try ImageDecoder.decode($0, smallestUsefulSide: 1) }, seeds: {
            let gray: [UInt8] = (0..<64).map { UInt8($0 * 4) }, rgb: [UInt8] = (0..<192).map { UInt8($0 & 255) }
            let png1: Data = try PNG.encode(pixels: gray, width: 8, height: 8, channels: 1)
            let png3: Data = try PNG.encode(pixels: rgb, width: 8, height: 8, channels: 3)
            return [png1, png3, jpeg(gray, side: 8, channels: 1), jpeg(rgb, side: 8, channels: 3)]
        }),
        Target(name: "png", summary: "SwiftGAN's own PNG reader (the tests' and `report`'s)", run: { _ = try PNG.decode($0) }, seeds: {
            [try PNG.encode(pixels: (0..<48).map { UInt8($0 * 5) }, width: 4, height: 4, channels: 3)]
        }),
        Target(name: "gif", summary: "GIF decoding (the tests' reader of training.gif)", run: { _ = try GIF.decode($0) }, seeds: {
            let frames = (0..<2).map { RasterImage(width: 4, height: 4, channels: 3, pixels: (0..<48).map { UInt8(($0 + 40) & 255) }) }
            return [try GIF.encodeAnimation(frames)]
        }),
        Target(name: "safetensors", summary: "safetensors files (checkpoints, training states, evaluators)", run: { _ = try Safetensors.decode($0) }, seeds: {
            [try Safetensors.encode([(name: "w", shape: [2, 2], values: [1, 2, 3, 4]), (name: "b", shape: [], values: [0.5])], metadata: ["format": "swiftgan"])]
        }),
        Target(name: "npy", summary: "NumPy .npy arrays (`sample --noise`, `evaluate`)", run: { _ = try NPY.decode($0) }, seeds: {
            [NPY.encode(float32: [1, 2, 3, 4, 5, 6], shape: [2, 3]), NPY.encode(uint8: [1, 2, 3, 4], shape: [1, 2, 2]), NPY.encode(int64: [7], shape: [1])]
        }),
        Target(name: "config", summary: "config.json (`train --config`)", run: { data in
            let config = try TrainConfig.decode(data, name: "input")
            try config.validate()
            _ = try config.applyingRecipe()
        }, seeds: {
            var config = TrainConfig()
            config.model = "dcgan"
            config.steps = 100
            config.recipe = "stable-bce"
            return [Data(try config.json().utf8), Data("{\"model\": \"curve-gan\", \"loss\": \"wgan-gp\"}".utf8)]
        }),
        Target(name: "checkpoint", summary: "generator and discriminator checkpoints (`sample`, `export`, `interpolate`)", run: { data in
            _ = try Checkpoint.loadNetwork(from: try scratchFile(data, "checkpoint.safetensors"))
        }, seeds: {
            let model = try ModelZoo.make("curve-gan", rng: RandomGenerator(seed: 0))
            let url = try scratchURL("seed.safetensors")
            try Checkpoint.save(model.generator, of: model, role: "generator", step: 3, to: url)
            let g = try Data(contentsOf: url)
            try Checkpoint.save(model.discriminator, of: model, role: "discriminator", step: 3, to: url)
            return [g, try Data(contentsOf: url)]
        }),
        Target(name: "training-state", summary: "a run's training-state.safetensors (`train --resume`)", run: { data in
            let run = try stateRun()
            try data.write(to: run.folder.state)
            try run.resume()
        }, seeds: {
            [try Data(contentsOf: try stateRun().folder.state)]
        }),
    ]

    public static func named(_ name: String) -> Target? { all.first { $0.name == name } }

    static func gzip(_ data: Data) throws -> Data { try Zlib.compress([UInt8](data), level: 6, format: "gzip") }

    /// A ustar archive of regular files.
    static func tar(_ files: [(path: String, data: Data)]) -> Data {
        var out = Data()
        for (path, data) in files {
            var header = [UInt8](repeating: 0, count: 512)
            func put(_ text: String, _ offset: Int) { for (i, b) in text.utf8.enumerated() { header[offset + i] = b } }
            put(path, 0)
            put("0000644\0", 100); put("0000000\0", 108); put("0000000\0", 116)
            put(String(format: "%011o\0", data.count), 124); put("00000000000\0", 136)
            put("        ", 148); put("0", 156); put("ustar\0", 257); put("00", 263)
            put(String(format: "%06o\0 ", header.reduce(0) { $0 + Int($1) }), 148)
            out += header + data + Data(count: (512 - data.count % 512) % 512)
        }
        return out + Data(count: 1024)
    }

    /// A baseline JPEG of a square image, through libjpeg's compressor.
    static func jpeg(_ pixels: [UInt8], side: Int, channels: Int) -> Data {
        var info = jpeg_compress_struct()
        var errors = jpeg_error_mgr()
        var buffer: UnsafeMutablePointer<UInt8>?
        var size: UInt = 0
        withUnsafeMutablePointer(to: &errors) { errors in
            withUnsafeMutablePointer(to: &info) { info in
                info.pointee.err = jpeg_std_error(errors)
                jpeg_CreateCompress(info, JPEG_LIB_VERSION, MemoryLayout<jpeg_compress_struct>.size)
                jpeg_mem_dest(info, &buffer, &size)
                (info.pointee.image_width, info.pointee.image_height) = (JDIMENSION(side), JDIMENSION(side))
                info.pointee.input_components = Int32(channels)
                info.pointee.in_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB
                jpeg_set_defaults(info)
                jpeg_start_compress(info, 1)
                var rows = pixels
                rows.withUnsafeMutableBufferPointer { p in
                    while info.pointee.next_scanline < info.pointee.image_height {
                        var row: JSAMPROW? = p.baseAddress! + Int(info.pointee.next_scanline) * side * channels
                        jpeg_write_scanlines(info, &row, 1)
                    }
                }
                jpeg_finish_compress(info)
                jpeg_destroy_compress(info)
            }
        }
        defer { free(buffer) }
        return Data(bytes: buffer!, count: Int(size))
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
            try FileManager.default.copyItem(atPath: config.out! + "/training-state.safetensors", toPath: config.out! + "/seed-state.safetensors")
        }
        config.steps = 4
        let run = try TrainingRun(config: config)
        try FileManager.default.removeItem(at: run.folder.state)
        try FileManager.default.copyItem(atPath: config.out! + "/seed-state.safetensors", toPath: run.folder.state.path)
        return run
    }
}
