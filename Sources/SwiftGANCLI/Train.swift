import ArgumentParser
import Foundation
import SwiftGANArtifacts
import SwiftGANTraining

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a GAN; writes samples, charts, history and checkpoints to the run folder.",
        usage: "swiftgan train [--OPTION VALUE ...]",
        discussion: TrainOptions.help()
    )

    /// Every option is parsed from the table in `SwiftGANTraining/Training/TrainOptions.swift`, which also
    /// writes the help above, checks config.json and says what --resume may change.
    @Argument(parsing: .allUnrecognized, help: .hidden) var arguments: [String] = []

    func run() throws {
        let request: TrainRequest
        do { request = try TrainRequest(arguments: arguments) } catch let error as TrainOptionError {
            throw ValidationError(error.description)
        }
        let c = try request.resolve()
        let resume = request.resume

        let log: (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
        let run = try TrainingRun(config: c, log: log)
        run.replacesExistingRun = request.force
        if resume != nil { try run.resume() }
        let progress = ProgressDisplay(run)
        run.add(progress)
        log(
            "training \(run.model.name) for \(run.config.steps) steps, batch \(run.batchSize), seed \(run.config.seed) → \(run.folder.path)"
        )
        let interrupts = Interrupts()
        defer { interrupts.restore() }
        run.stopRequested = { interrupts.received != nil }
        do {
            try run.run()
        } catch {
            // Also for what stops the run before its first step (a run already in the folder).
            progress.runDidStop(run)
            throw error
        }
        let f = run.folder.path
        print(
            """
            samples:     \(f)/samples/  (last: step-\(String(format: "%06d", run.finalStep)).png)
            curves:      \(f)/curves.png
            history:     \(f)/history.csv
            generator:   \(f)/generator.safetensors   (swiftgan sample --checkpoint \(f)/generator.safetensors --out grid.png)
            """)
        if run.stoppedOnRequest, let number = interrupts.received {
            fflush(stdout)
            // The exact command, as this process was started.
            log(
                "\(Interrupts.name(number)): saved at step \(run.finalStep) of \(run.config.steps). Continue with:\n  "
                    + [CommandLine.arguments[0], "train", "--resume", f].map(shellQuoted).joined(separator: " "))
            throw ExitCode(128 + number)
        }
    }

}
