import Foundation
import XCTest

/// The DocC catalog (Sources/SwiftGAN/SwiftGAN.docc) builds with `swift package
/// generate-documentation`, warnings counted as errors: every article link resolves.
final class DocumentationTests: XCTestCase {
    func testTheCatalogBuildsWithoutWarnings() throws {
        guard let swift = which("swift") else { throw XCTSkip("no `swift` on PATH") }
        // A scratch folder of its own: the test runner holds the package's .build.
        let result = try runProgram(
            swift,
            [
                "package", "--scratch-path", ".build-docs", "generate-documentation",
                "--target", "SwiftGAN", "--warnings-as-errors",
            ])
        XCTAssertEqual(result.status, 0, String(result.output.suffix(4000)))
        XCTAssertFalse(result.output.lowercased().contains("warning:"), String(result.output.suffix(4000)))
        XCTAssertTrue(
            result.output.contains("Finished building documentation for 'SwiftGAN'"), String(result.output.suffix(2000))
        )
    }
}
