/// `history.csv` (every step's losses, accuracies, metrics, time, FID and KID) and `curves.png`,
/// brought up to date at every sample point and when training diverges. Neither reads the file
/// back: history.csv gets only the rows since the last save (``HistoryWriter``), and the chart is
/// drawn from the history in memory, at most ``History/maxChartPoints`` points a line (only its
/// running means go over every row).
final class HistoryRecorder: TrainingObserver {
    private var file: HistoryWriter?

    func save(_ run: TrainingRun, step: Int) throws { try write(run) }
    func runDidDiverge(_ run: TrainingRun, step: Int) throws { try write(run) }

    private func write(_ run: TrainingRun) throws {
        var writer = file ?? HistoryWriter(run.folder.history)
        try writer.write(run.history)
        file = writer
        try run.writeCurves()
    }
}

extension TrainingRun {
    /// `history.csv`, written whole and atomically, and `curves.png`.
    public func writeHistory() throws {
        try History.table(history).write(to: folder.history)
        try writeCurves()
    }

    /// `curves.png` from the history in memory.
    func writeCurves() throws {
        try RunPictures.trainingCurves(history, title: model.name).write(to: folder.curves)
    }
}
