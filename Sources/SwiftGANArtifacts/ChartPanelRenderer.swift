/// Sizes and colours shared by every chart panel.
enum ChartStyle {
    static let textScale = 1
    static let titleScale = 2
    static let margin = 16
    static let tickLength = 4
    static let labelGap = 6
    static let legendSwatchWidth = 20
    static let legendSpacing = 18
    static let text = RGBColor(gray: 60)
    static let title = RGBColor(gray: 20)
    static let frame = RGBColor(gray: 140)
    static let grid = RGBColor(gray: 232)
}

/// Draws one `LineChart.Panel` into its horizontal band of the canvas: title and legend on top,
/// then the plot area with grid, series, frame and ticks, then the x label.
struct PanelRenderer {
    let panel: LineChart.Panel
    let xScale: AxisScale
    let yScale: AxisScale
    /// The plot area's columns, the same for every panel so the x axes line up.
    let left: Int
    let right: Int
    /// The panel's band of rows.
    let top: Int
    let bottom: Int

    func draw(on canvas: inout Canvas) {
        let textHeight = BitmapFont.capHeight * ChartStyle.textScale
        let titleHeight = BitmapFont.capHeight * ChartStyle.titleScale
        let titleTop = top + ChartStyle.margin
        canvas.drawText(panel.title, x: left, y: titleTop, color: ChartStyle.title, scale: ChartStyle.titleScale)

        // The legend sits at the right of the title line, or on a line of its own when both do not fit.
        let entryWidths = panel.series.map {
            ChartStyle.legendSwatchWidth + 6 + BitmapFont.width(of: $0.name, scale: ChartStyle.textScale)
        }
        let legendWidth = entryWidths.reduce(0, +) + ChartStyle.legendSpacing * max(0, entryWidths.count - 1)
        let titleWidth = BitmapFont.width(of: panel.title, scale: ChartStyle.titleScale)
        let legendFitsBesideTitle = left + titleWidth + 40 + legendWidth <= right
        let legendTop = legendFitsBesideTitle ? titleTop + (titleHeight - textHeight) / 2 : titleTop + titleHeight + 10
        drawLegend(
            on: &canvas, x: legendFitsBesideTitle ? right - legendWidth : left, top: legendTop, entryWidths: entryWidths
        )

        let plotTop = (legendFitsBesideTitle ? titleTop + titleHeight : legendTop + textHeight) + 14
        let belowPlot =
            ChartStyle.tickLength + ChartStyle.labelGap + textHeight
            + (panel.xLabel.isEmpty ? 0 : 10 + textHeight) + ChartStyle.margin
        let plot = PixelRect(x: left, y: plotTop, width: right - left, height: max(10, bottom - belowPlot - plotTop))
        let mapping = Mapping(plot: plot, xScale: xScale, yScale: yScale)

        for tick in yScale.ticks {
            canvas.fillRect(
                PixelRect(x: plot.x, y: mapping.row(tick), width: plot.width, height: 1), color: ChartStyle.grid)
        }
        for tick in xScale.ticks {
            canvas.fillRect(
                PixelRect(x: mapping.column(tick), y: plot.y, width: 1, height: plot.height), color: ChartStyle.grid)
        }

        canvas.clip = plot.expanded(by: 1)
        for series in panel.series {
            for curve in series.curves {
                let points = curve.map(mapping.point)
                canvas.drawPolyline(points, color: series.color, width: series.lineWidth, opacity: series.opacity)
                guard series.markerRadius > 0 else { continue }
                for point in points {
                    canvas.fillCircle(
                        center: point, radius: series.markerRadius, color: series.color, opacity: series.opacity)
                }
            }
        }
        canvas.clip = PixelRect(x: 0, y: 0, width: canvas.width, height: canvas.height)

        let frame = plot.expanded(by: 1)
        canvas.strokeRect(frame, color: ChartStyle.frame)
        for tick in yScale.ticks {
            let row = mapping.row(tick), label = yScale.label(tick)
            canvas.fillRect(
                PixelRect(x: frame.x - ChartStyle.tickLength, y: row, width: ChartStyle.tickLength, height: 1),
                color: ChartStyle.frame)
            let labelRight = frame.x - ChartStyle.tickLength - ChartStyle.labelGap
            canvas.drawText(
                label, x: labelRight - BitmapFont.width(of: label, scale: ChartStyle.textScale),
                y: row - textHeight / 2, color: ChartStyle.text, scale: ChartStyle.textScale)
        }
        for tick in xScale.ticks {
            let column = mapping.column(tick), label = xScale.label(tick)
            canvas.fillRect(
                PixelRect(x: column, y: frame.maxY, width: 1, height: ChartStyle.tickLength), color: ChartStyle.frame)
            let labelWidth = BitmapFont.width(of: label, scale: ChartStyle.textScale)
            let labelLeft = min(max(0, column - labelWidth / 2), canvas.width - labelWidth)
            canvas.drawText(
                label, x: labelLeft, y: frame.maxY + ChartStyle.tickLength + ChartStyle.labelGap,
                color: ChartStyle.text, scale: ChartStyle.textScale)
        }
        if !panel.xLabel.isEmpty {
            let labelWidth = BitmapFont.width(of: panel.xLabel, scale: ChartStyle.textScale)
            canvas.drawText(
                panel.xLabel, x: plot.x + (plot.width - labelWidth) / 2,
                y: frame.maxY + ChartStyle.tickLength + ChartStyle.labelGap + textHeight + 10,
                color: ChartStyle.text, scale: ChartStyle.textScale)
        }
        if !panel.series.contains(where: { $0.curves.contains { $0.contains(where: isDrawable) } }) {
            let message = "no data"
            canvas.drawText(
                message, x: plot.x + (plot.width - BitmapFont.width(of: message, scale: 2)) / 2,
                y: plot.y + (plot.height - BitmapFont.capHeight * 2) / 2, color: ChartStyle.frame, scale: 2)
        }
    }

    private func drawLegend(on canvas: inout Canvas, x: Int, top: Int, entryWidths: [Int]) {
        var x = x
        let middle = Double(top) + Double(BitmapFont.capHeight * ChartStyle.textScale) / 2
        for (series, entryWidth) in zip(panel.series, entryWidths) {
            canvas.drawLine(
                from: (Double(x) + 1, middle), to: (Double(x + ChartStyle.legendSwatchWidth) - 1, middle),
                color: series.color, width: 3)
            if series.markerRadius > 0 {
                canvas.fillCircle(
                    center: (Double(x) + Double(ChartStyle.legendSwatchWidth) / 2, middle),
                    radius: series.markerRadius + 0.5, color: series.color)
            }
            canvas.drawText(
                series.name, x: x + ChartStyle.legendSwatchWidth + 6, y: top, color: ChartStyle.text,
                scale: ChartStyle.textScale)
            x += entryWidth + ChartStyle.legendSpacing
        }
    }

    /// Data coordinates to canvas coordinates: the range's ends fall on the centres of the plot
    /// area's outermost pixels.
    private struct Mapping {
        let plot: PixelRect
        let xScale: AxisScale
        let yScale: AxisScale

        func point(_ value: (x: Double, y: Double)) -> (x: Double, y: Double) {
            let fx = (value.x - xScale.lower) / (xScale.upper - xScale.lower)
            let fy = (value.y - yScale.lower) / (yScale.upper - yScale.lower)
            return (
                Double(plot.x) + 0.5 + fx * Double(plot.width - 1),
                Double(plot.maxY) - 0.5 - fy * Double(plot.height - 1)
            )
        }

        func column(_ x: Double) -> Int { Int(point((x, yScale.lower)).x.rounded(.down)) }
        func row(_ y: Double) -> Int { Int(point((xScale.lower, y)).y.rounded(.down)) }
    }
}
