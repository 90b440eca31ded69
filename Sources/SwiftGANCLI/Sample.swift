import ArgumentParser
import Foundation
import SwiftGANArtifacts
import SwiftGANTensors
import SwiftGANTraining

struct Sample: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Draw samples from a saved generator.",
        discussion: """
            Writes a PNG (a grid of images, or a plot of curves) and optionally a NumPy .npy file: uint8 N×H×W for \
            grayscale models (N×28×28), N×H×W×3 for colour ones, float32 N×16 for curve-gan. A conditional model \
            (cgan, acgan, sngan) draws the class given by --label: one class (--label 7, or by name: --label Sneaker), or --label all for a grid with one \
            labelled row of --count samples per class; with --npy the labels go beside the images as int64 \
            (FILE-labels.npy).
            """
    )

    @Option(help: "A generator.safetensors written by 'swiftgan train'.") var checkpoint: String?
    @Option(help: PretrainedOption.help) var pretrained: String?
    @Option(help: "How many samples (with --label all: per class).") var count: Int = 64
    // Unconditional parsing, so `--label -1` reaches the range check instead of reading as an option.
    @Option(
        parsing: .unconditional,
        help: "Conditional models: the class to draw, by number (0-based) or name, or 'all' for one row per class.")
    var label: String?
    @Option(help: "Seed for the noise.") var seed: UInt64 = 0
    @Option(help: "PNG file to write.") var out: String?
    @Option(help: "NumPy .npy file to write the samples to.") var npy: String?
    @Option(
        help:
            "Noise from a float32 .npy file of shape [N, noise size] (replaces --count and --seed), so another runtime can be fed the same noise."
    ) var noise: String?
    @Flag(
        help:
            "With --npy: the generator's float32 output as it is, [N, H, W, C] (NHWC) in the model's data range, instead of 8-bit pixels; what an exported ONNX generator returns for the same noise."
    ) var float32 = false
    @Flag(help: "Normalize with each batch's own statistics (BatchNorm in training mode) instead of the running ones.")
    var batchStatistics = false

    /// The most samples a run of `sample` makes (a .npy of a million 28×28 images is 784 MB), and
    /// the most a PNG grid shows.
    static let maxSamples = 1_000_000, maxGrid = 10_000
    /// The most sample values a grid draws: 10,000 of 64×64×3 (490 MB as floats).
    static let maxGridValues = 10_000 * 64 * 64 * 3

    func validate() throws {
        guard count > 0 else { throw ValidationError("--count must be positive") }
        guard count <= Self.maxSamples else {
            throw ValidationError("--count is at most \(Self.maxSamples), got \(count)")
        }
        let input = try PretrainedOption.checkpoint(checkpoint, pretrained: pretrained)
        let inputs = [input] + (noise.map { [$0] } ?? [])
        let outputs = [
            (out, "--out", "png"), (npy, "--npy", "npy"), (npy.map(Self.labelsPath), "--npy's labels", "npy"),
        ]
        for case let (path?, option, ext) in outputs {
            if let problem = OutputFile.problem(with: path, option: option, extension: ext, inputs: inputs) {
                throw ValidationError(problem)
            }
        }
        guard out != nil || npy != nil else { throw ValidationError("give --out FILE.png and/or --npy FILE.npy") }
        if float32 && npy == nil {
            throw ValidationError("--float32 says how --npy writes the samples; give --npy FILE.npy")
        }
    }

    func run() throws {
        try OneProcess.require("sample")
        StopCleanly.install()
        let generatorFile = try PretrainedOption.checkpoint(checkpoint, pretrained: pretrained)
        let (model, step, classNames) = try Checkpoint.loadGenerator(from: URL(fileURLWithPath: generatorFile))
        // One row per class for 'all'; the requested class repeated otherwise.
        let labels: [Int]?
        switch label {
        case nil: labels = nil
        case "all":
            // Checked before the labels are made: a model of many classes times a large --count.
            let (all, overflow) = Swift.max(model.classCount, 1).multipliedReportingOverflow(by: count)
            guard !overflow, all <= Self.maxSamples else {
                throw ValidationError(
                    "--label all draws \(model.classCount) classes × \(count) samples, more than \(Self.maxSamples); give a smaller --count"
                )
            }
            labels = model.classCount > 0 ? (0..<all).map { $0 / count } : [0]
        case let text?: labels = Array(repeating: try Self.classNumber(text, in: classNames), count: count)
        }
        do { try model.validate(labels: labels) } catch { throw ValidationError("\(error)") }
        let given = try noise.map { try Self.readNoise($0, size: model.noiseSize) }
        if let given, let labels, labels.count != given.shape[0] {
            throw ValidationError(
                "\(noise!) holds \(given.shape[0]) noise vectors; --label asks for \(labels.count) samples (give --count \(given.shape[0]))"
            )
        }
        let total = given?.shape[0] ?? labels?.count ?? count
        guard total <= Self.maxSamples else {
            throw ValidationError("\(total) samples (\(count) per class) is more than \(Self.maxSamples)")
        }
        if out != nil && total > Self.maxGrid {
            throw ValidationError(
                "a PNG grid shows at most \(Self.maxGrid) samples, not \(total); write more with --npy alone")
        }
        // A grid holds its samples as floats, twice, and its picture at 2×: bounded by values, as
        // dcgan64 makes up to 256×256×3 (10,000 of them would be 24 GB).
        let gridValues = model.sampleShape.reduce(total, *)
        if out != nil && gridValues > Self.maxGridValues {
            throw ValidationError(
                "a PNG grid of \(total) samples of \(model.sampleShape.map(String.init).joined(separator: "×")) is \(gridValues) values; "
                    + "at most \(Self.maxGridValues) (\(Self.maxGridValues / model.sampleShape.reduce(1, *)) of these): give a smaller --count"
            )
        }
        // The .npy's shape and element type: gray images as [N, H, W], as MNIST's .npy files are;
        // curves, and images with --float32, as the generator's float32 output.
        let npyShape: [Int], bytesPerValue: Int
        switch model.sample {
        case .images(let h, let w, let c) where !float32:
            (npyShape, bytesPerValue) = ([total, h, w] + (c == 1 ? [] : [c]), 1)
        default: (npyShape, bytesPerValue) = ([total] + model.sampleShape, 4)
        }
        let npyBytes = npyShape.reduce(bytesPerValue, *)
        if npy != nil && npyBytes > NPY.maximumFileSize - 1024 {
            throw ValidationError(
                "\(total) samples make a .npy of \(InputFile.size(npyBytes)); at most \(InputFile.size(NPY.maximumFileSize)) (what swiftgan evaluate reads) in one file"
            )
        }
        let noise = given ?? model.noise(total, using: RandomGenerator(seed: seed))
        // In batches, each written into the .npy at once, so memory holds the file and one batch;
        // in inference mode a sample does not depend on the others in its batch (with
        // --batch-statistics, each batch of 500 normalizes itself).
        var parts: [Tensor] = []
        var file = NPY.header(descr: bytesPerValue == 1 ? "|u1" : "<f4", shape: npyShape)
        if npy != nil { file.reserveCapacity(file.count + npyBytes) }
        let batch = batchStatistics ? 500 : model.inferenceBatchSize
        for start in stride(from: 0, to: total, by: batch) {
            let range = start..<Swift.min(start + batch, total)
            let part = model.generate(
                noise.slice(alongAxis: 0, range), labels: labels.map { Array($0[range]) },
                batchStatistics: batchStatistics)
            if out != nil { parts.append(part) }
            guard npy != nil else { continue }
            if bytesPerValue == 1 {
                file.append(contentsOf: RunPictures.bytes(part, range: model.dataRange))
            } else {
                NPY.appendPayload(float32: part.scalars, to: &file)
            }
        }
        if let out {
            let samples = parts.count == 1 ? parts[0] : Tensor.concatenate(parts, alongAxis: 0)
            let name = { Self.className($0, in: classNames) }
            let picture: RasterImage
            if label == "all" {
                picture = try RunPictures.samples(
                    generated: samples, real: nil, model: model, step: step, columns: count,
                    rowLabels: (0..<model.classCount).map(name))
            } else {
                picture = try RunPictures.samples(generated: samples, real: nil, model: model, step: step)
            }
            try picture.write(to: URL(fileURLWithPath: out))
            print(
                "wrote \(out) (\(total) samples of \(model.name), step \(step)\(labels.map { _ in label == "all" ? ", one row per class" : ", class " + name(labels![0]) } ?? ""))"
            )
        }
        if let npy {
            try AtomicFile.write(file, to: URL(fileURLWithPath: npy))
            print("wrote \(npy)")
            if let labels {
                let labelsFile = Self.labelsPath(forImages: npy)
                try NPY.write(int64: labels.map(Int64.init), shape: [total], to: URL(fileURLWithPath: labelsFile))
                print("wrote \(labelsFile)")
            }
        }
    }

    /// The class `text` names: a number, or one of the checkpoint's class names.
    static func classNumber(_ text: String, in names: [String]?) throws -> Int {
        // A name first (folders may be named "1", "2", … and sort as "1", "10", "11", "2"), as the
        // checkpoint keeps it: printable and cut, so the text is compared the same way.
        if let names {
            let shown = FormatError.printable(text, limit: Checkpoint.maximumClassNameLength)
            let matches = names.indices.filter { names[$0] == text || names[$0] == shown }
            if matches.count > 1 {
                throw ValidationError(
                    "--label '\(shown)' names \(matches.count) classes (\(matches.map(String.init).joined(separator: ", "))) whose names print alike; give the number"
                )
            }
            if let index = matches.first { return index }
        }
        if let number = Int(text) { return number }
        guard let names, !names.isEmpty else {
            throw ValidationError(
                "--label '\(FormatError.printable(text))': this checkpoint names no classes; give a number")
        }
        throw ValidationError(
            "--label '\(FormatError.printable(text))' is none of this checkpoint's classes: "
                + names.prefix(50).joined(separator: ", ") + (names.count > 50 ? ", … (\(names.count) in all)" : ""))
    }

    /// A class's name from a checkpoint's list, or "class N". The names came from the training
    /// set's folder names, so they are shown printable and at most 32 characters long, in the
    /// terminal and as picture labels alike.
    static func className(_ c: Int, in names: [String]?) -> String {
        names.flatMap { $0.indices.contains(c) ? FormatError.printable($0[c], limit: 32) : nil } ?? "class \(c)"
    }

    /// Noise vectors from a float32 .npy file of shape [N, size], all finite.
    static func readNoise(_ path: String, size: Int) throws -> Tensor {
        let array = try NPY.read(from: URL(fileURLWithPath: path))
        guard array.descr == "<f4", array.shape.count == 2, array.shape[1] == size, array.shape[0] >= 1,
            array.shape[0] <= maxSamples
        else {
            throw GANError(
                "\(path): expected float32 noise of shape [N, \(size)] with 1 ≤ N ≤ \(maxSamples), found '\(array.descr)' of shape \(array.shape)"
            )
        }
        let values = NPY.float32Values(array.payload)
        guard values.allSatisfy(\.isFinite) else { throw GANError("\(path): the noise holds NaN or infinite values") }
        return Tensor(values, shape: array.shape)
    }

    /// `samples.npy` → `samples-labels.npy`.
    static func labelsPath(forImages npy: String) -> String {
        (npy.hasSuffix(".npy") ? String(npy.dropLast(4)) : npy) + "-labels.npy"
    }
}
