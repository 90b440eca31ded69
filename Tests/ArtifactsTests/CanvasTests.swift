import XCTest

@testable import SwiftGANArtifacts

final class CanvasTests: XCTestCase {
    func inkPixels(_ image: RasterImage, where isInk: (RGBColor) -> Bool = { $0 != .white }) -> [(x: Int, y: Int)] {
        var ink: [(Int, Int)] = []
        for y in 0..<image.height {
            for x in 0..<image.width where isInk(image.pixel(x: x, y: y)) { ink.append((x, y)) }
        }
        return ink
    }

    func testFontCoversPrintableASCII() {
        XCTAssertEqual(BitmapFont.bitmaps.map(\.0), (32...126).map { Character(Unicode.Scalar($0)!) })
        for (character, picture) in BitmapFont.bitmaps {
            let rows = picture.split(separator: " ")
            XCTAssertTrue((7...9).contains(rows.count), "\(character)")
            XCTAssertTrue(rows.allSatisfy { $0.count == 5 && $0.allSatisfy { $0 == "." || $0 == "#" } }, "\(character)")
            XCTAssertEqual(picture.contains("#"), character != " ", "\(character) has ink")
        }
        let rendered = Set(BitmapFont.bitmaps.map(\.1))
        XCTAssertEqual(rendered.count, 95, "no two characters look the same")
    }

    func testTextInkMatchesTheFontAtScale() {
        var canvas = Canvas(width: 60, height: 30)
        canvas.drawText("Hi 5", x: 3, y: 4, color: .black, scale: 2)
        let ink = inkPixels(canvas.image)
        var fontPixels = 0
        BitmapFont.forEachPixel(of: "Hi 5") { _, _ in fontPixels += 1 }
        XCTAssertEqual(ink.count, 4 * fontPixels)
        XCTAssertEqual(ink.map(\.x).min(), 3)
        XCTAssertEqual(ink.map(\.x).max(), 3 + BitmapFont.width(of: "Hi 5", scale: 2) - 1)
        XCTAssertEqual(ink.map(\.y).min(), 4)
        XCTAssertEqual(ink.map(\.y).max(), 4 + 2 * BitmapFont.capHeight - 1)
        XCTAssertTrue(ink.allSatisfy { canvas.image.pixel(x: $0.x, y: $0.y) == .black })
    }

    func testUpwardTextRunsUpFromItsOrigin() {
        var canvas = Canvas(width: 30, height: 60)
        canvas.drawText("loss", x: 5, y: 50, color: .black, direction: .upward)
        let ink = inkPixels(canvas.image)
        XCTAssertEqual(ink.map(\.y).max(), 50)
        XCTAssertEqual(ink.map(\.y).min(), 50 - BitmapFont.width(of: "loss") + 1)
        XCTAssertLessThanOrEqual(ink.map(\.x).max()! - ink.map(\.x).min()!, BitmapFont.lineHeight)
    }

    func testDescendersReachBelowTheBaseline() {
        var canvas = Canvas(width: 20, height: 20)
        canvas.drawText("g", x: 2, y: 2, color: .black)
        XCTAssertEqual(inkPixels(canvas.image).map(\.y).max(), 2 + BitmapFont.lineHeight - 1)
    }

    func testDrawingOutsideTheCanvasIsClippedWithoutCrashing() {
        var canvas = Canvas(width: 40, height: 30)
        canvas.drawLine(from: (-1e12, -1e12), to: (1e12, 1e12), color: .black, width: 3)
        canvas.drawLine(from: (-1e308, 5), to: (1e308, 5), color: .black)
        canvas.drawPolyline(
            [(10, 10), (.nan, 3), (.infinity, 4), (20, -.infinity), (-100, -100)], color: .red, width: 2)
        canvas.fillCircle(center: (-50, 10), radius: 5, color: .blue)
        canvas.fillCircle(center: (20, 15), radius: 1e200, color: .blue, opacity: 0.1)
        canvas.fillRect(PixelRect(x: -10, y: -10, width: 15, height: 15), color: .green)
        canvas.strokeRect(PixelRect(x: 35, y: 25, width: 100, height: 100), color: .green, lineWidth: 2)
        canvas.drawText("clipped text", x: -20, y: -3, color: .black, scale: 3)
        canvas.drawText("→ unicode", x: 30, y: 25, color: .black)
        canvas.draw(RasterImage(width: 10, height: 10, channels: 1, filledWith: .white), x: 35, y: -5)
        XCTAssertEqual(canvas.image.pixel(x: 4, y: 4), .green)
        XCTAssertEqual(canvas.image.pixel(x: 36, y: 26), .green)
    }

    func testHorizontalLineOnPixelCentresIsCrisp() {
        var canvas = Canvas(width: 12, height: 10)
        canvas.drawLine(from: (1, 5.5), to: (11, 5.5), color: .black, width: 1)
        for x in 2..<10 {
            XCTAssertEqual(canvas.image.pixel(x: x, y: 5), .black)
            XCTAssertEqual(canvas.image.pixel(x: x, y: 4), .white)
            XCTAssertEqual(canvas.image.pixel(x: x, y: 6), .white)
        }
    }

    func testTranslucentPolylineIsNotDarkerAtItsJoints() {
        var canvas = Canvas(width: 40, height: 20)
        canvas.drawPolyline([(2, 10.5), (20, 10.5), (38, 10.5)], color: .black, width: 2, opacity: 0.5)
        XCTAssertEqual(canvas.image.pixel(x: 20, y: 10), canvas.image.pixel(x: 10, y: 10))
        XCTAssertEqual(canvas.image.pixel(x: 10, y: 10), RGBColor(gray: 128))
    }

    func testClipRectangleAndOpacity() {
        var canvas = Canvas(width: 10, height: 10)
        canvas.clip = PixelRect(x: 2, y: 2, width: 3, height: 3)
        canvas.fillRect(PixelRect(x: 0, y: 0, width: 10, height: 10), color: .black, opacity: 0.5)
        XCTAssertEqual(inkPixels(canvas.image).count, 9)
        XCTAssertEqual(canvas.image.pixel(x: 3, y: 3), RGBColor(gray: 128))
    }

    func testGrayscaleCanvasDrawsLuma() {
        var canvas = Canvas(width: 4, height: 4, channels: 1, background: .black)
        canvas.fillRect(PixelRect(x: 0, y: 0, width: 2, height: 2), color: .orange)
        XCTAssertEqual(canvas.image.channels, 1)
        XCTAssertEqual(canvas.image.pixel(x: 1, y: 1), RGBColor(gray: RGBColor.orange.luma))
        XCTAssertEqual(canvas.image.pixel(x: 3, y: 3), .black)
    }
}
