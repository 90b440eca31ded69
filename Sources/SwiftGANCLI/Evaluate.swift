import ArgumentParser
import Foundation
import SwiftGANArtifacts
import SwiftGANDatasets
import SwiftGANTensors
import SwiftGANTraining

struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Quality numbers for generated images: FID, KID, precision/recall, class coverage, conditional accuracy.",
        discussion: """
            Images come from a generator checkpoint (--count of them; a conditional model is asked for every class in \
            turn) or from a .npy file (uint8 N×28×28 as 'swiftgan sample --npy' writes, or float32 in [0, 1]), with \
            --labels FILE (int64) for the requested classes. They are measured in the feature space of the dataset's \
            evaluator network (a classifier SwiftGAN trained and ships; see 'train-evaluator') against the real test \
            split. --reference prints the numbers of known sets instead (real vs real, noise, blurred, one class), so \
            you can read yours.
            """
    )

    @Option(help: "A generator.safetensors written by 'swiftgan train'.") var checkpoint: String?
    @Option(help: PretrainedOption.help) var pretrained: String?
    @Option(help: "A .npy file of images (uint8 N×28×28, or float32 in [0, 1]).") var npy: String?
    @Option(help: "With --npy: a .npy file of int64 class labels the images were asked to show.") var labels: String?
    @Option(help: "The dataset whose test split is the reference: fashion-mnist or mnist.") var dataset =
        "fashion-mnist"
    @Option(help: "Folder holding the dataset's files.") var dataDir: String?
    @Option(help: "Images to generate from a checkpoint (at most this many are used from --npy).") var count = 10000
    @Option(help: "An evaluator trained by 'swiftgan train-evaluator' (default: the shipped one).") var evaluator:
        String?
    @Option(help: "Seed for the noise, labels and KID subsets.") var seed: UInt64 = 0
    @Option(help: "Also write the numbers as JSON to this file.") var json: String?
    @Option(
        name: .customLong("class"),
        help:
            "Measure against the test images of this class only (a number or a name, e.g. Bag): for a generator trained on one class."
    )
    var onlyClass: String?
    @Flag(help: "Print the numbers of reference sets (real train vs test, noise, blurred real, one class only).")
    var reference = false

    func validate() throws {
        guard (2...Self.maxCount).contains(count) else {
            throw ValidationError("--count must be in 2...\(Self.maxCount), got \(count)")
        }
        let sources = [checkpoint, pretrained, npy].compactMap { $0 }.count
        if reference {
            guard sources == 0 else {
                throw ValidationError("--reference measures known sets; give no --checkpoint, --pretrained or --npy")
            }
        } else {
            guard sources == 1 else {
                throw ValidationError("give --checkpoint FILE, --pretrained NAME or --npy FILE (one of them)")
            }
        }
        // A pretrained name is checked here, before the evaluator and the data are read.
        let generator = try generatorFile()
        if let json {
            let inputs = [generator, npy, labels, evaluator].compactMap { $0 }
            if let problem = OutputFile.problem(with: json, option: "--json", extension: "json", inputs: inputs) {
                throw ValidationError(problem)
            }
        }
        if labels != nil && npy == nil { throw ValidationError("--labels goes with --npy") }
    }

    /// The most images measured: 50,000 is FID's customary count; their features and the k-NN
    /// distances of precision/recall stay under 2 GB.
    static let maxCount = 50_000

    func run() throws {
        try OneProcess.require("evaluate")
        StopCleanly.install()
        let log: (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
        let (network, accuracy, from) = try loadEvaluator()
        var locator = DatasetLocator(explicitFolder: dataDir.map { URL(fileURLWithPath: $0) })
        locator.log = log
        let spec = try DatasetSpec.named(dataset)
        let test = try Self.onlyClass(onlyClass, of: try locator.load(spec, train: false).dataset)
        let judge = try QualityJudge(evaluator: network, real: test)
        log(
            String(
                format: "evaluator: %@ (test accuracy %.4f); reference: %d %@ test images", from, accuracy, test.count,
                dataset))
        let rng = RandomGenerator(seed: seed)

        if reference {
            let train = try locator.load(spec, train: true).dataset
            let rows = try ReferenceSets.make(train: train, count: count, rng: rng).map {
                ($0.name, try judge.report(images: $0.images, labels: nil, rng: rng))
            }
            print(Self.referenceTable(rows))
            try writeJSON(Dictionary(uniqueKeysWithValues: rows))
            return
        }
        // The generator's digest, taken before and checked after: a run saving a new one meanwhile
        // must not lend its name to the old one's numbers.
        let digest = { (path: String) in
            SHA256.hex(
                try InputFile.read(
                    URL(fileURLWithPath: path), format: "safetensors", limit: Safetensors.maximumFileSize))
        }
        let generator = try generatorFile()
        let before = try generator.map(digest)
        let (images, requested, what) = try loadImages(rng: rng, testClassNames: test.classNames)
        if onlyClass != nil && requested != nil {
            throw ValidationError(
                "--class measures a generator of one class; a conditional model draws every class (its numbers, conditional accuracy included, are against the whole test split)"
            )
        }
        var report = try judge.report(images: images, labels: requested, rng: rng)
        report.reference = test.name
        if let generator {
            guard try digest(generator) == before else {
                throw GANError("\(generator) changed while it was measured (a run saved a new one?); measure it again")
            }
            report.generatorSHA256 = before
        }
        print("\(what), against \(test.count) \(test.name) test images")
        print(Self.table(report, classNames: test.classNames))
        try writeJSON(report)
    }

    private func loadEvaluator() throws -> (Evaluator, Double, String) {
        if let evaluator {
            let (network, saved, accuracy) = try Evaluator.load(from: URL(fileURLWithPath: evaluator))
            guard saved == dataset else {
                throw GANError("\(evaluator) is the evaluator of \(FormatError.printable(saved)), not \(dataset)")
            }
            return (network, accuracy, evaluator)
        }
        let (network, accuracy, url) = try Evaluator.shipped(for: dataset)
        return (network, accuracy, "shipped " + url.lastPathComponent)
    }

    /// The generator file to measure: --checkpoint's, or --pretrained's generator; nil for --npy and --reference.
    private func generatorFile() throws -> String? {
        guard checkpoint != nil || pretrained != nil else { return nil }
        return try PretrainedOption.checkpoint(checkpoint, pretrained: pretrained)
    }

    /// The images to measure, in [0, 1], with their requested labels and a description.
    private func loadImages(rng: RandomGenerator, testClassNames: [String]) throws -> (Tensor, [Int]?, String) {
        if let checkpoint = try generatorFile() {
            let (model, step, classNames) = try Checkpoint.loadGenerator(from: URL(fileURLWithPath: checkpoint))
            // A conditional model's labels must be the evaluator's classes; an unconditional one's names are a note.
            if model.classCount > 0, let classNames, classNames != testClassNames {
                throw GANError(
                    "\(checkpoint) was trained on other classes (\(classNames.prefix(3).map { FormatError.printable($0, limit: 32) }.joined(separator: ", ")), …) than \(dataset)'s; give its --dataset"
                )
            }
            guard model.sample == .grayscale28 else {
                throw GANError("\(model.name) makes \(model.sample); the evaluators measure 28×28 gray images")
            }
            let (images, labels) = model.generateForEvaluation(count: count, using: rng)
            return (images, labels, "\(count) images of \(model.name) (step \(step))")
        }
        let file = npy!
        let array = try NPY.read(from: URL(fileURLWithPath: file))
        let shape = array.shape
        guard shape.count == 3 || shape.count == 4, shape[1] == 28, shape[2] == 28, shape.count == 3 || shape[3] == 1
        else {
            throw GANError("\(file): expected N×28×28 (or N×28×28×1) images, found shape \(shape)")
        }
        let n = Swift.min(array.shape[0], count)
        var values = [Float](repeating: 0, count: n * 784)
        switch array.descr {
        case "|u1":
            array.payload.withUnsafeBytes { raw in for i in 0..<values.count { values[i] = Float(raw[i]) / 255 } }
        case "<f4":
            array.payload.withUnsafeBytes { raw in
                for i in 0..<values.count { values[i] = raw.loadUnaligned(fromByteOffset: 4 * i, as: Float.self) }
            }
        default: throw GANError("\(file): images must be uint8 or float32, not '\(array.descr)'")
        }
        if let bad = values.first(where: { !(0...1).contains($0) }) {
            throw GANError(
                "\(file): float32 images must lie in [0, 1] (found \(bad)); map tanh outputs with (x + 1) / 2")
        }
        var requested: [Int]?
        if let labels {
            let l = try NPY.read(from: URL(fileURLWithPath: labels))
            guard l.descr == "<i8", l.shape == [array.shape[0]] else {
                throw GANError(
                    "\(labels): expected \(array.shape[0]) int64 labels, found '\(l.descr)' of shape \(l.shape)")
            }
            requested = l.payload.withUnsafeBytes { raw in
                (0..<n).map { Int(raw.loadUnaligned(fromByteOffset: 8 * $0, as: Int64.self)) }
            }
        }
        return (Tensor(values, shape: [n, 28, 28, 1]), requested, "\(n) images from \(file)")
    }

    private func writeJSON<T: Encodable>(_ value: T) throws {
        guard let json else { return }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(try encoder.encode(value), to: URL(fileURLWithPath: json))
    }

    /// The test split, or its images of one class (by number or name).
    static func onlyClass(_ wanted: String?, of test: ImageDataset) throws -> ImageDataset {
        guard let wanted else { return test }
        guard let index = Int(wanted) ?? test.classNames.firstIndex(of: wanted), test.classNames.indices.contains(index)
        else {
            throw ValidationError(
                "--class '\(FormatError.printable(wanted))' is none of \(test.name)'s classes: \(test.classNames.joined(separator: ", "))"
            )
        }
        let chosen = test.labels.indices.filter { test.labels[$0] == index }
        let size = test.height * test.width * test.channels
        return try ImageDataset(
            name: "\(test.name) (\(test.classNames[index]) only)", height: test.height, width: test.width,
            channels: test.channels, pixels: chosen.flatMap { test.pixels[($0 * size)..<(($0 + 1) * size)] },
            labels: chosen.map { test.labels[$0] }, classNames: test.classNames)
    }

    static func table(_ r: QualityReport, classNames: [String]) -> String {
        var lines = [
            String(format: "FID                  %.3f", r.fid),
            String(format: "KID                  %.5f ± %.5f", r.kid, r.kidStandardDeviation),
        ]
        if let p = r.precision, let q = r.recall {
            lines.append(String(format: "precision / recall   %.3f / %.3f", p, q))
        }
        lines.append(
            String(format: "class entropy        %.3f (%.3f of the maximum)", r.classEntropy, r.normalizedClassEntropy))
        lines.append(String(format: "IS-style score       %.3f (of %d)", r.inceptionScore, r.classShares.count))
        if let a = r.conditionalAccuracy { lines.append(String(format: "conditional accuracy %.3f", a)) }
        lines.append(
            "predicted classes    "
                + zip(classNames, r.classShares).map { String(format: "%@ %.1f%%", $0.0, 100 * $0.1) }.joined(
                    separator: ", "))
        return lines.joined(separator: "\n")
    }

    static func referenceTable(_ rows: [(String, QualityReport)]) -> String {
        var lines = [
            "| set | FID | KID | precision | recall | IS-style | class entropy |",
            "| --- | --- | --- | --- | --- | --- | --- |",
        ]
        for (name, r) in rows {
            lines.append(
                String(
                    format: "| %@ | %.3f | %.5f ± %.5f | %.3f | %.3f | %.3f | %.3f |", name, r.fid, r.kid,
                    r.kidStandardDeviation,
                    r.precision ?? .nan, r.recall ?? .nan, r.inceptionScore, r.normalizedClassEntropy))
        }
        return lines.joined(separator: "\n")
    }
}
