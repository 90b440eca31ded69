/// `generator.safetensors` (G's averaged weights when the recipe keeps an average) and
/// `discriminator.safetensors` at every sample point: the exports for sampling and fine-tuning.
final class CheckpointRecorder: TrainingObserver {
    func save(_ run: TrainingRun, step: Int) throws { try run.saveCheckpoints(step: step) }
}

extension TrainingRun {
    public func saveCheckpoints(step n: Int) throws {
        try step.withGeneratorForSampling {
            try Checkpoint.save(
                model.generator, of: model, role: "generator", step: n, classNames: classNames, to: folder.generator)
        }
        try Checkpoint.save(
            model.discriminator, of: model, role: "discriminator", step: n, classNames: classNames,
            to: folder.discriminator)
    }
}
