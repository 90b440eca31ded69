import Foundation
import XCTest

@testable import SwiftGANArtifacts

final class GIFTests: XCTestCase {
    // MARK: Test images

    func grayImage(width: Int, height: Int, _ value: (Int, Int) -> Int) -> RasterImage {
        var pixels: [UInt8] = []
        for y in 0..<height { for x in 0..<width { pixels.append(UInt8(truncatingIfNeeded: value(x, y))) } }
        return RasterImage(width: width, height: height, channels: 1, pixels: pixels)
    }

    func rgbImage(width: Int, height: Int, _ color: (Int, Int) -> RGBColor) -> RasterImage {
        var pixels: [UInt8] = []
        for y in 0..<height {
            for x in 0..<width {
                let c = color(x, y)
                pixels += [c.red, c.green, c.blue]
            }
        }
        return RasterImage(width: width, height: height, channels: 3, pixels: pixels)
    }

    /// Gray frames with smooth areas, hard edges and noise, different in every frame.
    func grayFrames(count: Int, width: Int, height: Int) -> [RasterImage] {
        (0..<count).map { frame in
            let noise = pseudoRandomBytes(count: width * height, seed: UInt64(frame + 1))
            return grayImage(width: width, height: height) { x, y in
                if y < height / 3 { return (x * 255) / max(1, width - 1) }
                if y < 2 * height / 3 { return (x / 4 + y / 4 + frame) % 2 == 0 ? 0 : 255 }
                return Int(noise[y * width + x])
            }
        }
    }

    // MARK: Round trips

    func testGrayscaleAnimationRoundTripsExactly() throws {
        let frames = grayFrames(count: 4, width: 37, height: 23)
        let data = try GIF.encodeAnimation(frames, frameDelay: 10, lastFrameDelay: 150)
        XCTAssertEqual(Array(data.prefix(6)), Array("GIF89a".utf8))
        XCTAssertEqual(data.last, 0x3B)

        let movie = try GIF.decode(data)
        XCTAssertEqual(movie.width, 37)
        XCTAssertEqual(movie.height, 23)
        XCTAssertEqual(movie.delays, [10, 10, 10, 150])
        XCTAssertTrue(movie.loops)
        XCTAssertEqual(movie.palette, (0...255).map { RGBColor(gray: UInt8($0)) })
        XCTAssertEqual(movie.frames.count, 4)
        for (decoded, original) in zip(movie.frames, frames) {
            XCTAssertEqual(decoded, original.converted(toChannels: 3))
            XCTAssertEqual(decoded.converted(toChannels: 1), original, "luma of an equal-channel gray is the gray")
        }
    }

    func testDefaultsAndPlayingOnce() throws {
        let frames = grayFrames(count: 3, width: 8, height: 6)
        let looping = try GIF.decode(GIF.encodeAnimation(frames))
        XCTAssertEqual(looping.delays, [25, 25, 200])
        XCTAssertTrue(looping.loops)

        let once = try GIF.encodeAnimation(frames, loopForever: false)
        XCTAssertFalse(try GIF.decode(once).loops)
        XCTAssertNil(once.range(of: Data("NETSCAPE2.0".utf8)))

        let single = try GIF.decode(GIF.encodeAnimation([frames[0]], frameDelay: 5, lastFrameDelay: 70))
        XCTAssertEqual(single.delays, [70], "the only frame is the last")
    }

    func testFewColourRGBAnimationRoundTripsExactly() throws {
        let colors = RGBColor.palette
        let frames = [
            rgbImage(width: 30, height: 20) { x, y in colors[(x / 3 + y) % colors.count] },
            rgbImage(width: 30, height: 20) { x, y in colors[(x * y) % colors.count] },
            grayImage(width: 30, height: 20) { x, _ in [0, 128, 255][x % 3] },  // mixed in: becomes RGB
        ]
        let movie = try GIF.decode(GIF.encodeAnimation(frames))
        XCTAssertEqual(movie.frames, frames.map { $0.converted(toChannels: 3) })
        XCTAssertEqual(movie.palette.count, 16, "13 colours fill a 16-entry table")
        let used = Set(movie.palette.prefix(13))
        XCTAssertEqual(used, Set(colors + [.black, RGBColor(gray: 128), .white]))
    }

    func testManyColourRGBAnimationIsQuantisedClosely() throws {
        let frames = (0..<3).map { frame in
            rgbImage(width: 96, height: 80) { x, y in
                RGBColor(UInt8(x * 255 / 95), UInt8(y * 255 / 79), UInt8((x + y + 40 * frame) * 255 / 294))
            }
        }
        let distinct = Set(
            frames.flatMap { f in stride(from: 0, to: f.pixels.count, by: 3).map { Array(f.pixels[$0..<$0 + 3]) } })
        XCTAssertGreaterThan(distinct.count, 256)
        let movie = try GIF.decode(GIF.encodeAnimation(frames))
        XCTAssertEqual(movie.palette.count, 256)
        var totalError = 0, worstError = 0
        for (decoded, original) in zip(movie.frames, frames) {
            for (a, b) in zip(decoded.pixels, original.pixels) {
                totalError += abs(Int(a) - Int(b))
                worstError = max(worstError, abs(Int(a) - Int(b)))
            }
        }
        // The colours lie on three sheets through RGB space; 256 colours spread evenly over them
        // would be about 9 × 9 per sheet, levels 28 apart, for a mean error of 28/4 = 7.
        let meanError = Double(totalError) / Double(3 * frames[0].pixels.count)
        XCTAssertLessThan(meanError, 6.5, "mean absolute error per channel")
        XCTAssertLessThan(worstError, 32)
    }

    func testNearestColorMatchesAFullSearch() throws {
        let noise = pseudoRandomBytes(count: 3 * 200, seed: 9)
        var palette = (0..<200).map { RGBColor(noise[3 * $0], noise[3 * $0 + 1], noise[3 * $0 + 2] / 4) }
        palette += palette.prefix(20)  // equal colours: ties
        palette += [RGBColor(10, 10, 10), RGBColor(12, 10, 10), RGBColor(11, 9, 10)]  // tie at (11, 10, 10)
        let pixels =
            pseudoRandomBytes(count: 3 * 6000, seed: 10) + palette.flatMap { [$0.red, $0.green, $0.blue] } + [
                11, 10, 10,
            ]
        let image = RasterImage(width: pixels.count / 3, height: 1, channels: 3, pixels: pixels)
        let expected: [UInt8] = (0..<image.width).map { p in
            let color = image.pixel(x: p, y: 0)
            let distances = palette.map { entry -> Int in
                let dr = Int(entry.red) - Int(color.red), dg = Int(entry.green) - Int(color.green),
                    db = Int(entry.blue) - Int(color.blue)
                return dr * dr + dg * dg + db * db
            }
            return UInt8(distances.firstIndex(of: distances.min()!)!)
        }
        XCTAssertEqual(NearestColor.indices(of: [image], in: palette), [expected])
        XCTAssertEqual(expected.last, 220, "of three colours at distance 1, the lowest index")
    }

    func testLongRunsAndFullCodeTables() throws {
        // A constant frame is one long run; noise fills the 4096-entry table dozens of times.
        let width = 586, height = 502
        let frames = [
            RasterImage(width: width, height: height, channels: 1, filledWith: RGBColor(gray: 17)),
            RasterImage(
                width: width, height: height, channels: 1,
                pixels: pseudoRandomBytes(count: width * height, seed: 42)),
            grayImage(width: width, height: height) { x, y in (x + y) / 4 },
        ]
        let movie = try GIF.decode(GIF.encodeAnimation(frames))
        XCTAssertEqual(movie.frames, frames.map { $0.converted(toChannels: 3) })
        // n codes cover a run of about n²/2 pixels, so the constant frame needs under a thousand.
        XCTAssertLessThan(try GIF.encodeAnimation([frames[0]]).count, 256 * 3 + 2000)
    }

    func testLZWRoundTripsAtEveryCodeSize() throws {
        for minimumCodeSize in 2...8 {
            var encoder = GIFLZWEncoder(minimumCodeSize: minimumCodeSize)
            for length in [0, 1, 2, 3, 17, 5000, 40_000] {
                let noise = pseudoRandomBytes(count: length, seed: UInt64(length + minimumCodeSize))
                    .map { $0 >> UInt8(8 - minimumCodeSize) }
                let indices = noise + [UInt8](repeating: UInt8((1 << minimumCodeSize) - 1), count: length / 2)
                let codes = encoder.compress(indices)
                XCTAssertEqual(
                    try GIFLZW.decompress(codes, minimumCodeSize: minimumCodeSize, pixelCount: indices.count), indices,
                    "code size \(minimumCodeSize), \(length) indices")
            }
        }
    }

    // MARK: Independent references

    /// The 10×10 sample in Matthew Flickinger's "What's in a GIF", whose bytes many GIF libraries
    /// use as a test vector: four colours (white, red, blue, black), LZW minimum code size 2.
    let sampleFile: [UInt8] = [
        0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x0A, 0x00, 0x0A, 0x00, 0x91, 0x00, 0x00,
        0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00, 0xFF, 0x00, 0x00, 0x00,
        0x21, 0xF9, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x2C, 0x00, 0x00, 0x00, 0x00, 0x0A, 0x00, 0x0A, 0x00, 0x00,
        0x02, 0x16, 0x8C, 0x2D, 0x99, 0x87, 0x2A, 0x1C, 0xDC, 0x33, 0xA0, 0x02, 0x75, 0xEC, 0x95, 0xFA, 0xA8,
        0xDE, 0x60, 0x8C, 0x04, 0x91, 0x4C, 0x01, 0x00,
        0x3B,
    ]
    let sampleIndices: [UInt8] = [
        1, 1, 1, 1, 1, 2, 2, 2, 2, 2,
        1, 1, 1, 1, 1, 2, 2, 2, 2, 2,
        1, 1, 1, 1, 1, 2, 2, 2, 2, 2,
        1, 1, 1, 0, 0, 0, 0, 2, 2, 2,
        1, 1, 1, 0, 0, 0, 0, 2, 2, 2,
        2, 2, 2, 0, 0, 0, 0, 1, 1, 1,
        2, 2, 2, 0, 0, 0, 0, 1, 1, 1,
        2, 2, 2, 2, 2, 1, 1, 1, 1, 1,
        2, 2, 2, 2, 2, 1, 1, 1, 1, 1,
        2, 2, 2, 2, 2, 1, 1, 1, 1, 1,
    ]

    func testPublishedSampleEncodesAndDecodesByteForByte() throws {
        var encoder = GIFLZWEncoder(minimumCodeSize: 2)
        XCTAssertEqual(encoder.compress(sampleIndices), Array(sampleFile[45..<67]))

        let movie = try GIF.decode(Data(sampleFile))
        let colors: [RGBColor] = [.white, RGBColor(255, 0, 0), RGBColor(0, 0, 255), .black]
        XCTAssertEqual(movie.palette, colors)
        XCTAssertEqual(
            movie.frames, [rgbImage(width: 10, height: 10) { x, y in colors[Int(sampleIndices[10 * y + x])] }])
        XCTAssertEqual(movie.delays, [0])
        XCTAssertFalse(movie.loops)
    }

    /// A block walker and LZW decoder in Python, written from the GIF89a specification without the
    /// library: it checks the block structure (sub-blocks of at most 255 bytes, nothing after the
    /// trailer) and reports each frame's delay, clear codes and CRC-32 of its RGB pixels as JSON.
    static let pythonWalker = #"""
        import json, sys, zlib

        def lzw(data, m, pixels):
            clear, end = 1 << m, (1 << m) + 1
            size, table, prev, out, position, clears = m + 1, None, None, bytearray(), 0, 0
            while True:
                if position + size > 8 * len(data):
                    raise ValueError("no end code")
                code = (int.from_bytes(data[position // 8:position // 8 + 3], "little") >> (position % 8)) & ((1 << size) - 1)
                position += size
                if code == clear:
                    size, table, prev, clears = m + 1, [bytes([i]) for i in range(clear)] + [b"", b""], None, clears + 1
                    continue
                if code == end:
                    break
                if prev is None:
                    entry = table[code]
                else:
                    entry = table[code] if code < len(table) else prev + prev[:1]
                    if len(table) < 4096:
                        table.append(prev + entry[:1])
                        if len(table) == 1 << size and size < 12:
                            size += 1
                out += entry
                prev = entry
            assert len(out) == pixels, (len(out), pixels)
            return bytes(out), clears

        def blocks(f, i):
            data, largest = bytearray(), 0
            while f[i]:
                largest = max(largest, f[i])
                data += f[i + 1:i + 1 + f[i]]
                i += 1 + f[i]
            return bytes(data), largest, i + 1

        f = open(sys.argv[1], "rb").read()
        width, height = int.from_bytes(f[6:8], "little"), int.from_bytes(f[8:10], "little")
        flags, i, table = f[10], 13, []
        if flags & 0x80:
            n = 2 << (flags & 7)
            table = [f[i + 3 * k:i + 3 * k + 3] for k in range(n)]
            i += 3 * n
        result = {"version": f[:6].decode(), "width": width, "height": height, "table": len(table), "loop": None, "frames": []}
        delay = None
        while f[i] != 0x3B:
            if f[i] == 0x21:
                label = f[i + 1]
                if label == 0xFF:
                    ident = f[i + 3:i + 3 + f[i + 2]]
                    body, _, i = blocks(f, i + 3 + f[i + 2])
                    if ident == b"NETSCAPE2.0" and body[0] == 1:
                        result["loop"] = int.from_bytes(body[1:3], "little")
                else:
                    body, _, i = blocks(f, i + 2)
                    if label == 0xF9:
                        delay = int.from_bytes(body[1:3], "little")
            elif f[i] == 0x2C:
                left, top, w, h = (int.from_bytes(f[i + k:i + k + 2], "little") for k in (1, 3, 5, 7))
                assert (left, top, w, h, f[i + 9]) == (0, 0, width, height, 0), "full-size frames with the global table"
                m = f[i + 10]
                data, largest, i = blocks(f, i + 11)
                indices, clears = lzw(data, m, w * h)
                rgb = b"".join(table[k] for k in indices)
                result["frames"].append({"delay": delay, "min_code_size": m, "largest_sub_block": largest,
                                         "clear_codes": clears, "crc": zlib.crc32(rgb)})
                delay = None
            else:
                raise ValueError("block 0x%02x at %d" % (f[i], i))
        result["bytes_after_trailer"] = len(f) - i - 1
        print(json.dumps(result))
        """#

    struct WalkerReport: Decodable {
        struct Frame: Decodable {
            let delay: Int?
            let min_code_size: Int
            let largest_sub_block: Int
            let clear_codes: Int
            let crc: UInt32
        }
        let version: String
        let width: Int
        let height: Int
        let table: Int
        let loop: Int?
        let frames: [Frame]
        let bytes_after_trailer: Int
    }

    func walk(_ url: URL) throws -> WalkerReport {
        let output = try runPython(Self.pythonWalker, arguments: [url.path])
        return try JSONDecoder().decode(WalkerReport.self, from: Data(output.utf8))
    }

    func testPythonWalkerReadsTheSampleFile() throws {
        let url = try makeTemporaryFolder(for: self).appendingPathComponent("sample.gif")
        try Data(sampleFile).write(to: url)
        let report = try walk(url)
        XCTAssertEqual(report.frames.count, 1)
        let colors: [[UInt8]] = [[255, 255, 255], [255, 0, 0], [0, 0, 255], [0, 0, 0]]
        XCTAssertEqual(report.frames[0].crc, ReferenceCRC32.checksum(sampleIndices.flatMap { colors[Int($0)] }))
    }

    func testPythonWalkerAgreesOnStructureAndPixels() throws {
        let width = 320, height = 240
        let gray = grayFrames(count: 3, width: width, height: height)
        let grayURL = try makeTemporaryFolder(for: self).appendingPathComponent("gray.gif")
        try GIF.writeAnimation(gray, frameDelay: 12, lastFrameDelay: 345, to: grayURL)
        let report = try walk(grayURL)
        XCTAssertEqual(report.version, "GIF89a")
        XCTAssertEqual([report.width, report.height, report.table], [width, height, 256])
        XCTAssertEqual(report.loop, 0, "loop forever")
        XCTAssertEqual(report.frames.map(\.delay), [12, 12, 345])
        XCTAssertEqual(report.frames.map(\.min_code_size), [8, 8, 8])
        XCTAssertEqual(report.frames.map(\.largest_sub_block), [255, 255, 255])
        XCTAssertTrue(report.frames.allSatisfy { $0.clear_codes > 3 }, "noisy rows fill the code table several times")
        XCTAssertEqual(
            report.frames.map(\.crc), gray.map { ReferenceCRC32.checksum($0.converted(toChannels: 3).pixels) })
        XCTAssertEqual(report.bytes_after_trailer, 0)

        let rgb = (0..<2).map { frame in
            rgbImage(width: 64, height: 48) { x, y in RGBColor(UInt8(x * 4), UInt8(y * 5), UInt8(frame * 100 + (x ^ y)))
            }
        }
        let rgbURL = grayURL.deletingLastPathComponent().appendingPathComponent("rgb.gif")
        try GIF.writeAnimation(rgb, loopForever: false, to: rgbURL)
        let rgbReport = try walk(rgbURL)
        XCTAssertNil(rgbReport.loop)
        XCTAssertEqual(rgbReport.table, 256)
        XCTAssertEqual(
            rgbReport.frames.map(\.crc), try GIF.read(from: rgbURL).frames.map { ReferenceCRC32.checksum($0.pixels) })
    }

    // MARK: The decoder on files it did not write

    func testLocalPalettesPartialFramesAndTransparency() throws {
        let black = RGBColor.black, white = RGBColor.white, red = RGBColor(255, 0, 0), green = RGBColor(0, 255, 0)
        let blue = RGBColor(0, 0, 255), yellow = RGBColor(255, 255, 0), gray = RGBColor(gray: 128)
        func colorBytes(_ colors: [RGBColor]) -> [UInt8] { colors.flatMap { [$0.red, $0.green, $0.blue] } }
        func imageData(_ indices: [UInt8]) -> [UInt8] {
            var encoder = GIFLZWEncoder(minimumCodeSize: 2)
            var blocks: [UInt8] = [2]
            GIF.appendSubBlocks(encoder.compress(indices), to: &blocks)
            return blocks
        }
        var file = Array("GIF89a".utf8) + [4, 0, 3, 0, 0xF1, 2, 0] + colorBytes([black, white, red, green])
        file += [0x21, 0xFF, 11] + Array("NETSCAPE2.0".utf8) + [3, 1, 3, 0, 0]  // loop 3 times
        file += [0x21, 0xFE, 5] + Array("hello".utf8) + [0]  // a comment
        file += [0x2C, 0, 0, 0, 0, 3, 0, 3, 0, 0] + imageData([0, 1, 0, 1, 0, 1, 3, 3, 3])
        file += [0x21, 0xF9, 4, 0x05, 7, 0, 2, 0]  // delay 7, index 2 transparent
        file +=
            [0x2C, 1, 0, 1, 0, 2, 0, 2, 0, 0x81] + colorBytes([blue, yellow, black, gray]) + imageData([0, 2, 1, 3])
        file += [0x3B]

        let movie = try GIF.decode(Data(file))
        let first: [[RGBColor]] = [
            [black, white, black, red], [white, black, white, red], [green, green, green, red],
        ]
        let second: [[RGBColor]] = [
            [black, white, black, red], [white, blue, white, red], [green, yellow, gray, red],
        ]
        XCTAssertEqual(
            movie.frames, [first, second].map { rows in rgbImage(width: 4, height: 3) { x, y in rows[y][x] } })
        XCTAssertEqual(movie.delays, [0, 7])
        XCTAssertTrue(movie.loops)
        XCTAssertEqual(movie.palette, [black, white, red, green])
    }

    // MARK: Errors

    func testEncoderRejectsBadArguments() throws {
        let frame = grayImage(width: 4, height: 4) { x, y in x + y }
        XCTAssertTrue(thrownMessage { _ = try GIF.encodeAnimation([]) }.contains("at least one frame"))
        let other = grayImage(width: 5, height: 4) { x, _ in x }
        let message = thrownMessage { _ = try GIF.encodeAnimation([frame, frame, other]) }
        XCTAssertTrue(message.contains("frame 2 is 5×4 but frame 0 is 4×4"), message)
        let empty = RasterImage(width: 0, height: 3, channels: 1, pixels: [])
        XCTAssertTrue(thrownMessage { _ = try GIF.encodeAnimation([empty]) }.contains("1...65535"))
        // A side past GIF's 16-bit sizes is an error, not a trap converting it (a tall sample picture).
        for (width, height) in [(65536, 1), (1, 65536)] {
            let huge = RasterImage(
                width: width, height: height, channels: 1, pixels: [UInt8](repeating: 0, count: 65536))
            let message = thrownMessage { _ = try GIF.encodeAnimation([huge]) }
            XCTAssertTrue(message.contains("1...65535, got \(width)×\(height)"), message)
        }
        XCTAssertTrue(thrownMessage { _ = try GIF.encodeAnimation([frame], frameDelay: -1) }.contains("frameDelay"))
        XCTAssertTrue(
            thrownMessage { _ = try GIF.encodeAnimation([frame], lastFrameDelay: 70_000) }.contains("lastFrameDelay"))
    }

    func testDecoderRejectsBadFiles() throws {
        XCTAssertTrue(thrownMessage { _ = try GIF.decode(Data("GIF90a and more".utf8)) }.contains("not a GIF file"))

        let file = [UInt8](try GIF.encodeAnimation(grayFrames(count: 2, width: 9, height: 7)))
        for length in 0..<file.count {
            XCTAssertThrowsError(try GIF.decode(Data(file[0..<length])), "\(length) of \(file.count) bytes") { error in
                XCTAssertTrue(error is FormatError, "\(error)")
            }
        }
        let truncated = thrownMessage { _ = try GIF.decode(Data(file[0..<500])) }
        XCTAssertTrue(truncated.contains("truncated: the data ends at byte 500 while reading"), truncated)
        XCTAssertTrue(thrownMessage { _ = try GIF.decode(Data(file + [0])) }.contains("1 bytes follow the trailer"))

        // Codes are 3 bits wide here: clear (4), literal 1, then 7, which the table does not hold yet.
        var corrupt = Array(sampleFile[0..<44])
        corrupt += [2, 0b1100_1100, 0b0000_0001, 0, 0x3B]
        let message = thrownMessage { _ = try GIF.decode(Data(corrupt)) }
        XCTAssertTrue(message.contains("image 0 at byte 33: LZW image data: code 7 is not in the table"), message)
        var misplaced = Array(sampleFile[0..<44])
        misplaced += [1, 0b0011_1100, 0, 0x3B]  // clear (4), then 7 first
        XCTAssertTrue(thrownMessage { _ = try GIF.decode(Data(misplaced)) }.contains("code 7 starts a table"))
        var huge = sampleFile
        for offset in [6, 8, 38, 40] { huge[offset] = 0xFF; huge[offset + 1] = 0xFF }  // 65535×65535 screen and image
        let hugeMessage = thrownMessage { _ = try GIF.decode(Data(huge)) }
        XCTAssertTrue(hugeMessage.contains("22 bytes cannot hold 4294836225 pixels"), hugeMessage)
        // A small image on a huge screen (what a fuzzer found): the screen is refused before it is allocated.
        var wide = sampleFile
        for offset in [6, 8] { wide[offset] = 0xFF; wide[offset + 1] = 0xFF }
        let wideMessage = thrownMessage { _ = try GIF.decode(Data(wide)) }
        XCTAssertTrue(
            wideMessage.contains("a screen of 65535×65535 pixels is larger than the limit of 16777216 pixels"),
            wideMessage)
    }

    func testReadNamesTheFile() throws {
        let url = try makeTemporaryFolder(for: self).appendingPathComponent("broken.gif")
        try Data("GIF89a".utf8).write(to: url)
        let message = thrownMessage { _ = try GIF.read(from: url) }
        XCTAssertTrue(message.hasPrefix("GIF file \(url.path): truncated"), message)
    }
}
