import Foundation

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
/// only a folder with no readable image at all is an error. The decoded result is cached in
/// `<cache root>/folders/<hash>.bin`, the hash covering the folder's path, the size, the channel
/// count and every image file's relative path, byte size and modification time, so loading an
/// unchanged folder again reads one file instead of decoding every image, and any change to the
/// files is a new entry.
///
/// ```swift
/// let (faces, skipped) = try ImageFolder.load(folder: URL(fileURLWithPath: "celeba/img_align_celeba"),
///                                             size: 64, channels: 3, log: { print($0) })
/// for s in skipped { print("skipped \(s.path): \(s.reason)") }
/// let batch = faces.batch(Array(0..<64))          // [64, 64, 64, 3] in -1...1
/// ```
public enum ImageFolder {
    public static let extensions: Set<String> = ["png", "jpg", "jpeg"]

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
        let files = try imageFiles(in: folder)
        guard !files.isEmpty else { throw DataError("\(folder.path) holds no .png, .jpg or .jpeg files") }

        let cache = ImageFolderCache(
            root: cacheRoot ?? DatasetLocator.defaultCacheRoot(), folder: folder, size: size,
            channels: channels, files: files)
        do {
            if let cached = try cache.read() {
                log("loaded \(cached.dataset.count) images of \(folder.path) from the cache \(cache.file.path)")
                return cached
            }
        } catch {
            log("ignoring the damaged cache file: \(error)")
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
                            let data = try Data(contentsOf: url)
                            let image = try ImageDecoder.decode(data, smallestUsefulSide: size)
                            ImageResize.centreSquare(
                                image, side: size, channels: channels, into: px.baseAddress! + i * per)
                        } catch let error as DataError {
                            rs[i] = error.description
                        } catch {
                            rs[i] = "cannot read (\(error.localizedDescription))"
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
        let skipped = reasonByFile.keys.sorted().map {
            (path: folder.appendingPathComponent(files[$0].path).path, reason: reasonByFile[$0]!)
        }
        guard !labels.isEmpty else {
            let first = skipped.first.map { " (first: \($0.path): \($0.reason))" } ?? ""
            throw DataError("\(folder.path): none of the \(files.count) image files could be read\(first)")
        }
        let dataset = try ImageDataset(
            name: folder.lastPathComponent, height: size, width: size, channels: channels,
            pixels: pixels, labels: labels, classNames: classNames)
        if !skipped.isEmpty { log("skipped \(skipped.count) of \(files.count) files") }
        do {
            try cache.write(dataset, skipped: skipped)
            log("cached the decoded images in \(cache.file.path)")
        } catch {
            log("cannot write the cache \(cache.file.path): \(error)")
        }
        return (dataset, skipped)
    }

    /// The image files under `folder`, sorted by relative path, with what the cache key needs.
    static func imageFiles(in folder: URL) throws -> [(path: String, bytes: Int, modified: Int)] {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isFolder), isFolder.boolValue,
            let walker = FileManager.default.enumerator(atPath: folder.path)
        else {
            throw DataError("\(folder.path) is not a folder")
        }
        var found: [(path: String, bytes: Int, modified: Int)] = []
        while let relative = walker.nextObject() as? String {
            let name = (relative as NSString).lastPathComponent
            if name.hasPrefix(".") {
                walker.skipDescendants()
                continue
            }
            guard extensions.contains((name as NSString).pathExtension.lowercased()) else { continue }
            // stat(2) follows symbolic links, so a linked image counts with its target's size and time.
            var info = stat()
            guard stat(folder.appendingPathComponent(relative).path, &info) == 0, info.st_mode & S_IFMT == S_IFREG
            else { continue }
            #if canImport(Darwin)
            let time = info.st_mtimespec
            #else
            let time = info.st_mtim
            #endif
            found.append((relative, Int(info.st_size), Int(time.tv_sec) * 1_000_000_000 + Int(time.tv_nsec)))
        }
        return found.sorted { $0.path < $1.path }
    }
}
