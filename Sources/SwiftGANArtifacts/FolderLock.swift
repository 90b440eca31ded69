import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An exclusive lock on a folder for one process: `flock` on `FOLDER/.lock`, a file that names
/// the process holding it. The kernel releases the lock when the holder closes it or ends,
/// however it ends (`kill -9` included), so a lock left behind never blocks a later process.
///
/// ```swift
/// let lock = try FolderLock(URL(fileURLWithPath: "runs/dcgan"), holder: "swiftgan train")
/// // … write the folder …
/// lock.release()   // or let it go out of scope
/// ```
public final class FolderLock {
    public let folder: URL
    private var descriptor: Int32

    /// The lock file's name in the folder.
    public static let fileName = ".lock"

    /// Takes the lock, creating the folder if needed; throws ``InUse`` when another process (or
    /// another lock in this one) holds it. `holder` says what holds it, in the other's message.
    public init(_ folder: URL, holder: String) throws {
        self.folder = folder
        if let failure = AtomicFile.makeFolder(folder) {
            throw AtomicFile.WriteError(path: folder.path, reason: "cannot create folder \(folder.path): \(failure)")
        }
        let path = folder.appendingPathComponent(Self.fileName).path
        // Not through a link, and only a plain file of its own: a run folder from elsewhere may hold
        // `.lock -> ~/.ssh/authorized_keys`, which the holder's note would overwrite.
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0o644)
        guard descriptor >= 0 else {
            throw AtomicFile.WriteError(path: path, reason: InputFile.systemReason(errno))
        }
        var info = stat()
        guard fstat(descriptor, &info) == 0, info.st_mode & S_IFMT == S_IFREG, info.st_nlink == 1 else {
            close(descriptor)
            throw AtomicFile.WriteError(
                path: path, reason: "it is not a plain file of the folder's own (a link, a device…); remove it")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let reason = errno
            // The holder writes its note just after taking the lock: give it a moment to.
            var owner = ""
            for _ in 0..<50 where owner.isEmpty && reason == EWOULDBLOCK {
                let note = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
                owner = note.trimmingCharacters(in: .whitespacesAndNewlines)
                if owner.isEmpty { usleep(10_000) }
            }
            close(descriptor)
            if reason == EWOULDBLOCK { throw InUse(folder: folder.path, holder: owner) }
            throw AtomicFile.WriteError(path: path, reason: InputFile.systemReason(reason))
        }
        let note = "\(getpid()) \(holder)\n"
        _ = ftruncate(descriptor, 0)
        _ = note.withCString { pwrite(descriptor, $0, strlen($0), 0) }
    }

    /// Gives the lock up now (it also goes when the lock is released from memory or the process ends).
    public func release() {
        guard descriptor >= 0 else { return }
        _ = ftruncate(descriptor, 0)
        flock(descriptor, LOCK_UN)
        close(descriptor)
        descriptor = -1
    }

    deinit { release() }

    /// The folder is locked by another process, or by another lock of this one.
    public struct InUse: Error, CustomStringConvertible {
        public let folder: String
        /// "PID what" as the holder wrote it; empty when it had not written it yet.
        public let holder: String

        public var description: String {
            let parts = holder.split(separator: " ", maxSplits: 1).map(String.init)
            guard let pid = parts.first, Int32(pid) != nil else { return "\(folder) is in use by another process" }
            let what =
                parts.count > 1
                ? " (\(parts[1].filter { $0.isLetter || $0.isNumber || " -_./".contains($0) }.prefix(80)))" : ""
            return "\(folder) is in use by process \(pid)\(what); wait for it to finish, or stop it first"
        }
    }
}
