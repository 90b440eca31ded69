import ArgumentParser
import Foundation
import SwiftGANArtifacts
import SwiftGANTensors
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
        // Started by mpirun or srun as several processes: each trains on its share of every batch
        // (docs/cluster.md); alone: SingleProcess.
        let collective = try Collectives.fromEnvironment()
        guard collective.size > 1 else {
            // A PMIx launcher that does not say how many it started may have started one: MPI of 1.
            defer { if collective is MPICollective { try? collective.finalize() } }
            if let status = try train(request, collective: collective) { throw ExitCode(status) }
            return
        }
        let status: Int32?
        do {
            status = try train(request, collective: collective)
        } catch let stop as StoppedOnEveryRank {
            // Every rank stopped at the same point, so each can finalize; the rank it happened on (or
            // rank 0, for what every rank saw) says why, before any rank ends (a rank that exits with
            // a nonzero status makes mpirun end the others).
            if stop.reportedHere { report(stop.reason, collective) }
            try? collective.barrier()
            try? collective.finalize()
            throw ExitCode.failure
        } catch {
            // This rank alone failed (rank 0 could not write a file, a connection broke): the others
            // may be waiting in a collective it will never reach, so it ends every rank, now.
            report(error, collective)
            collective.abort(code: 1)
        }
        // Rank 0 has printed its summary (and the resume command) before any rank ends: a rank that
        // exits with a nonzero status makes mpirun end the others.
        try collective.barrier()
        try collective.finalize()
        if let status { throw ExitCode(status) }
    }

    /// `error` on the standard error as the command line's errors read, after the rank it happened
    /// on (but for rank 0's).
    private func report(_ error: any Error, _ collective: any Collective) {
        let rank = collective.rank == 0 ? "" : "rank \(collective.rank) of \(collective.size): "
        FileHandle.standardError.write(Data("\(rank)Error: \(error)\n".utf8))
    }

    /// Trains as `request` says, this process alone or as one rank of `collective`; returns the
    /// exit status of a run a signal stopped (128 + its number, once everything is saved), nil for
    /// one that ran to its end. Rank 0 alone speaks: the others print only their own failures.
    private func train(_ request: TrainRequest, collective: any Collective) throws -> Int32? {
        let speaks = collective.rank == 0
        // Rank 0 resolves the configuration (--resume's and --config's files need be on its machine only).
        let c = try TrainConfig.shared(by: collective) { try request.resolve() }
        let resume = request.resume

        let log: (String) -> Void = speaks ? { FileHandle.standardError.write(Data(($0 + "\n").utf8)) } : { _ in }
        // Every rank builds the run and reads the data from its own disk; one that cannot stops them all.
        let run = try collective.agreeing { try TrainingRun(config: c, collective: collective, log: log) }
        run.replacesExistingRun = request.force
        if resume != nil { try run.resume() }
        let progress = speaks ? ProgressDisplay(run) : nil
        if let progress { run.add(progress) }
        let processes =
            collective.size > 1 ? " over \(collective.size) processes (\(run.batchSize / collective.size) each)" : ""
        log(
            "training \(run.model.name) for \(run.config.steps) steps, batch \(run.batchSize)\(processes), seed \(run.config.seed) → \(run.folder.path)"
        )
        let interrupts = Interrupts(announce: speaks)
        defer { interrupts.restore() }
        run.stopRequested = { interrupts.received != nil }
        do {
            try run.run()
        } catch {
            // Also for what stops the run before its first step (a run already in the folder).
            progress?.runDidStop(run)
            throw error
        }
        // A signal to any rank stops every rank at the same step.
        let number = interrupts.received ?? SIGTERM
        guard speaks else { return run.stoppedOnRequest ? 128 + number : nil }
        let f = run.folder.path
        print(
            """
            samples:     \(f)/samples/  (last: step-\(String(format: "%06d", run.finalStep)).png)
            curves:      \(f)/curves.png
            history:     \(f)/history.csv
            generator:   \(f)/generator.safetensors   (swiftgan sample --checkpoint \(f)/generator.safetensors --out grid.png)
            """)
        // Out before any rank ends: under mpirun, a rank that exits nonzero ends the others.
        fflush(stdout)
        guard run.stoppedOnRequest else { return nil }
        let why = interrupts.received.map(Interrupts.name) ?? "stopped (another process was signalled)"
        // The exact command, as this process was started.
        let command = [CommandLine.arguments[0], "train", "--resume", f].map(shellQuoted).joined(separator: " ")
        let launcher =
            collective.size > 1
            ? "\n(launched as this run was, under mpirun or srun, with any number of processes that divides the batch of \(run.batchSize); or alone)"
            : ""
        log("\(why): saved at step \(run.finalStep) of \(run.config.steps). Continue with:\n  \(command)\(launcher)")
        return 128 + number
    }
}
