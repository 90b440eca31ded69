import Foundation
import SwiftGANDatasets
import XCTest

@testable import SwiftGANTraining

/// `report.html`: one self-contained page per run, and a comparison of runs.
final class RunReportTests: XCTestCase {
    func testReportIsSelfContainedAndComplete() throws {
        let config = curveConfig(steps: 240, sampleEvery: 40)
        try TrainingRun(config: config).run()
        let folder = RunFolder(URL(fileURLWithPath: config.out!))
        let html = try String(contentsOf: folder.report, encoding: .utf8)
        XCTAssertTrue(html.contains("240 of 240 steps"), "the summary")
        XCTAssertEqual(
            html.components(separatedBy: "\"data:image/png;base64,").count - 1, 7 + 1,
            "7 grids in the slider, the shown one")
        XCTAssertTrue(html.contains("data:image/gif;base64,"), "the animation")
        XCTAssertTrue(
            html.contains("<svg") && html.contains("loss (running mean)") && html.contains("accuracy"), "the curves")
        XCTAssertTrue(html.contains("<td>model</td><td>curve-gan</td>"), "the configuration")
        XCTAssertTrue(html.contains("cores"), "the machine")
        // Nothing is fetched from elsewhere: the only URL is SVG's namespace.
        XCTAssertEqual(
            html.components(separatedBy: "http").count - 1,
            html.components(separatedBy: "http://www.w3.org/2000/svg").count - 1)
        XCTAssertFalse(html.contains("src=\"http") || html.contains("href="))
        XCTAssertFalse(html.contains("Beside known sets"), "no reference rows without a quality number of the run's")

        let other = curveConfig(steps: 80, sampleEvery: 40, seed: 2, folder: "report-other")
        try TrainingRun(config: other).run()
        let comparison = try RunReport.comparison(of: [folder, RunFolder(URL(fileURLWithPath: other.out!))])
        XCTAssertTrue(
            comparison.contains("Options that differ") && comparison.contains("<td>seed</td><td>0</td><td>2</td>"),
            "the differing options")
        XCTAssertTrue(comparison.contains("G loss (running mean)"))
        try checkInChromium(folder.report)
    }

    /// With a quality.json from `swiftgan evaluate`, the run's numbers stand above the shipped
    /// reference sets' (real, blurred, one class, noise), as they were measured.
    func testQualityStandsBesideTheReferenceSets() throws {
        let config = curveConfig(steps: 20, sampleEvery: 20)
        try TrainingRun(config: config).run()
        let folder = RunFolder(URL(fileURLWithPath: config.out!))
        let references = try XCTUnwrap(Evaluator.shippedReferences(for: "fashion-mnist"))
        XCTAssertEqual(references.map(\.set).first, "real training images (the floor)")
        XCTAssertEqual(references.count, 4)
        var measured = references[1].report
        measured.fid = 61.25
        measured.generatorSHA256 = SHA256.hex(try Data(contentsOf: folder.generator))
        try JSONEncoder().encode(measured).write(to: folder.url.appendingPathComponent("quality.json"))
        let rows = try XCTUnwrap(RunData(folder).referenceRows)
        XCTAssertEqual(rows[0], ["set", "FID", "KID", "precision", "recall"])
        XCTAssertEqual(Array(rows[1].prefix(2)), ["this run (quality.json, \(measured.imageCount) images)", "61.2"])
        XCTAssertEqual(rows.count, 2 + references.count)
        for (row, reference) in zip(rows.dropFirst(2), references) {
            XCTAssertEqual(row[1], String(format: "%.1f", reference.report.fid))
        }
        XCTAssertTrue(try RunReport.page(for: folder).contains("Beside known sets"))
    }

    /// Opens the page in headless Chromium (Debian's `chromium`): its scripts run without errors
    /// and the slider's picture is in the rendered page.
    func checkInChromium(_ page: URL) throws {
        guard
            let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].first(
                where: FileManager.default.isExecutableFile)
        else {
            throw XCTSkip("no headless Chromium: apt-get install chromium to open the report in a browser in this test")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: chromium)
        process.arguments = [
            "--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0", "--dump-dom",
            page.absoluteString,
        ]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let dom = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let log = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertTrue(dom.contains("id=\"grids-image\""), "rendered:\n" + dom.prefix(500))
        let consoleErrors = log.split(separator: "\n").filter { $0.contains("CONSOLE") || $0.contains("Uncaught") }
        XCTAssertEqual(consoleErrors, [], log)
    }
}
