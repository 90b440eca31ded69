import Foundation

/// PNG files (ISO/IEC 15948) of 8-bit grayscale or RGB pixels, non-interlaced.
///
/// `encode` picks a filter for every row with the minimum-sum-of-absolute-differences rule that
/// libpng recommends for 8-bit images, compresses with zlib at level 6, and writes the IHDR, IDAT and
/// IEND chunks. `decode` reads what `encode` writes and any 8-bit grayscale or RGB non-interlaced PNG
/// (all five filters, any split of the image data over IDAT chunks), checking the signature, every
/// chunk's CRC and the size of the inflated data.
///
/// ```swift
/// let gray: [UInt8] = [0, 64, 128, 255]                 // 2×2, row-major
/// let data = try PNG.encode(pixels: gray, width: 2, height: 2, channels: 1)
/// try PNG.write(pixels: gray, width: 2, height: 2, channels: 1, to: URL(fileURLWithPath: "/tmp/g.png"))
/// let image = try PNG.decode(data)                      // RasterImage(width: 2, height: 2, channels: 1, ...)
/// ```
public enum PNG {
    static let signature: [UInt8] = [137, 80, 78, 71, 13, 10, 26, 10]
    /// The largest width or height the format allows (2³¹ − 1).
    static let maximumDimension = Int(Int32.max)
    /// The largest PNG file read: a sample grid is well under 10 MB.
    public static let maximumFileSize = 256 << 20
    /// The most pixels a PNG may have to be decoded (2²⁸: 268 megapixels, 805 MB as RGB): more than
    /// the largest picture SwiftGAN writes (a 100 × 100 walk of 64 × 64 images at 2×, 169 megapixels).
    public static let maximumPixels = 1 << 28

    /// The PNG file of `pixels`: `height` rows of `width` pixels of `channels` bytes each
    /// (1: grayscale, 3: RGB), top row first.
    public static func encode(pixels: [UInt8], width: Int, height: Int, channels: Int) throws -> Data {
        try validate(pixelCount: pixels.count, width: width, height: height, channels: channels)
        let rowBytes = width * channels
        var filtered = [UInt8](repeating: 0, count: height * (rowBytes + 1))
        var candidates = [UInt8](repeating: 0, count: PNGFilter.allCases.count * rowBytes)
        let zeroRow = [UInt8](repeating: 0, count: rowBytes)
        pixels.withUnsafeBufferPointer { source in
            filtered.withUnsafeMutableBufferPointer { output in
                candidates.withUnsafeMutableBufferPointer { scratch in
                    zeroRow.withUnsafeBufferPointer { zeros in
                        for y in 0..<height {
                            let row = source.baseAddress! + y * rowBytes
                            let previous = y == 0 ? zeros.baseAddress! : row - rowBytes
                            var best = PNGFilter.none, bestScore = Int.max
                            for filter in PNGFilter.allCases {
                                let candidate = scratch.baseAddress! + Int(filter.rawValue) * rowBytes
                                filter.apply(
                                    row: row, previous: previous, count: rowBytes,
                                    bytesPerPixel: channels, into: candidate)
                                // Bytes read as signed: small magnitudes mean a good prediction.
                                var score = 0
                                for i in 0..<rowBytes { score += abs(Int(Int8(bitPattern: candidate[i]))) }
                                if score < bestScore { best = filter; bestScore = score }
                            }
                            let destination = output.baseAddress! + y * (rowBytes + 1)
                            destination[0] = best.rawValue
                            (destination + 1).update(
                                from: scratch.baseAddress! + Int(best.rawValue) * rowBytes,
                                count: rowBytes)
                        }
                    }
                }
            }
        }

        var header = Data()
        header.appendBigEndian(UInt32(width))
        header.appendBigEndian(UInt32(height))
        // Bit depth, colour type, compression, filter, interlace.
        header.append(contentsOf: [8, channels == 1 ? 0 : 2, 0, 0, 0])
        var file = Data(signature)
        appendChunk("IHDR", header, to: &file)
        appendChunk("IDAT", try Zlib.compress(filtered, level: 6, format: "PNG"), to: &file)
        appendChunk("IEND", Data(), to: &file)
        return file
    }

    /// Encodes the pixels (see `encode`) and writes the file atomically.
    public static func write(pixels: [UInt8], width: Int, height: Int, channels: Int, to url: URL) throws {
        try AtomicFile.write(encode(pixels: pixels, width: width, height: height, channels: channels), to: url)
    }

    static func validate(pixelCount: Int, width: Int, height: Int, channels: Int) throws {
        guard channels == 1 || channels == 3 else {
            throw FormatError(format: "PNG", reason: "channels must be 1 (grayscale) or 3 (RGB), got \(channels)")
        }
        guard (1...maximumDimension).contains(width), (1...maximumDimension).contains(height) else {
            throw FormatError(
                format: "PNG", reason: "width and height must be in 1...\(maximumDimension), got \(width)×\(height)")
        }
        let (area, overflow1) = width.multipliedReportingOverflow(by: height)
        let (expected, overflow2) = area.multipliedReportingOverflow(by: channels)
        guard !overflow1, !overflow2, pixelCount == expected else {
            throw FormatError(
                format: "PNG",
                reason:
                    "pixels.count \(pixelCount) does not match width \(width) × height \(height) × channels \(channels)"
            )
        }
    }

    private static func appendChunk(_ type: String, _ body: Data, to file: inout Data) {
        let typeAndBody = Data(type.utf8) + body
        file.appendBigEndian(UInt32(body.count))
        file.append(typeAndBody)
        file.appendBigEndian(Zlib.crc32(typeAndBody))
    }
}
