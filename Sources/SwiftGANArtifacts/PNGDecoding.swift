import Foundation

extension PNG {
    /// The image in a PNG file: 8-bit grayscale or RGB, non-interlaced (what `encode` writes).
    /// Throws a `FormatError` naming the problem: a bad signature, a chunk whose CRC does not match
    /// (with its type and byte offset), an unsupported header field, or image data that inflates to
    /// the wrong size.
    public static func decode(_ data: Data) throws -> RasterImage {
        let bytes = [UInt8](data)
        guard bytes.count >= signature.count, Array(bytes[0..<signature.count]) == signature else {
            throw FormatError(format: "PNG", reason: "not a PNG file: the first 8 bytes are not the PNG signature")
        }
        var header: (width: Int, height: Int, channels: Int)?
        var imageData = Data()
        var offset = signature.count
        var ended = false
        while offset < bytes.count {
            let chunk = try Chunk(in: bytes, at: offset)
            switch chunk.type {
            case "IHDR":
                guard header == nil, offset == signature.count else {
                    throw FormatError(format: "PNG", reason: "IHDR at byte \(offset) is not the first chunk")
                }
                header = try parseHeader(Array(bytes[chunk.body]))
            case "IDAT":
                guard header != nil else {
                    throw FormatError(format: "PNG", reason: "IDAT at byte \(offset) comes before IHDR")
                }
                imageData.append(contentsOf: bytes[chunk.body])
            case "IEND":
                ended = true
            case "PLTE" where header?.channels == 3:
                break  // a suggested palette for RGB images; the pixels do not depend on it
            default:
                // Bit 5 of the first letter (lowercase) marks a chunk that decoders may skip.
                guard chunk.type.utf8.first! & 0x20 != 0 else {
                    throw FormatError(
                        format: "PNG", reason: "unsupported critical chunk \(chunk.type) at byte \(offset)")
                }
            }
            offset = chunk.end
            if ended { break }
        }
        guard ended else { throw FormatError(format: "PNG", reason: "no IEND chunk: the file is truncated") }
        guard offset == bytes.count else {
            throw FormatError(format: "PNG", reason: "\(bytes.count - offset) bytes follow the IEND chunk")
        }
        guard let header else { throw FormatError(format: "PNG", reason: "no IHDR chunk") }
        guard !imageData.isEmpty else { throw FormatError(format: "PNG", reason: "no IDAT chunk") }

        let rowBytes = header.width * header.channels
        let (filteredSize, overflow) = header.height.multipliedReportingOverflow(by: rowBytes + 1)
        // Deflate cannot expand data more than about 1032:1; a header promising more is corrupt,
        // and refusing it avoids allocating memory for an image that cannot be there.
        guard !overflow, filteredSize / 1032 <= imageData.count else {
            throw FormatError(
                format: "PNG",
                reason: "\(imageData.count) bytes of image data cannot hold a \(header.width)×\(header.height) image")
        }
        // A bound of its own, before anything is inflated: the 400 kB of deflate that pass the check
        // above can claim 20,000 × 20,000 pixels, and a report or an animation decodes whatever a run
        // folder holds.
        guard header.width * header.height <= maximumPixels else {
            throw FormatError(
                format: "PNG",
                reason: "\(header.width)×\(header.height) is more than the \(maximumPixels) pixels SwiftGAN decodes")
        }
        var filtered = try Zlib.inflate(imageData, exactSize: filteredSize, format: "PNG")
        var pixels = [UInt8](repeating: 0, count: header.height * rowBytes)
        let zeroRow = [UInt8](repeating: 0, count: rowBytes)
        try filtered.withUnsafeMutableBufferPointer { source in
            try pixels.withUnsafeMutableBufferPointer { output in
                try zeroRow.withUnsafeBufferPointer { zeros in
                    for y in 0..<header.height {
                        let line = source.baseAddress! + y * (rowBytes + 1)
                        guard let filter = PNGFilter(rawValue: line[0]) else {
                            throw FormatError(format: "PNG", reason: "row \(y) has unknown filter type \(line[0])")
                        }
                        let row = output.baseAddress! + y * rowBytes
                        row.update(from: line + 1, count: rowBytes)
                        let previous = y == 0 ? zeros.baseAddress! : UnsafePointer(row - rowBytes)
                        filter.undo(row: row, previous: previous, count: rowBytes, bytesPerPixel: header.channels)
                    }
                }
            }
        }
        return RasterImage(width: header.width, height: header.height, channels: header.channels, pixels: pixels)
    }

    /// Reads and decodes a PNG file; errors name the file.
    public static func read(from url: URL, links: InputFile.Links = .follow) throws -> RasterImage {
        let data = try InputFile.read(url, format: "PNG", limit: maximumFileSize, links: links)
        do { return try decode(data) } catch let error as FormatError { throw error.naming(url) }
    }

    /// One chunk's place in the file: length, type, body, CRC (checked on construction).
    private struct Chunk {
        let type: String
        let body: Range<Int>
        var end: Int { body.upperBound + 4 }

        init(in bytes: [UInt8], at offset: Int) throws {
            guard bytes.count - offset >= 12 else {
                throw FormatError(
                    format: "PNG",
                    reason:
                        "truncated chunk at byte \(offset): \(bytes.count - offset) bytes left, a chunk needs at least 12"
                )
            }
            let length = Int(Data(bytes[offset..<offset + 4]).readBigEndian(UInt32.self, at: 0))
            let typeBytes = bytes[offset + 4..<offset + 8]
            guard typeBytes.allSatisfy({ (65...90).contains($0) || (97...122).contains($0) }) else {
                throw FormatError(
                    format: "PNG", reason: "invalid chunk type bytes \(Array(typeBytes)) at byte \(offset)")
            }
            type = String(decoding: typeBytes, as: UTF8.self)
            guard length <= PNG.maximumDimension, length <= bytes.count - offset - 12 else {
                throw FormatError(
                    format: "PNG",
                    reason:
                        "chunk \(type) at byte \(offset) declares \(length) bytes but only \(bytes.count - offset - 12) remain"
                )
            }
            body = offset + 8..<offset + 8 + length
            let stored = Data(bytes[body.upperBound..<body.upperBound + 4]).readBigEndian(UInt32.self, at: 0)
            let computed = Zlib.crc32(Data(bytes[offset + 4..<body.upperBound]))
            guard stored == computed else {
                throw FormatError(
                    format: "PNG",
                    reason:
                        "chunk \(type) at byte \(offset): CRC mismatch (stored 0x\(String(stored, radix: 16)), computed 0x\(String(computed, radix: 16)))"
                )
            }
        }
    }

    private static func parseHeader(_ body: [UInt8]) throws -> (width: Int, height: Int, channels: Int) {
        guard body.count == 13 else {
            throw FormatError(format: "PNG", reason: "IHDR has \(body.count) bytes, expected 13")
        }
        let data = Data(body)
        let width = Int(data.readBigEndian(UInt32.self, at: 0)), height = Int(data.readBigEndian(UInt32.self, at: 4))
        guard (1...maximumDimension).contains(width), (1...maximumDimension).contains(height) else {
            throw FormatError(format: "PNG", reason: "invalid size \(width)×\(height) in IHDR")
        }
        let (depth, colorType, compression, filter, interlace) = (body[8], body[9], body[10], body[11], body[12])
        guard depth == 8 else {
            throw FormatError(format: "PNG", reason: "unsupported bit depth \(depth) (only 8 is supported)")
        }
        guard colorType == 0 || colorType == 2 else {
            throw FormatError(
                format: "PNG",
                reason: "unsupported colour type \(colorType) (only 0, grayscale, and 2, RGB, are supported)")
        }
        guard compression == 0, filter == 0 else {
            throw FormatError(
                format: "PNG", reason: "unknown compression method \(compression) or filter method \(filter) in IHDR")
        }
        guard interlace == 0 else { throw FormatError(format: "PNG", reason: "interlaced images are not supported") }
        return (width, height, colorType == 0 ? 1 : 3)
    }
}
