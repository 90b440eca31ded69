import SwiftGANArtifacts

/// Something that follows a training run: the recorders of its run folder (pictures, TensorBoard
/// log, history, checkpoints, training state, report), its balance watch, a progress display, or
/// a logger of one's own (``TrainingRun/add(_:)``). Every observer sees the same in-memory view of
/// the run, the ``TrainingRun`` itself: its model, folder, resolved configuration, history so far
/// and latest sample picture. The run calls them in the order they were added; each method has a
/// default that does nothing.
public protocol TrainingObserver: AnyObject {
    /// Before the first step this process trains (after a resume: the first step after the saved one).
    func runWillStart(_ run: TrainingRun) throws
    /// After every step; the history already holds its row.
    func stepDidEnd(_ run: TrainingRun, step: Int, metrics: StepMetrics)
    /// After a quality measurement (`evalEvery`); the history's last row holds FID and KID.
    func evaluationDidEnd(_ run: TrainingRun, step: Int, report: QualityReport)
    /// At a sample point (every `sampleEvery` steps and the last one): write what this observer
    /// keeps. The observers save in order; of the run's own, the training state's recorder comes
    /// last, so an interrupted save leaves a state whose step the run's files already cover.
    /// Observers added with ``TrainingRun/add(_:)`` save after it: build what you write from the
    /// run's view (``TrainingRun/history`` is restored on resume), so a resumed run rewrites it whole.
    func save(_ run: TrainingRun, step: Int) throws
    /// After every observer has saved: the run's state on disk is whole.
    func didSave(_ run: TrainingRun, step: Int)
    /// When the run ends: after its last step, or stopped (a stop request or the time budget).
    func runDidEnd(_ run: TrainingRun) throws
    /// When training diverged (a non-finite loss or weight): keep what shows how it happened. Errors
    /// here are ignored; the run throws the divergence.
    func runDidDiverge(_ run: TrainingRun, step: Int) throws
    /// Whatever stopped the run (divergence, a failed save), after ``runDidDiverge(_:step:)``:
    /// release what is open.
    func runDidStop(_ run: TrainingRun)
}

extension TrainingObserver {
    public func runWillStart(_ run: TrainingRun) throws {}
    public func stepDidEnd(_ run: TrainingRun, step: Int, metrics: StepMetrics) {}
    public func evaluationDidEnd(_ run: TrainingRun, step: Int, report: QualityReport) {}
    public func save(_ run: TrainingRun, step: Int) throws {}
    public func didSave(_ run: TrainingRun, step: Int) {}
    public func runDidEnd(_ run: TrainingRun) throws {}
    public func runDidDiverge(_ run: TrainingRun, step: Int) throws {}
    public func runDidStop(_ run: TrainingRun) {}
}
