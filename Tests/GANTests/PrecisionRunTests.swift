import Foundation
import SwiftGANArtifacts
import SwiftGANTensors
import SwiftGANTraining
import XCTest

/// `--precision` as a run sees it: written to config.json, the state and the report where bf16
/// runs, refused with its reason where it does not; and the thread count from the affinity mask.
final class PrecisionRunTests: XCTestCase {
    func testABF16RunSaysSoOrIsRefusedWithTheReason() throws {
        var config = curveConfig(steps: 6, sampleEvery: 6)
        config.precision = "bf16"
        guard Precision.bf16Unavailability == nil else {
            XCTAssertThrowsError(try TrainingRun(config: config)) { error in
                XCTAssertEqual("\(error)", Precision.bf16Unavailability)
            }
            XCTAssertFalse(FileManager.default.fileExists(atPath: config.out!), "nothing is written")
            return
        }
        var lines: [String] = []
        let run = try TrainingRun(config: config) { lines.append($0) }
        try run.run()
        XCTAssertEqual(Precision.current, .fp32, "the run's precision ends with it")
        XCTAssertTrue(lines.contains { $0.hasPrefix("precision: bf16") }, "\(lines)")
        let written = try String(contentsOfFile: config.out! + "/config.json", encoding: .utf8)
        XCTAssertTrue(written.contains("\"precision\" : \"bf16\""), written)
        let state = try Safetensors.read(from: URL(fileURLWithPath: config.out! + "/training-state.safetensors"))
        XCTAssertEqual(state.metadata["kernels.precision"], "bf16")
        let report = try String(contentsOfFile: config.out! + "/report.html", encoding: .utf8)
        let summary = report.components(separatedBy: "steps in").dropFirst().first?.prefix(120) ?? ""
        XCTAssertTrue(summary.contains(", bf16."), "the report's summary names the precision: \(summary)")
    }

    /// Unless told, a run multiplies in bf16 where the CPU runs it and in fp32 elsewhere, and writes
    /// which; `--precision fp32` is fp32 everywhere.
    func testTheDefaultPrecisionIsBF16WhereItRunsAndIsWritten() throws {
        XCTAssertEqual(Precision.preferred, Precision.bf16Unavailability == nil ? .bf16 : .fp32)
        for asked in [nil, "fp32"] as [String?] {
            var config = curveConfig(steps: 2, sampleEvery: 2)
            config.precision = asked
            var lines: [String] = []
            try TrainingRun(config: config) { lines.append($0) }.run()
            let expected = asked ?? Precision.preferred.rawValue
            let written = try String(contentsOfFile: config.out! + "/config.json", encoding: .utf8)
            XCTAssertTrue(written.contains("\"precision\" : \"\(expected)\""), written)
            XCTAssertEqual(lines.contains { $0.contains("this CPU's default") }, asked == nil && expected == "bf16")
        }
    }

    /// A CPU without bf16 arithmetic, emulated by capping oneDNN's ISA at AVX2 (`DNNL_MAX_CPU_ISA`):
    /// bf16 is refused with the reason, a non-zero exit and no run folder.
    func testBF16IsRefusedOnACPUWithoutIt() throws {
        try XCTSkipUnless(ConvolutionBackend.isOneDNNAvailable, "oneDNN is not loaded here: nothing to cap")
        let out = runFolder()
        let process = Process()
        process.executableURL = tool
        process.arguments = ["train", "--model", "curve-gan", "--precision", "bf16", "--steps", "2", "--out", out]
        process.environment = ProcessInfo.processInfo.environment.merging(["DNNL_MAX_CPU_ISA": "AVX2"]) { $1 }
        let pipe = Pipe()
        (process.standardOutput, process.standardError) = (pipe, pipe)
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertNotEqual(process.terminationStatus, 0)
        XCTAssertTrue(output.contains("this CPU has neither AVX512_BF16 nor AMX"), output)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out), "nothing is written")
    }

    func testUnknownPrecisionsAreRefused() throws {
        let bench = try swiftgan(["bench", "dcgan", "--precision", "fp16"], expectSuccess: false)
        XCTAssertNotEqual(bench.status, 0)
        XCTAssertTrue(bench.output.contains("--precision must be fp32 or bf16"), bench.output)
        let train = try swiftgan(
            ["train", "--model", "curve-gan", "--precision", "fp16", "--out", runFolder(#function)],
            expectSuccess: false)
        XCTAssertNotEqual(train.status, 0)
        XCTAssertTrue(train.output.contains("--precision"), train.output)
    }

    /// Under `taskset -c 0` the engine (and oneDNN's OpenMP team) use one thread, not the
    /// machine's core count: a larger team spins against itself.
    func testTheThreadCountFollowsTheAffinityMask() throws {
        let taskset = URL(fileURLWithPath: "/usr/bin/taskset")
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: taskset.path), "no taskset here")
        let result = try runProcess(taskset, ["-c", "0", tool.path, "bench", "curve-gan", "--seconds", "0.05"])
        XCTAssertEqual(result.status, 0, result.output)
        XCTAssertTrue(result.output.contains("\"threads\":1"), result.output)
        XCTAssertLessThanOrEqual(Parallel.availableCores, ProcessInfo.processInfo.activeProcessorCount)
        // OMP_NUM_THREADS lowers it (through env(1), as a launcher's environment would).
        let env = URL(fileURLWithPath: "/usr/bin/env")
        let asked = try runProcess(env, ["OMP_NUM_THREADS=1", tool.path, "bench", "curve-gan", "--seconds", "0.05"])
        XCTAssertEqual(asked.status, 0, asked.output)
        XCTAssertTrue(asked.output.contains("\"threads\":1"), asked.output)
    }
}
