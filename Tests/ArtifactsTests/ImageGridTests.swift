import SwiftGANArtifacts
import XCTest

final class ImageGridTests: XCTestCase {
    func testTilesAreLaidOutInBatchOrderWithPadding() throws {
        // Three 2×2 grayscale images in a grid of two columns, padding 1: a 7×7 picture.
        let images: [Float] = [
            -1, 1, 0, 0.5,  // image 0
            2, -5, .nan, 1,  // image 1: clamped above and below, NaN
            -0.5, -0.5, -0.5, -0.5,
        ]
        let grid = try ImageGrid.render(
            nhwc: images, height: 2, width: 2, channels: 1, valueRange: -1...1,
            columns: 2, padding: 1, paddingColor: RGBColor(gray: 77))
        XCTAssertEqual([grid.width, grid.height, grid.channels], [7, 7, 1])
        func tile(_ left: Int, _ top: Int) -> [UInt8] {
            [
                grid.pixel(x: left, y: top), grid.pixel(x: left + 1, y: top),
                grid.pixel(x: left, y: top + 1), grid.pixel(x: left + 1, y: top + 1),
            ].map(\.red)
        }
        // (v + 1) / 2 · 255, rounded: -1 → 0, 1 → 255, 0 → 128, 0.5 → 191, -0.5 → 64.
        XCTAssertEqual(tile(1, 1), [0, 255, 128, 191])
        XCTAssertEqual(tile(4, 1), [255, 0, 0, 255])
        XCTAssertEqual(tile(1, 4), [64, 64, 64, 64])
        XCTAssertEqual(tile(4, 4), [77, 77, 77, 77], "the unused tile shows the padding colour")
        for i in 0..<7 {
            for padding in [(i, 0), (0, i), (3, i), (i, 3), (6, i), (i, 6)] {
                XCTAssertEqual(grid.pixel(x: padding.0, y: padding.1).red, 77, "padding at \(padding)")
            }
        }
    }

    func testZeroToOneRangeScaleAndRGB() throws {
        // One 1×2 RGB image: red, then 50 % gray; each pixel shown as a 3×3 square.
        let grid = try ImageGrid.render(
            nhwc: [1, 0, 0, 0.5, 0.5, 0.5], height: 1, width: 2, channels: 3,
            valueRange: 0...1, columns: 4, padding: 0, scale: 3)
        XCTAssertEqual([grid.width, grid.height, grid.channels], [4 * 6, 3, 3])
        for y in 0..<3 {
            for x in 0..<3 { XCTAssertEqual(grid.pixel(x: x, y: y), RGBColor(255, 0, 0)) }
            for x in 3..<6 { XCTAssertEqual(grid.pixel(x: x, y: y), RGBColor(gray: 128)) }
            XCTAssertEqual(grid.pixel(x: 6, y: y), .gridGray)
        }
    }

    func testRowLabelsAreDrawnLeftOfTheirRows() throws {
        let images = [Float](repeating: 1, count: 4 * 8 * 8)
        let plain = try ImageGrid.render(nhwc: images, height: 8, width: 8, channels: 1, columns: 2)
        let labelled = try ImageGrid.render(
            nhwc: images, height: 8, width: 8, channels: 1, columns: 2,
            rowLabels: ["0", "class 1"], labelColor: .black)
        let margin = labelled.width - plain.width
        XCTAssertGreaterThan(margin, BitmapFont.width(of: "class 1"))
        XCTAssertEqual(labelled.height, plain.height)
        func inkRows(_ columns: Range<Int>) -> Set<Int> {
            Set((0..<labelled.height).filter { y in columns.contains { labelled.pixel(x: $0, y: y).red == 0 } })
        }
        let rowHeight = 8 + 2
        XCTAssertFalse(inkRows(0..<margin).isEmpty)
        XCTAssertTrue(inkRows(0..<margin).allSatisfy { (2..<2 * rowHeight).contains($0) })
        XCTAssertTrue(
            inkRows(0..<margin).contains { $0 < rowHeight } && inkRows(0..<margin).contains { $0 > rowHeight },
            "one label per row")
        XCTAssertEqual(labelled.pixel(x: margin + 2, y: 2).red, 255, "tiles move right by the margin")
    }

    func testStackingPutsGridsAboveOneAnotherWithABand() throws {
        let top = RasterImage(width: 4, height: 2, channels: 1, filledWith: .white)
        let bottom = RasterImage(width: 6, height: 3, channels: 3, filledWith: .blue)
        let stacked = RasterImage.stacked([top, bottom], gap: 2, gapColor: .red, background: .black)
        XCTAssertEqual([stacked.width, stacked.height, stacked.channels], [6, 7, 3])
        XCTAssertEqual(stacked.pixel(x: 0, y: 0), .black, "beside the narrower image")
        XCTAssertEqual(stacked.pixel(x: 1, y: 0), .white, "the narrower image is centred")
        XCTAssertEqual(stacked.pixel(x: 5, y: 2), .red)
        XCTAssertEqual(stacked.pixel(x: 0, y: 3), .red)
        XCTAssertEqual(stacked.pixel(x: 5, y: 6), .blue)
    }

    func testRejectsInconsistentArguments() {
        XCTAssertTrue(
            thrownMessage { _ = try ImageGrid.render(nhwc: [0, 0, 0], height: 2, width: 1, channels: 1, columns: 1) }
                .contains("not a whole number of 2×1×1 images"))
        XCTAssertTrue(
            thrownMessage {
                _ = try ImageGrid.render(nhwc: [0, 0], height: 1, width: 1, channels: 1, columns: 1, rowLabels: ["a"])
            }
            .contains("1 row labels for 2 rows"))
        XCTAssertTrue(
            thrownMessage {
                _ = try ImageGrid.render(nhwc: [0], height: 1, width: 1, channels: 1, valueRange: 1...1, columns: 1)
            }
            .contains("value range"))
        XCTAssertTrue(
            thrownMessage { _ = try ImageGrid.render(nhwc: [0, 0], height: 1, width: 1, channels: 2, columns: 1) }
                .contains("channels"))
    }
}
