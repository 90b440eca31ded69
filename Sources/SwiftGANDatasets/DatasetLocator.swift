import Foundation

/// Finds a dataset's files, in order:
/// 1. an explicit folder (`--data-dir`): it must hold the files; nothing else is tried;
/// 2. the user's cache, `$SWIFTGAN_CACHE/<name>` or `~/.cache/swiftgan/<name>`;
/// 3. a system install (Debian/Ubuntu's `dataset-fashion-mnist` puts Fashion-MNIST in
///    `/usr/share/datasets/fashion-mnist`);
/// 4. a download from the published mirrors into the cache, each file checked against its SHA-256.
///
/// Files may be gzip-compressed (`name.gz`) or not (`name` without `.gz`).
public struct DatasetLocator {
    public enum Source: String { case explicit, cache, system, download }

    public var explicitFolder: URL?
    public var cacheRoot: URL
    public var systemFolders: [String]?
    public var mirrors: [String]?
    public var allowDownload = true
    /// Receives one line per notable step ("downloading …").
    public var log: (String) -> Void = { _ in }

    public init(explicitFolder: URL? = nil, cacheRoot: URL? = nil) {
        self.explicitFolder = explicitFolder
        self.cacheRoot = cacheRoot ?? Self.defaultCacheRoot()
    }

    public static func defaultCacheRoot() -> URL {
        let env = ProcessInfo.processInfo.environment
        if let custom = env["SWIFTGAN_CACHE"], !custom.isEmpty { return URL(fileURLWithPath: custom) }
        if let xdg = env["XDG_CACHE_HOME"], !xdg.isEmpty {
            return URL(fileURLWithPath: xdg).appendingPathComponent("swiftgan")
        }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/swiftgan")
    }

    /// The folder holding all of `spec`'s files, and where it was found.
    public func locate(_ spec: DatasetSpec) throws -> (folder: URL, source: Source) {
        func complete(_ folder: URL) -> Bool { spec.files.allSatisfy { file(named: $0.name, in: folder) != nil } }
        if let explicitFolder {
            guard complete(explicitFolder) else {
                let missing = spec.files.filter { file(named: $0.name, in: explicitFolder) == nil }.map(\.name)
                throw DataError(
                    "\(explicitFolder.path) does not hold the \(spec.name) files; missing: \(missing.joined(separator: ", "))"
                )
            }
            return (explicitFolder, .explicit)
        }
        let cache = cacheRoot.appendingPathComponent(spec.name)
        if complete(cache) { return (cache, .cache) }
        for folder in systemFolders ?? spec.systemFolders where complete(URL(fileURLWithPath: folder)) {
            return (URL(fileURLWithPath: folder), .system)
        }
        guard allowDownload else {
            throw DataError(
                "\(spec.name) not found in the cache (\(cache.path)) or a system folder (\(spec.systemFolders.joined(separator: ", "))), and downloading is off"
            )
        }
        for f in spec.files where file(named: f.name, in: cache) == nil {
            var errors: [String] = []
            for mirror in mirrors ?? spec.mirrors {
                guard let url = URL(string: mirror + f.name) else { continue }
                log("downloading \(url.absoluteString)")
                do {
                    try Download.fetch(url, to: cache.appendingPathComponent(f.name), sha256: f.sha256)
                    errors = []
                    break
                } catch {
                    errors.append("\(error)")
                }
            }
            if !errors.isEmpty {
                throw DataError("could not download \(f.name) for \(spec.name):\n  " + errors.joined(separator: "\n  "))
            }
        }
        return (cache, .download)
    }

    /// Loads the training or test split.
    public func load(
        _ spec: DatasetSpec, train: Bool = true
    ) throws -> (dataset: ImageDataset, folder: URL, source: Source) {
        let (folder, source) = try locate(spec)
        let images = file(named: (train ? spec.trainImages : spec.testImages).name, in: folder)!
        let labels = file(named: (train ? spec.trainLabels : spec.testLabels).name, in: folder)!
        let dataset = try ImageDataset(name: spec.name, imagesAt: images, labelsAt: labels, classNames: spec.classNames)
        return (dataset, folder, source)
    }

    /// `name` (ending in .gz) or its uncompressed twin, if either exists in `folder`.
    private func file(named name: String, in folder: URL) -> URL? {
        let candidates = [name, name.hasSuffix(".gz") ? String(name.dropLast(3)) : name + ".gz"]
        return candidates.map { folder.appendingPathComponent($0) }.first {
            FileManager.default.fileExists(atPath: $0.path)
        }
    }
}
