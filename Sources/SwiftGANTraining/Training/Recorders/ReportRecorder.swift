import SwiftGANArtifacts

/// `report.html`, rebuilt from the run folder after every save and when the run ends. A page that
/// cannot be written is worth a warning, not the run.
final class ReportRecorder: TrainingObserver {
    func didSave(_ run: TrainingRun, step: Int) { write(run) }
    func runDidEnd(_ run: TrainingRun) throws { write(run) }

    private func write(_ run: TrainingRun) {
        do { try AtomicFile.write(try RunReport.page(for: run.folder), to: run.folder.report) } catch {
            run.log("warning: the run report was not written: \(error)")
        }
    }
}
