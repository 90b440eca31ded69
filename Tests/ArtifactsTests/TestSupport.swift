import Foundation
import XCTest

/// CRC-32 as PNG specifies it (ISO/IEC 15948 Annex D), written out here so tests check the encoder's
/// checksums against an implementation that does not come from zlib.
enum ReferenceCRC32 {
    static let table: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func checksum<Bytes: Sequence>(_ bytes: Bytes) -> UInt32 where Bytes.Element == UInt8 {
        var c: UInt32 = 0xFFFF_FFFF
        for byte in bytes { c = table[Int((c ^ UInt32(byte)) & 0xFF)] ^ (c >> 8) }
        return c ^ 0xFFFF_FFFF
    }
}

/// A folder under the system's temporary folder, removed when the test ends.
func makeTemporaryFolder(for test: XCTestCase) throws -> URL {
    let folder = FileManager.default.temporaryDirectory
        .appendingPathComponent("ArtifactsTests-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
    return folder
}

/// Runs `script` with python3 and returns what it printed, or skips the test when python3 (or, with
/// `needsNumPy`, numpy) is not installed. A failing script fails the test with its output.
func runPython(
    _ script: String, arguments: [String] = [], needsNumPy: Bool = false,
    file: StaticString = #filePath, line: UInt = #line
) throws -> String {
    func run(_ code: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", code] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }
    guard (try? run(needsNumPy ? "import numpy" : "pass", []))?.status == 0 else {
        throw XCTSkip(needsNumPy ? "python3 with numpy is not installed" : "python3 is not installed")
    }
    let result = try run(script, arguments)
    XCTAssertEqual(result.status, 0, "python failed:\n\(result.output)", file: file, line: line)
    return result.output
}

/// Deterministic bytes for test images (a 64-bit LCG), so failures reproduce.
func pseudoRandomBytes(count: Int, seed: UInt64) -> [UInt8] {
    var state = seed
    return (0..<count).map { _ in
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return UInt8(truncatingIfNeeded: state >> 56)
    }
}

/// The message of the error `body` throws, failing the test when it throws none.
func thrownMessage(_ body: () throws -> Void, file: StaticString = #filePath, line: UInt = #line) -> String {
    do {
        try body()
        XCTFail("expected an error", file: file, line: line)
        return ""
    } catch {
        return String(describing: error)
    }
}
