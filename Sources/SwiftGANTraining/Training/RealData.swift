import Foundation
import SwiftGANArtifacts
import SwiftGANDatasets
import SwiftGANTensors

/// Where a run's real examples come from: an image dataset with its batch sampler, or the
/// synthetic curves.
enum RealData {
    case images(ImageDataset, BatchSampler)
    case curves

    var epoch: Int {
        if case .images(_, let sampler) = self { return sampler.epoch }
        return 0
    }

    /// A number that differs, but for a one-in-2⁵² accident, between two copies of the data that
    /// differ in their count, image size, labels or a sample of about a million of their pixels:
    /// the ranks of a data-parallel run compare theirs (each reads the dataset from its own disk,
    /// and the data order names examples by index). 52 bits, so that it is exact as a Double.
    var fingerprint: Double {
        guard case .images(let dataset, _) = self else { return 0 }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a's offset basis and prime
        func mix(_ value: UInt64) { hash = (hash ^ value) &* 0x100_0000_01b3 }
        for value in [dataset.count, dataset.height, dataset.width, dataset.channels] + dataset.labels {
            mix(UInt64(bitPattern: Int64(value)))
        }
        dataset.pixels.withUnsafeBufferPointer { pixels in
            for i in stride(from: 0, to: pixels.count, by: Swift.max(1, pixels.count / 1_000_000)) {
                mix(UInt64(pixels[i]))
            }
        }
        return Double(hash >> 12)
    }

    /// Whether `inner` is `outer` or lies inside it, links resolved (a folder not made yet counts
    /// where it would be made).
    static func isInside(_ inner: URL, _ outer: URL) -> Bool {
        func resolved(_ url: URL) -> [String] {
            var existing = url.standardizedFileURL, rest: [String] = []
            while !FileManager.default.fileExists(atPath: existing.path) && existing.pathComponents.count > 1 {
                rest.insert(existing.lastPathComponent, at: 0)
                existing.deleteLastPathComponent()
            }
            return existing.resolvingSymlinksInPath().pathComponents + rest
        }
        let (a, b) = (resolved(inner), resolved(outer))
        return a.count >= b.count && Array(a.prefix(b.count)) == b
    }

    /// The training split of the configured dataset; a folder's images made `height`×`width` with
    /// `channels` (the published datasets come at their own size, which the model must match).
    static func loadImages(
        _ config: TrainConfig, height: Int, width: Int, channels: Int, log: @escaping (String) -> Void
    ) throws -> ImageDataset {
        var locator = DatasetLocator(explicitFolder: config.dataDir.map { URL(fileURLWithPath: $0) })
        locator.log = log
        switch config.dataset {
        case "folder":
            guard let dir = config.dataDir else {
                throw GANError("--dataset folder needs --data-dir DIR (a folder of PNG/JPEG images)")
            }
            let out = config.outputFolder
            if isInside(URL(fileURLWithPath: out), URL(fileURLWithPath: dir)) {
                throw GANError(
                    "the run folder \(FormatError.printable(out, limit: 200)) is inside --data-dir \(FormatError.printable(dir, limit: 200)): "
                        + "its sample pictures would be read as training images by the next run; give --out outside it")
            }
            let fit = ImageFit(rawValue: config.fit ?? "crop") ?? .crop
            let (dataset, skipped) = try ImageFolder.load(
                folder: URL(fileURLWithPath: dir), height: height, width: width, channels: channels, fit: fit, log: log)
            if !skipped.isEmpty {
                log(
                    "skipped \(skipped.count) unreadable file(s): "
                        + skipped.prefix(5).map {
                            // Names from the folder may hold terminal escapes; the reasons are SwiftGAN's own
                            // words (ImageFolder makes the one that quotes a name printable).
                            "\(FormatError.printable($0.path, limit: 200)) (\($0.reason))"
                        }.joined(separator: "; ")
                        + (skipped.count > 5 ? "; …" : ""))
            }
            log(
                "folder: \(dataset.count) images of \(height)×\(width) (\(fit.rawValue)) in \(dataset.classNames.count) class(es) from \(FormatError.printable(dir, limit: 200))"
            )
            return dataset
        case "cifar10":
            let (dataset, found, source) = try locator.loadCIFAR10(train: true)
            log("cifar10: \(dataset.count) training images from \(found.path) (\(source.rawValue))")
            return dataset
        default:
            let spec = try DatasetSpec.named(config.dataset)
            let (dataset, found, source) = try locator.load(spec)
            log("\(spec.name): \(dataset.count) training images from \(found.path) (\(source.rawValue))")
            return dataset
        }
    }
}

extension TrainingRun {
    /// The next real batch, with its labels for a conditional model. In data-parallel training
    /// every rank draws the whole batch (the same examples) and keeps its share.
    func realBatch() -> (Tensor, [Int]?) {
        switch data {
        case .curves:
            let curves = QuadraticCurves.sample(batchSize, using: rng)
            return (shard.map { $0.localRows(of: curves) } ?? curves, nil)
        case .images(let dataset, var sampler):
            let drawn = sampler.next()
            data = .images(dataset, sampler)
            let indices = shard.map { $0.localElements(of: drawn) } ?? drawn
            return (
                dataset.batch(indices, range: model.dataRange),
                model.classCount > 0 ? indices.map { dataset.labels[$0] } : nil
            )
        }
    }

    /// The image batch sampler's state (nil for synthetic data).
    var sampler: BatchSampler.State? {
        get {
            if case .images(_, let s) = data { return s.state }
            return nil
        }
        set {
            guard case .images(let dataset, var s) = data, let newValue else { return }
            s.state = newValue
            data = .images(dataset, s)
        }
    }
}
