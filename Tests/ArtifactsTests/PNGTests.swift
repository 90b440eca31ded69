import Foundation
import SwiftGANArtifacts
import SwiftGANCZlib
import XCTest

final class PNGTests: XCTestCase {
    /// The chunks of a PNG file, parsed here without the library: (type, body, stored CRC).
    func chunks(of file: [UInt8]) -> [(type: String, body: [UInt8], crc: UInt32)] {
        var chunks: [(String, [UInt8], UInt32)] = []
        var offset = 8
        func bigEndian(_ at: Int) -> UInt32 { file[at..<at + 4].reduce(0) { $0 << 8 | UInt32($1) } }
        while offset + 12 <= file.count {
            let length = Int(bigEndian(offset))
            let type = String(decoding: file[offset + 4..<offset + 8], as: UTF8.self)
            chunks.append((type, Array(file[offset + 8..<offset + 8 + length]), bigEndian(offset + 8 + length)))
            offset += 12 + length
        }
        XCTAssertEqual(offset, file.count, "chunks end exactly at the end of the file")
        return chunks
    }

    func inflate(_ stream: [UInt8], capacity: Int) -> [UInt8]? {
        var output = [UInt8](repeating: 0, count: capacity)
        var length = uLong(capacity)
        guard uncompress(&output, &length, stream, uLong(stream.count)) == Z_OK else { return nil }
        return Array(output[0..<Int(length)])
    }

    func zlibStream(_ bytes: [UInt8]) -> [UInt8] {
        var length = compressBound(uLong(bytes.count))
        var output = [UInt8](repeating: 0, count: Int(length))
        XCTAssertEqual(compress2(&output, &length, bytes, uLong(bytes.count), 9), Z_OK)
        return Array(output[0..<Int(length)])
    }

    func chunk(_ type: String, _ body: [UInt8]) -> [UInt8] {
        let typeAndBody = Array(type.utf8) + body
        let crc = ReferenceCRC32.checksum(typeAndBody)
        return bigEndianBytes(UInt32(body.count)) + typeAndBody + bigEndianBytes(crc)
    }

    func bigEndianBytes(_ value: UInt32) -> [UInt8] { [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: value >> $0) } }

    /// PNG's filters, written from the specification as a plain loop for the tests.
    func referenceFilter(_ type: UInt8, row: [UInt8], previous: [UInt8], bytesPerPixel: Int) -> [UInt8] {
        (0..<row.count).map { i in
            let a = i >= bytesPerPixel ? Int(row[i - bytesPerPixel]) : 0
            let b = Int(previous[i])
            let c = i >= bytesPerPixel ? Int(previous[i - bytesPerPixel]) : 0
            let prediction: Int
            switch type {
            case 0: prediction = 0
            case 1: prediction = a
            case 2: prediction = b
            case 3: prediction = (a + b) / 2
            default:
                let p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c)
                prediction = pa <= pb && pa <= pc ? a : pb <= pc ? b : c
            }
            return UInt8(truncatingIfNeeded: Int(row[i]) - prediction)
        }
    }

    /// Rebuilds the pixels from filtered rows with the reference filters' inverse.
    func referenceUnfilter(_ filtered: [UInt8], width: Int, height: Int, channels: Int) -> [UInt8] {
        let rowBytes = width * channels
        var pixels: [UInt8] = []
        var previous = [UInt8](repeating: 0, count: rowBytes)
        for y in 0..<height {
            let line = filtered[y * (rowBytes + 1)..<(y + 1) * (rowBytes + 1)]
            let type = line.first!
            var row = Array(line.dropFirst())
            for i in 0..<rowBytes {
                // Filtering byte i depends only on bytes before it, so it can be undone left to right.
                let zeroed = row[i]
                row[i] = 0
                let prediction = 0 &- referenceFilter(type, row: row, previous: previous, bytesPerPixel: channels)[i]
                row[i] = zeroed &+ prediction
            }
            pixels += row
            previous = row
        }
        return pixels
    }

    func testEncodedFileHasValidStructureChecksumsAndData() throws {
        let (width, height, channels) = (13, 7, 3)
        let pixels = (0..<(width * height * channels)).map { UInt8(truncatingIfNeeded: $0 * 7 + ($0 / 39) * 3) }
        let file = [UInt8](try PNG.encode(pixels: pixels, width: width, height: height, channels: channels))
        XCTAssertEqual(Array(file[0..<8]), [137, 80, 78, 71, 13, 10, 26, 10])
        let parsed = chunks(of: file)
        XCTAssertEqual(parsed.map(\.type), ["IHDR", "IDAT", "IEND"])
        for chunk in parsed {
            XCTAssertEqual(
                chunk.crc, ReferenceCRC32.checksum(Array(chunk.type.utf8) + chunk.body), "CRC of \(chunk.type)")
        }
        let header = parsed[0].body
        XCTAssertEqual(header.count, 13)
        XCTAssertEqual(Array(header[0..<8]), bigEndianBytes(UInt32(width)) + bigEndianBytes(UInt32(height)))
        XCTAssertEqual(
            Array(header[8..<13]), [8, 2, 0, 0, 0], "8-bit RGB, deflate, adaptive filtering, not interlaced")
        XCTAssertTrue(parsed[2].body.isEmpty)

        let expectedSize = height * (1 + width * channels)
        let filtered = try XCTUnwrap(inflate(parsed[1].body, capacity: expectedSize + 100))
        XCTAssertEqual(filtered.count, expectedSize)
        XCTAssertEqual(referenceUnfilter(filtered, width: width, height: height, channels: channels), pixels)
    }

    func testKnownCRCValue() {
        // The CRC-32 check value from the specification's test vector.
        XCTAssertEqual(ReferenceCRC32.checksum(Array("123456789".utf8)), 0xCBF4_3926)
        XCTAssertEqual(ReferenceCRC32.checksum(Array("IEND".utf8)), 0xAE42_6082, "the CRC every PNG ends with")
    }

    func testGrayscaleHeader() throws {
        let file = [UInt8](try PNG.encode(pixels: [0, 255], width: 1, height: 2, channels: 1))
        XCTAssertEqual(Array(chunks(of: file)[0].body[8..<13]), [8, 0, 0, 0, 0])
    }

    func testRoundTripGrayAndRGB() throws {
        for (width, height, channels) in [(1, 1, 1), (17, 5, 1), (9, 7, 3), (64, 3, 3)] {
            let noise = pseudoRandomBytes(count: width * height * channels, seed: UInt64(width * 31 + channels))
            let gradient = (0..<(width * height * channels)).map {
                UInt8(truncatingIfNeeded: $0 % (width * channels) * 3 + $0 / (width * channels))
            }
            for pixels in [noise, gradient] {
                let image = try PNG.decode(PNG.encode(pixels: pixels, width: width, height: height, channels: channels))
                XCTAssertEqual([image.width, image.height, image.channels], [width, height, channels])
                XCTAssertEqual(image.pixels, pixels)
            }
        }
    }

    func testDecodesEveryFilterTypeAndSplitImageData() throws {
        let (width, height, channels) = (6, 10, 3)
        let pixels = pseudoRandomBytes(count: width * height * channels, seed: 5)
        let rowBytes = width * channels
        var filtered: [UInt8] = []
        for y in 0..<height {
            let type = UInt8(y % 5)
            let previous =
                y == 0 ? [UInt8](repeating: 0, count: rowBytes) : Array(pixels[(y - 1) * rowBytes..<y * rowBytes])
            filtered +=
                [type]
                + referenceFilter(
                    type, row: Array(pixels[y * rowBytes..<(y + 1) * rowBytes]),
                    previous: previous, bytesPerPixel: channels)
        }
        let stream = zlibStream(filtered)
        let header = bigEndianBytes(UInt32(width)) + bigEndianBytes(UInt32(height)) + [8, 2, 0, 0, 0]
        let split = stream.count / 2
        let file =
            [137, 80, 78, 71, 13, 10, 26, 10] + chunk("IHDR", header) + chunk("tEXt", Array("Comment\0test".utf8))
            + chunk("IDAT", Array(stream[..<split])) + chunk("IDAT", Array(stream[split...])) + chunk("IEND", [])
        let image = try PNG.decode(Data(file))
        XCTAssertEqual(image.pixels, pixels)
    }

    func testRejectsCorruptedCRC() throws {
        var file = [UInt8](try PNG.encode(pixels: [1, 2, 3, 4], width: 2, height: 2, channels: 1))
        file[8 + 25 + 9] ^= 0x01  // a byte of the IDAT data
        let message = thrownMessage { _ = try PNG.decode(Data(file)) }
        XCTAssertTrue(message.contains("CRC mismatch") && message.contains("IDAT"), message)
    }

    func testRejectsBadSignatureTruncationAndWrongSize() throws {
        let valid = [UInt8](try PNG.encode(pixels: [1, 2, 3, 4], width: 2, height: 2, channels: 1))
        var badSignature = valid
        badSignature[1] = UInt8(ascii: "Q")
        XCTAssertTrue(thrownMessage { _ = try PNG.decode(Data(badSignature)) }.contains("signature"))
        XCTAssertTrue(thrownMessage { _ = try PNG.decode(Data(valid.dropLast(12))) }.contains("IEND"))
        XCTAssertTrue(thrownMessage { _ = try PNG.decode(Data(valid.dropLast(3))) }.contains("truncated"))

        // A header promising a larger image than the data holds.
        let small = zlibStream([0, 1, 2, 0, 3, 4])
        let tooFew =
            [137, 80, 78, 71, 13, 10, 26, 10]
            + chunk("IHDR", bigEndianBytes(2) + bigEndianBytes(3) + [8, 0, 0, 0, 0]) + chunk("IDAT", small)
            + chunk("IEND", [])
        let message = thrownMessage { _ = try PNG.decode(Data(tooFew)) }
        XCTAssertTrue(message.contains("inflates to 6 bytes, expected 9"), message)

        let palette =
            [137, 80, 78, 71, 13, 10, 26, 10]
            + chunk("IHDR", bigEndianBytes(2) + bigEndianBytes(3) + [8, 3, 0, 0, 0]) + chunk("IDAT", small)
            + chunk("IEND", [])
        XCTAssertTrue(thrownMessage { _ = try PNG.decode(Data(palette)) }.contains("colour type 3"))
    }

    func testEncodeValidatesArguments() {
        XCTAssertTrue(
            thrownMessage { _ = try PNG.encode(pixels: [1, 2, 3], width: 2, height: 2, channels: 1) }
                .contains("pixels.count 3 does not match width 2 × height 2 × channels 1"))
        XCTAssertTrue(
            thrownMessage { _ = try PNG.encode(pixels: [], width: 0, height: 2, channels: 1) }.contains("0×2"))
        XCTAssertTrue(
            thrownMessage { _ = try PNG.encode(pixels: [1, 2], width: 1, height: 1, channels: 2) }.contains("channels"))
    }

    func testWriteAndReadFile() throws {
        let url = try makeTemporaryFolder(for: self).appendingPathComponent("a/b.png")
        try PNG.write(pixels: [9, 8, 7], width: 1, height: 1, channels: 3, to: url)
        XCTAssertEqual(try PNG.read(from: url).pixels, [9, 8, 7])
        let missing = url.deletingLastPathComponent().appendingPathComponent("missing.png")
        XCTAssertTrue(thrownMessage { _ = try PNG.read(from: missing) }.contains(missing.path))
    }
}
