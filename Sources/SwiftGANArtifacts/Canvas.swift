/// A picture to draw on: rectangles, images and pixel-font text here; anti-aliased lines and
/// discs in `Canvas+Shapes.swift`. Colours are RGB; on a grayscale canvas they become their luma.
///
/// Drawing is clipped to `clip` (the whole canvas to begin with), so shapes may run off the edge.
/// Coordinates are pixels from the top left; for the anti-aliased shapes, pixel (i, j) covers the
/// square from (i, j) to (i + 1, j + 1), so its centre is (i + 0.5, j + 0.5).
///
/// ```swift
/// var canvas = Canvas(width: 200, height: 100)
/// canvas.fillRect(PixelRect(x: 10, y: 10, width: 50, height: 20), color: .blue)
/// canvas.drawText("step 1.5k", x: 10, y: 40, color: .black, scale: 2)
/// canvas.drawPolyline([(x: 10, y: 90), (x: 100, y: 60), (x: 190, y: 80)], color: .orange, width: 2)
/// try canvas.image.write(to: URL(fileURLWithPath: "/tmp/canvas.png"))
/// ```
public struct Canvas {
    public private(set) var image: RasterImage
    /// Drawing outside this rectangle leaves the pixels unchanged.
    public var clip: PixelRect

    public init(width: Int, height: Int, channels: Int = 3, background: RGBColor = .white) {
        self.init(image: RasterImage(width: width, height: height, channels: channels, filledWith: background))
    }

    /// A canvas that draws over an existing image.
    public init(image: RasterImage) {
        self.image = image
        clip = PixelRect(x: 0, y: 0, width: image.width, height: image.height)
    }

    public var width: Int { image.width }
    public var height: Int { image.height }

    /// Which way text runs.
    public enum TextDirection: Sendable {
        case horizontal
        /// Rotated a quarter turn counter-clockwise, reading bottom to top, as on a y axis.
        case upward
    }

    public mutating func fillRect(_ rect: PixelRect, color: RGBColor, opacity: Double = 1) {
        withPixels { pixels in
            let area = rect.intersection(pixels.area)
            for y in area.y..<area.maxY {
                for x in area.x..<area.maxX { pixels.blend(x: x, y: y, color: color, alpha: Float(opacity)) }
            }
        }
    }

    /// The rectangle's outline, `lineWidth` pixels thick, drawn inside its edges.
    public mutating func strokeRect(_ rect: PixelRect, color: RGBColor, lineWidth: Int = 1) {
        let w = min(lineWidth, rect.width, rect.height)
        guard w > 0 else { return }
        fillRect(PixelRect(x: rect.x, y: rect.y, width: rect.width, height: w), color: color)
        fillRect(PixelRect(x: rect.x, y: rect.maxY - w, width: rect.width, height: w), color: color)
        fillRect(PixelRect(x: rect.x, y: rect.y + w, width: w, height: rect.height - 2 * w), color: color)
        fillRect(PixelRect(x: rect.maxX - w, y: rect.y + w, width: w, height: rect.height - 2 * w), color: color)
    }

    /// Copies `source` with its top left at (`x`, `y`), converting grayscale and RGB as needed.
    public mutating func draw(_ source: RasterImage, x: Int, y: Int) {
        withPixels { pixels in
            let area = PixelRect(x: x, y: y, width: source.width, height: source.height).intersection(pixels.area)
            for row in area.y..<area.maxY {
                for column in area.x..<area.maxX {
                    pixels.blend(x: column, y: row, color: source.pixel(x: column - x, y: row - y), alpha: 1)
                }
            }
        }
    }

    /// Draws `text` in the pixel font with the top left of its first capital at (`x`, `y`); each
    /// font pixel becomes a `scale`×`scale` square. Upward text starts at (`x`, `y`) and runs up,
    /// its capitals' tops facing left.
    public mutating func drawText(
        _ text: String, x: Int, y: Int, color: RGBColor, scale: Int = 1,
        direction: TextDirection = .horizontal
    ) {
        precondition(scale >= 1, "text scale must be at least 1, got \(scale)")
        withPixels { pixels in
            BitmapFont.forEachPixel(of: text) { fontX, fontY in
                let (left, top) =
                    direction == .horizontal
                    ? (x + fontX * scale, y + fontY * scale)
                    : (x + fontY * scale, y - (fontX + 1) * scale + 1)
                let square = PixelRect(x: left, y: top, width: scale, height: scale).intersection(pixels.area)
                for row in square.y..<square.maxY {
                    for column in square.x..<square.maxX { pixels.blend(x: column, y: row, color: color, alpha: 1) }
                }
            }
        }
    }

    /// Runs `body` with direct access to the pixels inside the clip rectangle.
    mutating func withPixels(_ body: (PixelWriter) -> Void) {
        let area = clip.intersection(PixelRect(x: 0, y: 0, width: image.width, height: image.height))
        guard !area.isEmpty else { return }
        let (width, channels) = (image.width, image.channels)
        image.pixels.withUnsafeMutableBufferPointer { buffer in
            body(PixelWriter(base: buffer.baseAddress!, width: width, channels: channels, area: area))
        }
    }
}

/// Unchecked pixel access for the drawing loops; callers keep coordinates inside `area`.
struct PixelWriter {
    let base: UnsafeMutablePointer<UInt8>
    let width: Int
    let channels: Int
    /// The drawable pixels: the clip rectangle within the image.
    let area: PixelRect

    /// Mixes `color` into the pixel: `alpha` 1 replaces it, 0 leaves it.
    @inline(__always)
    func blend(x: Int, y: Int, color: RGBColor, alpha: Float) {
        let pixel = base + (y * width + x) * channels
        if channels == 1 {
            pixel[0] = mix(pixel[0], color.luma, alpha)
        } else {
            pixel[0] = mix(pixel[0], color.red, alpha)
            pixel[1] = mix(pixel[1], color.green, alpha)
            pixel[2] = mix(pixel[2], color.blue, alpha)
        }
    }

    @inline(__always)
    private func mix(_ old: UInt8, _ new: UInt8, _ alpha: Float) -> UInt8 {
        if alpha >= 1 { return new }
        if alpha <= 0 { return old }
        return UInt8(Float(old) + (Float(new) - Float(old)) * alpha + 0.5)
    }
}
