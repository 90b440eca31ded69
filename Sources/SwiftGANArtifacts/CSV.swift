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

    /// Reads CSV text as `text` writes it (quoted fields included). Every line must hold one field
    /// per header column, and the header's names must differ.
    public init(parsing text: String) throws {
        var lines = try Self.records(text)
        guard !lines.isEmpty else { throw FormatError(format: "CSV", reason: "the text is empty") }
        header = lines.removeFirst()
        guard Set(header).count == header.count else {
            throw FormatError(format: "CSV", reason: "the header '\(header.joined(separator: ","))' repeats a name")
        }
        if let bad = lines.firstIndex(where: { $0.count != header.count }) {
            throw FormatError(
                format: "CSV", reason: "line \(bad + 2) has \(lines[bad].count) fields for \(header.count) columns")
        }
        rows = lines
    }

    /// The index of the column with this name.
    public func column(_ name: String) -> Int? { header.firstIndex(of: name) }

    /// The fields of each line; a quoted field may hold commas, quotes ("") and line breaks.
    static func records(_ text: String) throws -> [[String]] {
        var records: [[String]] = [], fields: [String] = [], field = "", quoted = false, fieldStarted = false
        var characters = text.makeIterator()
        while let ch = characters.next() {
            if quoted {
                if ch == "\"" {
                    // A doubled quote is a quote; a single one ends the field.
                    var rest = characters
                    if rest.next() == "\"" { field.append("\""); characters = rest } else { quoted = false }
                } else {
                    field.append(ch)
                }
                continue
            }
            switch ch {
            case "\"" where !fieldStarted: quoted = true; fieldStarted = true
            case ",": fields.append(field); field = ""; fieldStarted = false
            case "\n", "\r\n":
                fields.append(field); records.append(fields)
                fields = []; field = ""; fieldStarted = false
            default: field.append(ch); fieldStarted = true
            }
        }
        if quoted { throw FormatError(format: "CSV", reason: "a quoted field is not closed") }
        if fieldStarted || !fields.isEmpty { fields.append(field); records.append(fields) }
        return records
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
