import Foundation
import SwiftGANArtifacts

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A dataset made from a folder of PNG and JPEG files of any sizes and aspects, every image made
/// `height` × `width` (rows × columns) by ``ImageFit``: ``ImageFit/crop`` (the default) keeps the
/// centre of the target's aspect, ``ImageFit/pad`` keeps the whole image between black bands.
/// Shrinking averages areas, enlarging interpolates bilinearly, each axis on its own.
///
/// Files ending in .png, .jpg or .jpeg (any case) are found recursively and taken in sorted path
/// order, so the same folder always gives the same dataset. Hidden files and folders (names
/// starting with ".") are ignored: they are version-control data and macOS's `._name.jpg`
/// resource forks, which carry an image extension but are not images.
///
/// Classes follow torchvision's `ImageFolder`: if images lie in immediate subfolders, each such
/// subfolder is a class (its images found at any depth below it) and images directly in the
/// folder are skipped; otherwise every image has label 0 and the one class is named after the
/// folder. Class folders may have any names; labels are 0..<n in the names' sorted order (Swift's
/// `String` order: by Unicode scalar, so "B" before "a" and "class10" before "class2"), and
/// ``ImageDataset/classNames`` keeps the names. A subfolder with no image file at all (notes, say)
/// is not a class. At most ``maximumClassCount`` classes: more is refused before decoding, naming
/// the count, as it is usually a layout with one folder per image. A class of one image is
/// allowed. A class folder none of whose image files can be decoded is refused, naming it ("class
/// folder X holds no readable image; remove it or add images"): a conditional model would be asked
/// to draw a class it never saw, and the grids would show it a row.
///
/// Files may mix gray and colour (PNG of any colour type, alpha composited onto black; JPEG gray
/// or YCbCr): every image is converted to `channels`, RGB to gray by Rec. 601 luma
/// Y = 0.299 R + 0.587 G + 0.114 B, gray to RGB by repeating it.
///
/// Memory: the decoded set, N × height × width × channels bytes (refused before decoding when that
/// is more than half the machine's memory), plus one image being decoded per core, each at most
/// ``ImageDecoder/maxPixels`` pixels (192 MiB as RGB; larger files are skipped as too large).
///
/// A file that cannot be read or decoded is skipped and reported with its reason, never fatal;
/// only a folder with no readable image at all, or a class folder without one, is an error. An
/// image file whose path is not valid UTF-8 is reported as skipped too (its name shown with the
/// odd bytes as `\xNN`): names are read as bytes, so no image leaves the set without a word. File
/// and class names are data from the folder, so they reach messages only through
/// `FormatError.printable` (a scraped folder's names may hold terminal escapes); the `skipped`
/// paths themselves are returned as they are, so print them the same way.
///
/// The decoded result is cached in `<cache root>/folders/<hash>.bin`, the hash covering the
/// folder's path, the height, width, channel count and fit, and every image file's relative path,
/// byte size and modification time, so loading an unchanged folder again reads one file instead of
/// decoding every image, and any change to the files is a new entry. A damaged cache file is
/// deleted and the folder decoded again, with a message naming the file and what was wrong;
/// `.partial` files left by interrupted cache writes are deleted once they are 10 minutes old.
///
/// ```swift
/// let (faces, skipped) = try ImageFolder.load(folder: URL(fileURLWithPath: "celeba/img_align_celeba"),
///                                             height: 64, width: 64, channels: 3, log: { print($0) })
/// for s in skipped { print("skipped \(FormatError.printable(s.path, limit: 200)): \(s.reason)") }
/// let batch = faces.batch(Array(0..<64))          // [64, 64, 64, 3] in -1...1
/// let (wide, _) = try ImageFolder.load(folder: URL(fileURLWithPath: "street"), height: 48, width: 80,
///                                      channels: 3, fit: .pad)
/// wide.imageShape                                  // [48, 80, 3]
/// ```
public enum ImageFolder {
    public static let extensions: Set<String> = ["png", "jpg", "jpeg"]
    /// The largest image file read: a 64-megapixel photo (the decoders' pixel limit) is well under it.
    public static let maximumFileSize = 128 << 20
    /// The most class folders a folder may have. Every class is a one-hot input of a conditional
    /// model and a row of its sample grids; more than this is far more likely a layout with one
    /// folder per image than classes, and is refused with the count.
    public static let maximumClassCount = 10_000

    /// Loads every image under `folder` as `size`×`size` with `channels` channels, centre-cropped:
    /// ``load(folder:height:width:channels:fit:cacheRoot:log:)`` with height and width `size` and
    /// ``ImageFit/crop``.
    public static func load(
        folder: URL, size: Int, channels: Int, cacheRoot: URL? = nil,
        log: (String) -> Void = { _ in }
    ) throws -> (dataset: ImageDataset, skipped: [(path: String, reason: String)]) {
        try load(
            folder: folder, height: size, width: size, channels: channels, fit: .crop, cacheRoot: cacheRoot, log: log)
    }

    /// Loads every image under `folder` as `height` rows × `width` columns with `channels`
    /// channels (1: gray, 3: RGB), fitted by `fit`. `cacheRoot` defaults to
    /// ``DatasetLocator/defaultCacheRoot()``; `log` receives one line per notable step (files
    /// found, progress while decoding, cache hits).
    public static func load(
        folder: URL, height: Int, width: Int, channels: Int, fit: ImageFit = .crop, cacheRoot: URL? = nil,
        log: (String) -> Void = { _ in }
    ) throws -> (dataset: ImageDataset, skipped: [(path: String, reason: String)]) {
        guard height >= 1, width >= 1 else {
            throw DataError("image height and width must be at least 1, not \(height)×\(width)")
        }
        guard channels == 1 || channels == 3 else {
            throw DataError("channels must be 1 (gray) or 3 (RGB), not \(channels)")
        }
        let (files, refused) = try imageFiles(in: folder)
        guard !files.isEmpty || !refused.isEmpty else {
            throw DataError("\(folder.path) holds no .png, .jpg or .jpeg files")
        }

        let cache = ImageFolderCache(
            root: cacheRoot ?? DatasetLocator.defaultCacheRoot(), folder: folder, height: height, width: width,
            channels: channels, fit: fit, files: files, refused: refused.map(\.path))
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

        let found = try classFolders(of: files.map(\.path), in: folder)
        let nested = found != nil
        let classNames = found ?? [folder.lastPathComponent]
        log(
            "found \(files.count) image files in \(folder.path)"
                + (nested ? " in \(classNames.count) class folders" : "")
                + "; each becomes \(height)×\(width)×\(channels) (\(fit.rawValue))")
        let classIndex = Dictionary(uniqueKeysWithValues: classNames.enumerated().map { ($1, $0) })
        // Images beside the class folders belong to no class.
        let outside = files.indices.filter { nested && !files[$0].path.contains("/") }
        let candidates = files.indices.filter { !nested || files[$0].path.contains("/") }

        // The decoded set is held in memory: refuse one that would take over half of it before
        // allocating anything.
        let (area, areaOverflow) = height.multipliedReportingOverflow(by: width)
        let (per, perOverflow) = area.multipliedReportingOverflow(by: channels)
        let (needed, setOverflow) = candidates.count.multipliedReportingOverflow(by: per)
        let overflow = areaOverflow || perOverflow || setOverflow
        let budget = Int(clamping: ProcessInfo.processInfo.physicalMemory / 2)
        guard !overflow, needed <= budget else {
            throw DataError(
                "\(folder.path): \(candidates.count) images of \(height)×\(width)×\(channels) bytes would take "
                    + "\(overflow ? "more than \(Int.max)" : "\(needed)") bytes decoded, more than half of this machine's memory "
                    + "(\(budget) bytes); use a smaller image size or a part of the folder")
        }
        // A decoder may deliver a reduced image whose shorter side covers the longer target side:
        // the window read (crop) or the whole image (pad) then still has a pixel per output pixel.
        let usefulSide = max(height, width)
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
                            let image = try ImageDecoder.decode(data, smallestUsefulSide: usefulSide)
                            ImageResize.fit(
                                image, height: height, width: width, channels: channels, fit: fit,
                                into: px.baseAddress! + i * per)
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
        try refuseEmptyClasses(classNames, labels: labels, skipped: skipped, in: folder)
        let dataset = try ImageDataset(
            name: folder.lastPathComponent, height: height, width: width, channels: channels,
            pixels: pixels, labels: labels, classNames: classNames)
        if !skipped.isEmpty { log("skipped \(skipped.count) of \(files.count + refused.count) files") }
        // A file that could not be opened or read (no permission, a disk error) may read next time
        // without its size or date changing: a set that missed one is not cached.
        let transient = skipped.contains { $0.reason.hasPrefix("cannot open") || $0.reason.hasPrefix("cannot read") }
        if transient {
            log("not cached: some files could not be opened or read, and may be readable next time")
            return (dataset, skipped)
        }
        do {
            try cache.write(dataset, skipped: skipped)
            log("cached the decoded images in \(cache.file.path)")
        } catch {
            log("cannot write the cache \(cache.file.path): \(error)")
        }
        return (dataset, skipped)
    }

    /// The class names, sorted, when images lie in subfolders (each immediate subfolder that holds
    /// an image file, at any depth, is a class), or nil when every image lies directly in the
    /// folder. More than ``maximumClassCount`` classes is an error naming the count.
    static func classFolders(of paths: [String], in folder: URL) throws -> [String]? {
        let nested = paths.filter { $0.contains("/") }
        guard !nested.isEmpty else { return nil }
        let names = Array(Set(nested.map { String($0.prefix { $0 != "/" }) })).sorted()
        guard names.count <= maximumClassCount else {
            throw DataError(
                "\(folder.path) holds images in \(names.count) subfolders, more than the \(maximumClassCount) classes "
                    + "a folder may have (each immediate subfolder with images is a class); group the images into "
                    + "fewer subfolders, or put them all directly in the folder for one class")
        }
        return names
    }

    /// Refuses a load in which some class has no image: a conditional model would be asked to draw
    /// it without ever having seen it. The error names the class folders (printable) and why the
    /// first one's first file was skipped.
    static func refuseEmptyClasses(
        _ classNames: [String], labels: [Int], skipped: [(path: String, reason: String)], in folder: URL
    ) throws {
        var counts = [Int](repeating: 0, count: classNames.count)
        for label in labels { counts[label] += 1 }
        let empty = classNames.indices.filter { counts[$0] == 0 }
        guard let first = empty.first else { return }
        func shown(_ index: Int) -> String {
            FormatError.printable(folder.appendingPathComponent(classNames[index]).path, limit: 200)
        }
        let prefix = folder.appendingPathComponent(classNames[first]).path + "/"
        // Why the first of them is empty: its first file's reason (there is one, as a class
        // folder holds an image file, and every one of them was skipped).
        let why = skipped.first { $0.path.hasPrefix(prefix) }.map {
            "\(FormatError.printable($0.path, limit: 200)): \($0.reason)"
        }
        if empty.count == 1 {
            let detail = why.map { " (" + $0 + ")" } ?? ""
            throw DataError("class folder \(shown(first)) holds no readable image\(detail); remove it or add images")
        }
        let named = empty.prefix(3).map(shown).joined(separator: ", ")
        let more = empty.count > 3 ? " and \(empty.count - 3) more" : ""
        let detail = why.map { " (first: " + $0 + ")" } ?? ""
        throw DataError(
            "class folders \(named)\(more) hold no readable image\(detail); remove them or add images")
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
