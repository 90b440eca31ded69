import Foundation

/// Line charts of training curves: one or more panels stacked vertically, sharing the x range, each
/// with a title, a legend, light grid lines at "nice" ticks (1, 2, 5 × 10ᵏ) and compact tick labels
/// ("0", "500", "1k", "1.5k", "0.25"). Points with a NaN or infinite coordinate are left out, leaving
/// a gap in the line. A y range fixed by the panel clips what lies outside it; otherwise the range
/// fits the data and is rounded out to ticks.
///
/// A series is one legend entry; it can hold many curves, drawn thin and translucent, to show a
/// family of generated curves over a family of real ones.
///
/// ```swift
/// let steps = history.map { Double($0.step) }
/// let chart = LineChart(panels: [
///     .init(title: "loss", xLabel: "step", series: [
///         .init(name: "D loss", color: .blue, x: steps, y: history.map(\.dLoss)),
///         .init(name: "G loss", color: .orange, x: steps, y: history.map(\.gLoss)),
///     ]),
///     .init(title: "accuracy", xLabel: "step", series: [
///         .init(name: "D accuracy", color: .blue, x: steps, y: history.map(\.dAccuracy)),
///     ], yRange: 0...1),
/// ])                                                  // 800×800 pixels
/// try chart.write(to: runFolder.appendingPathComponent("history.png"))
///
/// // 1-D curves: 64 real ones in gray under 64 generated ones in orange, all at the same x.
/// let curves = LineChart(panels: [.init(title: "curves", xLabel: "x", series: [
///     .init(name: "real", color: .gray, x: xs, curves: real),
///     .init(name: "generated", color: .orange, x: xs, curves: generated),
/// ])])
/// ```
public struct LineChart {
    /// One legend entry: a line, or a family of curves drawn alike.
    ///
    /// ```swift
    /// LineChart.Series(name: "D loss", color: .blue, x: steps, y: dLosses)
    /// LineChart.Series(name: "generated", color: .orange, x: xs, curves: samples, opacity: 0.3)
    /// ```
    public struct Series {
        public var name: String
        public var color: RGBColor
        /// Each curve is drawn as its own line, in the series' style.
        public var curves: [[(x: Double, y: Double)]]
        public var lineWidth: Double
        public var opacity: Double
        /// The radius of a dot drawn at every point; 0 draws none.
        public var markerRadius: Double

        /// A single line through `points`.
        public init(
            name: String, color: RGBColor, points: [(x: Double, y: Double)],
            lineWidth: Double = 2, markerRadius: Double = 0
        ) {
            self.init(
                name: name, color: color, curves: [points], lineWidth: lineWidth, opacity: 1, markerRadius: markerRadius
            )
        }

        /// A single line through (`x[i]`, `y[i]`).
        public init(
            name: String, color: RGBColor, x: [Double], y: [Double],
            lineWidth: Double = 2, markerRadius: Double = 0
        ) {
            precondition(x.count == y.count, "series \"\(name)\" has \(x.count) x values and \(y.count) y values")
            self.init(
                name: name, color: color, points: Array(zip(x, y)), lineWidth: lineWidth, markerRadius: markerRadius)
        }

        /// Many curves in one style, thin and translucent by default so that where they crowd the
        /// colour deepens.
        public init(
            name: String, color: RGBColor, curves: [[(x: Double, y: Double)]],
            lineWidth: Double = 1, opacity: Double = 0.35, markerRadius: Double = 0
        ) {
            self.name = name
            self.color = color
            self.curves = curves
            self.lineWidth = lineWidth
            self.opacity = opacity
            self.markerRadius = markerRadius
        }

        /// Many curves sampled at the same `x` values: `curves[k][i]` is curve k's value at `x[i]`.
        public init(
            name: String, color: RGBColor, x: [Double], curves: [[Double]],
            lineWidth: Double = 1, opacity: Double = 0.35, markerRadius: Double = 0
        ) {
            precondition(
                curves.allSatisfy { $0.count == x.count },
                "every curve of \"\(name)\" needs \(x.count) values, one per x")
            self.init(
                name: name, color: color, curves: curves.map { Array(zip(x, $0)) },
                lineWidth: lineWidth, opacity: opacity, markerRadius: markerRadius)
        }
    }

    /// One plot with its own title, y axis and legend; all panels of a chart share the x range.
    ///
    /// ```swift
    /// LineChart.Panel(title: "accuracy", xLabel: "step", series: [dAccuracy, gAccuracy], yRange: 0...1)
    /// ```
    public struct Panel {
        public var title: String
        public var xLabel: String
        public var series: [Series]
        /// A fixed y range (accuracy: 0...1); nil fits the data.
        public var yRange: ClosedRange<Double>?

        public init(title: String, xLabel: String = "", series: [Series], yRange: ClosedRange<Double>? = nil) {
            self.title = title
            self.xLabel = xLabel
            self.series = series
            self.yRange = yRange
        }
    }

    public var panels: [Panel]
    public var width: Int
    public var height: Int

    /// A chart `width` pixels wide; `height` defaults to 500 for one panel, 800 for two, and 300
    /// more for each further panel.
    public init(panels: [Panel], width: Int = 800, height: Int? = nil) {
        self.panels = panels
        self.width = width
        self.height = height ?? (200 + 300 * max(1, panels.count))
    }

    /// Writes the chart as a PNG file, atomically.
    public func write(to url: URL) throws {
        try render().write(to: url)
    }

    public func render() -> RasterImage {
        precondition(
            width >= 200 && height >= 150 * max(1, panels.count),
            "a chart of \(panels.count) panels needs at least 200×\(150 * max(1, panels.count)) pixels, got \(width)×\(height)"
        )
        var canvas = Canvas(width: width, height: height, background: .white)
        let xs = panels.flatMap { $0.series.flatMap { $0.curves.flatMap { $0.filter(isDrawable).map(\.x) } } }
        let plotWidthEstimate = width - 100
        let xScale = AxisScale(
            lower: xs.min() ?? 0, upper: xs.max() ?? 1,
            targetTickCount: max(2, plotWidthEstimate / 110), extendToTicks: false)
        let panelHeight = height / max(1, panels.count)
        let yScales = panels.map { panel in
            Self.yScale(for: panel, targetTickCount: max(2, (panelHeight - 120) / 45))
        }
        let yLabelWidth =
            zip(panels, yScales).flatMap { _, scale in
                scale.ticks.map { BitmapFont.width(of: scale.label($0), scale: ChartStyle.textScale) }
            }.max() ?? 0
        let plotLeft = ChartStyle.margin + yLabelWidth + ChartStyle.tickLength + ChartStyle.labelGap
        let plotRight = width - ChartStyle.margin - 8
        for (index, panel) in panels.enumerated() {
            let top = index * panelHeight
            let bottom = index == panels.count - 1 ? height : top + panelHeight
            PanelRenderer(
                panel: panel, xScale: xScale, yScale: yScales[index], left: plotLeft, right: plotRight,
                top: top, bottom: bottom
            ).draw(on: &canvas)
        }
        return canvas.image
    }

    private static func yScale(for panel: Panel, targetTickCount: Int) -> AxisScale {
        if let range = panel.yRange, range.lowerBound.isFinite, range.upperBound.isFinite {
            return AxisScale(
                lower: range.lowerBound, upper: range.upperBound, targetTickCount: targetTickCount, extendToTicks: false
            )
        }
        let ys = panel.series.flatMap { $0.curves.flatMap { $0.filter(isDrawable).map(\.y) } }
        return AxisScale(
            lower: ys.min() ?? 0, upper: ys.max() ?? 1, targetTickCount: targetTickCount, extendToTicks: true)
    }
}

/// Whether a point can be placed on a chart: both coordinates finite.
func isDrawable(_ point: (x: Double, y: Double)) -> Bool {
    point.x.isFinite && point.y.isFinite
}
