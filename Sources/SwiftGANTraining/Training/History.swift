import Foundation
import SwiftGANArtifacts

/// One row of the training history (`history.csv`).
public struct HistoryRow {
    public var step: Int
    public var epoch: Int
    public var metrics: StepMetrics
    /// Seconds since training started.
    public var seconds: Double
    /// FID and KID of this step's samples, at the steps where they were measured (`--eval-every`).
    public var fid: Double? = nil, kid: Double? = nil
}

/// The training history as a table with named columns, `history.csv`: step, epoch, d_loss,
/// d_accuracy, g_loss, g_accuracy, seconds, fid and kid, then the objective's and regularizers'
/// own metrics (`wasserstein`, `gradient_penalty`…). An empty field: not measured at that step
/// (fid, kid) or not defined for the objective (a critic's accuracies).
public enum History {
    static let columns = ["step", "epoch", "d_loss", "d_accuracy", "g_loss", "g_accuracy", "seconds", "fid", "kid"]

    /// The largest `history.csv` that ``read(_:)`` takes: 512 MiB, about 7 million steps. A
    /// history is read whole (a resume needs every row), so a bigger file is refused with its size
    /// rather than left to exhaust the memory.
    public static let maxFileBytes = 512 << 20

    /// The most points a chart draws of one line (`curves.png`, the report's charts): the running
    /// mean is taken over every step, then this many points of it, evenly spaced, are drawn, so a
    /// chart of a million steps costs what one of two thousand does.
    public static let maxChartPoints = 2000

    public static func table(_ rows: [HistoryRow]) -> CSVTable {
        let names = extraNames(rows)
        var table = CSVTable(header: columns + names)
        for r in rows { table.append(fields(r, names: names)) }
        return table
    }

    public static func csv(_ rows: [HistoryRow]) -> String { table(rows).text }

    /// A row's fields under the columns `columns + names`.
    static func fields(_ r: HistoryRow, names: [String]) -> [any CustomStringConvertible] {
        func field<T>(_ v: T?) -> String { v.map { "\($0)" } ?? "" }
        let m = r.metrics
        return [
            r.step, r.epoch, m.discriminatorLoss, field(m.discriminatorAccuracy), m.generatorLoss,
            field(m.generatorAccuracy),
            String(format: "%.3f", r.seconds), field(r.fid), field(r.kid),
        ] + names.map { field(m.extra($0)) }
    }

    /// `rows` as the lines ``table(_:)`` writes below its header for the metric columns `names`,
    /// each ending in "\n" (no field needs quoting: they are numbers or empty).
    static func lines(_ rows: [HistoryRow], names: [String]) -> String {
        rows.map { row in fields(row, names: names).map { $0.description }.joined(separator: ",") + "\n" }.joined()
    }

    /// Reads a run's `history.csv` by column name (files from older versions, without fid, kid or
    /// metrics columns, too), a line at a time. A missing file is an empty history. A last line
    /// without its line break is left out: it is what a writer killed while appending leaves
    /// (`HistoryWriter`), and its steps lie past the saved state. A file larger than
    /// ``maxFileBytes`` is refused.
    public static func read(_ url: URL) throws -> [HistoryRow] {
        var info = stat()
        guard stat(url.path, &info) == 0 else { return [] }
        let size = Int(info.st_size)
        guard size <= maxFileBytes else {
            throw GANError(
                "\(url.path) is \(size) bytes, more than the \(maxFileBytes >> 20) MiB a history may take "
                    + "(about 7 million steps); it is not read into memory. To resume the run, move its early lines "
                    + "(below the header) to another file")
        }
        let data: Data
        // Read, not mapped: a writer that cuts the file back after a failed append would make a
        // mapped page past the end fault.
        do { data = try InputFile.read(url, format: "history", limit: maxFileBytes) } catch {
            throw GANError("\(error)")
        }
        return try parse(data, url: url)
    }

    /// The rows of a `history.csv` held in memory (rank 0's, sent to the other ranks of a
    /// data-parallel run); `url` names it in errors.
    static func parse(_ data: Data, url: URL) throws -> [HistoryRow] {
        var parser: LineParser?
        var rows: [HistoryRow] = []
        try data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) in
            guard let base = bytes.baseAddress else { return }
            var start = 0, number = 0
            while start < bytes.count, let end = memchr(base + start, 0x0A, bytes.count - start) {
                let length = base.distance(to: UnsafeRawPointer(end)) - start
                var line = String(decoding: UnsafeRawBufferPointer(start: base + start, count: length), as: UTF8.self)
                if line.hasSuffix("\r") { line.removeLast() }
                start += length + 1
                number += 1
                if let parser {
                    rows.append(try parser.row(line, number: number))
                } else {
                    parser = try LineParser(header: line, url: url)
                }
            }
        }
        guard parser != nil else { throw GANError("\(url.path): no header line") }
        return rows
    }

    /// Reads the lines of one `history.csv`, its columns found once from the header.
    private struct LineParser {
        let url: URL
        let width: Int
        let index: [String: Int]
        let extras: [String]

        init(header line: String, url: URL) throws {
            let table: CSVTable
            do { table = try CSVTable(parsing: line + "\n") } catch { throw GANError("\(url.path): \(error)") }
            let required = ["step", "epoch", "d_loss", "d_accuracy", "g_loss", "g_accuracy", "seconds"]
            guard required.allSatisfy({ table.column($0) != nil }) else {
                throw GANError(
                    "\(url.path): the header '\(FormatError.printable(table.header.joined(separator: ","), limit: 200))' is not a SwiftGAN history's"
                )
            }
            self.url = url
            width = table.header.count
            // CSVTable refuses a header that repeats a name.
            index = Dictionary(uniqueKeysWithValues: table.header.enumerated().map { ($0.element, $0.offset) })
            extras = table.header.filter { !History.columns.contains($0) }
        }

        func row(_ line: String, number: Int) throws -> HistoryRow {
            let f = line.split(separator: ",", omittingEmptySubsequences: false)
            guard f.count == width else {
                throw GANError("\(url.path): line \(number) has \(f.count) fields for \(width) columns")
            }
            func value<T: LosslessStringConvertible>(_ name: String, as: T.Type) throws -> T? {
                guard let i = index[name], !f[i].isEmpty else { return nil }
                guard let v = T(String(f[i])) else {
                    throw GANError(
                        "\(url.path): unreadable \(name) '\(FormatError.printable(String(f[i]), limit: 60))' in the line '\(FormatError.printable(String(line), limit: 200))'"
                    )
                }
                return v
            }
            func required<T: LosslessStringConvertible>(_ name: String, as type: T.Type) throws -> T {
                guard let v = try value(name, as: type) else {
                    throw GANError(
                        "\(url.path): no \(name) in the line '\(FormatError.printable(String(line), limit: 200))'")
                }
                return v
            }
            let metrics = StepMetrics(
                discriminatorLoss: try required("d_loss", as: Float.self),
                discriminatorAccuracy: try value("d_accuracy", as: Float.self),
                generatorLoss: try required("g_loss", as: Float.self),
                generatorAccuracy: try value("g_accuracy", as: Float.self),
                extras: try extras.compactMap { name in try value(name, as: Float.self).map { (name, $0) } })
            return HistoryRow(
                step: try required("step", as: Int.self), epoch: try required("epoch", as: Int.self), metrics: metrics,
                seconds: try required("seconds", as: Double.self), fid: try value("fid", as: Double.self),
                kid: try value("kid", as: Double.self))
        }
    }

    /// The window the charts smooth `count` steps with: about 200 points per curve.
    static func smoothingWindow(_ count: Int) -> Int { Swift.max(1, count / 200) }

    /// Running means over `window` values (fewer at the start), so trends show through the
    /// step-to-step noise.
    static func runningMeans(_ values: [Double], window: Int) -> [Double] {
        var out: [Double] = [], sum = 0.0
        out.reserveCapacity(values.count)
        for (i, v) in values.enumerated() {
            sum += v
            if i >= window { sum -= values[i - window] }
            out.append(sum / Double(Swift.min(i + 1, window)))
        }
        return out
    }

    /// A chart's line: the running means of `y` over every value (``smoothingWindow(_:)``), drawn
    /// at no more than ``maxChartPoints`` of its points.
    static func chartLine(x: [Double], y: [Double]) -> (x: [Double], y: [Double]) {
        thinned(x: x, y: runningMeans(y, window: smoothingWindow(y.count)))
    }

    /// At most ``maxChartPoints`` of the points (x[i], y[i]), evenly spaced, the first and last kept.
    static func thinned(x: [Double], y: [Double]) -> (x: [Double], y: [Double]) {
        let kept = x.indices.evenlySpaced(atMost: maxChartPoints)
        return (kept.map { x[$0] }, kept.map { y[$0] })
    }

    /// The objective's and regularizers' metric names in the history, in order of appearance.
    static func extraNames(_ rows: [HistoryRow]) -> [String] {
        var names: [String] = []
        for r in rows { for e in r.metrics.extras where !names.contains(e.name) { names.append(e.name) } }
        return names
    }
}

/// `history.csv` as a run keeps it: written whole, atomically, at the first save of a process (a
/// resumed run's history holds no row past its saved state, so neither does the file afterwards)
/// and when a metric column appears that the file lacks; at every other save only the rows since
/// the last one are appended. Rewriting a million rows at every sample point took 13 s.
struct HistoryWriter {
    let url: URL
    /// How many rows of the history the file holds, and its metric columns.
    private(set) var written = 0
    private(set) var names: [String] = []

    init(_ url: URL) { self.url = url }

    /// Brings the file up to `rows`, the whole history so far, whose first `written` rows it holds.
    mutating func write(_ rows: [HistoryRow]) throws {
        let appending = written > 0 && written <= rows.count
        let new = appending ? Array(rows[written...]) : rows
        if appending && History.extraNames(new).allSatisfy({ names.contains($0) }) {
            try AtomicFile.append(Data(History.lines(new, names: names).utf8), to: url)
        } else {
            try History.table(rows).write(to: url)
            names = History.extraNames(rows)
        }
        written = rows.count
    }
}
