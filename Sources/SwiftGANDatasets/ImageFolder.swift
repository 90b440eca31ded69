import Foundation
import SwiftGANArtifacts

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A dataset made from a folder of PNG and JPEG files, every image centre-cropped to a square and
/// resized to `size` × `size` (area averaging when shrinking, bilinear when enlarging).
///
/// Files ending in .png, .jpg or .jpeg (any case) are found recursively and taken in sorted path
/// order, so the same folder always gives the same dataset. Hidden files and folders (names
/// starting with ".") are ignored: they are version-control data and macOS's `._name.jpg`
/// resource forks, which carry an image extension but are not images. Labels follow
/// torchvision's `ImageFolder`: if images lie in immediate subfolders, each such subfolder is a
/// class (sorted by name) and images directly in the folder are skipped; otherwise every image
/// has label 0 and the one class is named after the folder.
///
/// Memory: the decoded set, N × size² × channels bytes (refused before decoding when that is more
/// than half the machine's memory), plus one image being decoded per core, each at most
/// ``ImageDecoder/maxPixels`` pixels (192 MiB as RGB; larger files are skipped as too large).
///
/// A file that cannot be read or decoded is skipped and reported with its reason, never fatal;
/// only a folder with no readable image at all is an error. An image file whose path is not
/// valid UTF-8 is reported as skipped too (its name shown with the odd bytes as `\xNN`): names
/// are read as bytes, so no image leaves the set without a word. File and class names are data
/// from the folder, so they reach messages only through `FormatError.printable` (a scraped
/// folder's names may hold terminal escapes); the `skipped` paths themselves are returned as
/// they are, so print them the same way.
///
/// The decoded result is cached in `<cache root>/folders/<hash>.bin`, the hash covering the
/// folder's path, the size, the channel count and every image file's relative path, byte size
/// and modification time, so loading an unchanged folder again reads one file instead of
/// decoding every image, and any change to the files is a new entry. A damaged cache file is
/// deleted and the folder decoded again, with a message naming the file and what was wrong;
/// `.partial` files left by interrupted cache writes are deleted once they are 10 minutes old.
///
/// ```swift
/// let (faces, skipped) = try ImageFolder.load(folder: URL(fileURLWithPath: "celeba/img_align_celeba"),
///                                             size: 64, channels: 3, log: { print($0) })
/// for s in skipped { print("skipped \(FormatError.printable(s.path, limit: 200)): \(s.reason)") }
/// let batch = faces.batch(Array(0..<64))          // [64, 64, 64, 3] in -1...1
/// ```
public enum ImageFolder {
    public static let extensions: Set<String> = ["png", "jpg", "jpeg"]
    /// The largest image file read: a 64-megapixel photo (the decoders' pixel limit) is well under it.
    public static let maximumFileSize = 128 << 20

    /// Loads every image under `folder` as `size`×`size` with `channels` channels (1: gray by
    /// Rec. 601 luma, 3: RGB). `cacheRoot` defaults to ``DatasetLocator/defaultCacheRoot()``;
    /// `log` receives one line per notable step (files found, progress, cache hits).
    public static func load(
        folder: URL, size: Int, channels: Int, cacheRoot: URL? = nil,
        log: (String) -> Void = { _ in }
    ) throws -> (dataset: ImageDataset, skipped: [(path: String, reason: String)]) {
        guard size >= 1 else { throw DataError("image size must be at least 1, not \(size)") }
        guard channels == 1 || channels == 3 else {
            throw DataError("channels must be 1 (gray) or 3 (RGB), not \(channels)")
        }
        let (files, refused) = try imageFiles(in: folder)
        guard !files.isEmpty || !refused.isEmpty else {
            throw DataError("\(folder.path) holds no .png, .jpg or .jpeg files")
        }

        let cache = ImageFolderCache(
            root: cacheRoot ?? DatasetLocator.defaultCacheRoot(), folder: folder, size: size,
            channels: channels, files: files, refused: refused.map(\.path))
        cache.removeStalePartials(log: log)
        do {
            if let cached = try cache.read() {
                log("loaded \(cached.dataset.count) images of \(folder.path) from the cache \(cache.file.path)")
                return cached
            }
        } catch {
            // The error names the file and what is wrong with it. A damaged entry would be read
            // (and refused) on every later run, so it goes, and this run writes a good one.
            let removed = (try? FileManager.default.removeItem(at: cache.file)) != nil
            log(
                "ignoring the damaged cache file \(error); "
                    + (removed
                        ? "removed it, decoding the folder again" : "cannot remove it, decoding the folder again"))
        }

        let nested = files.contains { $0.path.contains("/") }
        let classNames =
            nested
            ? Array(Set(files.filter { $0.path.contains("/") }.map { String($0.path.prefix { $0 != "/" }) })).sorted()
            : [folder.lastPathComponent]
        log(
            "found \(files.count) image files in \(folder.path)"
                + (nested ? " in \(classNames.count) class folders" : ""))
        let classIndex = Dictionary(uniqueKeysWithValues: classNames.enumerated().map { ($1, $0) })
        // Images beside the class folders belong to no class.
        let outside = files.indices.filter { nested && !files[$0].path.contains("/") }
        let candidates = files.indices.filter { !nested || files[$0].path.contains("/") }

        // The decoded set is held in memory: refuse one that would take over half of it before
        // allocating anything.
        let per = size * size * channels
        let (needed, overflow) = candidates.count.multipliedReportingOverflow(by: per)
        let budget = Int(clamping: ProcessInfo.processInfo.physicalMemory / 2)
        guard !overflow, needed <= budget else {
            throw DataError(
                "\(folder.path): \(candidates.count) images of \(size)×\(size)×\(channels) bytes would take "
                    + "\(overflow ? "more than \(Int.max)" : "\(needed)") bytes decoded, more than half of this machine's memory "
                    + "(\(budget) bytes); use a smaller image size or a part of the folder")
        }
        var pixels = [UInt8](repeating: 0, count: candidates.count * per)
        var reasons = [String?](repeating: nil, count: candidates.count)
        // Chunks bound the progress lines to about twenty.
        let chunk = max(256, (candidates.count + 19) / 20)
        for start in stride(from: 0, to: candidates.count, by: chunk) {
            let end = min(start + chunk, candidates.count)
            pixels.withUnsafeMutableBufferPointer { px in
                reasons.withUnsafeMutableBufferPointer { rs in
                    DispatchQueue.concurrentPerform(iterations: end - start) { k in
                        let i = start + k
                        let url = folder.appendingPathComponent(files[candidates[i]].path)
                        do {
                            let data = try InputFile.read(url, format: "image", limit: Self.maximumFileSize)
                            let image = try ImageDecoder.decode(data, smallestUsefulSide: size)
                            ImageResize.centreSquare(
                                image, side: size, channels: channels, into: px.baseAddress! + i * per)
                        } catch let error as DataError {
                            rs[i] = error.description
                        } catch let error as FormatError {
                            rs[i] = error.reason
                        } catch {
                            // Foundation's reason quotes the file's name.
                            rs[i] = FormatError.printable("cannot read (\(error.localizedDescription))", limit: 200)
                        }
                    }
                }
            }
            if candidates.count > chunk { log("decoded \(end) of \(candidates.count) images") }
        }

        // Move the decoded images down over the failed ones' slots.
        var labels: [Int] = []
        pixels.withUnsafeMutableBufferPointer { px in
            for (i, file) in candidates.enumerated() where reasons[i] == nil {
                if labels.count != i {
                    (px.baseAddress! + labels.count * per).update(from: px.baseAddress! + i * per, count: per)
                }
                labels.append(nested ? classIndex[String(files[file].path.prefix { $0 != "/" })]! : 0)
            }
        }
        pixels.removeLast((candidates.count - labels.count) * per)

        var reasonByFile: [Int: String] = [:]
        for i in outside { reasonByFile[i] = "not inside a class subfolder (images are labelled by subfolder)" }
        for (i, file) in candidates.enumerated() { if let reason = reasons[i] { reasonByFile[file] = reason } }
        let skipped =
            (reasonByFile.keys.map {
                (path: folder.appendingPathComponent(files[$0].path).path, reason: reasonByFile[$0]!)
            } + refused).sorted { $0.path < $1.path }
        guard !labels.isEmpty else {
            let first = skipped.first.map { " (first: \(FormatError.printable($0.path, limit: 200)): \($0.reason))" }
            throw DataError(
                "\(folder.path): none of the \(files.count + refused.count) image files could be read\(first ?? "")")
        }
        let dataset = try ImageDataset(
            name: folder.lastPathComponent, height: size, width: size, channels: channels,
            pixels: pixels, labels: labels, classNames: classNames)
        if !skipped.isEmpty { log("skipped \(skipped.count) of \(files.count + refused.count) files") }
        do {
            try cache.write(dataset, skipped: skipped)
            log("cached the decoded images in \(cache.file.path)")
        } catch {
            log("cannot write the cache \(cache.file.path): \(error)")
        }
        return (dataset, skipped)
    }

    /// The image files under `folder`, sorted by relative path, with what the cache key needs, and
    /// the ones that cannot be read by path (absolute path shown printable, reason), also sorted.
    ///
    /// Names are read as bytes with readdir(3): FileManager turns a name that is not valid UTF-8
    /// into one that no longer opens, so such an image used to vanish without a word; here it is
    /// reported. Like FileManager's walk, symbolic links to folders are not followed (no loops);
    /// links to files are, and count with their target's size and time.
    static func imageFiles(
        in folder: URL
    ) throws -> (files: [(path: String, bytes: Int, modified: Int)], refused: [(path: String, reason: String)]) {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isFolder), isFolder.boolValue else {
            throw DataError("\(folder.path) is not a folder")
        }
        let slash = UInt8(ascii: "/")
        let root = Array(folder.path.utf8)
        var found: [(path: String, bytes: Int, modified: Int)] = []
        var refused: [(path: String, reason: String)] = []
        func shown(_ relative: [UInt8]) -> String { folder.path + "/" + printableBytes(relative) }
        func walk(_ relative: [UInt8]) throws {
            guard let directory = withCPath(relative.isEmpty ? root : root + [slash] + relative, { opendir($0) })
            else {
                let reason = String(cString: strerror(errno))
                guard !relative.isEmpty else { throw DataError("\(folder.path): cannot list the folder (\(reason))") }
                // A subfolder that cannot be listed may hold images: say so instead of leaving them out unseen.
                refused.append((shown(relative), "cannot list this folder (\(reason))"))
                return
            }
            defer { closedir(directory) }
            while let entry = readdir(directory) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { Array($0.prefix { $0 != 0 }) }
                // Hidden files and folders ("." and ".." among them) are not images: see the type's comment.
                guard let first = name.first, first != UInt8(ascii: ".") else { continue }
                let path = relative.isEmpty ? name : relative + [slash] + name
                var info = stat()
                guard withCPath(root + [slash] + path, { lstat($0, &info) }) == 0 else { continue }
                if info.st_mode & S_IFMT == S_IFDIR {
                    try walk(path)
                    continue
                }
                guard hasImageExtension(name),
                    withCPath(root + [slash] + path, { stat($0, &info) }) == 0, info.st_mode & S_IFMT == S_IFREG
                else { continue }
                // Decoding repairs bad UTF-8 with U+FFFD, so the text's bytes differ exactly when the
                // name is not UTF-8 (String(validating:as:) needs macOS 15).
                let text = String(decoding: path, as: UTF8.self)
                guard Array(text.utf8) == path else {
                    refused.append(
                        (shown(path), "the path is not valid UTF-8, so it cannot be opened by name; rename it"))
                    continue
                }
                #if canImport(Darwin)
                let time = info.st_mtimespec
                #else
                let time = info.st_mtim
                #endif
                // Wrapping arithmetic: the key only has to change when the time does, and a time
                // past the year 2262 (touch -d 3000-01-01) overflowed a checked product.
                found.append((text, Int(info.st_size), Int(time.tv_sec) &* 1_000_000_000 &+ Int(time.tv_nsec)))
            }
        }
        try walk([])
        return (found.sorted { $0.path < $1.path }, refused.sorted { $0.path < $1.path })
    }

    /// Whether a file name (bytes) ends in .png, .jpg or .jpeg, in any case.
    static func hasImageExtension(_ name: [UInt8]) -> Bool {
        guard let dot = name.lastIndex(of: UInt8(ascii: ".")), dot > 0 else { return false }
        let lowered = name[(dot + 1)...].map { $0 >= 65 && $0 <= 90 ? $0 + 32 : $0 }
        return extensions.contains { Array($0.utf8) == lowered }
    }

    /// Bytes of a path as text safe to print: printable ASCII as it is, every other byte as \xNN.
    static func printableBytes(_ bytes: [UInt8]) -> String {
        bytes.map { byte in
            (0x20...0x7E).contains(byte) ? String(UnicodeScalar(byte)) : String(format: "\\x%02X", UInt32(byte))
        }.joined()
    }

    /// `path` as a NUL-terminated C string for a system call.
    static func withCPath<R>(_ path: [UInt8], _ body: (UnsafePointer<CChar>) -> R) -> R {
        (path + [0]).withUnsafeBufferPointer { bytes in
            bytes.withMemoryRebound(to: CChar.self) { body($0.baseAddress!) }
        }
    }
}
