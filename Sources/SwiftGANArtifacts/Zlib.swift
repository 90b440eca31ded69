import Foundation
import SwiftGANCZlib

// Thin wrappers over the system zlib, for PNG's compressed image data and chunk checksums.
enum Zlib {
    /// CRC-32 (ISO 3309, the polynomial PNG uses) of the bytes, continuing from `initial`.
    static func crc32(_ bytes: Data, continuing initial: UInt32 = 0) -> UInt32 {
        bytes.withUnsafeBytes { raw in
            UInt32(SwiftGANCZlib.crc32(uLong(initial), raw.bindMemory(to: Bytef.self).baseAddress, uInt(raw.count)))
        }
    }

    /// A zlib stream (RFC 1950) of the bytes.
    static func compress(_ bytes: [UInt8], level: Int32, format: String) throws -> Data {
        var capacity = compressBound(uLong(bytes.count))
        var output = [UInt8](repeating: 0, count: Int(capacity))
        let status = bytes.withUnsafeBufferPointer { source in
            compress2(&output, &capacity, source.baseAddress, uLong(source.count), level)
        }
        guard status == Z_OK else {
            throw FormatError(format: format, reason: "zlib compress2 failed with status \(status)")
        }
        return Data(output[0..<Int(capacity)])
    }

    /// The bytes a zlib stream holds, which must be exactly `exactSize` of them.
    static func inflate(_ stream: Data, exactSize: Int, format: String) throws -> [UInt8] {
        // One spare byte tells "the stream holds more than expected" apart from "exactly enough".
        var produced = uLong(exactSize + 1)
        var output = [UInt8](repeating: 0, count: exactSize + 1)
        let status = stream.withUnsafeBytes { raw in
            uncompress(&output, &produced, raw.bindMemory(to: Bytef.self).baseAddress, uLong(raw.count))
        }
        switch status {
        case Z_OK where Int(produced) == exactSize:
            output.removeLast()
            return output
        case Z_OK:
            throw FormatError(
                format: format, reason: "compressed data inflates to \(produced) bytes, expected \(exactSize)")
        case Z_BUF_ERROR:
            throw FormatError(
                format: format, reason: "compressed data inflates to more than the expected \(exactSize) bytes")
        case Z_DATA_ERROR:
            throw FormatError(
                format: format, reason: "compressed data is corrupt or truncated (zlib: \(message(of: status)))")
        default:
            throw FormatError(format: format, reason: "zlib uncompress failed: \(message(of: status))")
        }
    }

    private static func message(of status: Int32) -> String {
        zError(status).map { String(cString: $0) } ?? "status \(status)"
    }
}
