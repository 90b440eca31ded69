import Foundation

/// A file or argument that a format cannot accept, with the reason in words.
///
/// Every encoder and decoder in `Artifacts` throws this type, so one `catch` prints a message such
/// as `PNG: chunk IDAT at byte 33: CRC mismatch (stored 0x1234abcd, computed 0x89ab0011)` or
/// `safetensors file /runs/a/model.safetensors: tensor "w" has dtype F16; only F32 is supported`.
///
/// ```swift
/// do { _ = try Safetensors.read(from: url) }
/// catch let error as FormatError { print(error) }
/// ```
public struct FormatError: Error, CustomStringConvertible, Equatable {
    /// The format's name: "PNG", "NPY", "safetensors", "image grid".
    public let format: String
    /// What is wrong, specific enough to find it (offsets, names, expected and found values).
    public let reason: String
    /// The file being read, when the bytes came from one.
    public let path: String?

    public init(format: String, reason: String, path: String? = nil) {
        self.format = format
        self.reason = reason
        self.path = path
    }

    public var description: String {
        if let path { return "\(format) file \(path): \(reason)" }
        return "\(format): \(reason)"
    }

    /// Text from a file, safe to print: bytes outside printable ASCII as \xNN, at most `limit`
    /// characters (a damaged header must not dump binary into the terminal).
    public static func printable(_ text: String, limit: Int = 80) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            if out.count >= limit { return out + "…" }
            out +=
                (0x20...0x7E).contains(scalar.value)
                ? String(scalar) : scalar.value < 0x100 ? String(format: "\\x%02X", scalar.value) : "?"
        }
        return out
    }

    /// The same error, now naming the file it came from.
    public func naming(_ url: URL) -> FormatError {
        FormatError(format: format, reason: reason, path: url.path)
    }
}
