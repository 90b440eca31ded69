import Foundation

/// Animated GIF files (GIF89a), for watching samples evolve over training.
///
/// `encodeAnimation` writes one full-size frame per image, all sharing one global palette:
/// grayscale animations get the 256 grays (index = gray level), so they are stored exactly; RGB
/// animations (or a mix of grayscale and RGB frames) get their own colours exactly when they have
/// at most 256 distinct ones, and otherwise 256 colours chosen by variance-based median cut (see
/// `ColorQuantizer`) with every pixel mapped to its nearest entry, without dithering. Each frame carries a graphic control extension with its
/// delay; a NETSCAPE2.0 application extension makes viewers loop. `decode` reads these files and
/// other simple ones (global or local palettes, frames covering part of the screen, a transparent
/// index), compositing every frame onto the full screen.
///
/// ```swift
/// let frames = try epochs.map { try PNG.read(from: runFolder.appendingPathComponent("epoch_\($0).png")) }
/// try GIF.writeAnimation(frames, frameDelay: 20, lastFrameDelay: 300,
///                        to: runFolder.appendingPathComponent("training.gif"))
/// let movie = try GIF.decode(Data(contentsOf: runFolder.appendingPathComponent("training.gif")))
/// print(movie.frames.count, movie.delays)            // 30 [20, 20, ..., 300]
/// ```
public enum GIF {
    /// A decoded animation: every frame as a full-screen RGB image.
    public struct Animation: Equatable, Sendable {
        public let width: Int
        public let height: Int
        /// The global colour table as stored, including any entries that only pad it to a power of
        /// two; empty when the file has none.
        public let palette: [RGBColor]
        public let frames: [RasterImage]
        /// Each frame's delay in hundredths of a second (0 for a frame without one).
        public let delays: [Int]
        /// Whether the file asks viewers to repeat the animation (a NETSCAPE2.0 loop block).
        public let loops: Bool
    }

    static let signature = Array("GIF89a".utf8)
    static let trailer: UInt8 = 0x3B
    static let extensionIntroducer: UInt8 = 0x21
    static let imageSeparator: UInt8 = 0x2C
    static let graphicControlLabel: UInt8 = 0xF9
    static let applicationLabel: UInt8 = 0xFF
    static let loopApplication = Array("NETSCAPE2.0".utf8)

    /// The GIF file showing `frames` in order, each for `frameDelay` hundredths of a second and the
    /// last for `lastFrameDelay`, so a viewer pauses on the final result before looping (when
    /// `loopForever`). All frames must have the same size; each is grayscale or RGB.
    public static func encodeAnimation(
        _ frames: [RasterImage], frameDelay: Int = 25, lastFrameDelay: Int = 200,
        loopForever: Bool = true
    ) throws -> Data {
        guard let first = frames.first else {
            throw FormatError(format: "GIF", reason: "an animation needs at least one frame")
        }
        guard (1...Int(UInt16.max)).contains(first.width), (1...Int(UInt16.max)).contains(first.height) else {
            throw FormatError(
                format: "GIF", reason: "frame width and height must be in 1...65535, got \(first.width)×\(first.height)"
            )
        }
        if let index = frames.firstIndex(where: { $0.width != first.width || $0.height != first.height }) {
            throw FormatError(
                format: "GIF",
                reason:
                    "frame \(index) is \(frames[index].width)×\(frames[index].height) but frame 0 is \(first.width)×\(first.height); all frames must have the same size"
            )
        }
        for (name, delay) in [("frameDelay", frameDelay), ("lastFrameDelay", lastFrameDelay)]
        where !(0...Int(UInt16.max)).contains(delay) {
            throw FormatError(
                format: "GIF", reason: "\(name) must be in 0...65535 hundredths of a second, got \(delay)")
        }

        let (palette, indexFrames) = paletteAndIndices(for: frames)
        // The colour table holds 2^(sizeField + 1) entries; LZW needs at least 2-bit literals.
        let sizeField = (0...7).first { 2 << $0 >= palette.count }!
        let minimumCodeSize = max(2, sizeField + 1)

        var file = signature
        file.appendLittleEndian16(first.width)
        file.appendLittleEndian16(first.height)
        // Global table present, 8 bits per primary, unsorted, its size; background 0; square pixels.
        file += [0x80 | 0x70 | UInt8(sizeField), 0, 0]
        for color in palette { file += [color.red, color.green, color.blue] }
        file += [UInt8](repeating: 0, count: 3 * ((2 << sizeField) - palette.count))
        if loopForever {
            // Sub-block 1 of the NETSCAPE2.0 extension is the loop count; 0 means forever.
            file += [extensionIntroducer, applicationLabel, UInt8(loopApplication.count)] + loopApplication
            file += [3, 1, 0, 0, 0]
        }
        var encoder = GIFLZWEncoder(minimumCodeSize: minimumCodeSize)
        for (index, indices) in indexFrames.enumerated() {
            // Disposal method 1 (leave the frame in place), no transparent colour.
            file += [extensionIntroducer, graphicControlLabel, 4, 1 << 2]
            file.appendLittleEndian16(index == indexFrames.count - 1 ? lastFrameDelay : frameDelay)
            file += [0, 0]
            file += [imageSeparator, 0, 0, 0, 0]
            file.appendLittleEndian16(first.width)
            file.appendLittleEndian16(first.height)
            file += [0, UInt8(minimumCodeSize)]
            appendSubBlocks(encoder.compress(indices), to: &file)
        }
        file.append(trailer)
        return Data(file)
    }

    /// Encodes the animation (see `encodeAnimation`) and writes the file atomically.
    public static func writeAnimation(
        _ frames: [RasterImage], frameDelay: Int = 25, lastFrameDelay: Int = 200,
        loopForever: Bool = true, to url: URL
    ) throws {
        let data = try encodeAnimation(
            frames, frameDelay: frameDelay, lastFrameDelay: lastFrameDelay, loopForever: loopForever)
        try AtomicFile.write(data, to: url)
    }

    /// The palette for the whole animation and every frame's pixels as indices into it.
    static func paletteAndIndices(for frames: [RasterImage]) -> (palette: [RGBColor], indices: [[UInt8]]) {
        if frames.allSatisfy({ $0.channels == 1 }) {
            return ((0...255).map { RGBColor(gray: UInt8($0)) }, frames.map(\.pixels))
        }
        let rgbFrames = frames.map { $0.converted(toChannels: 3) }
        let palette = ColorQuantizer.palette(for: rgbFrames, maximumCount: 256)
        return (palette, NearestColor.indices(of: rgbFrames, in: palette))
    }

    /// Data sub-blocks: runs of at most 255 bytes, each after its length, then an empty block.
    static func appendSubBlocks(_ bytes: [UInt8], to file: inout [UInt8]) {
        for start in stride(from: 0, to: bytes.count, by: 255) {
            let end = min(start + 255, bytes.count)
            file.append(UInt8(end - start))
            file += bytes[start..<end]
        }
        file.append(0)
    }

    // MARK: Decoding

    /// Decoding refuses a screen of more pixels than this (4096², 48 MiB a frame as RGB)...
    public static let maxScreenPixels = 1 << 24
    /// ...and an animation whose frames, each a whole screen, would take more bytes than this.
    public static let maxDecodedBytes = 1 << 30

    /// The animation in a GIF file (GIF87a or GIF89a). Frames are composited onto the full screen,
    /// starting from the background colour, with transparent pixels showing the previous frame.
    /// Throws a `FormatError` for a bad signature, truncated data (naming what was being read and
    /// where), a bad LZW code, a colour index outside the palette, or a feature outside this
    /// subset: interlaced images, and disposal methods 2 and 3 (restore to background or previous).
    public static func decode(_ data: Data) throws -> Animation {
        var reader = ByteReader(bytes: [UInt8](data))
        let header = try reader.read(6, "the header")
        guard header == signature || header == Array("GIF87a".utf8) else {
            throw FormatError(
                format: "GIF", reason: "not a GIF file: the first 6 bytes are not \"GIF87a\" or \"GIF89a\"")
        }
        let width = try reader.littleEndian16("the screen width"),
            height = try reader.littleEndian16("the screen height")
        guard width > 0, height > 0 else {
            throw FormatError(format: "GIF", reason: "empty screen size \(width)×\(height)")
        }
        let screenFlags = try reader.byte("the screen descriptor")
        let backgroundIndex = Int(try reader.byte("the background colour index"))
        _ = try reader.byte("the pixel aspect ratio")
        let globalPalette =
            screenFlags & 0x80 != 0 ? try reader.palette(sizeField: screenFlags & 7, "the global colour table") : []

        let background = backgroundIndex < globalPalette.count ? globalPalette[backgroundIndex] : .black
        // Made when the first image has decoded, so a corrupt header cannot demand a huge screen alone.
        var screen: [UInt8] = []
        var frames: [RasterImage] = [], delays: [Int] = [], loops = false
        var control: (delay: Int, transparentIndex: Int?)?
        decoding: while true {
            let blockStart = reader.offset
            switch try reader.byte("the next block") {
            case extensionIntroducer:
                let label = try reader.byte("an extension label")
                if label == graphicControlLabel {
                    let body = try reader.subBlocks("a graphic control extension")
                    guard body.count == 4 else {
                        throw FormatError(
                            format: "GIF",
                            reason:
                                "graphic control extension at byte \(blockStart) has \(body.count) bytes, expected 4")
                    }
                    let disposal = (body[0] >> 2) & 7
                    guard disposal <= 1 else {
                        throw FormatError(
                            format: "GIF",
                            reason:
                                "graphic control extension at byte \(blockStart): disposal method \(disposal) is not supported (only 0 and 1)"
                        )
                    }
                    control = (Int(body[1]) | Int(body[2]) << 8, body[0] & 1 != 0 ? Int(body[3]) : nil)
                } else if label == applicationLabel {
                    let identifierLength = Int(try reader.byte("an application extension"))
                    let identifier = try reader.read(identifierLength, "an application identifier")
                    let body = try reader.subBlocks("an application extension")
                    if identifier == loopApplication && body.first == 1 { loops = true }
                } else {
                    _ = try reader.subBlocks("an extension")  // comments and plain text change no pixel
                }
            case imageSeparator:
                let left = try reader.littleEndian16("an image position"),
                    top = try reader.littleEndian16("an image position")
                let frameWidth = try reader.littleEndian16("an image width"),
                    frameHeight = try reader.littleEndian16("an image height")
                let flags = try reader.byte("an image descriptor")
                let name = "image \(frames.count) at byte \(blockStart)"
                guard frameWidth > 0, frameHeight > 0, left + frameWidth <= width, top + frameHeight <= height else {
                    throw FormatError(
                        format: "GIF",
                        reason:
                            "\(name): a \(frameWidth)×\(frameHeight) image at (\(left), \(top)) does not lie within the \(width)×\(height) screen"
                    )
                }
                guard flags & 0x40 == 0 else {
                    throw FormatError(format: "GIF", reason: "\(name): interlaced images are not supported")
                }
                let palette =
                    flags & 0x80 != 0 ? try reader.palette(sizeField: flags & 7, "a local colour table") : globalPalette
                guard !palette.isEmpty else { throw FormatError(format: "GIF", reason: "\(name) has no colour table") }
                let minimumCodeSize = Int(try reader.byte("an LZW minimum code size"))
                guard (2...8).contains(minimumCodeSize) else {
                    throw FormatError(
                        format: "GIF", reason: "\(name): LZW minimum code size \(minimumCodeSize) is outside 2...8")
                }
                let indices: [UInt8]
                do {
                    indices = try GIFLZW.decompress(
                        try reader.subBlocks("image data"), minimumCodeSize: minimumCodeSize,
                        pixelCount: frameWidth * frameHeight)
                } catch let error as FormatError {
                    throw FormatError(format: "GIF", reason: "\(name): \(error.reason)")
                }
                if screen.isEmpty {
                    guard width * height <= maxScreenPixels else {
                        throw FormatError(
                            format: "GIF",
                            reason:
                                "a screen of \(width)×\(height) pixels is larger than the limit of \(maxScreenPixels) pixels"
                        )
                    }
                    screen = RasterImage(width: width, height: height, filledWith: background).pixels
                }
                // Every frame is a whole screen: bound what the animation holds decoded.
                guard (frames.count + 1) * width * height * 3 <= maxDecodedBytes else {
                    throw FormatError(
                        format: "GIF",
                        reason:
                            "\(name): \(frames.count + 1) frames of \(width)×\(height) pixels would take more than the limit of \(maxDecodedBytes) bytes decoded"
                    )
                }
                let transparent = control?.transparentIndex ?? -1
                for y in 0..<frameHeight {
                    for x in 0..<frameWidth {
                        let index = Int(indices[y * frameWidth + x])
                        if index == transparent { continue }
                        guard index < palette.count else {
                            throw FormatError(
                                format: "GIF",
                                reason:
                                    "\(name): colour index \(index) at (\(x), \(y)) is outside the \(palette.count)-colour table"
                            )
                        }
                        let offset = 3 * ((top + y) * width + left + x)
                        screen[offset] = palette[index].red
                        screen[offset + 1] = palette[index].green
                        screen[offset + 2] = palette[index].blue
                    }
                }
                frames.append(RasterImage(width: width, height: height, channels: 3, pixels: screen))
                delays.append(control?.delay ?? 0)
                control = nil
            case trailer:
                break decoding
            case let other:
                throw FormatError(
                    format: "GIF", reason: "unknown block type 0x\(String(other, radix: 16)) at byte \(blockStart)")
            }
        }
        guard reader.offset == reader.bytes.count else {
            throw FormatError(format: "GIF", reason: "\(reader.bytes.count - reader.offset) bytes follow the trailer")
        }
        guard !frames.isEmpty else { throw FormatError(format: "GIF", reason: "the file holds no image") }
        return Animation(
            width: width, height: height, palette: globalPalette, frames: frames, delays: delays, loops: loops)
    }

    /// The largest GIF file read: a run's training.gif is a few MB.
    public static let maximumFileSize = 256 << 20

    /// Reads and decodes a GIF file; errors name the file.
    public static func read(from url: URL, links: InputFile.Links = .follow) throws -> Animation {
        let data = try InputFile.read(url, format: "GIF", limit: maximumFileSize, links: links)
        do { return try decode(data) } catch let error as FormatError { throw error.naming(url) }
    }

    /// Reads a GIF's bytes in order; running out throws an error naming what was being read.
    private struct ByteReader {
        let bytes: [UInt8]
        var offset = 0

        mutating func read(_ count: Int, _ what: String) throws -> [UInt8] {
            guard count <= bytes.count - offset else {
                throw FormatError(
                    format: "GIF",
                    reason:
                        "truncated: the data ends at byte \(bytes.count) while reading \(what), \(count) bytes from byte \(offset)"
                )
            }
            defer { offset += count }
            return Array(bytes[offset..<offset + count])
        }

        mutating func byte(_ what: String) throws -> UInt8 { try read(1, what)[0] }

        mutating func littleEndian16(_ what: String) throws -> Int {
            let pair = try read(2, what)
            return Int(pair[0]) | Int(pair[1]) << 8
        }

        /// A colour table of 2^(sizeField + 1) entries.
        mutating func palette(sizeField: UInt8, _ what: String) throws -> [RGBColor] {
            let table = try read(3 * (2 << Int(sizeField)), what)
            return stride(from: 0, to: table.count, by: 3).map { RGBColor(table[$0], table[$0 + 1], table[$0 + 2]) }
        }

        /// Data sub-blocks up to and including the empty one, joined.
        mutating func subBlocks(_ what: String) throws -> [UInt8] {
            var joined: [UInt8] = []
            while true {
                let count = Int(try byte(what))
                if count == 0 { return joined }
                joined += try read(count, what)
            }
        }
    }
}

extension Array where Element == UInt8 {
    /// Appends `value` as GIF stores numbers: two bytes, low byte first.
    fileprivate mutating func appendLittleEndian16(_ value: Int) {
        append(UInt8(value & 0xFF))
        append(UInt8(value >> 8))
    }
}
