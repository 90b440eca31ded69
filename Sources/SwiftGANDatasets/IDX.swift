import Foundation
import SwiftGANArtifacts

/// The IDX format of MNIST and Fashion-MNIST (optionally gzip-compressed):
/// two zero bytes, a type byte (0x08 = unsigned byte), the number of dimensions, each dimension as a
/// big-endian UInt32, then the values in row-major order.
///
/// ```swift
/// let images = try IDXFile(contentsOf: URL(fileURLWithPath: "train-images-idx3-ubyte.gz"))
/// images.dimensions   // [60000, 28, 28]
/// ```
public struct IDXFile {
    public let dimensions: [Int]
    public let values: [UInt8]

    public init(dimensions: [Int], values: [UInt8]) {
        self.dimensions = dimensions
        self.values = values
    }

    /// The largest IDX file read, compressed or not: MNIST's largest is 47 MB.
    public static let maximumFileSize = 1 << 30

    public init(contentsOf url: URL) throws {
        let data: Data
        do {
            data = try InputFile.read(url, format: "IDX", limit: Self.maximumFileSize)
        } catch {
            throw DataError("\(error)")
        }
        try self.init(data: data, name: url.path)
    }

    /// Parses IDX bytes (raw or gzip). `name` appears in error messages.
    public init(data: Data, name: String) throws {
        // MNIST's largest file inflates to 47 MB; 256 MiB leaves room for bigger IDX datasets.
        let raw = Gzip.isCompressed(data) ? try Gzip.decompress(data, name: name, limit: 256 << 20) : data
        let bytes = [UInt8](raw)
        guard bytes.count >= 4 else { throw DataError("\(name): \(bytes.count) bytes is too short for an IDX header") }
        guard bytes[0] == 0, bytes[1] == 0 else {
            throw DataError(
                "\(name): not an IDX file (magic number starts \(String(format: "%02x %02x", bytes[0], bytes[1])), expected 00 00)"
            )
        }
        guard bytes[2] == 0x08 else {
            let names: [UInt8: String] = [
                0x09: "signed byte", 0x0B: "short", 0x0C: "int", 0x0D: "float", 0x0E: "double",
            ]
            throw DataError(
                "\(name): IDX element type \(String(format: "0x%02x", bytes[2])) (\(names[bytes[2]] ?? "unknown")) is not supported; image and label files use 0x08 (unsigned byte)"
            )
        }
        let rank = Int(bytes[3])
        guard rank >= 1 else { throw DataError("\(name): IDX file with zero dimensions") }
        let headerSize = 4 + 4 * rank
        guard bytes.count >= headerSize else {
            throw DataError("\(name): header declares \(rank) dimensions but the file has only \(bytes.count) bytes")
        }
        var dimensions: [Int] = []
        for d in 0..<rank {
            let o = 4 + 4 * d
            dimensions.append(
                Int(bytes[o]) << 24 | Int(bytes[o + 1]) << 16 | Int(bytes[o + 2]) << 8 | Int(bytes[o + 3]))
        }
        // A damaged header can claim dimensions whose product overflows: check before multiplying on.
        let actual = bytes.count - headerSize
        var expected = 1
        for d in dimensions {
            let (product, overflow) = expected.multipliedReportingOverflow(by: d)
            guard !overflow else {
                throw DataError("\(name): dimensions \(dimensions) multiply past any file size (a damaged header)")
            }
            guard product <= actual else {
                throw DataError(
                    "\(name): dimensions \(dimensions) need at least \(product) bytes of data but the file has \(actual) (truncated, or a damaged header)"
                )
            }
            expected = product
        }
        guard actual == expected else {
            throw DataError(
                "\(name): dimensions \(dimensions) need \(expected) bytes of data but the file has \(actual) (\(actual < expected ? "truncated" : "trailing bytes"))"
            )
        }
        self.dimensions = dimensions
        self.values = Array(bytes[headerSize...])
    }

    /// The IDX encoding (uncompressed), for tests and tools.
    public func encoded() -> Data {
        var header: [UInt8] = [0, 0, 0x08, UInt8(dimensions.count)]
        for d in dimensions {
            header += [UInt8(d >> 24 & 0xff), UInt8(d >> 16 & 0xff), UInt8(d >> 8 & 0xff), UInt8(d & 0xff)]
        }
        return Data(header + values)
    }
}
