import Foundation
import SwiftGANCPNG

/// An image decoded from a file: 8 bits per channel, rows top to bottom, channels interleaved;
/// 1 channel (gray) or 3 (RGB).
package struct DecodedImage {
    var width: Int, height: Int, channels: Int
    var pixels: [UInt8]
    /// Each pixel stands for reduction × reduction pixels of the file's full-resolution image,
    /// which is fullWidth × fullHeight (a JPEG decoded at 1/2, 1/4 or 1/8 scale).
    var reduction = 1
    var fullWidth: Int, fullHeight: Int

    init(
        width: Int, height: Int, channels: Int, pixels: [UInt8], reduction: Int = 1, fullWidth: Int? = nil,
        fullHeight: Int? = nil
    ) {
        (self.width, self.height, self.channels, self.pixels) = (width, height, channels, pixels)
        (self.reduction, self.fullWidth, self.fullHeight) = (reduction, fullWidth ?? width, fullHeight ?? height)
    }
}

/// PNG and JPEG decoding for ``ImageFolder``. The format is taken from the file's first bytes, not
/// its name, so a PNG saved as `.jpg` still loads. Every failure is a thrown ``DataError`` whose
/// text is the reason alone (the caller adds the path).
package enum ImageDecoder {
    /// Larger images are refused before their pixels are allocated: 2^26 pixels is 8192², a
    /// 64-megapixel photo, 192 MiB as RGB. One image per core is decoded at a time, so decoding a
    /// folder holds at most cores × 192 MiB beyond the decoded set itself.
    static let maxPixels = 1 << 26

    /// Why an image of this size is refused (over ``maxPixels``), or nil.
    static func sizeProblem(_ format: String, width: Int, height: Int) -> String? {
        width * height <= maxPixels
            ? nil : "\(format) of \(width)×\(height) pixels is larger than the limit of \(maxPixels) pixels"
    }

    static let pngSignature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// `smallestUsefulSide`: the image will be fitted to an output no side of which is longer than
    /// this (``ImageFit``: a crop of the target's aspect, or the whole image), so a decoder may
    /// deliver any size whose shorter side is at least this: every side of what is then read still
    /// has at least as many pixels as the output side it becomes (JPEG decodes big photos at 1/2,
    /// 1/4 or 1/8 scale, which is several times faster).
    package static func decode(_ data: Data, smallestUsefulSide: Int) throws -> DecodedImage {
        let head = [UInt8](data.prefix(8))
        if head == pngSignature { return try decodePNG(data) }
        if head.starts(with: [0xFF, 0xD8, 0xFF]) {
            return try JPEGDecoder.decode(data, smallestUsefulSide: smallestUsefulSide)
        }
        if data.isEmpty { throw DataError("empty file") }
        let hex = head.prefix(4).map { String(format: "%02x", $0) }.joined(separator: " ")
        throw DataError("not a PNG or JPEG file (starts with \(hex))")
    }

    /// Through libpng's simplified API, which catches libpng's errors itself (by setjmp in C) and
    /// reports them in `message`. Any PNG colour type and depth becomes 8-bit gray or RGB; alpha is
    /// composited onto black.
    static func decodePNG(_ data: Data) throws -> DecodedImage {
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        defer { png_image_free(&image) }
        func failure(_ what: String) -> DataError {
            let message = withUnsafeBytes(of: image.message) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            return DataError("PNG \(what): \(message.isEmpty ? "unknown libpng error" : message)")
        }
        let begun = data.withUnsafeBytes { png_image_begin_read_from_memory(&image, $0.baseAddress, $0.count) }
        guard begun != 0 else { throw failure("header unreadable") }
        let width = Int(image.width), height = Int(image.height)
        if let problem = sizeProblem("PNG", width: width, height: height) { throw DataError(problem) }
        // PNG_FORMAT_FLAG_COLOR (a macro Swift does not import); without it the format is gray.
        let colorFlag: UInt32 = 0x02
        let channels = image.format & colorFlag != 0 ? 3 : 1
        image.format = channels == 3 ? colorFlag : 0
        // A null background composites alpha onto the buffer's contents: zeros, so black.
        var pixels = [UInt8](repeating: 0, count: width * height * channels)
        let finished = pixels.withUnsafeMutableBytes { png_image_finish_read(&image, nil, $0.baseAddress, 0, nil) }
        guard finished != 0 else { throw failure("data unreadable") }
        return DecodedImage(width: width, height: height, channels: channels, pixels: pixels)
    }
}
