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

    public static func table(_ rows: [HistoryRow]) -> CSVTable {
        let names = extraNames(rows)
        var table = CSVTable(header: columns + names)
        func field<T>(_ v: T?) -> String { v.map { "\($0)" } ?? "" }
        for r in rows {
            let m = r.metrics
            table.append(
                [
                    r.step, r.epoch, m.discriminatorLoss, field(m.discriminatorAccuracy), m.generatorLoss,
                    field(m.generatorAccuracy),
                    String(format: "%.3f", r.seconds), field(r.fid), field(r.kid),
                ] + names.map { field(m.extra($0)) })
        }
        return table
    }

    public static func csv(_ rows: [HistoryRow]) -> String { table(rows).text }

    /// Reads a run's `history.csv` by column name (files from older versions, without fid, kid or
    /// metrics columns, too). A missing file is an empty history.
    public static func read(_ url: URL) throws -> [HistoryRow] {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return [] }
        let table: CSVTable
        do { table = try CSVTable(parsing: text) } catch { throw GANError("\(url.path): \(error)") }
        let required = ["step", "epoch", "d_loss", "d_accuracy", "g_loss", "g_accuracy", "seconds"]
        guard required.allSatisfy({ table.column($0) != nil }) else {
            throw GANError(
                "\(url.path): the header '\(table.header.joined(separator: ","))' is not a SwiftGAN history's")
        }
        let extras = table.header.filter { !columns.contains($0) }
        return try table.rows.map { f in
            func value<T: LosslessStringConvertible>(_ name: String, as: T.Type) throws -> T? {
                guard let i = table.column(name), !f[i].isEmpty else { return nil }
                guard let v = T(f[i]) else {
                    throw GANError(
                        "\(url.path): unreadable \(name) '\(f[i])' in the line '\(f.joined(separator: ","))'")
                }
                return v
            }
            func required<T: LosslessStringConvertible>(_ name: String, as type: T.Type) throws -> T {
                guard let v = try value(name, as: type) else {
                    throw GANError("\(url.path): no \(name) in the line '\(f.joined(separator: ","))'")
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

    /// The objective's and regularizers' metric names in the history, in order of appearance.
    static func extraNames(_ rows: [HistoryRow]) -> [String] {
        var names: [String] = []
        for r in rows { for e in r.metrics.extras where !names.contains(e.name) { names.append(e.name) } }
        return names
    }
}
