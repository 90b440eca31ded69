import Foundation
import XCTest

@testable import SwiftGANArtifacts

/// Files read from outside (#21): regular files only, sizes capped before reading, links refused
/// where a page embeds the file, and the system's failures in plain words; outputs that would
/// overwrite an input or lack their extension; duplicate keys in JSON.
final class InputFileTests: XCTestCase {
    func reason(_ body: () throws -> Any) -> String {
        do {
            _ = try body()
            return "no error"
        } catch { return "\(error)" }
    }

    func testWhatIsNotARegularFileIsRefusedBeforeReading() throws {
        let folder = try makeTemporaryFolder(for: self)
        let read = { (path: String) in
            self.reason { try InputFile.read(URL(fileURLWithPath: path), format: "PNG", limit: 1 << 20) }
        }
        XCTAssertTrue(read(folder.path).contains("is a folder (EISDIR), not a regular file"), read(folder.path))
        XCTAssertTrue(read("/dev/zero").contains("a character device"), read("/dev/zero"))
        let fifo = folder.appendingPathComponent("fifo").path
        XCTAssertEqual(mkfifo(fifo, 0o644), 0)
        XCTAssertTrue(read(fifo).contains("a FIFO"), read(fifo))  // without waiting for a writer
        let loop = folder.appendingPathComponent("loop").path
        XCTAssertEqual(symlink(loop, loop), 0)
        XCTAssertTrue(read(loop).contains("Too many levels of symbolic links (ELOOP)"), read(loop))
        let missing = folder.appendingPathComponent("missing.png").path
        XCTAssertTrue(read(missing).contains("No such file or directory (ENOENT)"), read(missing))
        XCTAssertTrue(read(missing).hasPrefix("PNG file \(missing): cannot open"), read(missing))
    }

    func testAFileOverItsFormatsCapIsRefusedBeforeItIsRead() throws {
        let folder = try makeTemporaryFolder(for: self)
        let big = folder.appendingPathComponent("big.safetensors")
        // A sparse file: 6 GB long, no blocks on disk, refused from its size alone.
        XCTAssertTrue(FileManager.default.createFile(atPath: big.path, contents: nil))
        XCTAssertEqual(truncate(big.path, 6_000_000_000), 0)
        let message = reason { try Safetensors.read(from: big) }
        XCTAssertTrue(message.contains("is 6.0 GB, more than the 2.1 GB a safetensors file may be here"), message)
        let small = folder.appendingPathComponent("small.bin")
        try Data(repeating: 7, count: 1500).write(to: small)
        XCTAssertEqual(try InputFile.read(small, format: "test", limit: 1500), Data(repeating: 7, count: 1500))
        XCTAssertTrue(reason { try InputFile.read(small, format: "test", limit: 1499) }.contains("1.5 kB"))
    }

    func testLinksAreRefusedWhereAsked() throws {
        let folder = try makeTemporaryFolder(for: self)
        let secret = folder.appendingPathComponent("netrc")
        try Data("machine example.com password hunter2".utf8).write(to: secret)
        let link = folder.appendingPathComponent("step-000100.png")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: secret)
        XCTAssertNoThrow(try InputFile.read(link, format: "PNG", limit: 1 << 20))
        let message = reason { try InputFile.read(link, format: "PNG", limit: 1 << 20, links: .refuse) }
        XCTAssertTrue(message.contains("is a symbolic link, which is not followed here"), message)
    }

    func testSystemReasonsCarryTheirNames() {
        XCTAssertEqual(InputFile.systemReason(EFBIG), "File too large (EFBIG)")
        XCTAssertEqual(InputFile.systemReason(ENOSPC), "No space left on device (ENOSPC)")
        XCTAssertTrue(InputFile.systemReason(ESPIPE).contains("(errno \(ESPIPE))"))
        XCTAssertEqual(InputFile.size(999), "999 bytes")
        XCTAssertEqual(InputFile.size(2 << 30), "2.1 GB")
    }

    func testAnOutputCannotBeAnInputOrLackItsExtension() throws {
        let folder = try makeTemporaryFolder(for: self)
        let checkpoint = folder.appendingPathComponent("generator.safetensors")
        try Data("weights".utf8).write(to: checkpoint)
        let link = folder.appendingPathComponent("samples.npy")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: checkpoint)
        let hard = folder.appendingPathComponent("hard.npy")
        try FileManager.default.linkItem(at: checkpoint, to: hard)
        let check = { (path: String, ext: String) in
            OutputFile.problem(with: path, option: "--npy", extension: ext, inputs: [checkpoint.path])
        }
        XCTAssertTrue(check(checkpoint.path, "npy")?.contains("ending in .npy") ?? false)
        XCTAssertTrue(check(checkpoint.path, "safetensors")?.contains("is the input") ?? false)
        XCTAssertTrue(check(link.path, "npy")?.contains("writing it would destroy it") ?? false)
        XCTAssertTrue(check(hard.path, "npy")?.contains("is the input") ?? false)
        XCTAssertNil(check(folder.appendingPathComponent("new.npy").path, "npy"))
        XCTAssertNil(check(folder.appendingPathComponent("x.NPY").path, "npy"))
        XCTAssertTrue(check(folder.path + "/", "npy")?.contains("ending in .npy") ?? false)
    }

    /// A PNG claiming 20,000 × 20,000 pixels with 400 kB of data (enough for deflate's ratio) is
    /// refused from its header, before 400 MB are inflated.
    func testAPNGOfTooManyPixelsIsRefusedFromItsHeader() throws {
        func chunk(_ type: String, _ body: [UInt8]) -> [UInt8] {
            var out = withUnsafeBytes(of: UInt32(body.count).bigEndian, Array.init) + Array(type.utf8) + body
            let crc = ReferenceCRC32.checksum(Array(type.utf8) + body)
            out += withUnsafeBytes(of: crc.bigEndian, Array.init)
            return out
        }
        let side = withUnsafeBytes(of: UInt32(20_000).bigEndian, Array.init)
        var rng = SystemRandomNumberGenerator()
        let data =
            [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + chunk("IHDR", side + side + [8, 0, 0, 0, 0])
            + chunk("IDAT", (0..<400_000).map { _ in UInt8.random(in: 0...255, using: &rng) }) + chunk("IEND", [])
        XCTAssertThrowsError(try PNG.decode(Data(data))) {
            XCTAssertTrue("\($0)".contains("20000×20000 is more than the 268435456 pixels"), "\($0)")
        }
    }

    func testDuplicateJSONKeysAreFound() {
        let find = { (text: String) in JSONKeys.firstDuplicate(in: Data(text.utf8)) }
        XCTAssertEqual(find(#"{"steps": 10, "seed": 1, "steps": 100000}"#), "steps")
        XCTAssertEqual(find(#"{"a": {"x": 1, "x": 2}}"#), "a.x")
        XCTAssertEqual(find(#"{"st\u0065ps": 1, "steps": 2}"#), "steps", "escapes are read as a parser reads them")
        XCTAssertNil(find(#"{"a": {"x": 1}, "b": {"x": 2}, "c": [{"x": 1}, {"x": 2}], "d": "x, \"x\": y"}"#))
        XCTAssertNil(find(#"{"a": ["a", "a"], "s": "a"}"#))
        XCTAssertNil(find("not json"))
    }
}
