import Foundation

/// The decoded form of an image folder, kept in one file so that loading it again skips decoding.
///
/// The file name is the SHA-256 of everything the result depends on: the folder's path, the
/// requested height, width, channel count and fit, and each image file's relative path, byte size
/// and modification time (to the nanosecond). Adding, removing, replacing or touching a file changes
/// the name, so a stale entry is never read; it is simply left behind.
///
/// Layout: the 8 bytes `SGIFOLD2`, a little-endian UInt64 header length, a JSON header (name,
/// height, width, channels, class names, labels, skipped files), then the pixels, NHWC. (Format 1,
/// `SGIFOLD1`, had one `size` for square images; its files are never read now, as the names they
/// were stored under are no longer asked for.)
///
/// The file is read as outside input: a disk error, a stray write or a hand edit can damage it,
/// so ``decode(_:name:)`` checks every count against the file's size, with overflow-checked
/// arithmetic, before allocating anything, and ``ImageFolder`` deletes a damaged file and decodes
/// the folder again.
///
/// ```swift
/// let file = try ImageFolderCache.encode(dataset, skipped: [])
/// let (again, skipped) = try ImageFolderCache.decode(file, name: "cache.bin")
/// ```
public struct ImageFolderCache {
    struct Header: Codable {
        var name: String
        var height: Int, width: Int, channels: Int
        var classNames: [String]
        var labels: [Int]
        var skippedPaths: [String], skippedReasons: [String]
    }

    static let magic = Array("SGIFOLD2".utf8)
    /// A `.partial` file this much older than now belongs to no live writer (see `removeStalePartials(log:)`).
    static let partialLifetime: TimeInterval = 10 * 60
    let file: URL
    let height: Int, width: Int, channels: Int

    /// `files`: (relative path, byte size, modification time in nanoseconds since 1970), sorted;
    /// `refused`: the image files reported without being read (a name that is not UTF-8), which
    /// the cached skipped list holds too, so they are part of the key.
    init(
        root: URL, folder: URL, height: Int, width: Int, channels: Int, fit: ImageFit,
        files: [(path: String, bytes: Int, modified: Int)], refused: [String] = []
    ) {
        var description =
            "swiftgan image folder v2\n\(folder.standardizedFileURL.path)\n\(height)\n\(width)\n\(channels)\n"
            + "\(fit.rawValue)\n"
        for f in files { description += "\(f.path)\t\(f.bytes)\t\(f.modified)\n" }
        for path in refused { description += "refused\t\(path)\n" }
        file = root.appendingPathComponent("folders").appendingPathComponent(
            SHA256.hex(Data(description.utf8)) + ".bin")
        (self.height, self.width, self.channels) = (height, width, channels)
    }

    /// The cached result, or nil when there is none; a damaged file is an error naming it.
    func read() throws -> (dataset: ImageDataset, skipped: [(path: String, reason: String)])? {
        guard FileManager.default.fileExists(atPath: file.path) else { return nil }
        let data: Data
        do {
            data = try Data(contentsOf: file, options: .alwaysMapped)
        } catch {
            throw DataError("\(file.path): cannot read (\(error.localizedDescription))")
        }
        let cached = try Self.decode(data, name: file.path)
        // The name stands for a shape; a file that holds another was not written for it.
        let found = cached.dataset
        guard found.height == height, found.width == width, found.channels == channels else {
            throw DataError(
                "\(file.path): holds \(found.height)×\(found.width)×\(found.channels) images, "
                    + "not the \(height)×\(width)×\(channels) its name stands for")
        }
        return cached
    }

    /// Parses a cache file's bytes; `name` appears in errors. Every count in the header is checked
    /// against the bytes present, with overflow-checked arithmetic, before anything is allocated
    /// from it, so a damaged file is an error, never a trap or a huge allocation.
    public static func decode(
        _ data: Data, name: String
    ) throws -> (dataset: ImageDataset, skipped: [(path: String, reason: String)]) {
        func damaged(_ reason: String) -> DataError { DataError("\(name): \(reason)") }
        guard data.count >= 16 else {
            throw damaged("\(data.count) bytes, shorter than the 16-byte start of an image folder cache file")
        }
        let start = data.startIndex
        guard data[start..<(start + 8)].elementsEqual(magic) else {
            throw damaged(
                data[start..<(start + 8)].elementsEqual("SGIFOLD1".utf8)
                    ? "an image folder cache file of format 1 (square images only), which this version does not read"
                    : "not an image folder cache file")
        }
        var declared: UInt64 = 0
        for i in 0..<8 { declared |= UInt64(data[start + 8 + i]) << (8 * UInt64(i)) }
        // Compared as UInt64 before any conversion: a length near 2^64 (F0 FF FF FF FF FF FF FF)
        // trapped in Int(_:) here.
        guard declared <= UInt64(data.count - 16) else {
            throw damaged("header length \(declared) runs past the end of the \(data.count)-byte file")
        }
        let headerLength = Int(declared)
        let header: Header
        do {
            header = try JSONDecoder().decode(
                Header.self, from: data.subdata(in: (start + 16)..<(start + 16 + headerLength)))
        } catch {
            throw damaged("the header is not the JSON of an image folder cache (\(error.localizedDescription))")
        }
        guard header.height >= 1, header.width >= 1, header.channels == 1 || header.channels == 3 else {
            throw damaged("the header says \(header.height)×\(header.width) images of \(header.channels) channels")
        }
        guard !header.labels.isEmpty, !header.classNames.isEmpty,
            header.labels.allSatisfy({ $0 >= 0 && $0 < header.classNames.count })
        else {
            throw damaged(
                "the header holds \(header.labels.count) labels for \(header.classNames.count) classes, "
                    + "or a label outside 0..<\(header.classNames.count)")
        }
        guard header.skippedPaths.count == header.skippedReasons.count else {
            throw damaged(
                "the header lists \(header.skippedPaths.count) skipped files but \(header.skippedReasons.count) reasons"
            )
        }
        let pixelBytes = data.count - 16 - headerLength
        let (area, areaOverflow) = header.height.multipliedReportingOverflow(by: header.width)
        let (perImage, imageOverflow) = area.multipliedReportingOverflow(by: header.channels)
        let (needed, setOverflow) = perImage.multipliedReportingOverflow(by: header.labels.count)
        guard !areaOverflow, !imageOverflow, !setOverflow, needed == pixelBytes else {
            throw damaged(
                "\(pixelBytes) pixel bytes do not match \(header.labels.count) images of "
                    + "\(header.height)×\(header.width)×\(header.channels) (truncated?)")
        }
        let dataset = try ImageDataset(
            name: header.name, height: header.height, width: header.width, channels: header.channels,
            pixels: [UInt8](data[(start + 16 + headerLength)...]), labels: header.labels,
            classNames: header.classNames)
        return (dataset, zip(header.skippedPaths, header.skippedReasons).map { (path: $0.0, reason: $0.1) })
    }

    /// A whole cache file's bytes (what ``decode(_:name:)`` reads): the fuzz target's seeds and
    /// the tests build files this way; `write(_:skipped:)` streams the same bytes.
    public static func encode(_ dataset: ImageDataset, skipped: [(path: String, reason: String)]) throws -> Data {
        var file = try prefix(dataset, skipped: skipped)
        file.append(contentsOf: dataset.pixels)
        return file
    }

    /// The magic, the header length and the header: everything before the pixels.
    static func prefix(_ dataset: ImageDataset, skipped: [(path: String, reason: String)]) throws -> Data {
        let header = Header(
            name: dataset.name, height: dataset.height, width: dataset.width, channels: dataset.channels,
            classNames: dataset.classNames, labels: dataset.labels, skippedPaths: skipped.map(\.path),
            skippedReasons: skipped.map(\.reason))
        let json = try JSONEncoder().encode(header)
        var prefix = Data(magic)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { prefix.append(contentsOf: $0) }
        prefix.append(json)
        return prefix
    }

    /// Writes a temporary file beside the final one and renames it into place, so a reader never
    /// sees half a file; the pixels go straight from the dataset's array to the file.
    func write(_ dataset: ImageDataset, skipped: [(path: String, reason: String)]) throws {
        let prefix = try Self.prefix(dataset, skipped: skipped)
        let fm = FileManager.default
        try fm.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        let temporary = file.deletingLastPathComponent().appendingPathComponent(
            ".\(file.lastPathComponent).\(getpid()).partial")
        do {
            guard fm.createFile(atPath: temporary.path, contents: prefix) else {
                throw DataError("cannot create \(temporary.path)")
            }
            let handle = try FileHandle(forWritingTo: temporary)
            try handle.seekToEnd()
            try dataset.pixels.withUnsafeBytes { raw in
                try handle.write(
                    contentsOf: Data(
                        bytesNoCopy: UnsafeMutableRawPointer(mutating: raw.baseAddress!), count: raw.count,
                        deallocator: .none))
            }
            try handle.close()
            // rename(2) replaces an existing file atomically.
            guard rename(temporary.path, file.path) == 0 else {
                throw DataError("cannot rename \(temporary.path) to \(file.path) (errno \(errno))")
            }
        } catch {
            try? fm.removeItem(at: temporary)
            throw error
        }
    }

    /// Deletes the `.partial` files that interrupted writes (Ctrl-C, `kill -9`, a full disk that
    /// killed the process) left in the cache folder; each is as large as a decoded set.
    ///
    /// A file counts as stale when it was last modified more than `partialLifetime` (10 minutes)
    /// ago. Age rather than a lock: the cache folder may be shared by several machines (a home
    /// folder on NFS), where neither an flock nor the PID in the file's name says whether its
    /// writer is alive, while a live writer's file is modified with every block it writes. A writer
    /// stalled for over 10 minutes loses only its cache entry: its rename fails, it reports "cannot
    /// write the cache", and its result is returned all the same.
    func removeStalePartials(log: (String) -> Void) {
        let fm = FileManager.default
        let folder = file.deletingLastPathComponent()
        guard let names = try? fm.contentsOfDirectory(atPath: folder.path) else { return }
        let cutoff = Date().addingTimeInterval(-Self.partialLifetime)
        for name in names.sorted() where name.hasPrefix(".") && name.hasSuffix(".partial") {
            let path = folder.appendingPathComponent(name).path
            guard let modified = (try? fm.attributesOfItem(atPath: path))?[.modificationDate] as? Date,
                modified < cutoff
            else { continue }
            do {
                try fm.removeItem(atPath: path)
                log("removed \(path), left by an interrupted cache write")
            } catch {
                log("cannot remove \(path), left by an interrupted cache write: \(error.localizedDescription)")
            }
        }
    }
}
