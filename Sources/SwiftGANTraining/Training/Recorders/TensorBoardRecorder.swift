import Foundation
import SwiftGANArtifacts

/// The run as TensorBoard shows it: an event file in the run folder with the losses, accuracies
/// and the objective's metrics at every step, FID and KID where measured, the step rate and the
/// sample grid at each sample point, and the configuration as text.
final class TensorBoardRecorder: TrainingObserver {
    private var board: TensorBoardLog?
    /// The step and time of the last step-rate point.
    private var mark = (step: 0, seconds: 0.0)

    func runWillStart(_ run: TrainingRun) throws {
        let board = try TensorBoardLog(folder: run.folder.url, resumingAt: run.startStep > 0 ? run.startStep + 1 : nil)
        board.text("config", "```\n" + (try run.config.json()) + "```", step: run.startStep)
        self.board = board
        mark = (run.startStep, run.history.last?.seconds ?? 0)
        if run.startStep == 0 { try logPicture(run, step: 0) }
    }

    func stepDidEnd(_ run: TrainingRun, step n: Int, metrics m: StepMetrics) {
        guard let board else { return }
        board.scalar("loss/D", Double(m.discriminatorLoss), step: n)
        board.scalar("loss/G", Double(m.generatorLoss), step: n)
        if let a = m.discriminatorAccuracy { board.scalar("accuracy/D", Double(a), step: n) }
        if let a = m.generatorAccuracy { board.scalar("accuracy/G (share of fakes called real)", Double(a), step: n) }
        for (name, value) in m.extras { board.scalar("metrics/" + name, Double(value), step: n) }
    }

    func evaluationDidEnd(_ run: TrainingRun, step n: Int, report: QualityReport) {
        board?.scalar("quality/FID", report.fid, step: n)
        board?.scalar("quality/KID", report.kid, step: n)
    }

    func save(_ run: TrainingRun, step n: Int) throws { try logPicture(run, step: n) }
    func runDidEnd(_ run: TrainingRun) throws { try board?.flush() }
    func runDidStop(_ run: TrainingRun) { try? board?.flush() }

    /// At a sample point: the grid as written to disk, the step rate since the last one, and a flush.
    private func logPicture(_ run: TrainingRun, step n: Int) throws {
        guard let board, let (_, picture, png) = run.samplePicture else { return }
        board.image(
            "samples", png: png, width: picture.width, height: picture.height, channels: picture.channels, step: n)
        if let seconds = run.history.last?.seconds, n > mark.step, seconds > mark.seconds {
            board.scalar("speed/steps per second", Double(n - mark.step) / (seconds - mark.seconds), step: n)
            mark = (n, seconds)
        }
        try board.flush()
    }
}
