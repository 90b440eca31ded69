import XCTest

@testable import SwiftGANArtifacts

final class LineChartTests: XCTestCase {
    func count(_ color: RGBColor, in image: RasterImage) -> Int {
        var n = 0
        for y in 0..<image.height { for x in 0..<image.width where image.pixel(x: x, y: y) == color { n += 1 } }
        return n
    }

    func testDefaultAndRequestedSizes() {
        let series = LineChart.Series(name: "D loss", color: .blue, x: [0, 1, 2], y: [0.7, 0.6, 0.65])
        let one = LineChart(panels: [.init(title: "loss", xLabel: "step", series: [series])]).render()
        XCTAssertEqual([one.width, one.height, one.channels], [800, 500, 3])
        let two = LineChart(panels: [
            .init(title: "loss", series: [series]), .init(title: "accuracy", series: [series]),
        ]).render()
        XCTAssertEqual([two.width, two.height], [800, 800])
        let custom = LineChart(panels: [.init(title: "loss", series: [series])], width: 640, height: 480).render()
        XCTAssertEqual([custom.width, custom.height], [640, 480])
        XCTAssertGreaterThan(count(.blue, in: one), 100, "the line is drawn in its colour")
    }

    func testDegenerateSeriesRenderWithoutCrashing() {
        let panels: [LineChart.Panel] = [
            .init(title: "empty", series: []),
            .init(
                title: "all NaN", series: [.init(name: "nan", color: .red, x: [0, 1, 2], y: [.nan, .nan, .infinity])]),
            .init(title: "constant", series: [.init(name: "c", color: .green, x: [0, 1, 2], y: [3, 3, 3])]),
            .init(
                title: "single point", xLabel: "x",
                series: [.init(name: "p", color: .purple, points: [(x: 5, y: -2)], markerRadius: 3)]),
            .init(
                title: "outside fixed range",
                series: [.init(name: "o", color: .orange, x: [0, 1, 2], y: [-1e300, 0.5, 1e300])],
                yRange: 0...1),
            .init(title: "empty curves", series: [.init(name: "none", color: .cyan, x: [], curves: [])]),
        ]
        let image = LineChart(panels: panels, width: 500, height: 6 * 160).render()
        XCTAssertEqual([image.width, image.height], [500, 960])
        XCTAssertGreaterThan(count(.green, in: image), 100, "a constant series is drawn as a flat line")
        XCTAssertGreaterThan(count(.purple, in: image), 20, "a single point shows as its marker")
        var withoutPoints = panels
        withoutPoints[1].series = [.init(name: "nan", color: .red, x: [], y: [])]
        XCTAssertEqual(
            count(.red, in: image), count(.red, in: LineChart(panels: withoutPoints, width: 500, height: 960).render()),
            "an all-NaN series draws nothing but its legend entry")
    }

    func testNaNLeavesAGapInTheLine() {
        let y: [Double] = (0...10).map { $0 == 5 ? .nan : 1 }
        let image = LineChart(
            panels: [.init(title: "gap", series: [.init(name: "", color: .blue, x: (0...10).map(Double.init), y: y)])],
            width: 420, height: 300
        ).render()
        let columns = Set(
            (0..<image.width).filter { x in (60..<image.height).contains { image.pixel(x: x, y: $0) == .blue } })
        let plotted = columns.filter { $0 > 40 }
        let (first, last) = (plotted.min()!, plotted.max()!)
        let middle = (first + last) / 2
        XCTAssertFalse(plotted.contains(middle), "no line around x = 5")
        XCTAssertTrue(plotted.contains(first + (last - first) / 4))
        XCTAssertTrue(plotted.contains(last - (last - first) / 4))
    }

    func testManyTranslucentCurves() {
        let xs = (0..<16).map { -1 + 2 * Double($0) / 15 }
        let curves = (0..<40).map { k -> [Double] in
            let a = 0.5 + Double(k) / 40; return xs.map { a * $0 * $0 + (a - 1) }
        }
        let chart = LineChart(panels: [
            .init(
                title: "curves", xLabel: "x",
                series: [
                    .init(name: "real", color: .gray, x: xs, curves: curves),
                    .init(
                        name: "generated", color: .orange, x: xs, curves: curves.map { $0.map { $0 + 0.1 } },
                        markerRadius: 1.5),
                ])
        ])
        let image = chart.render()
        var tinted = 0
        for y in 0..<image.height {
            for x in 0..<image.width {
                let p = image.pixel(x: x, y: y)
                if Int(p.red) > Int(p.blue) + 40 { tinted += 1 }
            }
        }
        XCTAssertGreaterThan(tinted, 2000, "orange curves are drawn")
    }

    func testNiceTicksAndCompactLabels() {
        func axis(
            _ lower: Double, _ upper: Double, ticks: Int = 5, extend: Bool = false
        ) -> (ticks: [Double], labels: [String]) {
            let scale = AxisScale(lower: lower, upper: upper, targetTickCount: ticks, extendToTicks: extend)
            return (scale.ticks, scale.ticks.map(scale.label))
        }
        XCTAssertEqual(axis(0, 10_000).labels, ["0", "2k", "4k", "6k", "8k", "10k"])
        XCTAssertEqual(axis(0, 2_000, ticks: 4).labels, ["0", "500", "1k", "1.5k", "2k"])
        XCTAssertEqual(axis(0, 1).labels, ["0", "0.2", "0.4", "0.6", "0.8", "1"])
        XCTAssertEqual(axis(0.2, 0.4, ticks: 4).labels, ["0.2", "0.25", "0.3", "0.35", "0.4"])
        XCTAssertEqual(axis(-1, 1, ticks: 4).labels, ["-1", "-0.5", "0", "0.5", "1"])
        XCTAssertEqual(axis(0, 0.0001, ticks: 5).labels, ["0", "2e-5", "4e-5", "6e-5", "8e-5", "1e-4"])
        XCTAssertEqual(axis(0, 3e6, ticks: 3).labels, ["0", "1M", "2M", "3M"])
        XCTAssertEqual(axis(0.13, 0.87, extend: true).ticks.first, 0)
        XCTAssertEqual(axis(0.13, 0.87, extend: true).ticks.last, 1)
        XCTAssertEqual(axis(3, 3).labels, ["2.8", "3", "3.2"], "a single value gets a range around it")
        XCTAssertEqual(AxisScale.niceStep(atLeast: 0.3), 0.5)
        XCTAssertEqual(AxisScale.niceStep(atLeast: 700), 1000)
        XCTAssertEqual(AxisScale.niceStep(atLeast: 2), 2)
    }
}
