import SwiftGANArtifacts

/// `report.html`, rebuilt after every save and when the run ends from the run folder and the
/// history in memory (reading history.csv back at every save cost more the longer the run). A page
/// that cannot be written is worth a warning, not the run.
final class ReportRecorder: TrainingObserver {
    func didSave(_ run: TrainingRun, step: Int) { write(run) }
    func runDidEnd(_ run: TrainingRun) throws { write(run) }

    private func write(_ run: TrainingRun) {
        do {
            try AtomicFile.write(try RunReport.page(for: run.folder, history: run.history), to: run.folder.report)
        } catch {
            run.log("warning: the run report was not written: \(error)")
        }
    }
}
