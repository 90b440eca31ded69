import Foundation
import SwiftGANArtifacts
import XCTest

final class AtomicFileTests: XCTestCase {
    func leftovers(in folder: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".tmp") }
    }

    func testCreatesMissingFolders() throws {
        let url = try makeTemporaryFolder(for: self).appendingPathComponent("run/samples/epoch_1.png")
        try AtomicFile.write("hello", to: url)
        XCTAssertEqual(try String(contentsOf: url, encoding: .utf8), "hello")
    }

    func testReplacesAnExistingFileWhole() throws {
        let folder = try makeTemporaryFolder(for: self)
        let url = folder.appendingPathComponent("history.csv")
        try AtomicFile.write(String(repeating: "long line\n", count: 100), to: url)
        try AtomicFile.write("short\n", to: url)
        XCTAssertEqual(try String(contentsOf: url, encoding: .utf8), "short\n")
        XCTAssertEqual(try leftovers(in: folder), [])
    }

    func testFailureNamesThePathAndLeavesNoTemporaryFile() throws {
        let folder = try makeTemporaryFolder(for: self)
        // A folder where the file should go: the temporary file is written, then the rename fails.
        let occupied = folder.appendingPathComponent("taken")
        try FileManager.default.createDirectory(at: occupied, withIntermediateDirectories: false)
        let message = thrownMessage { try AtomicFile.write(Data([1, 2, 3]), to: occupied) }
        XCTAssertTrue(message.contains(occupied.path), message)
        XCTAssertEqual(try leftovers(in: folder), [])

        // A regular file where a folder should be.
        let file = folder.appendingPathComponent("plain")
        try AtomicFile.write("x", to: file)
        let inside = file.appendingPathComponent("inner.png")
        XCTAssertTrue(thrownMessage { try AtomicFile.write("y", to: inside) }.contains(inside.path))
    }

    func testUnwritableFolderThrows() throws {
        let folder = try makeTemporaryFolder(for: self).appendingPathComponent("locked")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: false)
        chmod(folder.path, 0o555)
        addTeardownBlock { chmod(folder.path, 0o755) }
        try XCTSkipIf(access(folder.path, W_OK) == 0, "running with permission to write anywhere (root)")
        let url = folder.appendingPathComponent("model.safetensors")
        XCTAssertTrue(thrownMessage { try AtomicFile.write("z", to: url) }.contains(url.path))
        XCTAssertEqual(try leftovers(in: folder), [])
    }
}
