import Foundation
import SwiftGANCJPEG
import SwiftGANCPNG
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

    static func luma(_ rgb: [Double]) -> [Double] {
        stride(from: 0, to: rgb.count, by: 3).map { (i: Int) -> Double in
            let (r, g, b) = (rgb[i], rgb[i + 1], rgb[i + 2])
            return 0.299 * r + 0.587 * g + 0.114 * b
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
            try Data("SGIFOLD1 damaged".utf8).write(to: cacheFolder.appendingPathComponent(name))
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

    func testAlphaIsCompositedOntoBlack() throws {
        let folder = temporaryFolder()
        let rgba = TestImage(width: 4, height: 4, channels: 4) { x, _, c in c == 3 ? (x < 2 ? 0 : 255) : 200 }
        _ = try write(rgba.png(), "a.png", in: folder)
        let data = try load(folder, size: 2, channels: 3).dataset
        XCTAssertEqual(data.pixels, [0, 0, 0, 200, 200, 200, 0, 0, 0, 200, 200, 200])
    }
}
