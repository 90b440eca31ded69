import SwiftGANArtifacts
import Foundation

/// The run as TensorBoard shows it: an event file in the run folder with the losses, accuracies
/// and the objective's metrics at every step, FID and KID where measured, the step rate and the
/// sample grid at each sample point, and the configuration as text.
extension TrainingRun {
    func openTensorBoard() throws {
        let log = try TensorBoardLog(folder: folder.url, resumingAt: startStep > 0 ? startStep + 1 : nil)
        log.text("config", "```\n" + (try config.json()) + "```", step: startStep)
        board = log
        boardMark = (startStep, history.last?.seconds ?? 0)
    }

    func logStep(_ n: Int, _ m: StepMetrics) {
        guard let board else { return }
        board.scalar("loss/D", Double(m.discriminatorLoss), step: n)
        board.scalar("loss/G", Double(m.generatorLoss), step: n)
        if let a = m.discriminatorAccuracy { board.scalar("accuracy/D", Double(a), step: n) }
        if let a = m.generatorAccuracy { board.scalar("accuracy/G (share of fakes called real)", Double(a), step: n) }
        for (name, value) in m.extras { board.scalar("metrics/" + name, Double(value), step: n) }
    }

    func logQuality(_ n: Int, fid: Double, kid: Double) {
        board?.scalar("quality/FID", fid, step: n)
        board?.scalar("quality/KID", kid, step: n)
    }

    /// At a sample point: the grid as written to disk, the step rate since the last one, and a flush.
    func logSamplePoint(_ n: Int, picture: RasterImage, png: Data) throws {
        guard let board else { return }
        board.image("samples", png: png, width: picture.width, height: picture.height, channels: picture.channels, step: n)
        if let seconds = history.last?.seconds, n > boardMark.step, seconds > boardMark.seconds {
            board.scalar("speed/steps per second", Double(n - boardMark.step) / (seconds - boardMark.seconds), step: n)
            boardMark = (n, seconds)
        }
        try board.flush()
    }
}
