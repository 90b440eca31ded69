import SwiftGANArtifacts
import SwiftGANTraining

/// The progress line of `swiftgan train`: step, rate, ETA, and the running means of the losses,
/// accuracies (or a critic's Wasserstein estimate) and the latest FID and KID. A
/// ``TrainingObserver`` of the run, as any observer of one's own would be.
final class ProgressDisplay: TrainingObserver {
    private let bar: ProgressBar
    private var recent: [StepMetrics] = []
    private var quality: QualityReport?
    private var finished = false

    init(_ run: TrainingRun) {
        bar = ProgressBar(title: run.model.name, total: run.config.steps, initialStep: run.startStep)
    }

    func stepDidEnd(_ run: TrainingRun, step: Int, metrics: StepMetrics) {
        recent.append(metrics)
        if recent.count > 50 { recent.removeFirst() }
        bar.update(step: step, values: Self.summary(recent, quality))
    }

    func evaluationDidEnd(_ run: TrainingRun, step: Int, report: QualityReport) {
        quality = report
        bar.update(step: step, values: Self.summary(recent, quality))
    }

    func runDidEnd(_ run: TrainingRun) throws {
        finished = true
        bar.finish(values: Self.summary(recent, quality))
    }

    func runDidStop(_ run: TrainingRun) {
        guard !finished else { return }
        finished = true
        bar.finish()
    }

    /// Running means over the recent steps, formatted for the progress line.
    static func summary(_ recent: [StepMetrics], _ quality: QualityReport? = nil) -> [(String, String)] {
        guard !recent.isEmpty else { return [] }
        func mean(_ f: (StepMetrics) -> Float?) -> Float {
            let values = recent.compactMap(f)
            return values.isEmpty ? .nan : values.reduce(0, +) / Float(values.count)
        }
        // A critic has no accuracies: its Wasserstein estimate is the number to watch.
        let values: [(String, String)] =
            recent[0].discriminatorAccuracy == nil
            ? [
                ("D", String(format: "%.3f", mean(\.discriminatorLoss))),
                ("G", String(format: "%.3f", mean(\.generatorLoss))),
            ]
                + (recent[0].extra("wasserstein") == nil
                    ? [] : [("W", String(format: "%.3f", mean { $0.extra("wasserstein") }))])
            : [
                ("D", String(format: "%.3f (acc %.2f)", mean(\.discriminatorLoss), mean(\.discriminatorAccuracy))),
                ("G", String(format: "%.3f (acc %.2f)", mean(\.generatorLoss), mean(\.generatorAccuracy))),
            ]
        return values
            + (quality.map { [("FID", String(format: "%.2f", $0.fid)), ("KID", String(format: "%.4f", $0.kid))] } ?? [])
    }
}
