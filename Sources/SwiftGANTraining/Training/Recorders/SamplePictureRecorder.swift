import Foundation
import SwiftGANArtifacts

/// `samples/step-NNNNNN.png` at step 0 and at every sample point (the fixed noise through G, with
/// a row of real examples), and `training.gif` from those pictures when the run ends or diverges.
/// The latest picture is left in ``TrainingRun/samplePicture`` for the TensorBoard log.
final class SamplePictureRecorder: TrainingObserver {
    func runWillStart(_ run: TrainingRun) throws {
        if run.startStep == 0 { try write(run, step: 0) }
    }

    func save(_ run: TrainingRun, step: Int) throws { try write(run, step: step) }
    func runDidEnd(_ run: TrainingRun) throws { try run.writeAnimation() }
    func runDidDiverge(_ run: TrainingRun, step: Int) throws { try run.writeAnimation() }

    private func write(_ run: TrainingRun, step n: Int) throws {
        let generated = run.step.withGeneratorForSampling {
            run.model.generate(run.fixedNoise, labels: run.fixedLabels)
        }
        // Class names come from folder names (an image folder's subfolders): printable and at
        // most 32 characters, or one long name would widen every picture of the run.
        let rowLabels = run.fixedLabels.map { labels in
            stride(from: 0, to: labels.count, by: 8).map { i in
                run.classNames.map { names in FormatError.printable(names[labels[i]], limit: 32) }
                    ?? "class \(labels[i])"
            }
        }
        let picture = try RunPictures.samples(
            generated: generated, real: run.realExamples, model: run.model, step: n,
            columns: run.fixedLabels == nil ? nil : 8, rowLabels: rowLabels)
        let png = try picture.png()
        try AtomicFile.write(png, to: run.folder.samplePicture(step: n))
        run.samplePicture = (n, picture, png)
    }
}

extension TrainingRun {
    /// The sample pictures in the run folder as `training.gif` (``RunFolder/writeAnimation(maxFrames:log:)``),
    /// read back from disk when the run ends (or stops on a NaN) rather than held in memory.
    public func writeAnimation(maxFrames: Int = 100) throws {
        try folder.writeAnimation(maxFrames: maxFrames, log: log)
    }
}
