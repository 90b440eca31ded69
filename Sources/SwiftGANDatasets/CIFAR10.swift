import Foundation
import SwiftGANArtifacts

/// CIFAR-10 in its binary distribution: 50,000 training and 10,000 test colour images of 32×32
/// pixels in ten classes.
///
/// Each batch file (`data_batch_1.bin` … `data_batch_5.bin`, `test_batch.bin`) is a run of
/// 3073-byte records: one label byte in 0..<10, then the 1024 red, 1024 green and 1024 blue values
/// of the image, each plane in row-major order. Records are converted to NHWC, so pixel (y, x)
/// of image n has its red value at `((n·32 + y)·32 + x)·3`.
///
/// ```swift
/// // Files already on disk (either directly in the folder or in cifar-10-batches-bin/):
/// let train = try CIFAR10.load(folder: URL(fileURLWithPath: "data"), train: true)
/// train.imageShape       // [32, 32, 3]
/// // Or explicit folder → cache → checksum-verified download, as for MNIST:
/// let (test, folder, source) = try DatasetLocator().loadCIFAR10(train: false)
/// ```
public enum CIFAR10 {
    public static let side = 32
    public static let recordSize = 1 + 3 * 32 * 32
    public static let classNames = [
        "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck",
    ]
    public static let trainFiles = (1...5).map { "data_batch_\($0).bin" }
    public static let testFiles = ["test_batch.bin"]
    /// The archive's own subfolder; files are found there or directly in the given folder.
    public static let archiveFolder = "cifar-10-batches-bin"
    /// The published archive (Krizhevsky's page) and its SHA-256.
    public static let archive = DatasetSpec.File(
        name: "cifar-10-binary.tar.gz", sha256: "c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd")
    public static let mirrors = ["https://www.cs.toronto.edu/~kriz/"]
    /// The folder name under the cache root.
    public static let cacheName = "cifar-10"

    /// Reads the training (five batches) or test split from `folder` or `folder/cifar-10-batches-bin`.
    public static func load(folder: URL, train: Bool) throws -> ImageDataset {
        guard let dir = batchFolder(in: folder) else {
            let missing = (trainFiles + testFiles).filter {
                !FileManager.default.fileExists(atPath: folder.appendingPathComponent($0).path)
            }
            throw DataError(
                "\(folder.path) does not hold the CIFAR-10 batch files (directly or in \(archiveFolder)/); missing: \(missing.joined(separator: ", "))"
            )
        }
        var pixels: [UInt8] = [], labels: [Int] = []
        for file in train ? trainFiles : testFiles {
            let url = dir.appendingPathComponent(file)
            let data: Data
            do {
                data = try InputFile.read(url, format: "CIFAR-10 batch", limit: 64 << 20)
            } catch {
                throw DataError("\(error)")
            }
            let batch = try decode(data, name: url.path)
            pixels += batch.pixels
            labels += batch.labels
        }
        return try ImageDataset(
            name: "cifar-10", height: side, width: side, channels: 3, pixels: pixels, labels: labels,
            classNames: classNames)
    }

    /// The folder (given one or its `cifar-10-batches-bin` child) that holds all six batch files.
    public static func batchFolder(in folder: URL) -> URL? {
        [folder, folder.appendingPathComponent(archiveFolder)].first { dir in
            (trainFiles + testFiles).allSatisfy {
                FileManager.default.fileExists(atPath: dir.appendingPathComponent($0).path)
            }
        }
    }

    /// One batch file's records as NHWC pixels and labels. `name` appears in error messages.
    public static func decode(_ data: Data, name: String) throws -> (pixels: [UInt8], labels: [Int]) {
        guard data.count >= recordSize, data.count % recordSize == 0 else {
            let whole = data.count / recordSize, extra = data.count % recordSize
            let problem =
                data.count == 0
                ? "is empty"
                : whole == 0
                    ? "is shorter than one record (truncated)"
                    : "holds \(whole) records and \(extra) more bytes (truncated, or trailing bytes)"
            throw DataError(
                "\(name): \(data.count) bytes is not a whole number of \(recordSize)-byte CIFAR-10 records; the file \(problem)"
            )
        }
        let count = data.count / recordSize, plane = side * side
        var labels = [Int](repeating: 0, count: count)
        var pixels = [UInt8](repeating: 0, count: count * plane * 3)
        try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            let src = raw.bindMemory(to: UInt8.self).baseAddress!
            try pixels.withUnsafeMutableBufferPointer { out in
                let dst = out.baseAddress!
                for n in 0..<count {
                    let record = src + n * recordSize
                    guard record[0] < classNames.count else {
                        throw DataError(
                            "\(name): record \(n) (byte \(n * recordSize)) has label \(record[0]), outside 0..<\(classNames.count)"
                        )
                    }
                    labels[n] = Int(record[0])
                    let r = record + 1, g = r + plane, b = g + plane, d = dst + n * plane * 3
                    for p in 0..<plane {
                        d[3 * p] = r[p]
                        d[3 * p + 1] = g[p]
                        d[3 * p + 2] = b[p]
                    }
                }
            }
        }
        return (pixels, labels)
    }

    /// Writes the batch files found in a gzip-compressed tar archive (`.bin` members only) into
    /// `destination`, which must not exist yet. Everything is written into a temporary sibling first
    /// and renamed into place at the end, so an interrupted extraction leaves no half-filled folder
    /// that a later run would take for a complete one.
    public static func extract(archive data: Data, name: String, to destination: URL) throws {
        let tar = try Gzip.decompress(data, name: name)
        let members = try Tar.files(in: tar, name: name).filter { $0.path.hasSuffix(".bin") }
        let fm = FileManager.default
        let temporary = destination.deletingLastPathComponent().appendingPathComponent(
            ".\(destination.lastPathComponent).\(getpid()).partial")
        try? fm.removeItem(at: temporary)
        do {
            for member in members {
                let url = temporary.appendingPathComponent(member.path)
                try fm.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try member.data.write(to: url)
            }
        } catch {
            try? fm.removeItem(at: temporary)
            throw DataError("cannot extract \(name) into \(temporary.path): \(error.localizedDescription)")
        }
        guard batchFolder(in: temporary) != nil else {
            try? fm.removeItem(at: temporary)
            let paths = members.map(\.path).joined(separator: ", ")
            throw DataError(
                "\(name): the archive does not hold the six CIFAR-10 batch files at its top level or in \(archiveFolder)/ (its .bin members: \(paths.isEmpty ? "none" : paths))"
            )
        }
        do {
            try fm.moveItem(at: temporary, to: destination)
        } catch {
            try? fm.removeItem(at: temporary)
            throw DataError(
                "cannot move the extracted CIFAR-10 files to \(destination.path): \(error.localizedDescription)")
        }
    }
}

extension DatasetLocator {
    /// The folder holding the CIFAR-10 batch files, in the locator's order: the explicit folder
    /// (nothing else is tried), then `<cache root>/cifar-10`, then a download of the archive from
    /// `mirrors` (default: ``CIFAR10/mirrors``), checked against `archive.sha256`, extracted into
    /// the cache. There is no system package for CIFAR-10, so `systemFolders` is not consulted.
    public func locateCIFAR10(archive: DatasetSpec.File = CIFAR10.archive) throws -> (folder: URL, source: Source) {
        if let explicitFolder {
            guard let folder = CIFAR10.batchFolder(in: explicitFolder) else {
                throw DataError(
                    "\(explicitFolder.path) does not hold the CIFAR-10 batch files (\((CIFAR10.trainFiles + CIFAR10.testFiles).joined(separator: ", ")), directly or in \(CIFAR10.archiveFolder)/)"
                )
            }
            return (folder, .explicit)
        }
        let cache = cacheRoot.appendingPathComponent(CIFAR10.cacheName)
        if let folder = CIFAR10.batchFolder(in: cache) { return (folder, .cache) }
        guard allowDownload else {
            throw DataError("CIFAR-10 not found in the cache (\(cache.path)), and downloading is off")
        }
        let fm = FileManager.default
        var errors: [String] = []
        for mirror in mirrors ?? CIFAR10.mirrors {
            guard let url = URL(string: mirror + archive.name) else { continue }
            let saved = cacheRoot.appendingPathComponent(".\(archive.name).\(getpid())")
            defer { try? fm.removeItem(at: saved) }
            log("downloading \(url.absoluteString)")
            do {
                try Download.fetch(url, to: saved, sha256: archive.sha256)
                log("extracting \(archive.name) into \(cache.path)")
                // The folder exists only if an earlier run left it without all six batch files.
                if fm.fileExists(atPath: cache.path) { try fm.removeItem(at: cache) }
                try CIFAR10.extract(
                    archive: InputFile.read(saved, format: "CIFAR-10 archive", limit: 1 << 30),
                    name: url.absoluteString, to: cache)
                return (CIFAR10.batchFolder(in: cache)!, .download)
            } catch {
                errors.append("\(error)")
            }
        }
        throw DataError("could not download CIFAR-10:\n  " + errors.joined(separator: "\n  "))
    }

    /// Loads the CIFAR-10 training or test split through ``locateCIFAR10(archive:)``.
    public func loadCIFAR10(
        train: Bool = true, archive: DatasetSpec.File = CIFAR10.archive
    ) throws -> (dataset: ImageDataset, folder: URL, source: Source) {
        let (folder, source) = try locateCIFAR10(archive: archive)
        return (try CIFAR10.load(folder: folder, train: train), folder, source)
    }
}
