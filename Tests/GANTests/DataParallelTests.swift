import Foundation
import SwiftGANArtifacts
import SwiftGANTensors
import SwiftGANTraining
import XCTest

/// `swiftgan train` under Open MPI's `mpirun` (issue #23): N processes, each training on its share
/// of every batch, end where one process ends with the same seed; a stop, a resume on another N
/// and a killed rank behave. The ranks run the built `swiftgan` with one BLAS and OpenMP thread
/// each, as does the one process they are compared with. Without Open MPI these tests skip, saying
/// how to install it (the last two need no MPI and always run).
///
/// Tolerances: the ranks sum each gradient over their shares and then over the ranks, one process
/// over the whole batch, so sums run in another order (relative differences near 1e-7 a step);
/// compared as ‖a − b‖ / ‖b‖ per tensor. Without BatchNorm: 1e-5 after 20 steps. With `--sync-bn`
/// the batch statistics are joined from each rank's mean and squared deviations in Double, one
/// process computes them in one pass in Float: 1e-4.
final class DataParallelTests: XCTestCase {
    // MARK: - Ranks reproduce one process

    /// curve-gan (no BatchNorm) with D's dropout, per-example smoothed and flipped targets, and
    /// then a relativistic loss with LeCam and an average of G: every draw is the global batch's.
    func testCurveGANOnTwoAndFourRanksEndsWhereOneProcessEnds() throws {
        let mpirun = try openMPIRunner()
        let common = [
            "--model", "curve-gan", "--steps", "20", "--sample-every", "20", "--batch-size", "8", "--seed", "5",
            "--d-dropout", "0.2",
        ]
        for (name, extra) in [
            ("targets", ["--label-smoothing", "0.1", "--per-example", "--label-flip", "0.05"]),
            ("ragan", ["--loss", "ragan", "--lecam", "0.3", "--ema", "0.9"]),
        ] {
            let one = try train(nil, common + extra, folder: "dpcurve\(name)one", mpirun: mpirun)
            for ranks in [2, 4] {
                let many = try train(ranks, common + extra, folder: "dpcurve\(name)\(words[ranks]!)", mpirun: mpirun)
                try assertSameWeights(many, one, tolerance: 1e-5, "\(name), \(ranks) ranks")
                try assertSameFirstLosses(many, one, "\(name), \(ranks) ranks")
            }
        }
    }

    /// mlp-gan's G normalizes with BatchNorm: with --sync-bn over the whole batch; D's dropout, and
    /// DiffAugment with ADA (whose sign counts the ranks sum) on every image D sees.
    func testMLPGANWithSynchronizedBatchNormEndsWhereOneProcessEnds() throws {
        let mpirun = try openMPIRunner()
        let data = try randomIDXFolder("dpmlpdata", count: 40, seed: 7)
        let arguments = [
            "--model", "mlp-gan", "--dataset", "mnist", "--data-dir", data.path, "--steps", "20", "--sample-every",
            "20", "--batch-size", "8", "--seed", "6", "--sync-bn", "--d-dropout", "0.3", "--diffaugment",
            "color,translation,cutout", "--ada", "0.6", "--ada-kimg", "0.2",
        ]
        let one = try train(nil, arguments, folder: "dpmlpone", mpirun: mpirun)
        for ranks in [2, 4] {
            let many = try train(ranks, arguments, folder: "dpmlp\(words[ranks]!)", mpirun: mpirun)
            try assertSameWeights(many, one, tolerance: 1e-4, "mlp-gan, \(ranks) ranks")
            try assertSameFirstLosses(many, one, "mlp-gan, \(ranks) ranks")
        }
    }

    /// dcgan's convolutional G with BatchNorm synchronized over 2 ranks: the weights after one step,
    /// and ten steps' losses. Its weights are not compared after ten steps: Adam's first updates
    /// divide a moment by the square root of another, and where a gradient's two first values
    /// nearly cancel (BatchNorm's offsets, the biases before it) rounding differences of 3e-6
    /// after one step grew to 3e-3 after two (seed 7), while the losses stayed within 1e-4.
    func testDCGANWithSynchronizedBatchNormOnTwoRanksEndsWhereOneProcessEnds() throws {
        let mpirun = try openMPIRunner()
        let data = try randomIDXFolder("dpdcgandata", count: 40, seed: 8)
        for steps in ["1", "10"] {
            let arguments = [
                "--model", "dcgan", "--dataset", "mnist", "--data-dir", data.path, "--steps", steps, "--sample-every",
                steps, "--batch-size", "8", "--seed", "7", "--sync-bn",
            ]
            let one = try train(nil, arguments, folder: "dpdcganone\(steps)", mpirun: mpirun)
            let two = try train(2, arguments, folder: "dpdcgantwo\(steps)", mpirun: mpirun)
            if steps == "1" {
                try assertSameWeights(two, one, tolerance: 1e-4, "dcgan --sync-bn, one step")
            } else {
                try assertSameLosses(two, one, tolerance: 1e-3, "dcgan --sync-bn, ten steps")
            }
        }
    }

    /// WGAN-GP on dcgan: the penalty's second-order gradients are part of each rank's gradients,
    /// so the all-reduce carries them (G's BatchNorm synchronized, five D updates a step).
    func testWGANGPOnTwoRanksEndsWhereOneProcessEnds() throws {
        let mpirun = try openMPIRunner()
        let data = try randomIDXFolder("dpwgandata", count: 48, seed: 9)
        let arguments = [
            "--model", "dcgan", "--dataset", "mnist", "--data-dir", data.path, "--recipe", "tutorial", "--loss",
            "wgan-gp",
            "--steps", "4", "--sample-every", "4", "--batch-size", "8", "--seed", "8", "--sync-bn",
        ]
        let one = try train(nil, arguments, folder: "dpwganone", mpirun: mpirun)
        let two = try train(2, arguments, folder: "dpwgantwo", mpirun: mpirun)
        try assertSameWeights(two, one, tolerance: 1e-4, "wgan-gp")
    }

    /// R1 through a discriminator with synchronized BatchNorm (dcgan64's): the penalty's inner
    /// backward pass sums BatchNorm's statistics over the ranks with recorded all-reduces, and the
    /// outer one differentiates through them.
    func testR1ThroughSynchronizedBatchNormOnTwoRanksEndsWhereOneProcessEnds() throws {
        let mpirun = try openMPIRunner()
        let data = try randomIDXFolder("dpronedata", count: 40, seed: 10)
        let arguments = [
            "--model", "dcgan64", "--dataset", "mnist", "--data-dir", data.path, "--width", "4", "--r1", "1",
            "--steps", "6", "--sample-every", "6", "--batch-size", "8", "--seed", "9", "--sync-bn",
        ]
        let one = try train(nil, arguments, folder: "dpronenone", mpirun: mpirun)
        let two = try train(2, arguments, folder: "dprtwo", mpirun: mpirun)
        try assertSameWeights(two, one, tolerance: 1e-4, "dcgan64 --r1 --sync-bn")
    }

    // MARK: - Resume, stop and failure

    /// A run of 4 ranks stopped at step 10 and resumed on 2 ranks to step 20 ends where one process
    /// does when it resumes the same way (and where an uninterrupted one does).
    func testAFourRankRunResumesOnTwoRanks() throws {
        let mpirun = try openMPIRunner()
        let first = [
            "--model", "curve-gan", "--steps", "10", "--sample-every", "10", "--batch-size", "8", "--seed", "3",
        ]
        let many = try train(4, first, folder: "dpresumemany", mpirun: mpirun)
        try run(mpirun, 2, ["train", "--resume", many.path, "--steps", "20"])
        let one = try train(nil, first, folder: "dpresumeone", mpirun: mpirun)
        try run(mpirun, nil, ["train", "--resume", one.path, "--steps", "20"])
        try assertSameWeights(many, one, tolerance: 1e-5, "resumed on 2 ranks")
        let history = try String(contentsOfFile: many.path + "/history.csv", encoding: .utf8)
        XCTAssertEqual(history.split(separator: "\n").count, 21, "a header and 20 steps")
    }

    /// SIGINT to mpirun: every rank stops at the same step, rank 0 saves once and prints the
    /// command that continues the run; that command works.
    func testInterruptingMpirunSavesOnceAndPrintsAResumeThatWorks() throws {
        let mpirun = try openMPIRunner()
        let out = runFolder("dpinterrupted")
        let job = try start(
            mpirun, 2,
            [
                "train", "--model", "curve-gan", "--steps", "100000000", "--sample-every", "100000000", "--batch-size",
                "8", "--out", out,
            ],
            // mpirun sends each rank SIGCONT, this many seconds later SIGTERM, as long again later
            // SIGKILL: time to finish the step and save.
            extra: ["OMPI_MCA_odls_base_sigkill_timeout": "10"])
        defer { job.stop() }
        try job.waitFor(out + "/samples/step-000000.png", seconds: 120)
        Thread.sleep(forTimeInterval: 1)  // some steps
        job.process.interrupt()
        let result = job.finish(seconds: 120)
        XCTAssertFalse(result.timedOut, result.output)
        XCTAssertNotEqual(result.status, 0, result.output)
        XCTAssertEqual(result.output.components(separatedBy: "Continue with:").count, 2, "said once: \(result.output)")
        let lines = result.output.split(separator: "\n").map(String.init)
        let index = try XCTUnwrap(lines.firstIndex { $0.hasSuffix("Continue with:") }, result.output)
        let command = lines[index + 1].trimmingCharacters(in: .whitespaces)
        XCTAssertTrue(command.hasSuffix("train --resume \(out)"), command)
        let history = try String(contentsOfFile: out + "/history.csv", encoding: .utf8)
        let saved = try XCTUnwrap(Int(history.split(separator: "\n").last!.split(separator: ",")[0]))
        XCTAssertGreaterThan(saved, 0)
        // Saved once: the first picture and the one at the stop, nothing between.
        let pictures = try FileManager.default.contentsOfDirectory(atPath: out + "/samples").filter {
            $0.hasSuffix(".png")
        }
        XCTAssertEqual(pictures.sorted(), ["step-000000.png", String(format: "step-%06d.png", saved)])
        // The printed command, as printed (its program and arguments), under 2 ranks.
        let words = command.split(separator: " ").map(String.init)
        XCTAssertEqual(words.first, tool.path)
        try run(mpirun, 2, Array(words.dropFirst()) + ["--steps", "\(saved + 5)"])
        let resumed = try String(contentsOfFile: out + "/history.csv", encoding: .utf8)
        XCTAssertEqual(resumed.split(separator: "\n").count, saved + 6)
    }

    /// A rank killed with SIGKILL: every process of the job ends, non-zero, within 10 s, and the
    /// run folder stays resumable by one process.
    func testAKilledRankEndsEveryRankAndTheRunStaysResumable() throws {
        #if !os(Linux)
        throw XCTSkip("finds the ranks' processes through /proc")
        #else
        let mpirun = try openMPIRunner()
        let out = runFolder("dpkilled")
        let marker = UUID().uuidString
        let job = try start(
            mpirun, 2,
            [
                "train", "--model", "curve-gan", "--steps", "100000000", "--sample-every", "50", "--batch-size", "8",
                "--out", out,
            ],
            extra: ["SWIFTGAN_TEST_JOB": marker])
        defer { job.stop() }
        try job.waitFor(out + "/training-state.safetensors", seconds: 120)
        let ranks = rankProcesses(marker: marker)
        let victim = try XCTUnwrap(ranks[1], "rank 1's process among \(ranks)")
        let killed = Date()
        kill(victim, SIGKILL)
        let result = job.finish(seconds: 30)
        XCTAssertFalse(result.timedOut, result.output)
        XCTAssertLessThan(Date().timeIntervalSince(killed), 10, result.output)
        XCTAssertNotEqual(result.status, 0, result.output)
        for (rank, pid) in ranks { XCTAssertFalse(isRunning(pid), "rank \(rank) (pid \(pid)) still runs") }
        let history = try String(contentsOfFile: out + "/history.csv", encoding: .utf8)
        let saved = try XCTUnwrap(Int(history.split(separator: "\n").last!.split(separator: ",")[0]))
        try run(mpirun, nil, ["train", "--resume", out, "--steps", "\(saved + 5)"])
        #endif
    }

    /// A batch the processes cannot split evenly: rank 0 says so, once, and every rank ends.
    func testABatchThatDoesNotSplitIsRefusedOnce() throws {
        let mpirun = try openMPIRunner()
        let out = runFolder("dpuneven")
        let result = try run(
            mpirun, 3, ["train", "--model", "curve-gan", "--steps", "5", "--batch-size", "8", "--out", out],
            expectSuccess: false)
        XCTAssertNotEqual(result.status, 0, result.output)
        XCTAssertEqual(
            result.output.components(separatedBy: "does not split evenly over 3 processes").count, 2, result.output)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + "/training-state.safetensors"))
    }

    // MARK: - Without MPI

    /// --sync-bn in one process changes nothing: the same bytes as without it.
    func testSynchronizedBatchNormInOneProcessChangesNothing() throws {
        let data = try randomIDXFolder("dpsyncalone", count: 24, seed: 2)
        let arguments = [
            "train", "--model", "mlp-gan", "--dataset", "mnist", "--data-dir", data.path, "--steps", "6",
            "--sample-every", "6", "--batch-size", "8", "--seed", "1",
        ]
        let plain = runFolder("dpplain"), synced = runFolder("dpsynced")
        try swiftgan(arguments + ["--out", plain])
        try swiftgan(arguments + ["--sync-bn", "--out", synced])
        for file in ["generator.safetensors", "discriminator.safetensors"] {
            XCTAssertEqual(
                try Data(contentsOf: URL(fileURLWithPath: plain + "/" + file)),
                try Data(contentsOf: URL(fileURLWithPath: synced + "/" + file)), file)
        }
    }

    /// The other commands run as one process: started as several, each refuses before doing anything.
    func testSamplingRefusesAMultiProcessLaunch() throws {
        let process = Process()
        process.executableURL = tool
        let out = runFolder("dpsample")
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        process.arguments = ["sample", "--pretrained", Pretrained.names[0], "--out", out + "/grid.png"]
        var variables = ProcessInfo.processInfo.environment
        (variables["OMPI_COMM_WORLD_SIZE"], variables["OMPI_COMM_WORLD_RANK"]) = ("2", "0")
        process.environment = variables
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 64, output)
        XCTAssertTrue(output.contains("runs as one process"), output)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + "/grid.png"))
    }

    // MARK: - Running the ranks

    private let words = [2: "two", 4: "four"]

    /// Trains into a fresh folder named `folder` (letters only), with `ranks` processes under
    /// mpirun or (nil) alone; returns the folder.
    /// In fp32 whatever this CPU's default: bf16 rounds each product's inputs to 8 bits, so a
    /// difference of 1e-7 between a rank's activations and one process's can move a rounding by
    /// 2⁻⁹, which Adam's first steps amplify far past the tolerances above (0.2 on mlp-gan's
    /// BatchNorm offsets after 20 steps, with or without the bf16 operand copies).
    private func train(_ ranks: Int?, _ arguments: [String], folder: String, mpirun: URL) throws -> URL {
        let out = runFolder(folder)
        try run(mpirun, ranks, ["train"] + arguments + ["--precision", "fp32", "--out", out])
        return URL(fileURLWithPath: out)
    }

    /// Runs `swiftgan` with `arguments`, under `mpirun -n ranks` or (nil) alone, to its end.
    @discardableResult
    private func run(
        _ mpirun: URL, _ ranks: Int?, _ arguments: [String], expectSuccess: Bool = true,
        file: StaticString = #filePath, line: UInt = #line
    ) throws -> (status: Int32, output: String) {
        let job = try start(mpirun, ranks, arguments)
        defer { job.stop() }
        let result = job.finish(seconds: 300)
        XCTAssertFalse(result.timedOut, "still running after 300 s: \(result.output)", file: file, line: line)
        if expectSuccess { XCTAssertEqual(result.status, 0, result.output, file: file, line: line) }
        return (result.status, result.output)
    }

    private func start(
        _ mpirun: URL, _ ranks: Int?, _ arguments: [String], extra: [String: String] = [:]
    ) throws -> Job {
        var variables = environment(launched: ranks != nil)
        variables.merge(extra) { $1 }
        if let ranks {
            return try Job(
                mpirun, ["-n", "\(ranks)", "--oversubscribe", "--bind-to", "none", tool.path] + arguments,
                environment: variables)
        }
        return try Job(tool, arguments, environment: variables)
    }

    /// This process's environment without a launcher's variables, one BLAS and OpenMP thread per
    /// process; for mpirun, what lets it run as root (containers, CI) and copy between processes
    /// without ptrace rights (as CollectiveTests).
    private func environment(launched: Bool) -> [String: String] {
        var variables = ProcessInfo.processInfo.environment.filter { key, _ in
            !["OMPI_", "PMI_", "PMIX_", "SLURM_"].contains { key.hasPrefix($0) }
        }
        variables["OMP_NUM_THREADS"] = "1"
        variables["OPENBLAS_NUM_THREADS"] = "1"
        if launched {
            variables["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
            variables["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
            variables["OMPI_MCA_rmaps_base_oversubscribe"] = "1"
            variables["OMPI_MCA_btl_vader_single_copy_mechanism"] = "none"
        }
        return variables
    }

    /// Open MPI's `mpirun` from PATH; skips the test, saying how to install it, where there is none.
    private func openMPIRunner() throws -> URL {
        let install =
            "install Open MPI to run the data-parallel tests (Debian/Ubuntu: scripts/setup --tests, or apt-get install"
            + " openmpi-bin libopenmpi3; macOS: brew install open-mpi)"
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        guard
            let mpirun = path.split(separator: ":").map({
                URL(fileURLWithPath: String($0)).appendingPathComponent("mpirun")
            })
            .first(where: { FileManager.default.isExecutableFile(atPath: $0.path) })
        else { throw XCTSkip("no mpirun on PATH: \(install)") }
        let version = try Job(mpirun, ["--version"], environment: environment(launched: true)).finish(seconds: 60)
        try XCTSkipUnless(
            version.output.contains("Open MPI"),
            "\(mpirun.path) is not Open MPI's (\(version.output.prefix(80))): \(install)")
        return mpirun
    }

    /// Each tensor of `many`'s generator and discriminator against `one`'s: ‖a − b‖₂ / ‖b‖₂.
    private func assertSameWeights(
        _ many: URL, _ one: URL, tolerance: Double, _ what: String, file: StaticString = #filePath, line: UInt = #line
    ) throws {
        for name in ["generator.safetensors", "discriminator.safetensors"] {
            let a = try Safetensors.read(from: many.appendingPathComponent(name)).tensors
            let b = try Safetensors.read(from: one.appendingPathComponent(name)).tensors
            XCTAssertEqual(Set(a.keys), Set(b.keys), "\(what): \(name)", file: file, line: line)
            var worst = (name: "", error: 0.0)
            for (key, expected) in b {
                guard let actual = a[key], actual.shape == expected.shape else {
                    XCTFail("\(what): \(name) \(key) is missing or of another shape", file: file, line: line)
                    continue
                }
                var difference = 0.0, norm = 0.0
                for (x, y) in zip(actual.values, expected.values) {
                    difference += Double(x - y) * Double(x - y)
                    norm += Double(y) * Double(y)
                }
                let error = difference.squareRoot() / Swift.max(norm.squareRoot(), 1e-12)
                if error > worst.error { worst = (key, error) }
            }
            XCTAssertLessThanOrEqual(
                worst.error, tolerance, "\(what): \(name) \(worst.name) differs by \(worst.error)", file: file,
                line: line)
        }
    }

    /// The losses of the first step (D and G's, before either network moved): the ranks' means of
    /// their shares' means are the whole batch's mean.
    /// Every step's D and G losses in `many`'s history.csv within `tolerance` (relative) of `one`'s.
    private func assertSameLosses(
        _ many: URL, _ one: URL, tolerance: Double, _ what: String, file: StaticString = #filePath, line: UInt = #line
    ) throws {
        func rows(_ folder: URL) throws -> [[Double?]] {
            try String(contentsOf: folder.appendingPathComponent("history.csv"), encoding: .utf8)
                .split(separator: "\n").dropFirst()
                .map { $0.split(separator: ",", omittingEmptySubsequences: false).map { Double($0) } }
        }
        let (a, b) = (try rows(many), try rows(one))
        XCTAssertEqual(a.count, b.count, "\(what): steps", file: file, line: line)
        for (step, (x, y)) in zip(a, b).enumerated() {
            for column in [2, 4] {  // d_loss, g_loss
                let (p, q) = (try XCTUnwrap(x[column]), try XCTUnwrap(y[column]))
                XCTAssertEqual(
                    p, q, accuracy: tolerance * Swift.max(1, abs(q)), "\(what): step \(step + 1)", file: file,
                    line: line)
            }
        }
    }

    private func assertSameFirstLosses(
        _ many: URL, _ one: URL, _ what: String, file: StaticString = #filePath, line: UInt = #line
    ) throws {
        func firstRow(_ folder: URL) throws -> [String: Double] {
            let lines = try String(contentsOf: folder.appendingPathComponent("history.csv"), encoding: .utf8)
                .split(separator: "\n")
            let header = lines[0].split(separator: ",").map(String.init)
            let values = lines[1].split(separator: ",", omittingEmptySubsequences: false).map { Double($0) }
            return Dictionary(
                uniqueKeysWithValues: zip(header, values).compactMap { key, value in value.map { (key, $0) } })
        }
        let (a, b) = (try firstRow(many), try firstRow(one))
        for column in ["d_loss", "g_loss"] {
            let (x, y) = (try XCTUnwrap(a[column]), try XCTUnwrap(b[column]))
            XCTAssertEqual(x, y, accuracy: 1e-5 * Swift.max(1, abs(y)), "\(what): \(column)", file: file, line: line)
        }
    }

    /// Whether process `pid` exists and is not a zombie (one that ended but was not yet reaped).
    private func isRunning(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return false }
        // "pid (name) S …": the state follows the name.
        return stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first != "Z"
    }

    /// The ranks of a job started with `SWIFTGAN_TEST_JOB=marker`: `swiftgan` processes whose
    /// environment holds it, by their `OMPI_COMM_WORLD_RANK`.
    private func rankProcesses(marker: String) -> [Int: pid_t] {
        var found: [Int: pid_t] = [:]
        let rankVariable = "OMPI_COMM_WORLD_RANK="
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = pid_t(entry), let environ = FileManager.default.contents(atPath: "/proc/\(entry)/environ"),
                let executable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(entry)/exe"),
                executable.hasSuffix("/swiftgan")
            else { continue }
            let variables = environ.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            guard variables.contains("SWIFTGAN_TEST_JOB=\(marker)"),
                let rank = variables.first(where: { $0.hasPrefix(rankVariable) })
                    .flatMap({ Int($0.dropFirst(rankVariable.count)) })
            else { continue }
            found[rank] = pid
        }
        return found
    }
}

/// A program running with its output and error going to a file (no reader thread to block it).
private final class Job {
    let process = Process()
    private let log: URL
    private let handle: FileHandle

    init(_ executable: URL, _ arguments: [String], environment: [String: String]) throws {
        log = FileManager.default.temporaryDirectory.appendingPathComponent("data-parallel-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        handle = try FileHandle(forWritingTo: log)
        process.executableURL = executable
        process.arguments = arguments
        process.environment = environment
        process.standardInput = FileHandle.nullDevice  // mpirun forwards its input to rank 0
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
    }

    /// Waits until `path` exists (training is under way), or fails after `seconds`.
    func waitFor(_ path: String, seconds: TimeInterval) throws {
        let deadline = Date(timeIntervalSinceNow: seconds)
        while !FileManager.default.fileExists(atPath: path) {
            guard process.isRunning, Date() < deadline else {
                throw JobError(description: "\(path) did not appear: \(output)")
            }
            usleep(50_000)
        }
    }

    var output: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

    /// Waits up to `seconds` for the program to end (then ends it); its status and output.
    func finish(seconds: TimeInterval) -> (status: Int32, output: String, timedOut: Bool) {
        let deadline = Date(timeIntervalSinceNow: seconds)
        while process.isRunning && Date() < deadline { usleep(50_000) }
        let timedOut = process.isRunning
        stop()
        process.waitUntilExit()
        return (process.terminationStatus, output, timedOut)
    }

    /// Ends the program if it still runs: SIGTERM (mpirun passes it on), then SIGKILL.
    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        let asked = Date()
        while process.isRunning && Date().timeIntervalSince(asked) < 10 { usleep(50_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    deinit {
        try? handle.close()
        try? FileManager.default.removeItem(at: log)
    }
}

private struct JobError: Error, CustomStringConvertible {
    let description: String
}
