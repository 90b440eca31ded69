import Foundation
import SwiftGANArtifacts
import SwiftGANDatasets

/// `report.html`: a run on one self-contained page (the configuration, the curves, the sample
/// grids over time with a slider, the training GIF, the quality numbers, the balance warnings,
/// the machine and the time taken), or several runs side by side (`swiftgan report RUN…`).
/// Everything is read from the run folders, so a page can be made for any run, running or not.
public enum RunReport {
    /// The most sample grids a page embeds, evenly spaced, the first and last always included.
    static let maxGrids = 24

    /// The page of the run in `folder`. `history`: the run's rows when the caller holds them (a
    /// run writing its own report), instead of reading `history.csv` back.
    public static func page(for folder: RunFolder, history: [HistoryRow]? = nil) throws -> String {
        let run = try RunData(folder, history: history)
        var page = HTMLPage(title: "SwiftGAN run: \(run.config.model) in \(folder.path)")
        page.paragraph(run.summary)
        for warning in run.warnings { page.raw("<p class=\"warning\">\(HTMLPage.escaped(warning))</p>") }
        for note in run.notes { page.paragraph(note) }
        page.heading("Samples over time")
        page.slider(run.grids.map(\.png), labels: run.grids.map { "step \($0.step)" }, id: "grids")
        if let gif = run.gif {
            page.heading("The training animation")
            page.image(gif, type: "image/gif", alt: "training.gif")
        }
        page.heading("Curves")
        for chart in run.charts { page.raw(chart.svg) }
        page.heading("Quality")
        page.table(run.qualityRows)
        if let note = run.qualityNote { page.paragraph(note) }
        if let rows = run.referenceRows {
            page.paragraph(
                "Beside known sets, measured with the same evaluator against the same \(run.config.dataset) test images "
                    + "(swiftgan evaluate --reference; FID is biased upwards at small sample counts, so compare at the same count):"
            )
            page.table(rows)
        }
        page.heading("Configuration")
        page.table([["option", "value"]] + run.configRows)
        page.heading("Machine")
        page.paragraph(machine)
        return page.html
    }

    /// Several runs side by side: their summaries, last grids, curves on shared charts, quality
    /// and the options in which they differ.
    public static func comparison(of folders: [RunFolder]) throws -> String {
        let runs = try folders.map { try RunData($0) }
        var page = HTMLPage(title: "SwiftGAN: \(runs.count) runs compared")
        page.raw(
            "<div class=\"runs\">"
                + runs.map { run in
                    var part = HTMLPage(title: "")
                    part.heading(run.folder.path, level: 3)
                    part.paragraph(run.summary)
                    if let last = run.grids.last {
                        part.image(last.png, alt: "\(run.folder.path) at step \(last.step)")
                    }
                    part.table(run.qualityRows)
                    return "<div>" + part.bodyHTML + "</div>"
                }.joined() + "</div>")
        let colors = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]
        page.heading("Curves")
        for (i, title) in ["G loss", "D loss", "FID"].enumerated() {
            let series = runs.enumerated().compactMap { k, run -> SVGChart.Series? in
                let s = run.series[i]
                return s.x.isEmpty
                    ? nil
                    : SVGChart.Series(
                        name: run.folder.url.lastPathComponent, color: colors[k % colors.count], x: s.x, y: s.y)
            }
            if !series.isEmpty {
                page.raw(SVGChart(title: title + (i < 2 ? " (running mean)" : ""), series: series).svg)
            }
        }
        let keys = Array(Set(runs.flatMap { $0.configRows.map { $0[0] } })).sorted()
        let differing = keys.filter { key in
            Set(runs.map { run in run.configRows.first { $0[0] == key }?[1] ?? "" }).count > 1
        }
        page.heading("Options that differ")
        page.table(
            [["option"] + runs.map(\.folder.url.lastPathComponent)]
                + differing.map { key in [key] + runs.map { run in run.configRows.first { $0[0] == key }?[1] ?? "" } })
        page.heading("Machine")
        page.paragraph(machine)
        return page.html
    }

    /// This computer in words: the processor, its cores, the system.
    static var machine: String {
        let cpu = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?.split(separator: "\n")
            .first { $0.hasPrefix("model name") }.map {
                $0.split(separator: ":", maxSplits: 1).last!.trimmingCharacters(in: .whitespaces)
            }
        let info = ProcessInfo.processInfo
        return
            "\(cpu ?? "a CPU"), \(info.activeProcessorCount) cores, \(info.operatingSystemVersionString); page written \(ISO8601DateFormatter().string(from: Date()))"
    }
}

/// What a report shows of one run, read from its folder. Its cost does not grow with the run's
/// length, apart from going over the history's rows once: at most ``RunReport/maxGrids`` sample
/// pictures are read, and every chart line is thinned to ``History/maxChartPoints`` points.
struct RunData {
    let folder: RunFolder
    let config: TrainConfig
    let history: [HistoryRow]
    let grids: [(step: Int, png: Data)]
    let gif: Data?
    /// What `swiftgan evaluate --json RUN/quality.json` measured, if it measured this run's generator.
    let quality: QualityReport?
    /// Why a quality.json present is not shown.
    let qualityNote: String?
    /// Files of the folder a page may not embed, and why.
    let notes: [String]

    enum Picture { case png, gif }

    /// A picture of the run folder that a page may embed: a regular file, not a link (which could
    /// point anywhere, `~/.netrc` included), of bounded size, that decodes as what its name says.
    static func embeddable(_ url: URL, as kind: Picture) throws -> Data {
        switch kind {
        case .png:
            let data = try InputFile.read(url, format: "PNG", limit: PNG.maximumFileSize, links: .refuse)
            do { _ = try PNG.decode(data) } catch let error as FormatError { throw error.naming(url) }
            return data
        case .gif:
            let data = try InputFile.read(url, format: "GIF", limit: GIF.maximumFileSize, links: .refuse)
            guard data.starts(with: Array("GIF89a".utf8)) || data.starts(with: Array("GIF87a".utf8)) else {
                throw FormatError(format: "GIF", reason: "does not start with a GIF signature", path: url.path)
            }
            return data
        }
    }

    /// The folder's quality.json, if it measured the generator the folder holds now; else why not.
    static func quality(in folder: RunFolder) -> (QualityReport?, String?) {
        let url = folder.quality
        guard InputFile.entryExists(url) else { return (nil, nil) }
        let report: QualityReport
        do {
            let data = try InputFile.read(url, format: "quality", limit: 1 << 20, links: .refuse)
            report = try JSONDecoder().decode(QualityReport.self, from: data)
        } catch {
            return (nil, "quality.json not shown: \(FormatError.printable("\(error)", limit: 200))")
        }
        let generator = try? InputFile.read(
            folder.generator, format: "safetensors", limit: Safetensors.maximumFileSize, links: .refuse)
        guard let measured = report.generatorSHA256, let generator, SHA256.hex(generator) == measured else {
            return (
                nil,
                "quality.json not shown: it measured another generator than this run's generator.safetensors "
                    + "(swiftgan evaluate --checkpoint \(folder.generator.path) --json \(url.path) measures this one)"
            )
        }
        return (report, nil)
    }

    /// `history`: the rows in memory, if the caller has them; nil reads `history.csv`.
    init(_ folder: RunFolder, history: [HistoryRow]? = nil) throws {
        self.folder = folder
        config = try TrainConfig.load(folder.config)
        self.history = try history ?? History.read(folder.history)
        let chosen = folder.sampleSteps().evenlySpaced(atMost: RunReport.maxGrids)
        var notes: [String] = []
        grids = chosen.compactMap { step in
            do { return (step, try Self.embeddable(folder.samplePicture(step: step), as: .png)) } catch {
                notes.append("not shown: \(error)")
                return nil
            }
        }
        if InputFile.entryExists(folder.animation) {
            do { gif = try Self.embeddable(folder.animation, as: .gif) } catch {
                gif = nil
                notes.append("not shown: \(error)")
            }
        } else {
            gif = nil
        }
        (quality, qualityNote) = Self.quality(in: folder)
        self.notes = notes
    }

    var summary: String {
        guard let last = history.last else { return "No steps trained yet." }
        return String(
            format: "%d of %d steps in %@ (%.1f steps/s), batch %@, seed %llu, recipe %@, %@.", last.step,
            config.steps, ProgressBar.clock(last.seconds), last.seconds > 0 ? Double(last.step) / last.seconds : 0,
            config.batchSize.map(String.init) ?? "the model's", config.seed, config.recipe ?? "none",
            config.precision ?? "fp32")
    }

    /// The balance warnings the run gave (recomputed from the history by ``BalanceWatch``'s rule).
    var warnings: [String] { BalanceWatch.warnings(history) }

    /// Running means over the steps that have a value, as curves.png draws them (at most
    /// ``History/maxChartPoints`` points).
    func smoothed(_ f: (HistoryRow) -> Double?) -> (x: [Double], y: [Double]) {
        let rows = history.compactMap { r in f(r).map { (Double(r.step), $0) } }
        return History.chartLine(x: rows.map(\.0), y: rows.map(\.1))
    }

    /// One chart series of a smoothed quantity.
    func line(_ name: String, _ color: String, _ f: (HistoryRow) -> Double?) -> SVGChart.Series {
        let s = smoothed(f)
        return SVGChart.Series(name: name, color: color, x: s.x, y: s.y)
    }

    /// G loss, D loss (running means) and FID, for the comparison page.
    var series: [(x: [Double], y: [Double])] {
        [
            smoothed { Double($0.metrics.generatorLoss) }, smoothed { Double($0.metrics.discriminatorLoss) },
            History.thinned(
                x: history.compactMap { $0.fid == nil ? nil : Double($0.step) }, y: history.compactMap(\.fid)),
        ]
    }

    var charts: [SVGChart] {
        var charts = [
            SVGChart(
                title: "loss (running mean)",
                series: [
                    line("D", "#1f77b4") { Double($0.metrics.discriminatorLoss) },
                    line("G", "#ff7f0e") { Double($0.metrics.generatorLoss) },
                ])
        ]
        if history.first?.metrics.generatorAccuracy != nil {
            charts.append(
                SVGChart(
                    title: "accuracy; G = share of fakes D calls real",
                    series: [
                        line("D", "#1f77b4") { $0.metrics.discriminatorAccuracy.map(Double.init) },
                        line("G", "#ff7f0e") { $0.metrics.generatorAccuracy.map(Double.init) },
                    ]))
        }
        for name in History.extraNames(history) {
            charts.append(
                SVGChart(title: name, series: [line(name, "#2ca02c") { $0.metrics.extra(name).map(Double.init) }]))
        }
        let fid = series[2]
        if !fid.x.isEmpty {
            charts.append(
                SVGChart(
                    title: "FID (evaluator features; lower is better)",
                    series: [.init(name: "FID", color: "#1f77b4", x: fid.x, y: fid.y)]))
        }
        return charts
    }

    var qualityRows: [[String]] {
        var rows = [["measure", "value"]]
        if let last = history.last(where: { $0.fid != nil }) {
            rows.append(["FID at step \(last.step) (--eval-every)", String(format: "%.2f", last.fid!)])
            rows.append(["KID at step \(last.step)", String(format: "%.4f", last.kid ?? .nan)])
        }
        if let q = quality {
            let values: [(String, Double?)] = [
                ("fid", q.fid), ("kid", q.kid), ("precision", q.precision), ("recall", q.recall),
                ("conditionalAccuracy", q.conditionalAccuracy), ("imageCount", Double(q.imageCount)),
            ]
            for case let (key, v?) in values {
                let against = q.reference.map { ", against \(FormatError.printable($0, limit: 80))" } ?? ""
                rows.append(["\(key) (quality.json\(against))", String(format: v == v.rounded() ? "%.0f" : "%.4g", v)])
            }
        }
        if rows.count == 1 {
            rows.append([
                "—", "not measured: train with --eval-every N, or run swiftgan evaluate --json RUN/quality.json",
            ])
        }
        return rows
    }

    /// This run's last measured numbers above the shipped reference sets' (nil without either).
    var referenceRows: [[String]]? {
        guard let references = Evaluator.shippedReferences(for: config.dataset) else { return nil }
        func number(_ v: Double?, _ format: String) -> String { v.map { String(format: format, $0) } ?? "" }
        var run: [String]?
        if let q = quality {
            run = [
                "this run (quality.json, \(q.imageCount) images)", number(q.fid, "%.1f"), number(q.kid, "%.3f"),
                number(q.precision, "%.3f"), number(q.recall, "%.3f"),
            ]
        } else if let last = history.last(where: { $0.fid != nil }) {
            run = [
                "this run at step \(last.step) (--eval-every)", number(last.fid, "%.1f"), number(last.kid, "%.3f"), "",
                "",
            ]
        }
        guard let run else { return nil }
        return [["set", "FID", "KID", "precision", "recall"], run]
            + references.map { set, r in
                [
                    "\(set) (\(r.imageCount) images)", number(r.fid, "%.1f"), number(r.kid, "%.3f"),
                    number(r.precision, "%.3f"), number(r.recall, "%.3f"),
                ]
            }
    }

    var configRows: [[String]] {
        guard let json = try? config.json(),
            let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        else { return [] }
        return object.flatMap { key, value in
            (value as? [String: Any]).map { $0.map { ["\(key).\($0.key)", "\($0.value)"] } } ?? [[key, "\(value)"]]
        }.sorted { $0[0] < $1[0] }
    }
}
