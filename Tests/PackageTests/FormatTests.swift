import Foundation
import XCTest

/// The sources follow `.swift-format` (`swift format format -i -r Sources Tests Fuzz Examples`
/// fixes what this finds).
final class FormatTests: XCTestCase {
    func testSourcesFollowTheFormatterConfiguration() throws {
        guard let swift = which("swift") else { throw XCTSkip("no `swift` on PATH") }
        let paths = ["Sources", "Tests", "Fuzz", "Examples/Sources", "Package.swift", "Examples/Package.swift"]
        let result = try runProgram(swift, ["format", "lint", "--strict", "--recursive"] + paths)
        if result.status != 0 && result.output.contains("Unknown subcommand") {
            throw XCTSkip("this toolchain has no `swift format`")
        }
        XCTAssertEqual(result.status, 0, "swift format lint:\n" + result.output.prefix(4000))
    }
}
