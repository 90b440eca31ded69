import Foundation
import SwiftGANArtifacts
import XCTest

final class CSVTests: XCTestCase {
    func testNumbersAndQuoting() throws {
        var table = CSVTable(header: ["step", "d_loss", "note"])
        table.append([100, Float(0.25), "plain"])
        table.append([200, Double.nan, "comma, \"quote\""])
        table.append([300, 1e-5, "line\nbreak"])
        XCTAssertEqual(
            table.text,
            """
            step,d_loss,note
            100,0.25,plain
            200,nan,"comma, ""quote\"\"\"
            300,1e-05,"line
            break"

            """)
        let url = try makeTemporaryFolder(for: self).appendingPathComponent("history.csv")
        try table.write(to: url)
        XCTAssertEqual(try String(contentsOf: url, encoding: .utf8), table.text)
    }

    /// What `text` writes reads back field for field, quoted commas, quotes and line breaks
    /// included; a ragged line or an unclosed quote is an error naming it.
    func testParsingReadsBackWhatWasWritten() throws {
        var table = CSVTable(header: ["step", "note", "empty"])
        table.append([1, "comma, \"quote\"", ""])
        table.append([2, "line\nbreak", "x"])
        let parsed = try CSVTable(parsing: table.text)
        XCTAssertEqual(parsed.header, table.header)
        XCTAssertEqual(parsed.rows, table.rows)
        XCTAssertEqual(parsed.column("empty"), 2)
        XCTAssertNil(parsed.column("fid"))
        XCTAssertEqual(try CSVTable(parsing: "a,b\r\n1,2\r\n").rows, [["1", "2"]])
        XCTAssertThrowsError(try CSVTable(parsing: "a,b\n1,2,3\n")) {
            XCTAssertTrue("\($0)".contains("line 2 has 3 fields for 2 columns"), "\($0)")
        }
        XCTAssertThrowsError(try CSVTable(parsing: "a,b\n1,\"open\n")) {
            XCTAssertTrue("\($0)".contains("not closed"), "\($0)")
        }
        XCTAssertThrowsError(try CSVTable(parsing: "a,a\n1,2\n")) {
            XCTAssertTrue("\($0)".contains("repeats"), "\($0)")
        }
        XCTAssertThrowsError(try CSVTable(parsing: ""))
    }
}
