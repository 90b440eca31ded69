import Foundation

/// The decoded form of an image folder, kept in one file so that loading it again skips decoding.
///
/// The file name is the SHA-256 of everything the result depends on: the folder's path, the
/// requested size and channel count, and each image file's relative path, byte size and
/// modification time (to the nanosecond). Adding, removing, replacing or touching a file changes
/// the name, so a stale entry is never read; it is simply left behind.
///
/// Layout: the 8 bytes `SGIFOLD1`, a little-endian UInt64 header length, a JSON header (name,
/// size, channels, class names, labels, skipped files), then the pixels, NHWC.
struct ImageFolderCache {
    struct Header: Codable {
        var name: String
        var size: Int, channels: Int
        var classNames: [String]
        var labels: [Int]
        var skippedPaths: [String], skippedReasons: [String]
    }

    static let magic = Array("SGIFOLD1".utf8)
    let file: URL

    /// `files`: (relative path, byte size, modification time in nanoseconds since 1970), sorted.
    init(root: URL, folder: URL, size: Int, channels: Int, files: [(path: String, bytes: Int, modified: Int)]) {
        var description = "swiftgan image folder v1\n\(folder.standardizedFileURL.path)\n\(size)\n\(channels)\n"
        for f in files { description += "\(f.path)\t\(f.bytes)\t\(f.modified)\n" }
        file = root.appendingPathComponent("folders").appendingPathComponent(
            SHA256.hex(Data(description.utf8)) + ".bin")
    }

    /// The cached result, or nil when there is none; a damaged file is reported as an error.
    func read() throws -> (dataset: ImageDataset, skipped: [(path: String, reason: String)])? {
        guard FileManager.default.fileExists(atPath: file.path) else { return nil }
        let data = try Data(contentsOf: file, options: .alwaysMapped)
        guard data.count >= 16, [UInt8](data.prefix(8)) == Self.magic else {
            throw DataError("\(file.path): not an image folder cache file")
        }
        let headerLength = data.subdata(in: 8..<16).withUnsafeBytes {
            Int(UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)))
        }
        guard headerLength >= 0, headerLength <= data.count - 16 else {
            throw DataError("\(file.path): truncated header")
        }
        let header = try JSONDecoder().decode(Header.self, from: data.subdata(in: 16..<(16 + headerLength)))
        let pixels = [UInt8](data[(16 + headerLength)...])
        guard pixels.count == header.labels.count * header.size * header.size * header.channels,
            header.skippedPaths.count == header.skippedReasons.count
        else {
            throw DataError(
                "\(file.path): \(pixels.count) pixel bytes do not match \(header.labels.count) images of \(header.size)×\(header.size)×\(header.channels) (truncated?)"
            )
        }
        let dataset = try ImageDataset(
            name: header.name, height: header.size, width: header.size, channels: header.channels,
            pixels: pixels, labels: header.labels, classNames: header.classNames)
        return (dataset, Array(zip(header.skippedPaths, header.skippedReasons)).map { (path: $0.0, reason: $0.1) })
    }

    /// Writes a temporary file beside the final one and renames it into place, so a reader never
    /// sees half a file; the pixels go straight from the dataset's array to the file.
    func write(_ dataset: ImageDataset, skipped: [(path: String, reason: String)]) throws {
        let header = Header(
            name: dataset.name, size: dataset.height, channels: dataset.channels, classNames: dataset.classNames,
            labels: dataset.labels, skippedPaths: skipped.map(\.path), skippedReasons: skipped.map(\.reason))
        let json = try JSONEncoder().encode(header)
        var prefix = Data(Self.magic)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { prefix.append(contentsOf: $0) }
        prefix.append(json)
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
}
