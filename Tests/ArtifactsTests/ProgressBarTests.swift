import Foundation
import XCTest

@testable import SwiftGANArtifacts

final class ProgressBarTests: XCTestCase {
    /// The terminal line fits its columns: the bar goes first, then the text is cut, so a narrow
    /// terminal never wraps it (a wrapped line gains a row at every redraw).
    func testLineFitsTheTerminal() {
        let parts = [
            "dcgan", "1200/5000", " 24%", "8.5 step/s", "ETA 7:27", "D 1.210 (acc 0.67)", "G 0.981 (acc 0.31)",
        ]
        let bar = ProgressBar.bar(0.24, width: 20)
        let wide = ProgressBar.line(parts, bar: bar, columns: 200)
        XCTAssertTrue(wide.hasPrefix("dcgan  1200/5000  [████▊"), wide)
        XCTAssertTrue(wide.hasSuffix("G 0.981 (acc 0.31)"))
        let medium = ProgressBar.line(parts, bar: bar, columns: 100)
        XCTAssertEqual(medium, parts.joined(separator: "  "), "no room for the bar")
        for columns in [80, 40, 10, 1] {
            XCTAssertLessThan(ProgressBar.line(parts, bar: bar, columns: columns).count, max(columns, 2), "\(columns)")
        }
        XCTAssertTrue(ProgressBar.line(parts, bar: bar, columns: 40).hasSuffix("…"))
    }

    /// A clock of any length (an ETA of Int.max steps, a history's huge `seconds`) formats
    /// without overflowing an Int (#21).
    func testClockOfAnyLength() {
        XCTAssertEqual(ProgressBar.clock(59.4), "0:59")
        XCTAssertEqual(ProgressBar.clock(3661), "1:01:01")
        XCTAssertEqual(ProgressBar.clock(1.8e19), "1.8e+19 s")  // Int.max steps at 0.5 step/s
        XCTAssertEqual(ProgressBar.clock(.infinity), "?")
        XCTAssertEqual(ProgressBar.clock(-1e300), "-1.0e+300 s")
    }
}
