import ArgumentParser
import Artifacts
import Foundation
import GAN
import Tensors

struct Sample: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Draw samples from a saved generator.",
        discussion: """
        Writes a PNG (a grid of images, or a plot of curves) and optionally a NumPy .npy file: uint8 N×H×W for \
        grayscale models (N×28×28), N×H×W×3 for colour ones, float32 N×16 for curve-gan. A conditional model \
        (cgan, acgan) draws the class given by --label: one class (--label 7), or --label all for a grid with one \
        labelled row of --count samples per class; with --npy the labels go beside the images as int64 \
        (FILE-labels.npy).
        """
    )

    @Option(help: "A generator.safetensors written by 'swiftgan train'.") var checkpoint: String
    @Option(help: "How many samples (with --label all: per class).") var count: Int = 64
    // Unconditional parsing, so `--label -1` reaches the range check instead of reading as an option.
    @Option(parsing: .unconditional, help: "Conditional models: the class to draw (0-based), or 'all' for one row per class.") var label: String?
    @Option(help: "Seed for the noise.") var seed: UInt64 = 0
    @Option(help: "PNG file to write.") var out: String?
    @Option(help: "NumPy .npy file to write the samples to.") var npy: String?
    @Flag(help: "Normalize with each batch's own statistics (BatchNorm in training mode) instead of the running ones.") var batchStatistics = false

    func validate() throws {
        guard count > 0 else { throw ValidationError("--count must be positive") }
        guard out != nil || npy != nil else { throw ValidationError("give --out FILE.png and/or --npy FILE.npy") }
        if let label, label != "all", Int(label) == nil { throw ValidationError("--label takes a class number or 'all', not '\(label)'") }
    }

    func run() throws {
        let (model, step, classNames) = try Checkpoint.loadGenerator(from: URL(fileURLWithPath: checkpoint))
        // One row per class for 'all'; the requested class repeated otherwise.
        let labels: [Int]?
        switch label {
        case nil: labels = nil
        case "all": labels = model.classCount > 0 ? (0..<(model.classCount * count)).map { $0 / count } : [0]
        case let text?: labels = Array(repeating: Int(text)!, count: count)
        }
        do { try model.validate(labels: labels) } catch { throw ValidationError("\(error)") }
        let total = labels?.count ?? count
        let samples = model.generate(model.noise(total, using: RandomGenerator(seed: seed)), labels: labels, batchStatistics: batchStatistics)
        if let out {
            let name: (Int) -> String = { c in classNames.flatMap { $0.indices.contains(c) ? $0[c] : nil } ?? "class \(c)" }
            let picture: RasterImage
            if label == "all" {
                picture = try RunPictures.samples(generated: samples, real: nil, model: model, step: step, columns: count,
                                                  rowLabels: (0..<model.classCount).map(name))
            } else {
                picture = try RunPictures.samples(generated: samples, real: nil, model: model, step: step)
            }
            try picture.write(to: URL(fileURLWithPath: out))
            print("wrote \(out) (\(total) samples of \(model.name), step \(step)\(labels.map { _ in label == "all" ? ", one row per class" : ", class " + name(labels![0]) } ?? ""))")
        }
        if let npy {
            let data: Data
            switch model.sample {
            case .curves(let points):
                data = NPY.encode(float32: samples.scalars, shape: [total, points])
            case .images(let h, let w, let c):
                // Gray images as [N, H, W], as MNIST's .npy files are.
                data = NPY.encode(uint8: RunPictures.bytes(samples, range: model.dataRange), shape: [total, h, w] + (c == 1 ? [] : [c]))
            }
            try AtomicFile.write(data, to: URL(fileURLWithPath: npy))
            print("wrote \(npy)")
            if let labels {
                let labelsFile = Self.labelsPath(forImages: npy)
                try NPY.write(int64: labels.map(Int64.init), shape: [total], to: URL(fileURLWithPath: labelsFile))
                print("wrote \(labelsFile)")
            }
        }
    }

    /// `samples.npy` → `samples-labels.npy`.
    static func labelsPath(forImages npy: String) -> String {
        (npy.hasSuffix(".npy") ? String(npy.dropLast(4)) : npy) + "-labels.npy"
    }
}
