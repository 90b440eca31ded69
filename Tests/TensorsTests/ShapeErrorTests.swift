import SwiftGANTensors
import XCTest

/// Operations stop on a bad shape with the message of these checks; the checks themselves throw,
/// so their messages are tested here.
final class ShapeErrorTests: XCTestCase {
    func message(_ body: () throws -> Any) -> String {
        do { _ = try body(); return "" } catch { return "\(error)" }
    }

    func testBroadcastErrorNamesBothShapes() {
        let m = message { try broadcastShapes([64, 2], [32]) }
        XCTAssertTrue(m.contains("[64, 2]") && m.contains("[32]"), m)
        XCTAssertEqual(try broadcastShapes([64, 1], [64]), [64, 64])
        XCTAssertEqual(try broadcastShapes([], [2, 3]), [2, 3])
    }

    func testMatmulErrorNamesBothShapes() {
        let m = message { try matmulDimensions([64, 100], [784, 10], transposeA: false, transposeB: false) }
        XCTAssertTrue(m.contains("[64, 100]") && m.contains("[784, 10]") && m.contains("100 vs 784"), m)
        XCTAssertTrue(
            message { try matmulDimensions([2, 3, 4], [4, 5], transposeA: false, transposeB: false) }.contains(
                "two matrices"))
        let ok = try? matmulDimensions([3, 64], [3, 10], transposeA: true, transposeB: false)
        XCTAssertEqual(ok?.m, 64)
    }

    func testReshapeAndAxisErrors() {
        XCTAssertTrue(message { try reshapedDimensions([2, 3], to: [4, -1]) }.contains("[2, 3]"))
        XCTAssertTrue(message { try reshapedDimensions([2, 3], to: [-1, -1]) }.contains("at most one -1"))
        XCTAssertEqual(try reshapedDimensions([2, 3, 4], to: [-1, 4]), [6, 4])
        XCTAssertTrue(message { try normalizedAxis(3, rank: 2) }.contains("axis 3"))
        XCTAssertEqual(try normalizedAxis(-1, rank: 3), 2)
    }
}
