/// A batch of images laid out as one picture: `columns` tiles per row, in batch order, with
/// `padding` pixels of `paddingColor` around every tile, the way GAN papers show samples.
///
/// Values are mapped linearly from `valueRange` to 0...255 and clamped, so generator outputs in
/// -1...1 (tanh) or 0...1 (sigmoid) both show as intended; NaN shows as 0 (black). `scale` repeats
/// each pixel into a square so small images (28×28 digits) stay visible. `rowLabels`, one per row,
/// are drawn to the left of the rows, e.g. the class of a conditional GAN's row. The result has the
/// images' channel count (1: grayscale, 3: RGB).
///
/// ```swift
/// // 64 generated MNIST digits (NHWC, tanh outputs) as 8 rows of 8, each pixel shown 2×2.
/// let grid = try ImageGrid.render(nhwc: samples, height: 28, width: 28, channels: 1,
///                                 valueRange: -1...1, columns: 8, scale: 2)
/// try grid.write(to: runFolder.appendingPathComponent("samples.png"))
///
/// // One row per class.
/// let byClass = try ImageGrid.render(nhwc: perClass, height: 28, width: 28, channels: 1, columns: 10,
///                                    rowLabels: (0..<10).map { "class \($0)" })
/// ```
public enum ImageGrid {
    public static func render(
        nhwc values: [Float], height: Int, width: Int, channels: Int,
        valueRange: ClosedRange<Float> = -1...1, columns: Int, padding: Int = 2,
        paddingColor: RGBColor = .gridGray, scale: Int = 1,
        rowLabels: [String]? = nil, labelColor: RGBColor = RGBColor(gray: 235)
    ) throws -> RasterImage {
        func invalid(_ reason: String) -> FormatError { FormatError(format: "image grid", reason: reason) }
        guard channels == 1 || channels == 3 else { throw invalid("channels must be 1 or 3, got \(channels)") }
        guard height > 0, width > 0 else { throw invalid("image size must be positive, got \(height)×\(width)") }
        guard columns > 0, padding >= 0, scale > 0 else {
            throw invalid(
                "columns and scale must be positive and padding not negative, got columns \(columns), scale \(scale), padding \(padding)"
            )
        }
        guard valueRange.lowerBound.isFinite, valueRange.upperBound.isFinite,
            valueRange.lowerBound < valueRange.upperBound
        else {
            throw invalid("value range \(valueRange) is empty or not finite")
        }
        let imageSize = height * width * channels
        guard !values.isEmpty, values.count % imageSize == 0 else {
            throw invalid("\(values.count) values are not a whole number of \(height)×\(width)×\(channels) images")
        }
        let count = values.count / imageSize
        let rows = (count + columns - 1) / columns
        if let rowLabels, rowLabels.count != rows {
            throw invalid("\(rowLabels.count) row labels for \(rows) rows")
        }

        let tileWidth = width * scale, tileHeight = height * scale
        let labelScale = max(1, min(3, tileHeight / 24))
        let labelGap = max(4, padding)
        let widestLabel = rowLabels?.map { BitmapFont.width(of: $0, scale: labelScale) }.max() ?? 0
        // Labels get `labelGap` on both sides; the tiles' own padding counts toward the gap on the right.
        let gridLeft = rowLabels == nil ? 0 : 2 * labelGap + widestLabel - padding
        let outputWidth = gridLeft + columns * (tileWidth + padding) + padding
        let outputHeight = rows * (tileHeight + padding) + padding
        var image = RasterImage(width: outputWidth, height: outputHeight, channels: channels, filledWith: paddingColor)

        let lower = valueRange.lowerBound, toByte = 255 / (valueRange.upperBound - valueRange.lowerBound)
        var scaledRow = [UInt8](repeating: 0, count: tileWidth * channels)
        values.withUnsafeBufferPointer { source in
            image.pixels.withUnsafeMutableBufferPointer { output in
                scaledRow.withUnsafeMutableBufferPointer { scaledRow in
                    for index in 0..<count {
                        let left = gridLeft + padding + (index % columns) * (tileWidth + padding)
                        let top = padding + (index / columns) * (tileHeight + padding)
                        for y in 0..<height {
                            let sourceRow = source.baseAddress! + (index * height + y) * width * channels
                            for x in 0..<width {
                                for c in 0..<channels {
                                    let level = (sourceRow[x * channels + c] - lower) * toByte
                                    // `!(level > 0)` also catches NaN, which must not reach UInt8().
                                    let byte: UInt8 = !(level > 0) ? 0 : level >= 255 ? 255 : UInt8(level + 0.5)
                                    for copy in 0..<scale { scaledRow[(x * scale + copy) * channels + c] = byte }
                                }
                            }
                            for copy in 0..<scale {
                                let destination =
                                    output.baseAddress! + ((top + y * scale + copy) * outputWidth + left) * channels
                                destination.update(from: scaledRow.baseAddress!, count: tileWidth * channels)
                            }
                        }
                    }
                }
            }
        }

        guard let rowLabels else { return image }
        var canvas = Canvas(image: image)
        for (row, label) in rowLabels.enumerated() {
            let textWidth = BitmapFont.width(of: label, scale: labelScale)
            let top = padding + row * (tileHeight + padding) + (tileHeight - BitmapFont.capHeight * labelScale) / 2
            canvas.drawText(label, x: labelGap + widestLabel - textWidth, y: top, color: labelColor, scale: labelScale)
        }
        return canvas.image
    }
}
