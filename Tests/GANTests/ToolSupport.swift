import Foundation
import XCTest

/// Running the built `swiftgan` tool from a test, as a user runs it.
extension XCTestCase {
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
        let result = try runProcess(tool, arguments)
        if expectSuccess { XCTAssertEqual(result.status, 0, result.output, file: file, line: line) }
        return result
    }

    /// Runs a program to its end; its standard output and error together.
    func runProcess(_ executable: URL, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
