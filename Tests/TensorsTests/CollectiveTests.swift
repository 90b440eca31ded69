import Foundation
import SwiftGANTensors
import XCTest

/// The collectives: `SingleProcess` and the launcher detection here, in this process; MPI through
/// the built `swiftgan-collective-check` under Open MPI's `mpirun`, which checks sums, max/min,
/// broadcasts and a barrier against closed forms on every rank and prints "rank R of N: ok".
/// (This process never joins MPI: an MPI process cannot leave it and join another job.)
final class CollectiveTests: XCTestCase {
    func testSingleProcessIsRankZeroOfOneAndLeavesValuesAsTheyAre() throws {
        let single = SingleProcess()
        XCTAssertEqual(single.rank, 0)
        XCTAssertEqual(single.size, 1)
        var floats: [Float] = [1, -2, 3.5]
        try floats.withUnsafeMutableBufferPointer { try single.allReduceSum($0) }
        XCTAssertEqual(floats, [1, -2, 3.5])
        var doubles: [Double] = [0.25, 4]
        try doubles.withUnsafeMutableBufferPointer { try single.allReduceSum($0) }
        XCTAssertEqual(doubles, [0.25, 4])
        try single.allReduceSum(UnsafeMutableBufferPointer<Float>(start: nil, count: 0))
        for op in [ReduceOperation.sum, .max, .min] {
            var flags: [Double] = [1, -1, 0]
            try single.allReduce(&flags, op)
            XCTAssertEqual(flags, [1, -1, 0], "\(op)")
        }
        var bytes: [UInt8] = [1, 2, 3]
        try single.broadcast(&bytes, from: 0)
        XCTAssertEqual(bytes, [1, 2, 3])
        XCTAssertThrowsError(try single.broadcast(&bytes, from: 1)) { error in
            XCTAssertTrue("\(error)".contains("root 1"), "\(error)")
        }
        try single.barrier()
        try single.finalize()
    }

    func testTheEnvironmentNamesTheLauncherAndItsSize() throws {
        XCTAssertNil(Collectives.launch(in: [:]))
        XCTAssertEqual(
            Collectives.launch(in: ["OMPI_COMM_WORLD_SIZE": "4", "OMPI_COMM_WORLD_RANK": "1"]),
            Collectives.Launch(variable: "OMPI_COMM_WORLD_SIZE", size: 4))
        XCTAssertEqual(
            Collectives.launch(in: ["PMI_SIZE": "3", "PMI_RANK": "0"]),
            Collectives.Launch(variable: "PMI_SIZE", size: 3))
        XCTAssertEqual(
            Collectives.launch(in: ["SLURM_STEP_NUM_TASKS": "8", "SLURM_NTASKS": "8", "SLURM_PROCID": "5"]),
            Collectives.Launch(variable: "SLURM_STEP_NUM_TASKS", size: 8))
        // An sbatch script or salloc shell: an allocation of 8 tasks, one process running.
        XCTAssertNil(Collectives.launch(in: ["SLURM_NTASKS": "8", "SLURM_PROCID": "0"]))
        XCTAssertEqual(
            Collectives.launch(in: ["PMIX_RANK": "2"]), Collectives.Launch(variable: "PMIX_RANK", size: nil))
        // One process, or none named: no MPI (so nothing here initializes MPI in this process).
        XCTAssertTrue(try Collectives.fromEnvironment([:]) is SingleProcess)
        XCTAssertTrue(try Collectives.fromEnvironment(["OMPI_COMM_WORLD_SIZE": "1"]) is SingleProcess)
        XCTAssertTrue(try Collectives.fromEnvironment(["SLURM_NTASKS": "8", "SLURM_PROCID": "0"]) is SingleProcess)
    }

    func testAnErrorNamesTheCallAndMPIsCode() {
        let error = CollectiveError(call: "MPI_Allreduce", code: 2, message: "MPI_ERR_COUNT: invalid count argument")
        XCTAssertEqual("\(error)", "MPI_Allreduce failed with MPI error 2: MPI_ERR_COUNT: invalid count argument")
    }

    func testWithoutALauncherTheCheckRunsAsOneProcess() throws {
        let result = try run(checkTool(), [], environment: environment(launched: false), timeout: 120)
        XCTAssertEqual(result.status, 0, result.output)
        XCTAssertTrue(result.output.contains("rank 0 of 1: ok"), result.output)
    }

    func testSeveralRanksWithoutTheLibrarySayHowToInstallOpenMPI() throws {
        var variables = environment(launched: false)
        variables["OMPI_COMM_WORLD_SIZE"] = "2"
        variables["OMPI_COMM_WORLD_RANK"] = "0"
        variables["SWIFTGAN_MPI_LIBRARY"] = "/nonexistent/libmpi.so.40"
        let result = try run(checkTool(), [], environment: variables, timeout: 60)
        XCTAssertEqual(result.status, 2, result.output)
        XCTAssertTrue(result.output.contains("OMPI_COMM_WORLD_SIZE says 2 processes"), result.output)
        XCTAssertTrue(result.output.contains("apt-get install openmpi-bin libopenmpi3"), result.output)
    }

    func testEveryRankOfTwoAndOfFourAgrees() throws {
        let mpirun = try openMPIRunner()
        for n in [2, 4] {
            let result = try run(
                mpirun, mpirunOptions(n) + [checkTool().path], environment: environment(launched: true), timeout: 240)
            XCTAssertFalse(result.timedOut, "mpirun -n \(n) still running after 240 s: \(result.output)")
            XCTAssertEqual(result.status, 0, result.output)
            for rank in 0..<n {
                XCTAssertTrue(
                    result.output.contains("rank \(rank) of \(n): ok"), "rank \(rank) of \(n): \(result.output)")
            }
        }
    }

    func testARankThatAbortsEndsEveryRankWithinTenSeconds() throws {
        let mpirun = try openMPIRunner()
        for n in [2, 4] {
            let result = try run(
                mpirun, mpirunOptions(n) + [checkTool().path, "--abort-on", "1"],
                environment: environment(launched: true),
                timeout: 60)
            XCTAssertFalse(result.timedOut, "mpirun -n \(n) still running after 60 s: \(result.output)")
            XCTAssertLessThan(result.seconds, 10, result.output)
            XCTAssertNotEqual(result.status, 0, result.output)
            XCTAssertTrue(result.output.contains("rank 1 of \(n): aborting"), result.output)
            XCTAssertFalse(result.output.contains("FAILED"), result.output)
        }
    }

    // MARK: - Running the check

    /// The built `swiftgan-collective-check`, beside the test bundle (as GANTests finds `swiftgan`).
    private func checkTool() throws -> URL {
        #if os(macOS)
        let folder = Bundle(for: Self.self).bundleURL.deletingLastPathComponent()
        #else
        let folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        #endif
        let tool = folder.appendingPathComponent("swiftgan-collective-check")
        guard FileManager.default.isExecutableFile(atPath: tool.path) else {
            throw MissingTool(path: tool.path)
        }
        return tool
    }

    /// Open MPI's `mpirun` from PATH; skips the test, saying how to install it, where there is none.
    private func openMPIRunner() throws -> URL {
        let install =
            "install Open MPI to run the MPI tests (Debian/Ubuntu: scripts/setup --tests, or apt-get install"
            + " openmpi-bin libopenmpi3; macOS: brew install open-mpi)"
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        guard
            let mpirun = path.split(separator: ":").map({
                URL(fileURLWithPath: String($0)).appendingPathComponent("mpirun")
            })
            .first(where: { FileManager.default.isExecutableFile(atPath: $0.path) })
        else { throw XCTSkip("no mpirun on PATH: \(install)") }
        let version = try run(mpirun, ["--version"], environment: environment(launched: true), timeout: 60)
        try XCTSkipUnless(
            version.output.contains("Open MPI"),
            "\(mpirun.path) is not Open MPI's (\(version.output.prefix(80))): \(install)")
        return mpirun
    }

    /// Any number of ranks on any machine: more ranks than cores, none pinned to a core.
    private func mpirunOptions(_ n: Int) -> [String] {
        ["-n", "\(n)", "--oversubscribe", "--bind-to", "none"]
    }

    /// This process's environment without a launcher's variables; for `mpirun`, with what lets
    /// it run as root (containers, CI) and copy between processes without ptrace rights (the
    /// shared-memory transport's single-copy mode fails in containers that lack them).
    private func environment(launched: Bool) -> [String: String] {
        var variables = ProcessInfo.processInfo.environment.filter { key, _ in
            !["OMPI_", "PMI_", "PMIX_", "SLURM_"].contains { key.hasPrefix($0) }
        }
        if launched {
            variables["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
            variables["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
            variables["OMPI_MCA_rmaps_base_oversubscribe"] = "1"
            variables["OMPI_MCA_btl_vader_single_copy_mechanism"] = "none"
        }
        return variables
    }

    private struct MissingTool: Error, CustomStringConvertible {
        let path: String
        var description: String { "\(path) is missing: `swift build` builds it" }
    }

    private struct Run {
        var status: Int32
        var output: String
        var seconds: Double
        var timedOut: Bool
    }

    /// Runs a program to its end or for `timeout` seconds (then ends it); its output and error
    /// together, through a file (no reader thread), and how long it ran.
    private func run(
        _ executable: URL, _ arguments: [String], environment: [String: String], timeout: TimeInterval
    ) throws -> Run {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("collective-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: log) }
        let handle = try FileHandle(forWritingTo: log)
        defer { try? handle.close() }
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.environment = environment
        process.standardInput = FileHandle.nullDevice  // mpirun forwards its input to rank 0
        process.standardOutput = handle
        process.standardError = handle
        let start = Date()
        try process.run()
        while process.isRunning && Date().timeIntervalSince(start) < timeout { Thread.sleep(forTimeInterval: 0.05) }
        let seconds = Date().timeIntervalSince(start)
        let timedOut = process.isRunning
        if timedOut {
            process.terminate()  // mpirun passes it on to the ranks
            let asked = Date()
            while process.isRunning && Date().timeIntervalSince(asked) < 10 { Thread.sleep(forTimeInterval: 0.05) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        process.waitUntilExit()
        let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        return Run(status: process.terminationStatus, output: output, seconds: seconds, timedOut: timedOut)
    }
}
