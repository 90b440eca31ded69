import Foundation
import SwiftGANCZlib

/// gzip decompression through the system zlib.
public enum Gzip {
    /// Whether `data` starts with the gzip magic bytes 1f 8b.
    public static func isCompressed(_ data: Data) -> Bool {
        data.count >= 2 && data[data.startIndex] == 0x1f && data[data.startIndex + 1] == 0x8b
    }

    /// The most a stream may inflate to unless told otherwise: 512 MiB, over twice CIFAR-10's
    /// archive (the largest file SwiftGAN reads); a small file claiming more is a decompression bomb.
    public static let defaultLimit = 512 << 20

    /// Inflates a whole gzip stream (several concatenated members are accepted, as gunzip does).
    /// A truncated or corrupt stream throws instead of returning a partial result, and so does one
    /// that inflates past `limit` bytes, before holding more than that.
    public static func decompress(_ data: Data, name: String, limit: Int = defaultLimit) throws -> Data {
        var output = Data()
        var stream = z_stream()
        // 15 + 16: a gzip wrapper, the largest window.
        guard inflateInit2_(&stream, 15 + 16, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw DataError("\(name): cannot initialize zlib")
        }
        defer { inflateEnd(&stream) }
        let chunk = 1 << 20
        var buffer = [UInt8](repeating: 0, count: chunk)
        try data.withUnsafeBytes { (input: UnsafeRawBufferPointer) in
            var consumed = 0
            while consumed < input.count {
                stream.next_in = UnsafeMutablePointer(
                    mutating: input.baseAddress!.assumingMemoryBound(to: UInt8.self) + consumed)
                stream.avail_in = uInt(input.count - consumed)
                var status: Int32 = Z_OK
                repeat {
                    status = buffer.withUnsafeMutableBufferPointer { out in
                        stream.next_out = out.baseAddress
                        stream.avail_out = uInt(chunk)
                        return inflate(&stream, Z_NO_FLUSH)
                    }
                    guard status == Z_OK || status == Z_STREAM_END || status == Z_BUF_ERROR else {
                        let detail = stream.msg.map { String(cString: $0) } ?? "zlib error \(status)"
                        throw DataError("\(name): corrupt gzip data (\(detail))")
                    }
                    output.append(contentsOf: buffer[0..<(chunk - Int(stream.avail_out))])
                    guard output.count <= limit else {
                        throw DataError(
                            "\(name): the gzip data inflates past \(limit >> 20) MiB, more than a dataset file here can hold (a corrupt or hostile file?)"
                        )
                    }
                } while stream.avail_out == 0 && status != Z_STREAM_END
                consumed = input.count - Int(stream.avail_in)
                if status == Z_STREAM_END {
                    // Another gzip member may follow.
                    guard consumed < input.count else { return }
                    inflateReset(&stream)
                } else if stream.avail_in == 0 {
                    throw DataError("\(name): gzip data ends early (truncated file?)")
                } else if status == Z_BUF_ERROR {
                    throw DataError("\(name): corrupt gzip data")
                }
            }
            throw DataError("\(name): gzip data ends early (truncated file?)")
        }
        return output
    }

    /// A gzip stream of the bytes through the system zlib (level 6): the tests' and the fuzzers'
    /// writer of `.gz` files; SwiftGAN itself only reads them.
    package static func compress(_ data: Data) -> Data {
        var stream = z_stream()
        deflateInit2_(
            &stream, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(data.count))) + 64)
        var input = [UInt8](data)
        let produced = input.withUnsafeMutableBufferPointer { inp in
            output.withUnsafeMutableBufferPointer { out in
                stream.next_in = inp.baseAddress
                stream.avail_in = uInt(inp.count)
                stream.next_out = out.baseAddress
                stream.avail_out = uInt(out.count)
                deflate(&stream, Z_FINISH)
                return out.count - Int(stream.avail_out)
            }
        }
        return Data(output[0..<produced])
    }
}
