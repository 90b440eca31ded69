import Foundation
import SwiftGANArtifacts
import SwiftGANTensors
import XCTest

@testable import SwiftGANTraining

/// Work that stays bounded as a run grows (#21): the end-of-run GIF, the sample pictures of a
/// folder of many classes, the history and the charts and report drawn from it.
final class BoundedWorkTests: XCTestCase {
    /// 300 sample pictures: the GIF keeps 100, evenly spaced, and decodes only those (the 200
    /// others are not PNGs, and reading one would log a skip).
    func testTheAnimationDecodesOnlyTheFramesItShows() throws {
        let folder = RunFolder(URL(fileURLWithPath: runFolder()))
        let steps = Array(stride(from: 0, to: 3000, by: 10))
        let shown = (0..<100).map { steps[$0 * 299 / 99] }
        for step in steps {
            let url = folder.samplePicture(step: step)
            if shown.contains(step) {
                let gray = UInt8(step / 10 % 256)
                try RasterImage(width: 4, height: 3, channels: 1, pixels: [UInt8](repeating: gray, count: 12))
                    .write(to: url)
            } else {
                try AtomicFile.write("not a picture", to: url)
            }
        }
        XCTAssertEqual(folder.sampleSteps(), steps)
        XCTAssertEqual(folder.animationSteps(), shown)
        XCTAssertEqual([shown.first, shown.last], [0, 2990])

        var skipped: [String] = []
        try folder.writeAnimation { skipped.append($0) }
        XCTAssertEqual(skipped, [], "only the shown pictures are read")
        let gif = try GIF.read(from: folder.animation)
        XCTAssertEqual(gif.frames.count, 100)
        XCTAssertEqual(gif.frames.map { $0.pixel(x: 0, y: 0).red }, shown.map { UInt8($0 / 10 % 256) })
    }

    /// 20,000 classes: the band shows the first 20, the conditional grid 20 rows of 8, and the
    /// picture is the size it is for 20 classes (it was 582 × 116,476 px, past a GIF frame's limit).
    func testASampleOfTwentyThousandClassesStaysSmall() throws {
        let classCount = 20_000
        let labels = (0..<(2 * classCount)).map { $0 % classCount }
        XCTAssertEqual(
            RunPictures.bandExamples(labels: labels, classCount: classCount), Array(0..<RunPictures.maxBandClasses))
        XCTAssertEqual(RunPictures.bandExamples(labels: [2, 0, 2, 1], classCount: 3), [1, 3, 0], "in class order")
        let sampleLabels = try XCTUnwrap(RunPictures.sampleLabels(classCount: classCount))
        XCTAssertEqual(sampleLabels.count, 160, "20 rows of 8")
        XCTAssertEqual(Set(sampleLabels), Set(0..<20))
        XCTAssertEqual(RunPictures.sampleLabels(classCount: 10)?.count, 80)
        XCTAssertEqual(RunPictures.sampleLabels(classCount: 13).map { Set($0) }, Set(0..<13))
        XCTAssertNil(RunPictures.sampleLabels(classCount: 0))

        let model = try ModelZoo.make("mlp-gan", rng: RandomGenerator(seed: 0))
        func picture(classes: Int) throws -> RasterImage {
            let band = RunPictures.bandExamples(labels: Array(0..<classes), classCount: classes)
            return try RunPictures.samples(
                generated: Tensor.zeros([80, 28, 28, 1]), real: Tensor.zeros([band.count, 28, 28, 1]), model: model,
                step: 0, columns: 8, rowLabels: (0..<10).map { "class \($0)" })
        }
        let many = try picture(classes: classCount), few = try picture(classes: 20)
        XCTAssertEqual([many.width, many.height], [few.width, few.height])
        XCTAssertLessThan(many.height, 1000)
        XCTAssertNoThrow(try GIF.encodeAnimation([many]))
    }

    /// Rows appended at each save read back as the rows written whole, byte for byte; a new metric
    /// column rewrites the file; a line cut short by a kill is left out.
    func testAnAppendedHistoryReadsBackAsTheWholeOne() throws {
        let folder = URL(fileURLWithPath: runFolder())
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let url = folder.appendingPathComponent("history.csv")
        func row(_ n: Int, _ extras: [(name: String, value: Float)]) -> HistoryRow {
            HistoryRow(
                step: n, epoch: n / 7,
                metrics: StepMetrics(
                    discriminatorLoss: Float(n) / 3, discriminatorAccuracy: 0.5, generatorLoss: 1 / Float(n),
                    generatorAccuracy: nil, extras: extras),
                seconds: Double(n) / 8, fid: n % 5 == 0 ? Double(n) * 1.5 : nil, kid: n % 5 == 0 ? 0.01 : nil)
        }
        var rows = (1...10).map { row($0, [("r1_penalty", 0.1)]) }
        var writer = HistoryWriter(url)
        try writer.write(rows)
        rows += (11...25).map { row($0, [("r1_penalty", Float($0))]) }
        try writer.write(rows)
        XCTAssertEqual(try String(contentsOf: url, encoding: .utf8), History.csv(rows))
        XCTAssertEqual(History.csv(try History.read(url)), History.csv(rows))

        rows += (26...30).map { row($0, [("r1_penalty", 1), ("wasserstein", 2)]) }
        try writer.write(rows)
        XCTAssertEqual(try String(contentsOf: url, encoding: .utf8), History.csv(rows), "a new column")
        rows += (31...33).map { row($0, []) }
        try writer.write(rows)
        XCTAssertEqual(try String(contentsOf: url, encoding: .utf8), History.csv(rows), "a metric left out")

        try AtomicFile.append(Data("34,4,0.5".utf8), to: url)
        XCTAssertEqual(History.csv(try History.read(url)), History.csv(rows), "the cut line left out")
    }

    /// A resume drops the rows past its state, a cut line included, from the file as well; its
    /// first save writes the file whole, the next one appends.
    func testAResumeDropsTheRowsPastItsState() throws {
        var config = curveConfig(steps: 20, sampleEvery: 10)
        try TrainingRun(config: config).run()
        let folder = RunFolder(URL(fileURLWithPath: config.out!))
        // What a kill between the history's append and the state's save leaves: rows past step 20.
        let last = try XCTUnwrap(try String(contentsOf: folder.history, encoding: .utf8).split(separator: "\n").last)
        let fields = last.split(separator: ",", omittingEmptySubsequences: false).dropFirst()
        let copy = (["21"] + fields.map(String.init)).joined(separator: ",")
        try AtomicFile.append(Data((copy + "\n22,1,0.5").utf8), to: folder.history)
        XCTAssertEqual(try History.read(folder.history).map(\.step), Array(1...21))

        config.steps = 40
        let resumed = try TrainingRun(config: config)
        try resumed.resume()
        XCTAssertEqual(resumed.history.map(\.step), Array(1...20))
        try resumed.run()
        XCTAssertEqual(try History.read(folder.history).map(\.step), Array(1...40))
        XCTAssertEqual(try String(contentsOf: folder.history, encoding: .utf8), History.csv(resumed.history))
    }

    /// A history of a million steps: the report and curves.png plot at most `maxChartPoints`
    /// points a line, the last step among them.
    func testAMillionStepHistoryGivesBoundedCharts() throws {
        let config = curveConfig(steps: 1_000_000, sampleEvery: 1000)
        let folder = RunFolder(URL(fileURLWithPath: config.out!))
        addTeardownBlock { try? FileManager.default.removeItem(at: folder.url) }
        try AtomicFile.write(try config.json(), to: folder.config)
        var text = (History.columns + ["wasserstein"]).joined(separator: ",") + "\n"
        for n in 1...1_000_000 {
            let quality = n % 100_000 == 0 ? "30.5,0.02" : ","
            text += "\(n),\(n / 60_000),0.69,0.5,1.4,0.25,\(n / 4).250,\(quality),0.125\n"
        }
        try AtomicFile.write(text, to: folder.history)

        let run = try RunData(folder)
        XCTAssertEqual(run.history.count, 1_000_000)
        let charts = run.charts
        XCTAssertEqual(charts.count, 4, "loss, accuracy, wasserstein, FID")
        for chart in charts {
            for series in chart.series {
                XCTAssertLessThanOrEqual(series.x.count, History.maxChartPoints, chart.title)
                XCTAssertEqual(series.x.last, 1_000_000, chart.title)
            }
        }
        XCTAssertEqual(charts[0].series[0].x.count, History.maxChartPoints)
        XCTAssertEqual(charts[3].series[0].x.count, 10, "every FID measurement")
        let page = try RunReport.page(for: folder, history: run.history)
        XCTAssertTrue(page.contains("1000000 of 1000000 steps"))
        XCTAssertLessThan(page.utf8.count, 1 << 20)

        let curves = RunPictures.trainingChart(run.history, title: "curve-gan")
        XCTAssertEqual(curves.panels.count, 4)
        for panel in curves.panels {
            for series in panel.series {
                XCTAssertLessThanOrEqual(series.curves.map(\.count).reduce(0, +), History.maxChartPoints, panel.title)
            }
        }
        XCTAssertEqual(curves.render().width, 800)
    }

    /// A history past `maxFileBytes` is refused with its size, not read into memory.
    func testAnOversizedHistoryIsRefused() throws {
        let url = URL(fileURLWithPath: runFolder()).appendingPathComponent("history.csv")
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        try AtomicFile.write("step\n", to: url)
        XCTAssertEqual(truncate(url.path, off_t(History.maxFileBytes + 1)), 0)
        XCTAssertThrowsError(try History.read(url)) {
            XCTAssertTrue("\($0)".contains("is 536870913 bytes, more than the 512 MiB a history may take"), "\($0)")
        }
    }
}
