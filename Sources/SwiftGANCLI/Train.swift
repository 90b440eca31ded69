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

    /// Every option is parsed from the table in `GAN/Training/TrainOptions.swift`, which also
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
        let bar = ProgressBar(title: run.model.name, total: run.config.steps, initialStep: run.startStep)
        var recent: [StepMetrics] = []
        var quality: QualityReport?
        run.onStep = { n, m in
            recent.append(m)
            if recent.count > 50 { recent.removeFirst() }
            bar.update(step: n, values: Self.summary(recent, quality))
        }
        run.onEvaluation = { n, report in
            quality = report
            bar.update(step: n, values: Self.summary(recent, quality))
        }
        log(
            "training \(run.model.name) for \(run.config.steps) steps, batch \(run.batchSize), seed \(run.config.seed) → \(run.folder.path)"
        )
        let interrupts = Interrupts()
        defer { interrupts.restore() }
        run.stopRequested = { interrupts.received != nil }
        do {
            try run.run()
        } catch {
            bar.finish()
            throw error
        }
        bar.finish(values: Self.summary(recent, quality))
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

    /// Running means over the recent steps, formatted for the progress line.
    static func summary(_ recent: [StepMetrics], _ quality: QualityReport? = nil) -> [(String, String)] {
        guard !recent.isEmpty else { return [] }
        func mean(_ f: (StepMetrics) -> Float?) -> Float { recent.compactMap(f).reduce(0, +) / Float(recent.count) }
        // A critic has no accuracies: its Wasserstein estimate is the number to watch.
        let values: [(String, String)] =
            recent[0].discriminatorAccuracy == nil
            ? [
                ("D", String(format: "%.3f", mean(\.discriminatorLoss))),
                ("G", String(format: "%.3f", mean(\.generatorLoss))),
                ("W", String(format: "%.3f", mean { $0.extra("wasserstein") })),
            ]
            : [
                ("D", String(format: "%.3f (acc %.2f)", mean(\.discriminatorLoss), mean(\.discriminatorAccuracy))),
                ("G", String(format: "%.3f (acc %.2f)", mean(\.generatorLoss), mean(\.generatorAccuracy))),
            ]
        return values
            + (quality.map { [("FID", String(format: "%.2f", $0.fid)), ("KID", String(format: "%.4f", $0.kid))] } ?? [])
    }
}
