import Foundation
import XCTest

/// Running the built `swiftgan` tool from a test, as a user runs it.
extension XCTestCase {
    var tool: URL {
        #if os(macOS)
        // xctest runs the bundle; the products sit beside it.
        return Bundle(for: Self.self).bundleURL.deletingLastPathComponent().appendingPathComponent("swiftgan")
        #else
        return URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(
            "swiftgan")
        #endif
    }

    @discardableResult
    func swiftgan(
        _ arguments: [String], expectSuccess: Bool = true, file: StaticString = #filePath, line: UInt = #line
    ) throws -> (status: Int32, output: String) {
        let result = try runProcess(tool, arguments)
        if expectSuccess { XCTAssertEqual(result.status, 0, result.output, file: file, line: line) }
        return result
    }

    /// Runs a program to its end; its standard output and error together.
    func runProcess(_ executable: URL, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let (process, pipe) = try startProcess(executable, arguments)
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// Starts a program; its standard output and error go to the pipe returned.
    func startProcess(_ executable: URL, _ arguments: [String]) throws -> (process: Process, output: Pipe) {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        return (process, pipe)
    }

    /// The project's virtual environment (scripts/setup makes it), with `module` importable;
    /// skips the test, saying how to enable it, where it is missing.
    func projectPython(with module: String) throws -> URL {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let python = root.appendingPathComponent(".venv/bin/python")
        let check = Process()
        check.executableURL = python
        check.arguments = ["-c", "import \(module)"]
        check.standardOutput = FileHandle.nullDevice
        check.standardError = FileHandle.nullDevice
        guard FileManager.default.isExecutableFile(atPath: python.path), (try? check.run()) != nil else {
            throw XCTSkip(
                "no \(python.path): run scripts/setup to install \(module) into the project's virtual environment")
        }
        check.waitUntilExit()
        try XCTSkipIf(check.terminationStatus != 0, "\(module) is not installed in \(python.path): run scripts/setup")
        return python
    }

    func runPython(_ python: URL, _ script: String, _ arguments: [String]) throws -> String {
        let (status, output) = try runProcess(python, ["-c", script] + arguments)
        XCTAssertEqual(status, 0, output)
        return output
    }
}
