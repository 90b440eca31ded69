import Foundation

/// Writes files so that a reader sees either the old file or the whole new one, never a part:
/// the bytes go to a temporary file in the same folder, are flushed to disk, and the temporary
/// file is renamed over the target. A failure (full disk, no permission) removes the temporary
/// file, leaves any existing target untouched, and throws an error naming the path.
public enum AtomicFile {
    public struct WriteError: Error, CustomStringConvertible {
        public let path: String
        public let reason: String
        public var description: String { "cannot write \(path): \(reason)" }
    }

    public static func write(_ data: Data, to url: URL) throws {
        let folder = url.deletingLastPathComponent()
        if let failure = makeFolder(folder) {
            throw WriteError(path: url.path, reason: "cannot create folder \(folder.path): \(failure)")
        }
        let temporary = folder.appendingPathComponent(
            ".\(url.lastPathComponent).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp")
        // Registered before it exists, so a Ctrl-C at any moment of the write finds it.
        inProgress(temporary.path, true)
        defer { inProgress(temporary.path, false) }
        let fd = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw WriteError(path: url.path, reason: InputFile.systemReason(errno)) }
        var failure = writeAll(data, to: fd)
        if failure == nil && fsync(fd) != 0 { failure = InputFile.systemReason(errno) }
        if close(fd) != 0 && failure == nil { failure = InputFile.systemReason(errno) }
        if failure == nil && rename(temporary.path, url.path) != 0 { failure = InputFile.systemReason(errno) }
        if let failure {
            unlink(temporary.path)
            throw WriteError(path: url.path, reason: failure)
        }
    }

    /// Appends `data` to the existing file at `url` and flushes it to disk, reading and writing
    /// none of the file's earlier bytes, so the cost is that of `data` however long the file.
    /// Not atomic: a failure that returns (a full disk) cuts the file back to its length before
    /// and throws, but a process killed in the middle can leave part of `data` at the end, which
    /// the file's reader must expect (for a text file: a last line without its line break).
    public static func append(_ data: Data, to url: URL) throws {
        let fd = open(url.path, O_WRONLY | O_APPEND | O_CLOEXEC)
        guard fd >= 0 else { throw WriteError(path: url.path, reason: InputFile.systemReason(errno)) }
        let start = lseek(fd, 0, SEEK_END)
        var failure: String?
        if start < 0 {
            failure = InputFile.systemReason(errno)
        } else {
            failure = writeAll(data, to: fd)
            if failure == nil && fsync(fd) != 0 { failure = InputFile.systemReason(errno) }
            if failure != nil { _ = ftruncate(fd, start) }
        }
        if close(fd) != 0 && failure == nil { failure = InputFile.systemReason(errno) }
        if let failure { throw WriteError(path: url.path, reason: failure) }
    }

    /// Writes all of `data` to `fd`, again after an interrupted call; the system's reason if it
    /// cannot, else nil.
    private static func writeAll(_ data: Data, to fd: Int32) -> String? {
        data.withUnsafeBytes { (buffer: UnsafeRawBufferPointer) -> String? in
            var offset = 0
            while offset < buffer.count {
                let n = Foundation.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    return InputFile.systemReason(errno)
                }
                offset += n
            }
            return nil
        }
    }

    /// `mkdir -p` through POSIX calls, so a failure reads as the system says it ("Read-only file
    /// system", "Not a directory"); nil when the folder exists afterwards.
    static func makeFolder(_ folder: URL) -> String? {
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: folder.path, isDirectory: &isFolder) {
            return isFolder.boolValue ? nil : "\(folder.path) is a file"
        }
        let parent = folder.deletingLastPathComponent()
        if parent.path != folder.path, let failure = makeFolder(parent) { return failure }
        return mkdir(folder.path, 0o755) == 0 || errno == EEXIST ? nil : InputFile.systemReason(errno)
    }

    /// Deletes the temporary files that writers killed mid-write left in `folder` (`kill -9`,
    /// a power cut): those whose process no longer runs. Returns their names.
    @discardableResult
    public static func removeStaleTemporaries(in folder: URL) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { name in
            // .NAME.PID.RANDOM.tmp
            let fields = name.split(separator: ".", omittingEmptySubsequences: false)
            guard name.hasPrefix("."), name.hasSuffix(".tmp"), fields.count >= 5,
                let pid = Int32(fields[fields.count - 3]),
                pid != getpid(), kill(pid, 0) != 0, errno == ESRCH
            else { return false }
            return unlink(folder.appendingPathComponent(name).path) == 0
        }
    }

    /// The temporary files being written now, for ``removeTemporariesInProgress()``.
    nonisolated(unsafe) private static var writing: Set<String> = []
    private static let writingLock = NSLock()

    private static func inProgress(_ path: String, _ started: Bool) {
        writingLock.lock()
        defer { writingLock.unlock() }
        if started { writing.insert(path) } else { writing.remove(path) }
    }

    /// Deletes the temporary files of writes still under way: what a command does when Ctrl-C
    /// stops it (from a signal source's queue, not inside a signal handler), so no hidden
    /// `.NAME.PID.N.tmp` file is left behind. The targets keep their old contents.
    public static func removeTemporariesInProgress() {
        writingLock.lock()
        defer { writingLock.unlock() }
        for path in writing { unlink(path) }
        writing = []
    }

    /// Writes UTF-8 text atomically.
    public static func write(_ text: String, to url: URL) throws {
        try write(Data(text.utf8), to: url)
    }
}
