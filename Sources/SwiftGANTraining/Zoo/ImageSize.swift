/// An image size, height × width: `64` (square) or `48x80` on the command line and in files.
///
/// A square size is written as a number, as configurations and checkpoints wrote it before sizes
/// could have an aspect, so old files read the same.
public struct ImageSize: Hashable, Sendable, LosslessStringConvertible, ExpressibleByIntegerLiteral, Codable {
    public var height: Int, width: Int

    public init(height: Int, width: Int) { (self.height, self.width) = (height, width) }
    public init(integerLiteral side: Int) { self.init(height: side, width: side) }

    /// "64", "48x80" (also with `×` or `X`); nil for anything else.
    public init?(_ text: String) {
        let parts = text.split(omittingEmptySubsequences: false) { $0 == "x" || $0 == "X" || $0 == "×" }
        guard (1...2).contains(parts.count), let height = Int(parts[0]), let width = Int(parts[parts.count - 1])
        else { return nil }
        self.init(height: height, width: width)
    }

    public var isSquare: Bool { height == width }
    public var description: String { isSquare ? "\(height)" : "\(height)x\(width)" }

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let side = try? container.decode(Int.self) {
            self.init(height: side, width: side)
            return
        }
        let text = try container.decode(String.self)
        guard let size = ImageSize(text) else {
            throw DecodingError.dataCorruptedError(
                in: container,
                debugDescription:
                    "an image size is a number or HEIGHTxWIDTH, not '\(String(String.UnicodeScalarView(text.unicodeScalars.prefix(40).filter { (0x20...0x7E).contains($0.value) })))'"
            )
        }
        self = size
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        if isSquare { try container.encode(height) } else { try container.encode(description) }
    }
}
