import Foundation
import SwiftGANArtifacts
import SwiftGANDatasets
import SwiftGANTensors

/// The pictures of a run: sample grids, curve plots, training charts.
public enum RunPictures {
    /// The most classes the band of real examples below the samples shows, one example each: two
    /// rows of ten. A band of every class grew with the data: an image folder of 20,000 class
    /// subfolders made sample pictures of 582 × 116,476 px, taller than a GIF frame may be
    /// (65,535), and the run failed at its very end, on `training.gif`.
    public static let maxBandClasses = 20

    /// The band's real examples: the first example of each of the first ``maxBandClasses``
    /// classes, in class order, found in one pass over `labels` however many classes there are.
    static func bandExamples(labels: [Int], classCount: Int) -> [Int] {
        var first = [Int?](repeating: nil, count: Swift.max(0, Swift.min(classCount, maxBandClasses)))
        for (i, label) in labels.enumerated() where (0..<first.count).contains(label) && first[label] == nil {
            first[label] = i
        }
        return first.compactMap { $0 }
    }

    /// The labels of a conditional model's fixed samples (nil for an unconditional one): rows of 8,
    /// row r showing class r mod `classCount`, its name beside it. Ten rows up to ten classes (a
    /// class with fewer repeats), one row per class beyond, up to ``maxBandClasses`` rows: the grid
    /// shows the first 20 classes however many there are.
    static func sampleLabels(classCount: Int) -> [Int]? {
        guard classCount > 0 else { return nil }
        let rows = Swift.min(Swift.max(classCount, 10), maxBandClasses)
        return (0..<(rows * 8)).map { $0 / 8 % classCount }
    }

    /// Generated samples, with real examples beneath for comparison when given. Images: a grid of
    /// `columns` (default 10) shown at 2×, rows of ten real examples below (one per class, from
    /// `bandExamples(labels:classCount:)`); `rowLabels` name the rows (a conditional model's
    /// classes). Curves: generated curves (orange) drawn over real ones (gray).
    public static func samples(
        generated: Tensor, real: Tensor?, model: GANModel, step: Int,
        columns: Int? = nil, rowLabels: [String]? = nil
    ) throws -> RasterImage {
        guard case .images(let h, let w, let c) = model.sample else {
            let xs = QuadraticCurves.xs.map(Double.init)
            func curves(_ t: Tensor) -> [[Double]] {
                let n = t.shape[1]
                return (0..<t.shape[0]).map { i in (0..<n).map { Double(t.data[i * n + $0]) } }
            }
            var series: [LineChart.Series] = []
            if let real { series.append(.init(name: "real", color: .gray, x: xs, curves: curves(real))) }
            series.append(.init(name: "generated", color: .orange, x: xs, curves: curves(generated)))
            let title = "\(model.name) at step \(step): y = a*x^2 + (a - 1), a ~ U(1, 2)"
            return LineChart(
                panels: [.init(title: title, xLabel: "x", series: series, yRange: -1.5...3.5)], width: 800, height: 500
            ).render()
        }
        let grid = try ImageGrid.render(
            nhwc: generated.scalars, height: h, width: w, channels: c,
            valueRange: model.dataRange, columns: columns ?? Swift.min(10, generated.shape[0]), scale: 2,
            rowLabels: rowLabels)
        guard let real else { return grid }
        let band = try ImageGrid.render(
            nhwc: real.scalars, height: h, width: w, channels: c,
            valueRange: model.dataRange, columns: Swift.min(10, real.shape[0]), scale: 2)
        return RasterImage.stacked([grid, band], gap: 8)
    }

    /// Loss and accuracy charts over the steps, smoothed by a running mean so trends show through
    /// the step-to-step noise (the window is given in the titles; history.csv has the raw values).
    public static func trainingCurves(_ history: [HistoryRow], title: String) -> RasterImage {
        trainingChart(history, title: title).render()
    }

    /// The chart ``trainingCurves(_:title:)`` draws: each line the running mean over every step,
    /// drawn at no more than ``History/maxChartPoints`` points.
    static func trainingChart(_ history: [HistoryRow], title: String) -> LineChart {
        let window = History.smoothingWindow(history.count)
        let steps = history.map { Double($0.step) }
        func line(_ name: String, _ color: RGBColor, _ f: (StepMetrics) -> Float?) -> LineChart.Series {
            let smoothed = History.chartLine(x: steps, y: history.map { Double(f($0.metrics) ?? .nan) })
            return .init(name: name, color: color, x: smoothed.x, y: smoothed.y)
        }
        let note = window > 1 ? " (running mean of \(window) steps)" : ""
        let measured = history.filter { $0.fid != nil }
        let fid = History.thinned(x: measured.map { Double($0.step) }, y: measured.map { $0.fid! })
        let quality: [LineChart.Panel] =
            measured.isEmpty
            ? []
            : [
                .init(
                    title: "FID of \(title)'s samples (evaluator features; lower is better)", xLabel: "step",
                    series: [.init(name: "FID", color: .blue, x: fid.x, y: fid.y)])
            ]
        // A critic (WGAN) has no accuracies; its Wasserstein estimate and penalties are shown instead.
        let accuracy: [LineChart.Panel] =
            history.first?.metrics.discriminatorAccuracy == nil
            ? []
            : [
                .init(
                    title: "accuracy\(note); G = share of fakes D calls real", xLabel: "step",
                    series: [
                        line("D accuracy", .blue, \.discriminatorAccuracy),
                        line("G accuracy", .orange, \.generatorAccuracy),
                    ], yRange: 0...1)
            ]
        let colors: [RGBColor] = [.blue, .orange, .gray]
        let names = History.extraNames(history)
        let extras: [LineChart.Panel] =
            names.isEmpty
            ? []
            : [
                .init(
                    title: names.joined(separator: ", ") + note, xLabel: "step",
                    series: names.enumerated().map { i, name in
                        line(name, colors[i % colors.count]) { $0.extra(name) }
                    })
            ]
        return LineChart(
            panels: [
                .init(
                    title: "\(title) loss\(note)", xLabel: "step",
                    series: [
                        line("D loss", .blue, \.discriminatorLoss),
                        line("G loss", .orange, \.generatorLoss),
                    ])
            ] + accuracy + extras + quality
        )
    }

    /// Samples mapped from `range` to bytes 0...255 (rounded, clamped): the .npy form of images.
    public static func bytes(_ t: Tensor, range: ClosedRange<Float>) -> [UInt8] {
        let scale = 255 / (range.upperBound - range.lowerBound)
        return t.scalars.map { v in
            let b = ((v - range.lowerBound) * scale).rounded()
            return b.isNaN ? 0 : UInt8(Swift.min(Swift.max(b, 0), 255))
        }
    }
}
