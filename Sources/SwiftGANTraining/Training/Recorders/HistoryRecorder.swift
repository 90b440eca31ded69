/// `history.csv` (every step's losses, accuracies, metrics, time, FID and KID) and `curves.png`,
/// rewritten at every sample point and when training diverges.
final class HistoryRecorder: TrainingObserver {
    func save(_ run: TrainingRun, step: Int) throws { try run.writeHistory() }
    func runDidDiverge(_ run: TrainingRun, step: Int) throws { try run.writeHistory() }
}

extension TrainingRun {
    public func writeHistory() throws {
        try History.table(history).write(to: folder.history)
        try RunPictures.trainingCurves(history, title: model.name).write(to: folder.curves)
    }
}
