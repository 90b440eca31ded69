import Foundation
import SwiftGANCJPEG
import SwiftGANCPNG
import SwiftGANTensors
import XCTest

@testable import SwiftGANDatasets

/// A test image: 8-bit, interleaved, 1 (gray), 3 (RGB) or 4 (RGBA) channels.
struct TestImage {
    var width: Int, height: Int, channels: Int
    var pixels: [UInt8]

    init(width: Int, height: Int, channels: Int, _ value: (_ x: Int, _ y: Int, _ c: Int) -> UInt8) {
        (self.width, self.height, self.channels) = (width, height, channels)
        pixels = []
        for y in 0..<height { for x in 0..<width { for c in 0..<channels { pixels.append(value(x, y, c)) } } }
    }

    /// Through libpng's simplified write API.
    func png() -> Data {
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        (image.width, image.height) = (UInt32(width), UInt32(height))
        image.format = [1: 0, 3: 2, 4: 3][channels]!  // GRAY, RGB, RGBA
        var size = 0
        _ = pixels.withUnsafeBytes { png_image_write_to_memory(&image, nil, &size, 0, $0.baseAddress, 0, nil) }
        var bytes = [UInt8](repeating: 0, count: size)
        let ok = bytes.withUnsafeMutableBytes { out in
            pixels.withUnsafeBytes {
                png_image_write_to_memory(&image, out.baseAddress, &size, 0, $0.baseAddress, 0, nil)
            }
        }
        precondition(ok != 0, "libpng could not write the test image")
        return Data(bytes.prefix(size))
    }

    /// Through libjpeg's compressor (baseline, or progressive); 4 channels are written as CMYK.
    func jpeg(quality: Int32 = 95, progressive: Bool = false) -> Data {
        JPEGEncoder.encode(
            pixels: pixels, width: width, height: height, channels: channels, quality: quality, progressive: progressive
        )
    }
}

/// Independent references for the resampling: 2-D, not separable, in Double.
enum Reference {
    /// The mean of the source over output pixel (i, j)'s square, by exact interval overlaps.
    static func area(_ image: TestImage, side n: Int) -> [Double] {
        let s = min(image.width, image.height), x0 = (image.width - s) / 2, y0 = (image.height - s) / 2
        let scale = Double(s) / Double(n)
        func overlap(_ a: Double, _ b: Double, _ j: Int) -> Double { max(0, min(b, Double(j + 1)) - max(a, Double(j))) }
        var out: [Double] = []
        for i in 0..<n {
            for j in 0..<n {
                for c in 0..<image.channels {
                    var sum = 0.0
                    for y in 0..<s {
                        for x in 0..<s {
                            let w =
                                overlap(Double(i) * scale, Double(i + 1) * scale, y)
                                * overlap(Double(j) * scale, Double(j + 1) * scale, x)
                            sum += w * Double(image.pixels[((y0 + y) * image.width + x0 + x) * image.channels + c])
                        }
                    }
                    out.append(sum / (scale * scale))
                }
            }
        }
        return out
    }

    /// Bilinear interpolation at output pixel centres mapped into the source, clamped at the edges.
    static func bilinear(_ image: TestImage, side n: Int) -> [Double] {
        let s = min(image.width, image.height), x0 = (image.width - s) / 2, y0 = (image.height - s) / 2
        func at(_ x: Int, _ y: Int, _ c: Int) -> Double {
            Double(image.pixels[((y0 + min(y, s - 1)) * image.width + x0 + min(x, s - 1)) * image.channels + c])
        }
        var out: [Double] = []
        for i in 0..<n {
            for j in 0..<n {
                for c in 0..<image.channels {
                    let y = min(max((Double(i) + 0.5) * Double(s) / Double(n) - 0.5, 0), Double(s - 1))
                    let x = min(max((Double(j) + 0.5) * Double(s) / Double(n) - 0.5, 0), Double(s - 1))
                    let (yi, xi) = (Int(y), Int(x)), (fy, fx) = (y - Double(Int(y)), x - Double(Int(x)))
                    let top = at(xi, yi, c) * (1 - fx) + at(xi + 1, yi, c) * fx
                    let bottom = at(xi, yi + 1, c) * (1 - fx) + at(xi + 1, yi + 1, c) * fx
                    out.append(top * (1 - fy) + bottom * fy)
                }
            }
        }
        return out
    }

    /// One axis's weights by their definitions (not the loader's taps): row i holds each source
    /// pixel's weight in output i, for a line of `length` pixels resampled to `n`. Shrinking (or
    /// keeping the size): pixel j's overlap with [i·s, (i+1)·s) over s = length / n. Enlarging:
    /// linear interpolation at (i + ½)·s − ½, clamped to [0, length − 1].
    static func weights(length: Int, to n: Int) -> [[Double]] {
        let s = Double(length) / Double(n)
        var rows: [[Double]] = []
        for i in 0..<n {
            var row = [Double](repeating: 0, count: length)
            if n <= length {
                for j in 0..<length {
                    row[j] = max(0, min(Double(i + 1) * s, Double(j + 1)) - max(Double(i) * s, Double(j))) / s
                }
            } else {
                let x = min(max((Double(i) + 0.5) * s - 0.5, 0), Double(length - 1))
                let j = Int(x), f = x - Double(Int(x))
                row[j] += 1 - f
                if j + 1 < length { row[j + 1] += f }
            }
            rows.append(row)
        }
        return rows
    }

    /// The window of `image` resampled to rows × columns as a 2-D sum, Σ wy · wx · pixel, in Double.
    static func resample(
        _ image: TestImage, window: (x: Int, y: Int, width: Int, height: Int), rows: Int, columns: Int
    ) -> [Double] {
        let wy = weights(length: window.height, to: rows), wx = weights(length: window.width, to: columns)
        let ys = wy.map { row in row.indices.filter { row[$0] != 0 } }
        let xs = wx.map { row in row.indices.filter { row[$0] != 0 } }
        var out: [Double] = []
        for i in 0..<rows {
            for j in 0..<columns {
                for c in 0..<image.channels {
                    var sum = 0.0
                    for y in ys[i] {
                        for x in xs[j] {
                            let source = ((window.y + y) * image.width + window.x + x) * image.channels + c
                            sum += wy[i][y] * wx[j][x] * Double(image.pixels[source])
                        }
                    }
                    out.append(sum)
                }
            }
        }
        return out
    }

    /// `inner` (rows × columns × channels) at column x, row y of a black height × width image.
    static func placed(
        _ inner: [Double], rows: Int, columns: Int, channels: Int, x: Int, y: Int, height: Int, width: Int
    ) -> [Double] {
        var out = [Double](repeating: 0, count: height * width * channels)
        for r in 0..<rows {
            for q in 0..<(columns * channels) {
                out[((y + r) * width + x) * channels + q] = inner[r * columns * channels + q]
            }
        }
        return out
    }

    static func luma(_ rgb: [Double]) -> [Double] {
        stride(from: 0, to: rgb.count, by: 3).map { (i: Int) -> Double in
            let (r, g, b) = (rgb[i], rgb[i + 1], rgb[i + 2])
            return 0.299 * r + 0.587 * g + 0.114 * b
        }
    }
}

/// The square-only resampler that `ImageResize.fit` replaced (#22), kept verbatim: a square crop
/// must still give its bytes, so that cached sets, recorded runs and their samples stay as they were.
enum SquareOnlyResize {
    /// Writes `image`'s centre square, resampled to side × side with `channels` channels (1 or 3),
    /// to `out` (side·side·channels bytes, NHWC).
    static func centreSquare(_ image: DecodedImage, side: Int, channels: Int, into out: UnsafeMutablePointer<UInt8>) {
        let c = image.channels, reduction = Double(image.reduction)
        let full = min(image.fullWidth, image.fullHeight)
        let length = Double(full) / reduction
        let across = ImageResize.Taps(
            start: Double((image.fullWidth - full) / 2) / reduction, length: length, available: image.width, to: side)
        let down = ImageResize.Taps(
            start: Double((image.fullHeight - full) / 2) / reduction, length: length, available: image.height, to: side)
        // Only the rows that the vertical taps read are resampled horizontally.
        let rowLo = down.first[0], rowHi = down.first[side - 1] + down.count[side - 1]
        let rowLength = side * c
        var horizontal = [Float](repeating: 0, count: (rowHi - rowLo) * rowLength)
        var square = [Float](repeating: 0, count: side * rowLength)
        image.pixels.withUnsafeBufferPointer { src in
            horizontal.withUnsafeMutableBufferPointer { h in
                across.first.withUnsafeBufferPointer { first in
                    across.count.withUnsafeBufferPointer { count in
                        across.weights.withUnsafeBufferPointer { weights in
                            for y in rowLo..<rowHi {
                                let row = src.baseAddress! + y * image.width * c
                                let dst = h.baseAddress! + (y - rowLo) * rowLength
                                for x in 0..<side {
                                    let w = weights.baseAddress! + x * across.stride
                                    for ch in 0..<c {
                                        var sum: Float = 0
                                        for k in 0..<count[x] { sum += w[k] * Float(row[(first[x] + k) * c + ch]) }
                                        dst[x * c + ch] = sum
                                    }
                                }
                            }
                        }
                    }
                }
                square.withUnsafeMutableBufferPointer { v in
                    for y in 0..<side {
                        let dst = v.baseAddress! + y * rowLength
                        for k in 0..<down.count[y] {
                            let w = down.weights[y * down.stride + k],
                                src = h.baseAddress! + (down.first[y] + k - rowLo) * rowLength
                            for i in 0..<rowLength { dst[i] += w * src[i] }
                        }
                    }
                }
            }
        }
        square.withUnsafeBufferPointer { v in
            let pixelCount = side * side
            @inline(__always) func byte(_ value: Float) -> UInt8 { UInt8(min(max(value, 0), 255) + 0.5) }
            switch (c, channels) {
            case (3, 1):
                for p in 0..<pixelCount {
                    out[p] = byte(0.299 * v[3 * p] + 0.587 * v[3 * p + 1] + 0.114 * v[3 * p + 2])
                }
            case (1, 3):
                for p in 0..<pixelCount {
                    (out[3 * p], out[3 * p + 1], out[3 * p + 2]) = (byte(v[p]), byte(v[p]), byte(v[p]))
                }
            default:
                for i in 0..<(pixelCount * c) { out[i] = byte(v[i]) }
            }
        }
    }
}

final class ImageFolderTests: XCTestCase {
    func message(_ body: () throws -> Any) -> String {
        do { _ = try body(); return "" } catch { return "\(error)" }
    }

    func write(_ data: Data, _ path: String, in folder: URL) throws -> URL {
        let url = folder.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try data.write(to: url)
        return url
    }

    /// Every load in these tests uses its own cache root, never the user's.
    func load(
        _ folder: URL, size: Int, channels: Int, log: (String) -> Void = { _ in }
    ) throws -> (dataset: ImageDataset, skipped: [(path: String, reason: String)]) {
        try ImageFolder.load(folder: folder, size: size, channels: channels, cacheRoot: cacheRoot(of: folder), log: log)
    }

    func cacheRoot(of folder: URL) -> URL {
        folder.deletingLastPathComponent().appendingPathComponent(folder.lastPathComponent + "-cache")
    }

    func assertClose(
        _ actual: ArraySlice<UInt8>, _ expected: [Double], tolerance: Double = 0.51, _ what: String, line: UInt = #line
    ) {
        XCTAssertEqual(actual.count, expected.count, what, line: line)
        for (a, e) in zip(actual, expected) where abs(Double(a) - e) > tolerance {
            XCTFail("\(what): \(Array(actual)) vs reference \(expected.map { ($0 * 10).rounded() / 10 })", line: line)
            return
        }
    }

    func testResamplingMatchesTwoDimensionalReferences() throws {
        let folder = temporaryFolder()
        let wide = TestImage(width: 13, height: 9, channels: 3) { x, y, c in UInt8((x * 37 + y * 91 + c * 53) % 256) }
        let tall = TestImage(width: 3, height: 5, channels: 3) { x, y, c in UInt8((x * 70 + y * 40 + c * 30) % 256) }
        let gray = TestImage(width: 6, height: 6, channels: 1) { x, y, _ in UInt8((x * 41 + y * 29) % 256) }
        _ = try write(wide.png(), "a-wide.png", in: folder)
        _ = try write(tall.png(), "b-tall.png", in: folder)
        _ = try write(gray.png(), "c-gray.png", in: folder)
        let per = { (n: Int, c: Int) in n * n * c }
        func reference(_ image: TestImage, _ n: Int) -> [Double] {
            n <= min(image.width, image.height) ? Reference.area(image, side: n) : Reference.bilinear(image, side: n)
        }

        // Shrinking, keeping the size (both references are then the identity), and enlarging.
        for n in [4, 9, 12] {
            let rgb = try load(folder, size: n, channels: 3).dataset
            XCTAssertEqual(rgb.count, 3)
            XCTAssertEqual(rgb.imageShape, [n, n, 3])
            assertClose(rgb.pixels[0..<per(n, 3)], reference(wide, n), "wide image at \(n)")
            assertClose(rgb.pixels[per(n, 3)..<(2 * per(n, 3))], reference(tall, n), "tall image at \(n)")
            assertClose(
                rgb.pixels[(2 * per(n, 3))...], reference(gray, n).flatMap { [$0, $0, $0] },
                "gray image repeated into RGB at \(n)")

            let mono = try load(folder, size: n, channels: 1).dataset
            assertClose(
                mono.pixels[0..<per(n, 1)], Reference.luma(reference(wide, n)), "wide image as Rec. 601 luma at \(n)")
            assertClose(mono.pixels[(2 * per(n, 1))...], reference(gray, n), "gray image at \(n)")
        }
    }

    func testHalfBlackHalfWhiteImagesKeepTheirHalves() throws {
        let folder = temporaryFolder()
        // Wide images split left|right, tall ones top|bottom; the centre crop keeps the split in the middle.
        let wide = TestImage(width: 40, height: 20, channels: 3) { x, _, _ in x < 20 ? 0 : 255 }
        let tall = TestImage(width: 30, height: 60, channels: 3) { _, y, _ in y < 30 ? 0 : 255 }
        let photo = TestImage(width: 640, height: 480, channels: 3) { x, _, c in x < 320 ? UInt8(10 + c * 20) : 240 }
        let grayTall = TestImage(width: 16, height: 24, channels: 1) { _, y, _ in y < 12 ? 0 : 255 }
        _ = try write(wide.png(), "1.png", in: folder)
        _ = try write(wide.jpeg(), "2.jpg", in: folder)
        _ = try write(tall.png(), "3.PNG", in: folder)
        _ = try write(tall.jpeg(progressive: true), "4.JPEG", in: folder)
        _ = try write(photo.jpeg(), "5.jpeg", in: folder)
        _ = try write(grayTall.jpeg(), "6.jpg", in: folder)
        let n = 8
        XCTAssertEqual(
            try ImageDecoder.decode(photo.jpeg(), smallestUsefulSide: n).width, 80,
            "decoded at 1/8 scale, still ≥ 8 pixels tall")
        XCTAssertEqual(
            try ImageDecoder.decode(photo.jpeg(), smallestUsefulSide: 200).width, 320, "decoded at 1/2 scale")
        let (data, skipped) = try load(folder, size: n, channels: 3)
        XCTAssertEqual(skipped.count, 0, "\(skipped)")
        XCTAssertEqual(data.count, 6)
        let splitsLeftRight = [true, true, false, false, true, false]
        let lossless = [true, false, true, false, false, false]
        for image in 0..<6 {
            for y in 0..<n {
                for x in 0..<n {
                    for c in 0..<3 {
                        let value = Int(data.pixels[((image * n + y) * n + x) * 3 + c])
                        let dark = splitsLeftRight[image] ? x < n / 2 : y < n / 2
                        let expected = image == 4 ? (dark ? 10 + c * 20 : 240) : (dark ? 0 : 255)
                        let tolerance = lossless[image] ? 0 : 12
                        XCTAssertLessThanOrEqual(
                            abs(value - expected), tolerance, "image \(image) pixel (\(y), \(x)) channel \(c)")
                    }
                }
            }
        }
    }

    func testUnreadableFilesAreSkippedAndNamed() throws {
        let folder = temporaryFolder()
        let image = TestImage(width: 20, height: 20, channels: 3) { x, y, c in UInt8((x * 10 + y * 3 + c) % 256) }
        let png = image.png(), jpeg = image.jpeg()
        _ = try write(png, "good.png", in: folder)
        var badData = png
        badData[png.count - 20] ^= 0xFF  // inside the compressed pixels, just before IEND
        _ = try write(badData, "bad-data.png", in: folder)
        var badHeader = png
        badHeader[17] ^= 0x01  // the image width, covered by the IHDR chunk's CRC
        _ = try write(badHeader, "bad-header.png", in: folder)
        // Cut inside the entropy-coded data: libjpeg only warns, and fills the rest with grey.
        let noise = TestImage(width: 64, height: 64, channels: 3) { x, y, c in
            UInt8((x * 7919 + y * 104729 + c * 31) % 251)
        }.jpeg()
        _ = try write(noise.prefix(noise.count * 3 / 5), "truncated.jpg", in: folder)
        let progressiveNoise = TestImage(width: 64, height: 64, channels: 3) { x, y, c in
            UInt8((x * 7919 + y * 104729 + c * 31) % 251)
        }.jpeg(progressive: true)
        _ = try write(progressiveNoise.prefix(progressiveNoise.count * 3 / 5), "truncated-progressive.jpg", in: folder)
        // Bytes between two marker segments (the JFIF APP0 and the first DQT): libjpeg skips them
        // with a warning.
        let app0End = 4 + (Int(jpeg[4]) << 8 | Int(jpeg[5]))
        XCTAssertEqual([jpeg[2], jpeg[3], jpeg[app0End], jpeg[app0End + 1]], [0xFF, 0xE0, 0xFF, 0xDB])
        var garbage = jpeg
        garbage.insert(contentsOf: [0x12, 0x34, 0x56, 0x78], at: app0End)
        _ = try write(garbage, "garbage.jpg", in: folder)
        _ = try write(Data("<html>not an image</html>".utf8), "page.jpg", in: folder)
        _ = try write(Data(), "empty.jpeg", in: folder)
        // Sampling factor 0 in the frame header: libjpeg stops with a fatal error_exit.
        var badSampling = jpeg
        let sof = (0..<(jpeg.count - 1)).first { jpeg[$0] == 0xFF && jpeg[$0 + 1] == 0xC0 }!
        badSampling[sof + 11] = 0x00
        _ = try write(badSampling, "bad-sampling.jpg", in: folder)
        _ = try write(TestImage(width: 8, height: 8, channels: 4) { _, _, _ in 9 }.jpeg(), "cmyk.jpg", in: folder)
        _ = try write(Data("notes".utf8), "notes.txt", in: folder)
        _ = try write(Data("resource fork".utf8), "._good.png", in: folder)
        _ = try write(Data("git".utf8), ".git/objects/x.png", in: folder)

        let (data, skipped) = try load(folder, size: 10, channels: 3)
        XCTAssertEqual(data.count, 1)
        XCTAssertEqual(data.classNames, [folder.lastPathComponent])
        XCTAssertEqual(data.labels, [0])
        let reasons = Dictionary(
            uniqueKeysWithValues: skipped.map { (($0.path as NSString).lastPathComponent, $0.reason) })
        XCTAssertEqual(
            skipped.map(\.path),
            [
                "bad-data.png", "bad-header.png", "bad-sampling.jpg", "cmyk.jpg", "empty.jpeg", "garbage.jpg",
                "page.jpg", "truncated-progressive.jpg", "truncated.jpg",
            ]
            .map { folder.appendingPathComponent($0).path })
        XCTAssertEqual(reasons["bad-data.png"], "PNG data unreadable: IDAT: incorrect data check")
        XCTAssertEqual(reasons["bad-header.png"], "PNG header unreadable: IHDR: CRC error")
        XCTAssertTrue(reasons["bad-sampling.jpg"]!.lowercased().contains("sampling"), reasons["bad-sampling.jpg"]!)
        XCTAssertTrue(reasons["cmyk.jpg"]!.hasPrefix("JPEG: 4-component JPEG"), reasons["cmyk.jpg"]!)
        XCTAssertEqual(reasons["empty.jpeg"], "empty file")
        XCTAssertEqual(reasons["page.jpg"], "not a PNG or JPEG file (starts with 3c 68 74 6d)")
        XCTAssertEqual(reasons["truncated.jpg"], "JPEG: Premature end of JPEG file (truncated file?)")
        XCTAssertEqual(reasons["truncated-progressive.jpg"], "JPEG: Premature end of JPEG file (truncated file?)")
        XCTAssertEqual(reasons["garbage.jpg"], "JPEG: Corrupt JPEG data: 4 extraneous bytes before marker 0xdb")

        // Fatal libjpeg errors end only their own decoding thread; many in a row leave the process fine.
        for _ in 0..<200 { XCTAssertThrowsError(try ImageDecoder.decode(badSampling, smallestUsefulSide: 8)) }
        XCTAssertEqual(try ImageDecoder.decode(jpeg, smallestUsefulSide: 20).width, 20)

        let broken = temporaryFolder("broken")
        _ = try write(Data("x".utf8), "a.png", in: broken)
        let none = message { try load(broken, size: 4, channels: 1) }
        XCTAssertTrue(none.contains(broken.path) && none.contains("none of the 1 image files"), none)
        XCTAssertTrue(
            message { try load(folder.appendingPathComponent(".git"), size: 4, channels: 1) }.contains("none of"))
        let empty = temporaryFolder("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        XCTAssertTrue(message { try load(empty, size: 4, channels: 1) }.contains("holds no .png"))
        XCTAssertTrue(message { try load(folder, size: 4, channels: 2) }.contains("channels must be 1"))
        XCTAssertTrue(
            message { try load(folder.appendingPathComponent("good.png"), size: 4, channels: 1) }.contains(
                "is not a folder"))
    }

    /// The file with its last scan (the SOS segment and the entropy-coded data after it, up to EOI)
    /// written `extra` more times. Entropy-coded data holds no 0xFF 0xDA (a 0xFF in it is followed
    /// by 0x00 or a restart marker), so the last 0xFF 0xDA in the file starts the last scan.
    func repeatingLastScan(_ jpeg: Data, _ extra: Int) -> Data {
        let bytes = [UInt8](jpeg)
        precondition(bytes.suffix(2) == [0xFF, 0xD9], "a JPEG file ends with EOI")
        let sos = (0..<(bytes.count - 1)).last { bytes[$0] == 0xFF && bytes[$0 + 1] == 0xDA }!
        let scan = bytes[sos..<(bytes.count - 2)]
        var out = Array(bytes[..<(bytes.count - 2)])
        for _ in 0..<extra { out += scan }
        out += [0xFF, 0xD9]
        return Data(out)
    }

    func testProgressiveJPEGsWithTooManyScansAreRefused() throws {
        let image = TestImage(width: 64, height: 64, channels: 3) { x, y, c in
            UInt8((x * 7919 + y * 104729 + c * 31) % 251)
        }
        // Spectral selection alone: the DC coefficients of the three components, then each
        // component's AC band, all at full precision. libjpeg finds a repeat of such a scan
        // consistent (it sets the same coefficients again), so only the scan limit stops one.
        func scan(_ components: [Int32], _ ss: Int32, _ se: Int32) -> jpeg_scan_info {
            let c = components + [Int32](repeating: 0, count: 4 - components.count)
            return jpeg_scan_info(
                comps_in_scan: Int32(components.count), component_index: (c[0], c[1], c[2], c[3]), Ss: ss, Se: se,
                Ah: 0, Al: 0)
        }
        let fourScans = JPEGEncoder.encode(
            pixels: image.pixels, width: 64, height: 64, channels: 3,
            scans: [scan([0, 1, 2], 0, 0), scan([0], 1, 63), scan([1], 1, 63), scan([2], 1, 63)])
        let original = try ImageDecoder.decode(fourScans, smallestUsefulSide: 64)
        XCTAssertEqual([original.width, original.height, original.channels], [64, 64, 3])
        XCTAssertEqual(
            try ImageDecoder.decode(repeatingLastScan(fourScans, 96), smallestUsefulSide: 64).pixels,
            original.pixels, "100 scans, at the limit, decode to the same image")
        let limit = "JPEG: progressive JPEG has more than 100 scans"
        XCTAssertEqual(
            message { try ImageDecoder.decode(repeatingLastScan(fourScans, 97), smallestUsefulSide: 64) }, limit)
        XCTAssertEqual(
            message { try ImageDecoder.decode(repeatingLastScan(fourScans, 200), smallestUsefulSide: 64) }, limit)

        // jpeg_simple_progression ends with a refinement scan of the luma AC band; sent again, it
        // refines a bit that is already complete, which libjpeg only warns about
        // (JWRN_BOGUS_PROGRESSION) and which is refused at the first copy.
        let simple = image.jpeg(progressive: true)
        XCTAssertEqual(try ImageDecoder.decode(simple, smallestUsefulSide: 64).width, 64)
        let bogus = "JPEG: Inconsistent progression sequence for component 0 coefficient 1"
        XCTAssertEqual(
            message { try ImageDecoder.decode(repeatingLastScan(simple, 200), smallestUsefulSide: 64) }, bogus)

        // In a folder, both are skipped with their reasons and the file at the limit loads.
        let folder = temporaryFolder()
        _ = try write(repeatingLastScan(fourScans, 96), "a-100-scans.jpg", in: folder)
        _ = try write(repeatingLastScan(fourScans, 200), "b-204-scans.jpg", in: folder)
        _ = try write(repeatingLastScan(simple, 200), "c-repeated-refinement.jpg", in: folder)
        let (data, skipped) = try load(folder, size: 16, channels: 3)
        XCTAssertEqual(data.count, 1)
        XCTAssertEqual(
            skipped.map(\.path),
            ["b-204-scans.jpg", "c-repeated-refinement.jpg"].map {
                folder.appendingPathComponent($0).path
            })
        XCTAssertEqual(skipped.map(\.reason), [limit, bogus])
    }

    func testSubfoldersAreClassesInSortedOrder() throws {
        let folder = temporaryFolder()
        let shade = { (v: UInt8) in TestImage(width: 6, height: 4, channels: 3) { _, _, _ in v }.png() }
        _ = try write(shade(30), "dogs/b.png", in: folder)
        _ = try write(shade(10), "cats/z.png", in: folder)
        _ = try write(shade(20), "cats/deeper/a.png", in: folder)
        _ = try write(shade(40), "dogs/A.PNG", in: folder)
        _ = try write(shade(50), "loose.png", in: folder)
        _ = try write(Data("text".utf8), "birds/readme.txt", in: folder)
        let (data, skipped) = try load(folder, size: 2, channels: 1)
        XCTAssertEqual(data.classNames, ["cats", "dogs"], "a folder without images is no class")
        XCTAssertEqual(data.labels, [0, 0, 1, 1])
        XCTAssertEqual(
            stride(from: 0, to: 16, by: 4).map { data.pixels[$0] }, [20, 10, 40, 30],
            "sorted by path: cats/deeper/a, cats/z, dogs/A, dogs/b")
        XCTAssertEqual(skipped.map(\.path), [folder.appendingPathComponent("loose.png").path])
        XCTAssertTrue(skipped[0].reason.contains("class subfolder"))
        XCTAssertEqual(data.examplesPerClass(1), [0, 2])
    }

    func testSecondLoadComesFromTheCacheUntilAFileChanges() throws {
        let folder = temporaryFolder()
        let fixed = Date(timeIntervalSince1970: 1_600_000_000)
        let images = [
            TestImage(width: 8, height: 8, channels: 3) { x, _, _ in UInt8(x * 30) },
            TestImage(width: 12, height: 6, channels: 3) { _, y, c in UInt8(y * 40 + c) },
        ]
        var urls: [URL] = []
        for (i, image) in images.enumerated() {
            urls.append(try write(image.png(), "\(i).png", in: folder))
            try FileManager.default.setAttributes([.modificationDate: fixed], ofItemAtPath: urls[i].path)
        }
        var logged: [String] = []
        let first = try load(folder, size: 4, channels: 3) { logged.append($0) }
        XCTAssertTrue(logged.contains { $0.hasPrefix("cached") }, "\(logged)")
        let cacheFolder = cacheRoot(of: folder).appendingPathComponent("folders")
        XCTAssertEqual(
            try FileManager.default.contentsOfDirectory(atPath: cacheFolder.path).filter { $0.hasSuffix(".bin") }.count,
            1)

        // Same size and time but unreadable contents: only a load that skips decoding still sees the image.
        let original = try Data(contentsOf: urls[1])
        try Data(repeating: 0x55, count: original.count).write(to: urls[1])
        try FileManager.default.setAttributes([.modificationDate: fixed], ofItemAtPath: urls[1].path)
        logged = []
        let second = try load(folder, size: 4, channels: 3) { logged.append($0) }
        XCTAssertTrue(logged.contains { $0.contains("from the cache") }, "\(logged)")
        XCTAssertEqual(second.dataset.pixels, first.dataset.pixels)
        XCTAssertEqual(second.dataset.labels, first.dataset.labels)
        XCTAssertEqual(second.dataset.classNames, first.dataset.classNames)
        XCTAssertEqual(second.dataset.name, first.dataset.name)
        XCTAssertTrue(second.skipped.isEmpty)

        // Another size or channel count is another cache entry.
        logged = []
        XCTAssertEqual(try load(folder, size: 4, channels: 1) { logged.append($0) }.skipped.count, 1)
        XCTAssertFalse(logged.contains { $0.contains("from the cache") })

        // A new modification time invalidates the entry: the file is decoded again, and fails.
        try FileManager.default.setAttributes(
            [.modificationDate: fixed.addingTimeInterval(1)], ofItemAtPath: urls[1].path)
        logged = []
        let third = try load(folder, size: 4, channels: 3) { logged.append($0) }
        XCTAssertFalse(logged.contains { $0.contains("from the cache") }, "\(logged)")
        XCTAssertEqual(third.dataset.count, 1)
        XCTAssertEqual(third.skipped.map(\.path), [urls[1].path])
        // The skipped list is cached with the images.
        let fourth = try load(folder, size: 4, channels: 3)
        XCTAssertEqual(fourth.skipped.map(\.reason), third.skipped.map(\.reason))

        // A new file invalidates it too; a damaged cache file is ignored, not fatal.
        try original.write(to: urls[1])
        _ = try write(images[0].png(), "2.png", in: folder)
        XCTAssertEqual(try load(folder, size: 4, channels: 3).dataset.count, 3)
        for name in try FileManager.default.contentsOfDirectory(atPath: cacheFolder.path) {
            try Data("SGIFOLD2 damaged".utf8).write(to: cacheFolder.appendingPathComponent(name))
        }
        logged = []
        XCTAssertEqual(try load(folder, size: 4, channels: 3) { logged.append($0) }.dataset.count, 3)
        XCTAssertTrue(logged.contains { $0.contains("ignoring the damaged cache file") }, "\(logged)")
    }

    /// The reported damage: bytes 8–15 of a cache file (its header length) overwritten with
    /// F0 FF FF FF FF FF FF FF, which trapped every later load of the folder. Now the file is
    /// deleted with a message naming it and what was wrong, and the folder decoded and cached again.
    func testCacheWithAHugeHeaderLengthIsDeletedAndRebuilt() throws {
        let folder = temporaryFolder()
        let image = TestImage(width: 6, height: 6, channels: 3) { x, y, c in UInt8(x * 40 + y * 7 + c) }
        _ = try write(image.png(), "a.png", in: folder)
        let first = try load(folder, size: 4, channels: 3)
        let cacheFolder = cacheRoot(of: folder).appendingPathComponent("folders")
        let names = try FileManager.default.contentsOfDirectory(atPath: cacheFolder.path).filter {
            $0.hasSuffix(".bin")
        }
        XCTAssertEqual(names.count, 1)
        let cacheFile = cacheFolder.appendingPathComponent(names[0])
        var damaged = try Data(contentsOf: cacheFile)
        damaged.replaceSubrange(8..<16, with: [0xF0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF])
        try damaged.write(to: cacheFile)

        var logged: [String] = []
        let second = try load(folder, size: 4, channels: 3) { logged.append($0) }
        XCTAssertEqual(second.dataset.pixels, first.dataset.pixels)
        let notice = logged.first { $0.contains("damaged cache file") } ?? "no notice in \(logged)"
        XCTAssertTrue(notice.contains(cacheFile.path), notice)
        XCTAssertTrue(notice.contains("header length 18446744073709551600 runs past the end"), notice)
        XCTAssertTrue(notice.contains("removed it"), notice)
        XCTAssertTrue(logged.contains { $0.hasPrefix("cached") }, "\(logged)")
        XCTAssertNotEqual(try Data(contentsOf: cacheFile), damaged, "the entry is written again")

        logged = []
        _ = try load(folder, size: 4, channels: 3) { logged.append($0) }
        XCTAssertTrue(logged.contains { $0.contains("from the cache") }, "\(logged)")
        XCTAssertThrowsError(try ImageFolderCache.decode(damaged, name: "x.bin")) {
            XCTAssertTrue("\($0)".hasPrefix("x.bin: header length"), "\($0)")
        }
        // A file of format 1 (one side, square images) is named as such.
        XCTAssertTrue(
            message {
                try ImageFolderCache.decode(
                    Data(Array("SGIFOLD1".utf8) + [UInt8](repeating: 0, count: 8)), name: "old.bin")
            }
            .contains("old.bin: an image folder cache file of format 1"))
        // A cache file of another size under this entry's name is refused too, not handed out.
        let other = try ImageDataset(
            name: "other", height: 2, width: 2, channels: 3, pixels: [UInt8](repeating: 7, count: 12), labels: [0],
            classNames: ["other"])
        try ImageFolderCache.encode(other, skipped: []).write(to: cacheFile)
        logged = []
        XCTAssertEqual(
            try load(folder, size: 4, channels: 3) { logged.append($0) }.dataset.pixels, first.dataset.pixels)
        XCTAssertTrue(logged.contains { $0.contains("not the 4×4×3 its name stands for") }, "\(logged)")
    }

    /// A `.partial` file older than 10 minutes (an interrupted cache write) is removed when the
    /// folder loads; a recent one may belong to another process writing now, and stays.
    func testStalePartialCacheFilesAreRemoved() throws {
        let folder = temporaryFolder()
        _ = try write(
            TestImage(width: 4, height: 4, channels: 1) { x, _, _ in UInt8(x * 50) }.png(), "a.png", in: folder)
        let cacheFolder = cacheRoot(of: folder).appendingPathComponent("folders")
        try FileManager.default.createDirectory(at: cacheFolder, withIntermediateDirectories: true)
        let stale = cacheFolder.appendingPathComponent(".0123abcd.bin.4242.partial")
        let recent = cacheFolder.appendingPathComponent(".4567abcd.bin.4243.partial")
        for url in [stale, recent] { try Data(count: 4096).write(to: url) }
        try FileManager.default.setAttributes(
            [.modificationDate: Date().addingTimeInterval(-3600)], ofItemAtPath: stale.path)

        var logged: [String] = []
        XCTAssertEqual(try load(folder, size: 2, channels: 1) { logged.append($0) }.dataset.count, 1)
        XCTAssertFalse(FileManager.default.fileExists(atPath: stale.path), "\(logged)")
        XCTAssertTrue(FileManager.default.fileExists(atPath: recent.path))
        XCTAssertTrue(
            logged.contains { $0.contains(stale.path) && $0.contains("interrupted cache write") }, "\(logged)")
        XCTAssertFalse(
            try FileManager.default.contentsOfDirectory(atPath: cacheFolder.path).contains {
                $0.hasSuffix(".partial") && $0 != recent.lastPathComponent
            }, "this load's own temporary file is gone too")
    }

    /// Class folders and file names with terminal escapes (ESC]0;…BEL retitles the window,
    /// ESC[2J clears it) reach messages as \xNN; the dataset keeps the names as they are.
    func testEscapeSequencesInNamesArePrintedEscaped() throws {
        func hasControl(_ text: String) -> Bool { text.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F } }
        let folder = temporaryFolder()
        let title = "\u{1B}]0;pwned\u{07}", clear = "\u{1B}[2Jcats", red = "\u{1B}[31mred.png"
        _ = try write(TestImage(width: 4, height: 4, channels: 1) { _, _, _ in 90 }.png(), "\(title)/a.png", in: folder)
        _ = try write(Data("not an image".utf8), "\(clear)/\(red)", in: folder)
        _ = try write(TestImage(width: 4, height: 4, channels: 1) { _, _, _ in 30 }.png(), "\(clear)/b.png", in: folder)
        var logged: [String] = []
        let (data, skipped) = try load(folder, size: 2, channels: 1) { logged.append($0) }
        XCTAssertEqual(Set(data.classNames), [title, clear])
        XCTAssertEqual(
            skipped.map(\.path), [folder.appendingPathComponent("\(clear)/\(red)").path], "returned as it is")
        XCTAssertFalse(logged.isEmpty)
        for line in logged { XCTAssertFalse(hasControl(line), line.debugDescription) }
        XCTAssertFalse(hasControl(skipped[0].reason), skipped[0].reason.debugDescription)

        let broken = temporaryFolder("broken escapes")
        _ = try write(Data("x".utf8), "\(clear)/\(red)", in: broken)
        let text = message { try load(broken, size: 2, channels: 1) }
        XCTAssertTrue(text.contains("(first: \(broken.path)/\\x1B[2Jcats/\\x1B[31mred.png: "), text.debugDescription)
        XCTAssertFalse(hasControl(text), text.debugDescription)
    }

    /// Writes `data` to `folder/name`, the name given as bytes (one that is not UTF-8 cannot be a
    /// Swift path), and returns the path as a C string, for `unlink`.
    func writeRaw(_ data: Data, name: [UInt8], in folder: URL) throws -> [UInt8] {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let path = Array(folder.path.utf8) + [UInt8(ascii: "/")] + name + [0]
        let descriptor = path.withUnsafeBufferPointer {
            $0.withMemoryRebound(to: CChar.self) { open($0.baseAddress!, O_WRONLY | O_CREAT | O_TRUNC, 0o644) }
        }
        guard descriptor >= 0 else { throw DataError("cannot create a file in \(folder.path) (errno \(errno))") }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        try handle.write(contentsOf: data)
        try handle.close()
        return path
    }

    func unlinkRaw(_ path: [UInt8]) {
        _ = path.withUnsafeBufferPointer { $0.withMemoryRebound(to: CChar.self) { unlink($0.baseAddress!) } }
    }

    /// A file name that is not valid UTF-8 (byte 0xFF) cannot be opened by a Swift path; it is
    /// reported as skipped, with the odd byte shown as \xFF, from the cache as well, and never
    /// left out without a word.
    func testFileNameThatIsNotUTF8IsReportedNotDropped() throws {
        let folder = temporaryFolder()
        let png = TestImage(width: 4, height: 4, channels: 1) { _, _, _ in 120 }.png()
        _ = try write(png, "good.png", in: folder)
        let bad = try writeRaw(png, name: Array("bad".utf8) + [0xFF] + Array(".png".utf8), in: folder)
        // FileManager cannot name these files, so temporaryFolder's removal would leave them behind.
        defer { unlinkRaw(bad) }

        let (data, skipped) = try load(folder, size: 2, channels: 1)
        XCTAssertEqual(data.count, 1)
        XCTAssertEqual(skipped.map(\.path), [folder.path + "/bad\\xFF.png"])
        XCTAssertTrue(skipped.first?.reason.contains("not valid UTF-8") ?? false, "\(skipped)")
        let again = try load(folder, size: 2, channels: 1)
        XCTAssertEqual(again.skipped.map(\.path), skipped.map(\.path), "the cached result reports it too")

        // Alone in its folder it is named in the error, instead of "holds no .png".
        let alone = temporaryFolder("alone")
        let only = try writeRaw(png, name: [0xFF] + Array(".jpg".utf8), in: alone)
        defer { unlinkRaw(only) }
        let text = message { try load(alone, size: 2, channels: 1) }
        XCTAssertTrue(
            text.contains(
                "none of the 1 image files could be read (first: \(alone.path)/\\xFF.jpg: the path is not valid UTF-8"),
            text)
    }

    /// Images of other sizes and aspects at 48 rows × 80 columns, against the 2-D references:
    /// crop resamples the centred window of the target's aspect, pad the whole image between black
    /// bands.
    func testImagesOfAnySizeLoadAtAnyHeightAndWidth() throws {
        let folder = temporaryFolder()
        // 100 × 60 has the target's aspect; the 30 × 30 and the gray 40 × 40 do not.
        let wide = TestImage(width: 100, height: 60, channels: 3) { x, y, c in UInt8((x * 37 + y * 91 + c * 53) % 256) }
        let square = TestImage(width: 30, height: 30, channels: 3) { x, y, c in UInt8((x * 70 + y * 40 + c) % 256) }
        let gray = TestImage(width: 40, height: 40, channels: 1) { x, y, _ in UInt8((x * 41 + y * 29) % 256) }
        _ = try write(wide.png(), "a-wide.png", in: folder)
        _ = try write(square.png(), "b-square.png", in: folder)
        _ = try write(gray.png(), "c-gray.png", in: folder)
        let (h, w) = (48, 80)
        let per = h * w * 3
        func loaded(_ channels: Int, _ fit: ImageFit) throws -> ImageDataset {
            try ImageFolder.load(
                folder: folder, height: h, width: w, channels: channels, fit: fit, cacheRoot: cacheRoot(of: folder)
            ).dataset
        }
        func rgb(_ gray: [Double]) -> [Double] { gray.flatMap { [$0, $0, $0] } }

        // Crop. The wide image is shrunk whole; of the squares, the middle 30·48/80 = 18 rows
        // (6..<24) and 40·48/80 = 24 rows (8..<32) are enlarged.
        let crop = try loaded(3, .crop)
        XCTAssertEqual(crop.imageShape, [48, 80, 3])
        XCTAssertEqual(crop.count, 3)
        let wideWhole = Reference.resample(wide, window: (x: 0, y: 0, width: 100, height: 60), rows: h, columns: w)
        assertClose(crop.pixels[0..<per], wideWhole, "wide image, crop")
        assertClose(
            crop.pixels[per..<(2 * per)],
            Reference.resample(square, window: (x: 0, y: 6, width: 30, height: 18), rows: h, columns: w),
            "square image, crop")
        let grayCrop = Reference.resample(gray, window: (x: 0, y: 8, width: 40, height: 24), rows: h, columns: w)
        assertClose(crop.pixels[(2 * per)...], rgb(grayCrop), "gray image, crop, repeated into RGB")

        // Pad. The wide image fills the frame; the squares become 48 × 48 in columns 16..<64.
        let pad = try loaded(3, .pad)
        XCTAssertEqual(pad.imageShape, [48, 80, 3])
        assertClose(pad.pixels[0..<per], wideWhole, "wide image, pad")
        let squareWhole = Reference.resample(square, window: (x: 0, y: 0, width: 30, height: 30), rows: 48, columns: 48)
        assertClose(
            pad.pixels[per..<(2 * per)],
            Reference.placed(squareWhole, rows: 48, columns: 48, channels: 3, x: 16, y: 0, height: h, width: w),
            "square image, pad")
        let grayWhole = Reference.resample(gray, window: (x: 0, y: 0, width: 40, height: 40), rows: 48, columns: 48)
        assertClose(
            pad.pixels[(2 * per)...],
            Reference.placed(rgb(grayWhole), rows: 48, columns: 48, channels: 3, x: 16, y: 0, height: h, width: w),
            "gray image, pad, repeated into RGB")

        // As gray: Rec. 601 luma of the colour images, the gray one as it is.
        let mono = try loaded(1, .pad)
        XCTAssertEqual(mono.imageShape, [48, 80, 1])
        assertClose(mono.pixels[0..<(h * w)], Reference.luma(wideWhole), "wide image, pad, as luma")
        assertClose(
            mono.pixels[(2 * h * w)...],
            Reference.placed(grayWhole, rows: 48, columns: 48, channels: 1, x: 16, y: 0, height: h, width: w),
            "gray image, pad")
        assertClose(try loaded(1, .crop).pixels[(2 * h * w)...], grayCrop, "gray image, crop")
    }

    /// A white picture 20 rows × 40 columns (and one 40 × 20) at 20 × 20: crop keeps the middle,
    /// all white; pad shrinks it by 2 and centres it between black bands, exactly.
    func testCropKeepsTheCentreAndPadAddsBlackBands() throws {
        let folder = temporaryFolder()
        _ = try write(TestImage(width: 40, height: 20, channels: 3) { _, _, _ in 255 }.png(), "a-wide.png", in: folder)
        _ = try write(TestImage(width: 20, height: 40, channels: 3) { _, _, _ in 255 }.png(), "b-tall.png", in: folder)
        // Where the pixels come from: column x of the wide picture holds 6x.
        _ = try write(
            TestImage(width: 40, height: 20, channels: 3) { x, _, _ in UInt8(x * 6) }.png(), "c-columns.png", in: folder
        )
        let n = 20, per = n * n * 3
        func image(_ value: (_ y: Int, _ x: Int) -> Int) -> [UInt8] {
            var out: [UInt8] = []
            for y in 0..<n { for x in 0..<n { out += [UInt8](repeating: UInt8(value(y, x)), count: 3) } }
            return out
        }
        func loaded(_ fit: ImageFit) throws -> ImageDataset {
            try ImageFolder.load(
                folder: folder, height: n, width: n, channels: 3, fit: fit, cacheRoot: cacheRoot(of: folder)
            ).dataset
        }

        let crop = try loaded(.crop)
        XCTAssertEqual(Array(crop.pixels[0..<per]), image { _, _ in 255 }, "the middle 20 columns, all white")
        XCTAssertEqual(Array(crop.pixels[per..<(2 * per)]), image { _, _ in 255 }, "the middle 20 rows, all white")
        XCTAssertEqual(Array(crop.pixels[(2 * per)...]), image { _, x in (x + 10) * 6 }, "columns 10..<30 as they are")

        // Shrunk by 2 to 10 rows × 20 columns (20 × 10), centred: rows (columns) 5..<15 hold the
        // picture, the 5 on either side are black. Output column x averages source columns 2x and
        // 2x + 1: (12x + 12x + 6) / 2 = 12x + 3.
        let pad = try loaded(.pad)
        let band = 5..<15
        XCTAssertEqual(Array(pad.pixels[0..<per]), image { y, _ in band.contains(y) ? 255 : 0 }, "rows 5..<15 white")
        XCTAssertEqual(
            Array(pad.pixels[per..<(2 * per)]), image { _, x in band.contains(x) ? 255 : 0 }, "columns 5..<15 white")
        XCTAssertEqual(
            Array(pad.pixels[(2 * per)...]), image { y, x in band.contains(y) ? 12 * x + 3 : 0 }, "shrunk columns")
        // In a -1...1 batch the bands are -1.
        let batch = pad.batch([0])
        XCTAssertEqual(batch.data[0], -1)
        XCTAssertEqual(batch.data[5 * n * 3], 1, accuracy: 1e-5)
    }

    /// A square crop gives, byte for byte, what the square-only resampler gave: PNGs wide, tall and
    /// gray, and JPEGs decoded at reduced scale, whose centre square starts inside a decoded pixel.
    /// The old `load(folder:size:…)` and the new one at height = width agree too.
    func testSquareCropGivesTheBytesOfTheSquareOnlyResampler() throws {
        let photo = TestImage(width: 640, height: 480, channels: 3) { x, y, c in UInt8((x * 7 + y * 13 + c) % 256) }
        let odd = TestImage(width: 333, height: 250, channels: 3) { x, y, c in UInt8((x * 3 + y * 11 + c) % 256) }
        let images: [(String, DecodedImage)] = [
            (
                "wide PNG",
                try ImageDecoder.decode(
                    TestImage(width: 13, height: 9, channels: 3) { x, y, c in UInt8((x * 37 + y * 91 + c * 53) % 256) }
                        .png(), smallestUsefulSide: 1)
            ),
            (
                "tall PNG, odd difference",
                try ImageDecoder.decode(
                    TestImage(width: 4, height: 7, channels: 3) { x, y, c in UInt8((x * 70 + y * 40 + c * 30) % 256) }
                        .png(), smallestUsefulSide: 1)
            ),
            (
                "gray PNG",
                try ImageDecoder.decode(
                    TestImage(width: 6, height: 6, channels: 1) { x, y, _ in UInt8((x * 41 + y * 29) % 256) }.png(),
                    smallestUsefulSide: 1)
            ),
            ("JPEG at 1/8 scale", try ImageDecoder.decode(photo.jpeg(), smallestUsefulSide: 8)),
            ("JPEG at 1/2 scale", try ImageDecoder.decode(photo.jpeg(), smallestUsefulSide: 200)),
            ("JPEG at 1/4 scale, crop at 10.25 pixels", try ImageDecoder.decode(odd.jpeg(), smallestUsefulSide: 60)),
        ]
        XCTAssertEqual(images.map { $0.1.reduction }, [1, 1, 1, 8, 2, 4])
        for (what, image) in images {
            for side in [1, 2, 4, 5, 8, 9, 12, 33, 64] {
                for channels in [1, 3] {
                    var before = [UInt8](repeating: 0, count: side * side * channels)
                    var now = [UInt8](repeating: 7, count: side * side * channels)
                    before.withUnsafeMutableBufferPointer {
                        SquareOnlyResize.centreSquare(image, side: side, channels: channels, into: $0.baseAddress!)
                    }
                    now.withUnsafeMutableBufferPointer {
                        ImageResize.fit(
                            image, height: side, width: side, channels: channels, fit: .crop, into: $0.baseAddress!)
                    }
                    XCTAssertEqual(now, before, "\(what) at \(side) × \(side) × \(channels)")
                }
            }
        }

        let folder = temporaryFolder()
        _ = try write(photo.jpeg(), "a.jpg", in: folder)
        _ = try write(odd.png(), "b.png", in: folder)
        let root = cacheRoot(of: folder)
        let old = try ImageFolder.load(
            folder: folder, size: 24, channels: 3, cacheRoot: root.appendingPathComponent("old"))
        let new = try ImageFolder.load(
            folder: folder, height: 24, width: 24, channels: 3, fit: .crop,
            cacheRoot: root.appendingPathComponent("new"))
        XCTAssertEqual(old.dataset.imageShape, [24, 24, 3])
        XCTAssertEqual(new.dataset.pixels, old.dataset.pixels)
        XCTAssertEqual(new.dataset.labels, old.dataset.labels)
    }

    /// A non-square load is read from the cache the second time; another height, width or fit is
    /// another entry, and a square crop still finds its own.
    func testNonSquareLoadsAreCachedByHeightWidthAndFit() throws {
        let folder = temporaryFolder()
        _ = try write(
            TestImage(width: 30, height: 20, channels: 3) { x, y, c in UInt8((x * 8 + y * 5 + c * 40) % 256) }.png(),
            "a.png", in: folder)
        _ = try write(
            TestImage(width: 12, height: 20, channels: 3) { x, y, c in UInt8((x * 20 + y * 3 + c * 70) % 256) }.png(),
            "b.png", in: folder)
        var logged: [String] = []
        func loaded(_ height: Int, _ width: Int, _ fit: ImageFit) throws -> ImageDataset {
            logged = []
            return try ImageFolder.load(
                folder: folder, height: height, width: width, channels: 3, fit: fit, cacheRoot: cacheRoot(of: folder)
            ) { logged.append($0) }.dataset
        }
        let first = try loaded(16, 40, .crop)
        XCTAssertTrue(logged.contains { $0.hasPrefix("cached") }, "\(logged)")
        let second = try loaded(16, 40, .crop)
        XCTAssertTrue(logged.contains { $0.contains("from the cache") }, "\(logged)")
        XCTAssertEqual(second.imageShape, [16, 40, 3])
        XCTAssertEqual(second.pixels, first.pixels)
        XCTAssertEqual(second.labels, first.labels)

        let others: [(Int, Int, ImageFit)] = [(40, 16, .crop), (16, 40, .pad), (16, 16, .crop)]
        for (height, width, fit) in others {
            XCTAssertEqual(try loaded(height, width, fit).imageShape, [height, width, 3])
            XCTAssertFalse(logged.contains { $0.contains("from the cache") }, "\(height)×\(width) \(fit): \(logged)")
        }
        for (height, width, fit) in others {
            _ = try loaded(height, width, fit)
            XCTAssertTrue(logged.contains { $0.contains("from the cache") }, "\(height)×\(width) \(fit): \(logged)")
        }
        let entries = try FileManager.default.contentsOfDirectory(
            atPath: cacheRoot(of: folder).appendingPathComponent("folders").path)
        XCTAssertEqual(entries.filter { $0.hasSuffix(".bin") }.count, 4)
    }

    /// A class folder whose image files all fail is refused, naming it and why its first file
    /// failed; a class of one image is fine.
    func testClassFolderWithoutAReadableImageIsRefusedNamingIt() throws {
        let folder = temporaryFolder()
        _ = try write(TestImage(width: 4, height: 4, channels: 3) { _, _, _ in 90 }.png(), "cats/only.png", in: folder)
        _ = try write(Data("not an image".utf8), "dogs/x.png", in: folder)
        let dogs = folder.appendingPathComponent("dogs").path
        let one = message { try load(folder, size: 2, channels: 3) }
        XCTAssertTrue(
            one.hasPrefix("class folder \(dogs) holds no readable image (\(dogs)/x.png: not a PNG or JPEG file"), one)
        XCTAssertTrue(one.hasSuffix("; remove it or add images"), one)

        _ = try write(Data(), "emus/y.jpg", in: folder)
        let emus = folder.appendingPathComponent("emus").path
        let two = message { try load(folder, size: 2, channels: 3) }
        XCTAssertTrue(
            two.hasPrefix("class folders \(dogs), \(emus) hold no readable image (first: \(dogs)/x.png: "), two)
        XCTAssertTrue(two.hasSuffix("; remove them or add images"), two)

        try FileManager.default.removeItem(atPath: dogs)
        try FileManager.default.removeItem(atPath: emus)
        let data = try load(folder, size: 2, channels: 3).dataset
        XCTAssertEqual(data.classNames, ["cats"])
        XCTAssertEqual(data.labels, [0])
    }

    /// Thirteen classes, none named by a number in order: labels are 0..<13 in the names' sorted
    /// order (by Unicode scalar), whatever order their paths sort in.
    func testAnyClassNamesAreLabelledInTheirSortedOrder() throws {
        let folder = temporaryFolder()
        // As paths "mango 3/…" < "mango-2/…" < "mango/…", but as names "mango" < "mango 3" < "mango-2".
        let names = [
            "zebra", "Apple", "apple", "mango", "mango-2", "mango 3", "\u{E9}clair", "10", "9", "_under", "photos.jpg",
            "a", "Z",
        ]
        for (k, name) in names.enumerated() {
            let shade = UInt8(10 + 15 * k)
            _ = try write(
                TestImage(width: 4, height: 4, channels: 1) { _, _, _ in shade }.png(), "\(name)/one.png", in: folder)
        }
        let data = try load(folder, size: 2, channels: 1).dataset
        XCTAssertEqual(
            data.classNames,
            [
                "10", "9", "Apple", "Z", "_under", "a", "apple", "mango", "mango 3", "mango-2", "photos.jpg", "zebra",
                "\u{E9}clair",
            ])
        XCTAssertEqual(data.count, 13)
        XCTAssertEqual(data.labels.sorted(), Array(0..<13))
        for i in 0..<data.count {
            let k = (Int(data.pixels[i * 4]) - 10) / 15
            XCTAssertEqual(data.classNames[data.labels[i]], names[k], "image \(i)")
        }
        XCTAssertEqual(data.examplesPerClass(1).count, 13)
    }

    func testMoreClassesThanTheLimitAreRefusedWithTheCount() throws {
        let folder = URL(fileURLWithPath: "/data/scraped")
        let limit = ImageFolder.maximumClassCount
        XCTAssertEqual(limit, 10_000)
        let atLimit = (0..<limit).map { "c\($0)/a.png" } + ["loose.png"]
        XCTAssertEqual(try ImageFolder.classFolders(of: atLimit, in: folder)?.count, limit)
        XCTAssertNil(try ImageFolder.classFolders(of: ["a.png", "b.jpg"], in: folder))
        let over = (0...limit).map { "c\($0)/a.png" }
        let text = message { try ImageFolder.classFolders(of: over, in: folder) as Any }
        XCTAssertTrue(
            text.hasPrefix("/data/scraped holds images in 10001 subfolders, more than the 10000 classes"), text)
    }

    /// The decoded set's size is height × width × channels per image, and one over half the
    /// machine's memory is refused before anything is decoded; a product past Int.max too.
    func testTheDecodedSetIsBoundedByHalfTheMemory() throws {
        let folder = temporaryFolder()
        _ = try write(TestImage(width: 4, height: 4, channels: 3) { _, _, _ in 9 }.png(), "a.png", in: folder)
        let big = message {
            try ImageFolder.load(
                folder: folder, height: 1 << 20, width: 3 << 20, channels: 3, cacheRoot: cacheRoot(of: folder))
        }
        XCTAssertTrue(
            big.contains("1 images of 1048576×3145728×3 bytes would take 9895604649984 bytes decoded, more than half"),
            big)
        let huge = message {
            try ImageFolder.load(
                folder: folder, height: 1 << 40, width: 1 << 30, channels: 1, fit: .pad,
                cacheRoot: cacheRoot(of: folder))
        }
        XCTAssertTrue(huge.contains("would take more than \(Int.max) bytes decoded"), huge)
        XCTAssertTrue(message { try load(folder, size: 0, channels: 3) }.contains("at least 1, not 0×0"))
    }

    /// Gray and colour files, PNG and JPEG, in one folder: each becomes `channels`, colour to gray
    /// by Rec. 601 luma, gray to colour by repetition.
    func testGrayAndColourFilesMixInOneFolder() throws {
        let folder = temporaryFolder()
        _ = try write(TestImage(width: 6, height: 4, channels: 1) { _, _, _ in 100 }.png(), "a-gray.png", in: folder)
        _ = try write(
            TestImage(width: 6, height: 4, channels: 3) { _, _, c in [200, 100, 50][c] }.png(), "b-rgb.png", in: folder)
        _ = try write(TestImage(width: 16, height: 16, channels: 1) { _, _, _ in 60 }.jpeg(), "c-gray.jpg", in: folder)
        _ = try write(
            TestImage(width: 16, height: 16, channels: 3) { _, _, c in [30, 180, 90][c] }.jpeg(), "d-rgb.jpg",
            in: folder)
        // JPEG is lossy (and colour goes through YCbCr): a little tolerance for those two.
        let tolerance = [0, 0, 2, 3]
        for channels in [3, 1] {
            let data = try ImageFolder.load(
                folder: folder, height: 3, width: 5, channels: channels, cacheRoot: cacheRoot(of: folder)
            ).dataset
            XCTAssertEqual(data.imageShape, [3, 5, channels])
            XCTAssertEqual(data.count, 4)
            // 0.299·200 + 0.587·100 + 0.114·50 = 124.2 and 0.299·30 + 0.587·180 + 0.114·90 = 124.89.
            let expected: [[Int]] =
                channels == 3
                ? [[100, 100, 100], [200, 100, 50], [60, 60, 60], [30, 180, 90]] : [[100], [124], [60], [125]]
            for i in 0..<4 {
                for p in 0..<15 {
                    for c in 0..<channels {
                        let value = Int(data.pixels[(i * 15 + p) * channels + c])
                        XCTAssertLessThanOrEqual(
                            abs(value - expected[i][c]), tolerance[i],
                            "image \(i) pixel \(p) channel \(c) of \(channels)")
                    }
                }
            }
        }
    }

    func testAlphaIsCompositedOntoBlack() throws {
        let folder = temporaryFolder()
        let rgba = TestImage(width: 4, height: 4, channels: 4) { x, _, c in c == 3 ? (x < 2 ? 0 : 255) : 200 }
        _ = try write(rgba.png(), "a.png", in: folder)
        let data = try load(folder, size: 2, channels: 3).dataset
        XCTAssertEqual(data.pixels, [0, 0, 0, 200, 200, 200, 0, 0, 0, 200, 200, 200])
    }
}
