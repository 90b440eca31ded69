import Artifacts
import Foundation
import XCTest

final class CSVTests: XCTestCase {
    func testNumbersAndQuoting() throws {
        var table = CSVTable(header: ["step", "d_loss", "note"])
        table.append([100, Float(0.25), "plain"])
        table.append([200, Double.nan, "comma, \"quote\""])
        table.append([300, 1e-5, "line\nbreak"])
        XCTAssertEqual(table.text, """
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
}
