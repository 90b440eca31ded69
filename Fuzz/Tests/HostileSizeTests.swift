import Foundation
import XCTest

@testable import SwiftGANArtifacts
@testable import SwiftGANDatasets

/// Headers that claim huge sizes are refused before anything that size is allocated, with an
/// error that names the file (where the reader knows it) and the limit or the bytes available.
final class HostileSizeTests: XCTestCase {
    func message(_ body: () throws -> Void) -> String {
        do { try body() } catch { return "\(error)" }
        return "no error"
    }

    func chunk(_ type: String, _ body: [UInt8]) -> [UInt8] {
        let typed = Array(type.utf8) + body
        return bigEndian(UInt32(body.count)) + typed + bigEndian(UInt32(Zlib.crc32(Data(typed))))
    }

    func bigEndian(_ v: UInt32) -> [UInt8] { [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: v >> $0) } }

    /// A PNG whose header says 100,000 × 100,000 RGB (30 GB of pixels) over a few bytes of data.
    var hugePNG: Data {
        let header = bigEndian(100_000) + bigEndian(100_000) + [8, 2, 0, 0, 0]
        return Data(
            ImageDecoder.pngSignature + chunk("IHDR", header) + chunk("IDAT", [0x78, 0x9c, 3, 0, 0, 0, 0, 1])
                + chunk("IEND", []))
    }

    func testHugePNGThroughTheImageFolderIsSkippedNamingTheLimit() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("swiftgan-hostile-\(getpid())")
        try? FileManager.default.removeItem(at: folder)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try hugePNG.write(to: folder.appendingPathComponent("huge.png"))
        try PNG.encode(pixels: [UInt8](repeating: 90, count: 16), width: 4, height: 4, channels: 1).write(
            to: folder.appendingPathComponent("small.png"))
        let (dataset, skipped) = try ImageFolder.load(
            folder: folder, size: 4, channels: 1, cacheRoot: folder.appendingPathComponent(".cache"))
        XCTAssertEqual(dataset.count, 1)
        XCTAssertEqual(skipped.map(\.path), [folder.appendingPathComponent("huge.png").path])
        XCTAssertEqual(skipped.first?.reason, "PNG of 100000×100000 pixels is larger than the limit of 67108864 pixels")
        // SwiftGAN's own PNG reader (the tests' and the report's) checks the data against the size.
        XCTAssertTrue(message { _ = try PNG.decode(hugePNG) }.contains("cannot hold a 100000×100000 image"))
    }

    func testNPYShapeThatOverflowsIsRefused() {
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (9223372036854775807, 9223372036854775807), }"
        header += String(repeating: " ", count: 127 - 10 - header.utf8.count) + "\n"
        let file = Data(
            [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count), 0] + Array(header.utf8)
                + [UInt8](repeating: 0, count: 16))
        XCTAssertTrue(
            message { _ = try NPY.decode(file) }.contains("needs too many bytes, the file has 16"),
            message { _ = try NPY.decode(file) })
    }

    func testSafetensorsHeaderLengthNear2To64IsRefused() {
        let file = Data([0xF7, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF] + Array("{}".utf8))
        XCTAssertTrue(
            message { _ = try Safetensors.decode(file) }.contains(
                "header length 18446744073709551607 runs past the end of the 10-byte file"))
        let json = #"{"w":{"dtype":"F32","shape":[4611686018427387904,4611686018427387904],"data_offsets":[0,16]}}"#
        let shaped = Data(
            [UInt8(json.utf8.count), 0, 0, 0, 0, 0, 0, 0] + Array(json.utf8) + [UInt8](repeating: 0, count: 16))
        XCTAssertTrue(
            message { _ = try Safetensors.decode(shaped) }.contains("needs too many bytes but data_offsets span 16"))
    }

    func testTarEntryLargerThanTheArchiveIsRefused() {
        var archive = Tar.archive([("a.bin", "0", Data(count: 10))])
        // Rewrite the size field to 8 GiB − 1 and fix the checksum.
        archive.replaceSubrange(124..<136, with: Array("77777777777\0".utf8))
        archive.replaceSubrange(148..<156, with: Array("        ".utf8))
        let sum = archive.prefix(512).reduce(0) { $0 + Int($1) }
        archive.replaceSubrange(148..<156, with: Array(String(format: "%06o\0 ", sum).utf8))
        XCTAssertTrue(
            message { _ = try Tar.files(in: archive, name: "x.tar") }
                .contains("x.tar: member at byte 0 declares 8589934591 bytes but the archive ends"))
    }
}
