import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The one way SwiftGAN reads a file it did not just write: a regular file only (a folder, a
/// FIFO, `/dev/zero` or a socket is refused before anything is read), its size checked against
/// the format's cap before a byte is allocated, and a failure told in plain words with the
/// system's name for it (`EISDIR`, `ELOOP`, `EFBIG`…).
///
/// ```swift
/// let bytes = try InputFile.read(url, format: "safetensors", limit: Safetensors.maximumFileSize)
/// ```
public enum InputFile {
    /// Whether the file's own name may be a symbolic link.
    public enum Links {
        case follow
        /// For files inside a run folder that end up in a page made for sharing: a link there could
        /// point anywhere (`~/.netrc`), so it is refused.
        case refuse
    }

    /// The whole file, or a ``FormatError`` naming it and saying why not.
    public static func read(_ url: URL, format: String, limit: Int, links: Links = .follow) throws -> Data {
        let path = url.path
        func refuse(_ reason: String) -> FormatError { FormatError(format: format, reason: reason, path: path) }
        // O_NONBLOCK: opening a FIFO must not wait for a writer; fstat then refuses it.
        var flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK
        if links == .refuse { flags |= O_NOFOLLOW }
        let fd = open(path, flags)
        guard fd >= 0 else {
            let code = errno
            if links == .refuse && code == ELOOP && isSymbolicLink(path) {
                throw refuse("is a symbolic link, which is not followed here (it could point outside the folder)")
            }
            throw refuse("cannot open: \(systemReason(code))")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw refuse("cannot read its size: \(systemReason(errno))") }
        if let kind = nonRegularKind(info.st_mode) { throw refuse("is \(kind), not a regular file") }
        // A regular file now: ordinary blocking reads (O_NONBLOCK was for opening a FIFO).
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
        let size = Int(info.st_size)
        guard size <= limit else {
            throw refuse(
                "is \(InputFile.size(size)), more than the \(InputFile.size(limit)) a \(format) file may be here"
            )
        }
        var data = Data(count: size)
        var filled = 0
        let failure: Int32? = data.withUnsafeMutableBytes { (buffer: UnsafeMutableRawBufferPointer) -> Int32? in
            while filled < size {
                let n = Foundation.read(fd, buffer.baseAddress! + filled, size - filled)
                if n < 0 {
                    if errno == EINTR || errno == EAGAIN { continue }
                    return errno
                }
                if n == 0 { break }  // the file shrank while being read: keep what is there
                filled += n
            }
            return nil
        }
        if let failure { throw refuse("cannot read: \(systemReason(failure))") }
        if filled < size { data.removeSubrange(filled..<size) }
        return data
    }

    /// Text of a file read by ``read(_:format:limit:links:)``, which must be UTF-8.
    public static func text(_ url: URL, format: String, limit: Int, links: Links = .follow) throws -> String {
        let data = try read(url, format: format, limit: limit, links: links)
        guard let text = String(data: data, encoding: .utf8) else {
            throw FormatError(format: format, reason: "is not UTF-8 text", path: url.path)
        }
        return text
    }

    /// A size in words: "512 bytes", "3.2 MB", "6.0 GB" (powers of 1000, as `ls -h --si` and file managers say).
    public static func size(_ bytes: Int) -> String {
        if bytes < 1000 { return "\(bytes) bytes" }
        let units = ["kB", "MB", "GB", "TB", "PB", "EB"]
        var value = Double(bytes) / 1000
        var unit = 0
        while value >= 999.95 && unit < units.count - 1 {
            value /= 1000
            unit += 1
        }
        return String(format: "%.1f %@", value, units[unit])
    }

    /// What a non-regular file is, in words; nil for a regular file.
    static func nonRegularKind(_ mode: mode_t) -> String? {
        switch mode & S_IFMT {
        case S_IFREG: return nil
        case S_IFDIR: return "a folder (EISDIR)"
        case S_IFIFO: return "a FIFO, a named pipe that never ends"
        case S_IFCHR: return "a character device, like /dev/zero, whose bytes never end"
        case S_IFBLK: return "a block device (a disk)"
        case S_IFSOCK: return "a socket"
        default: return "not a file"
        }
    }

    /// Whether anything is at `url`, a link that leads nowhere included (it is not followed).
    public static func entryExists(_ url: URL) -> Bool {
        var info = stat()
        return lstat(url.path, &info) == 0
    }

    static func isSymbolicLink(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFLNK
    }

    /// A system error as the system says it, with its name for searching: "No such file or
    /// directory (ENOENT)", "File too large (EFBIG)".
    public static func systemReason(_ code: Int32) -> String {
        let names: [Int32: String] = [
            ENOENT: "ENOENT", EACCES: "EACCES", EPERM: "EPERM", EISDIR: "EISDIR", ENOTDIR: "ENOTDIR",
            ELOOP: "ELOOP", EFBIG: "EFBIG", ENOSPC: "ENOSPC", EDQUOT: "EDQUOT", EROFS: "EROFS",
            ENAMETOOLONG: "ENAMETOOLONG", EMFILE: "EMFILE", ENFILE: "ENFILE", EIO: "EIO", ENXIO: "ENXIO",
            ETXTBSY: "ETXTBSY", EEXIST: "EEXIST", ENOMEM: "ENOMEM", EXDEV: "EXDEV", EBUSY: "EBUSY",
        ]
        return "\(String(cString: strerror(code))) (\(names[code] ?? "errno \(code)"))"
    }
}
