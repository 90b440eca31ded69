import Foundation

/// A reader for tar archives (POSIX ustar, GNU and old v7 headers) that returns the regular files.
///
/// Each member is a 512-byte header (name, octal size, checksum, type) followed by its data padded
/// to 512 bytes; two zero blocks end the archive. Directories, links and devices are skipped, so
/// extracting the result can never write outside the destination through a link; GNU long names
/// (`L`) and pax `path=` records (`x`) rename the member that follows them. Every header's
/// checksum is verified, and a member path that is absolute or contains `..` rejects the archive.
///
/// ```swift
/// let tar = try Gzip.decompress(Data(contentsOf: archive), name: archive.path)
/// for member in try Tar.files(in: tar, name: archive.path) where member.path.hasSuffix(".bin") {
///     print(member.path, member.data.count)
/// }
/// ```
public enum Tar {
    public struct Member {
        /// The member's path inside the archive, relative, with `/` separators.
        public let path: String
        public let data: Data
    }

    static let blockSize = 512

    /// The regular files of an uncompressed tar archive, in archive order. `name` appears in errors.
    public static func files(in data: Data, name: String) throws -> [Member] {
        let bytes = [UInt8](data)
        var members: [Member] = []
        var offset = 0
        var pendingPath: String?
        while offset + blockSize <= bytes.count {
            let header = bytes[offset..<(offset + blockSize)]
            if header.allSatisfy({ $0 == 0 }) { return members }
            try verifyChecksum(header, at: offset, name: name)
            let size = try number(header, 124, 12, field: "size", at: offset, name: name)
            let start = offset + blockSize
            guard size <= bytes.count - start else {
                throw DataError(
                    "\(name): member at byte \(offset) declares \(size) bytes but the archive ends \(bytes.count - start) bytes later (truncated)"
                )
            }
            let body = bytes[start..<(start + size)]
            offset = start + (size + blockSize - 1) / blockSize * blockSize
            switch header[header.startIndex + 156] {
            case UInt8(ascii: "L"):
                pendingPath = cString(body)
            case UInt8(ascii: "x"):
                if let path = paxPath(body) { pendingPath = path }
            case 0, UInt8(ascii: "0"), UInt8(ascii: "7"):
                let path = pendingPath ?? headerPath(header)
                pendingPath = nil
                try checkPath(path, name: name)
                members.append(Member(path: path, data: Data(body)))
            default:
                // Directories, links, devices and global pax headers carry no file contents.
                pendingPath = nil
            }
        }
        guard offset <= bytes.count else {
            throw DataError("\(name): the archive ends inside the padding of its last member (truncated)")
        }
        // Archives written without the closing zero blocks still end on a header boundary.
        guard offset == bytes.count else {
            throw DataError(
                "\(name): \(bytes.count - offset) bytes after the last member do not form a tar header (truncated)")
        }
        return members
    }

    /// The header checksum is the sum of its bytes with the checksum field read as spaces; old
    /// writers summed signed chars, so both sums are accepted.
    private static func verifyChecksum(_ header: ArraySlice<UInt8>, at offset: Int, name: String) throws {
        let stored = try number(header, 148, 8, field: "checksum", at: offset, name: name)
        var unsigned = 0, signed = 0
        for (i, byte) in header.enumerated() {
            let b = (148..<156).contains(i) ? UInt8(ascii: " ") : byte
            unsigned += Int(b)
            signed += Int(Int8(bitPattern: b))
        }
        guard stored == unsigned || stored == signed else {
            throw DataError(
                "\(name): tar header at byte \(offset) has checksum \(stored) but its bytes sum to \(unsigned) (corrupt archive)"
            )
        }
    }

    /// An octal field (NUL- or space-terminated), or GNU's base-256 form for sizes of 8 GiB and more.
    private static func number(
        _ header: ArraySlice<UInt8>, _ at: Int, _ length: Int, field: String, at offset: Int, name: String
    ) throws -> Int {
        let raw = header[(header.startIndex + at)..<(header.startIndex + at + length)]
        if let first = raw.first, first & 0x80 != 0 {
            // Only values that fit an Int: the bytes above the low eight are zero, and so is the
            // top bit of a full eight (an 8-byte field such as the checksum has seven).
            let digits = raw.dropFirst(), low = digits.suffix(8)
            guard first == 0x80, digits.dropLast(low.count).allSatisfy({ $0 == 0 }), low.count < 8 || low.first! < 0x80
            else {
                throw DataError("\(name): tar header at byte \(offset) has an unsupported \(field) field")
            }
            return low.reduce(0) { $0 << 8 | Int($1) }
        }
        let digits = raw.prefix { $0 != 0 }.filter { $0 != UInt8(ascii: " ") }
        guard !digits.isEmpty, let value = Int(String(decoding: digits, as: UTF8.self), radix: 8), value >= 0 else {
            throw DataError(
                "\(name): tar header at byte \(offset) has an invalid \(field) field (not a tar archive, or corrupt)")
        }
        return value
    }

    /// ustar splits long paths into a prefix (bytes 345..<500) and a name (bytes 0..<100).
    private static func headerPath(_ header: ArraySlice<UInt8>) -> String {
        let s = header.startIndex
        let name = cString(header[s..<(s + 100)])
        let isUstar = header[(s + 257)..<(s + 263)].elementsEqual(Array("ustar\0".utf8))
        let prefix = isUstar ? cString(header[(s + 345)..<(s + 500)]) : ""
        return prefix.isEmpty ? name : prefix + "/" + name
    }

    private static func cString(_ bytes: ArraySlice<UInt8>) -> String {
        String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }

    /// The `path` value among pax records, each "<length> <key>=<value>\n".
    private static func paxPath(_ body: ArraySlice<UInt8>) -> String? {
        for record in String(decoding: body, as: UTF8.self).split(separator: "\n") {
            guard let space = record.firstIndex(of: " ") else { continue }
            let pair = record[record.index(after: space)...]
            if pair.hasPrefix("path=") { return String(pair.dropFirst(5)) }
        }
        return nil
    }

    private static func checkPath(_ path: String, name: String) throws {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        guard !path.hasPrefix("/"), !parts.isEmpty, !parts.contains("..") else {
            throw DataError("\(name): member path '\(path)' is absolute, empty or contains '..'; refusing to extract")
        }
    }

    /// A tar archive as POSIX ustar writes it: per member a 512-byte header (octal fields, checksum
    /// over the header with the checksum field as spaces), the data padded to 512 bytes, and two
    /// zero blocks at the end. Paths over 100 bytes are split into ustar's prefix and name. The
    /// tests' and the fuzzers' writer; SwiftGAN itself only reads archives.
    package static func archive(
        _ members: [(path: String, type: Character, data: Data)], endBlocks: Bool = true
    ) -> Data {
        var archive = Data()
        for member in members {
            var header = [UInt8](repeating: 0, count: 512)
            func put(_ text: String, at offset: Int) { for (i, b) in text.utf8.enumerated() { header[offset + i] = b } }
            var name = member.path, prefix = ""
            if name.utf8.count > 100, let cut = name.lastIndex(of: "/") {
                (prefix, name) = (String(name[..<cut]), String(name[name.index(after: cut)...]))
            }
            put(name, at: 0)
            put("0000644", at: 100)
            put("0000000", at: 108)
            put("0000000", at: 116)
            put(String(format: "%011o", member.data.count), at: 124)
            put(String(format: "%011o", 1_300_000_000), at: 136)
            put("        ", at: 148)
            header[156] = member.type.asciiValue!
            put("ustar", at: 257)
            put("00", at: 263)
            put(prefix, at: 345)
            put(String(format: "%06o", header.reduce(0) { $0 + Int($1) }), at: 148)
            header[154] = 0
            archive.append(contentsOf: header)
            archive.append(member.data)
            archive.append(Data(count: (512 - member.data.count % 512) % 512))
        }
        if endBlocks { archive.append(Data(count: 1024)) }
        return archive
    }
}
