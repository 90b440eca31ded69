import Artifacts
import Foundation
import XCTest

/// The `swiftgan` tool as a user runs it: train a short curve-gan, then sample from its checkpoint.
final class CommandLineTests: XCTestCase {
    var tool: URL {
        #if os(macOS)
        // xctest runs the bundle; the products sit beside it.
        return Bundle(for: Self.self).bundleURL.deletingLastPathComponent().appendingPathComponent("swiftgan")
        #else
        return URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("swiftgan")
        #endif
    }

    @discardableResult
    func swiftgan(_ arguments: [String], expectSuccess: Bool = true, file: StaticString = #filePath, line: UInt = #line) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = tool
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let output = String(decoding: data, as: UTF8.self)
        if expectSuccess { XCTAssertEqual(process.terminationStatus, 0, output, file: file, line: line) }
        return (process.terminationStatus, output)
    }

    func testTrainThenSample() throws {
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: tool.path), "swiftgan is not built next to the tests")
        let out = runFolder()
        let train = try swiftgan(["train", "--model", "curve-gan", "--steps", "200", "--sample-every", "100", "--seed", "3", "--out", out])
        XCTAssertTrue(train.output.contains("200/200"), train.output)
        for file in ["config.json", "generator.safetensors", "discriminator.safetensors", "history.csv", "curves.png",
                     "samples/step-000000.png", "samples/step-000100.png", "samples/step-000200.png", "training.gif"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/" + file), "missing \(file)")
        }
        let png = try PNG.decode(Data(contentsOf: URL(fileURLWithPath: out + "/curves.png")))
        XCTAssertGreaterThan(png.width, 100)

        try swiftgan(["sample", "--checkpoint", out + "/generator.safetensors", "--count", "7", "--out", out + "/s.png", "--npy", out + "/s.npy"])
        let npy = try NPY.decode(Data(contentsOf: URL(fileURLWithPath: out + "/s.npy")))
        XCTAssertEqual(npy.descr, "<f4")
        XCTAssertEqual(npy.shape, [7, 16])

        let wrong = try swiftgan(["sample", "--checkpoint", out + "/discriminator.safetensors", "--out", out + "/x.png"], expectSuccess: false)
        XCTAssertNotEqual(wrong.status, 0)
        XCTAssertTrue(wrong.output.contains("not its generator"), wrong.output)
        let missing = try swiftgan(["train", "--model", "mlp-gan", "--data-dir", out + "/nothing-here", "--steps", "1"], expectSuccess: false)
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.output.contains("missing"), missing.output)
    }
}
