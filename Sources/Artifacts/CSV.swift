import Foundation

/// A table written as CSV text (RFC 4180): a header line, then one line per row, fields separated by
/// commas, and a field quoted (with inner quotes doubled) only when it holds a comma, a quote or a
/// line break. Numbers are written as Swift prints them: the shortest text that reads back as the
/// same value ("0.1", "1e-05", "nan").
///
/// ```swift
/// var history = CSVTable(header: ["step", "d_loss", "g_loss"])
/// history.append([100, 0.693, 0.71])
/// history.append([200, 0.651, 0.88])
/// try history.write(to: runFolder.appendingPathComponent("history.csv"))
/// ```
public struct CSVTable {
    public let header: [String]
    public private(set) var rows: [[String]] = []

    public init(header: [String]) {
        self.header = header
    }

    /// Adds a row of numbers or strings, one per header column.
    public mutating func append(_ fields: [any CustomStringConvertible]) {
        precondition(fields.count == header.count, "a row of \(fields.count) fields for \(header.count) columns")
        rows.append(fields.map(\.description))
    }

    /// The whole table, lines ending in "\n".
    public var text: String {
        ([header] + rows).map { $0.map(Self.quoted).joined(separator: ",") + "\n" }.joined()
    }

    /// Writes the table atomically, so a reader never sees a half-written file mid-training.
    public func write(to url: URL) throws {
        try AtomicFile.write(text, to: url)
    }

    static func quoted(_ field: String) -> String {
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0.isNewline }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
