import Foundation

/// A finished picture: `height` rows of `width` pixels, each `channels` bytes (1: grayscale,
/// 3: RGB), top row first. Image grids and charts produce one; `png()` and `write(to:)` save it.
///
/// ```swift
/// let samples = try ImageGrid.render(nhwc: fake, height: 28, width: 28, channels: 1, columns: 8)
/// let real = try ImageGrid.render(nhwc: batch, height: 28, width: 28, channels: 1, columns: 8)
/// try RasterImage.stacked([samples, real]).write(to: runFolder.appendingPathComponent("epoch_010.png"))
/// ```
public struct RasterImage: Equatable, Sendable {
    public let width: Int
    public let height: Int
    public let channels: Int
    public var pixels: [UInt8]

    public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) {
        precondition(
            width >= 0 && height >= 0 && (channels == 1 || channels == 3),
            "a raster image is 1 (grayscale) or 3 (RGB) channels of non-negative size, got \(width)×\(height)×\(channels)"
        )
        precondition(
            pixels.count == width * height * channels,
            "\(pixels.count) pixel bytes do not fill a \(width)×\(height)×\(channels) image")
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels
    }

    /// An image of one colour (its luma when `channels` is 1).
    public init(width: Int, height: Int, channels: Int = 3, filledWith color: RGBColor) {
        let pixel = channels == 1 ? [color.luma] : [color.red, color.green, color.blue]
        var pixels = [UInt8]()
        pixels.reserveCapacity(width * height * channels)
        for _ in 0..<(width * height) { pixels.append(contentsOf: pixel) }
        self.init(width: width, height: height, channels: channels, pixels: pixels)
    }

    /// The colour at column `x`, row `y` (gray for a grayscale image).
    public func pixel(x: Int, y: Int) -> RGBColor {
        let i = (y * width + x) * channels
        return channels == 1 ? RGBColor(gray: pixels[i]) : RGBColor(pixels[i], pixels[i + 1], pixels[i + 2])
    }

    /// The image as a PNG file.
    public func png() throws -> Data {
        try PNG.encode(pixels: pixels, width: width, height: height, channels: channels)
    }

    /// Writes the image as a PNG file, atomically.
    public func write(to url: URL) throws {
        try AtomicFile.write(png(), to: url)
    }

    /// The same picture with `channels` channels: gray is repeated into RGB, RGB is reduced to luma.
    public func converted(toChannels target: Int) -> RasterImage {
        if target == channels { return self }
        precondition(target == 1 || target == 3, "an image has 1 or 3 channels, got \(target)")
        var converted = [UInt8](repeating: 0, count: width * height * target)
        for i in 0..<(width * height) {
            if target == 3 {
                converted[3 * i] = pixels[i]; converted[3 * i + 1] = pixels[i]; converted[3 * i + 2] = pixels[i]
            } else {
                converted[i] = RGBColor(pixels[3 * i], pixels[3 * i + 1], pixels[3 * i + 2]).luma
            }
        }
        return RasterImage(width: width, height: height, channels: target, pixels: converted)
    }

    /// Images one above the other, centred, with a band of `gap` rows in `gapColor` between them.
    /// Beside an image narrower than the widest the background shows. Grayscale images become RGB
    /// when any image is RGB.
    ///
    /// ```swift
    /// let figure = RasterImage.stacked([generatedGrid, realGrid], gap: 6)
    /// ```
    public static func stacked(
        _ images: [RasterImage], gap: Int = 6, gapColor: RGBColor = RGBColor(gray: 200),
        background: RGBColor = .gridGray
    ) -> RasterImage {
        precondition(!images.isEmpty, "stacking needs at least one image")
        let channels = images.contains { $0.channels == 3 } ? 3 : 1
        let width = images.map(\.width).max()!
        let height = images.map(\.height).reduce(0, +) + gap * (images.count - 1)
        var canvas = Canvas(width: width, height: height, channels: channels, background: background)
        var y = 0
        for (index, image) in images.enumerated() {
            if index > 0 {
                canvas.fillRect(PixelRect(x: 0, y: y, width: width, height: gap), color: gapColor)
                y += gap
            }
            canvas.draw(image, x: (width - image.width) / 2, y: y)
            y += image.height
        }
        return canvas.image
    }
}
