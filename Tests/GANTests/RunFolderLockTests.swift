import Foundation
import SwiftGANArtifacts
import XCTest

@testable import SwiftGANTraining

/// One process writes a run folder at a time (#21): two runs started together into one folder,
/// `--force`, `--resume` and `report` into a live run are refused with the live process's number,
/// and a training state refuses a config.json it was not saved with.
final class RunFolderLockTests: XCTestCase {
    func start(_ arguments: [String]) throws -> (process: Process, output: Pipe) { try startProcess(tool, arguments) }

    func testALockIsExclusiveAndNamesItsHolder() throws {
        let folder = URL(fileURLWithPath: runFolder())
        let lock = try FolderLock(folder, holder: "a test")
        XCTAssertThrowsError(try FolderLock(folder, holder: "another")) {
            XCTAssertTrue("\($0)".contains("is in use by process \(getpid()) (a test)"), "\($0)")
        }
        lock.release()
        XCTAssertNoThrow(try FolderLock(folder, holder: "again").release())
    }

    /// A `.lock` that is a link (a run folder from elsewhere) is refused, and its target untouched.
    func testALockThatIsALinkIsRefused() throws {
        let folder = URL(fileURLWithPath: runFolder())
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let target = folder.deletingLastPathComponent().appendingPathComponent("lock-target-\(getpid())")
        try Data("keys".utf8).write(to: target)
        defer { try? FileManager.default.removeItem(at: target) }
        try FileManager.default.createSymbolicLink(
            at: folder.appendingPathComponent(FolderLock.fileName), withDestinationURL: target)
        XCTAssertThrowsError(try FolderLock(folder, holder: "a test"))
        XCTAssertEqual(try Data(contentsOf: target), Data("keys".utf8))
    }

    func testTwoRunsStartedTogetherNeverShareAFolder() throws {
        for round in 0..<3 {
            let out = runFolder("together-\(round)")
            let runs = try [1, 2].map { seed in
                try start([
                    "train", "--model", "curve-gan", "--steps", "150", "--sample-every", "75",
                    "--seed", "\(seed)", "--out", out,
                ])
            }
            var outputs: [String] = []
            for run in runs {
                let data = run.output.fileHandleForReading.readDataToEndOfFile()
                run.process.waitUntilExit()
                outputs.append(String(decoding: data, as: UTF8.self))
            }
            let winners = runs.indices.filter { runs[$0].process.terminationStatus == 0 }
            XCTAssertEqual(winners.count, 1, "round \(round): \(outputs)")
            guard let winner = winners.first else { continue }
            let loser = outputs[1 - winner]
            XCTAssertTrue(loser.contains("is in use by process") || loser.contains("already holds a run"), loser)
            // The folder is the winner's alone: its configuration, a whole history, a state of that configuration.
            let config = try TrainConfig.load(URL(fileURLWithPath: out + "/config.json"))
            XCTAssertEqual(config.seed, UInt64(winner + 1), "round \(round)")
            let history = try String(contentsOfFile: out + "/history.csv", encoding: .utf8)
            XCTAssertEqual(history.split(separator: "\n").count, 151, "round \(round)")
            try swiftgan(["train", "--resume", out, "--steps", "160"])
        }
    }

    func testForceResumeAndReportIntoALiveRunAreRefused() throws {
        let out = runFolder()
        let live = try start([
            "train", "--model", "curve-gan", "--steps", "10000000", "--sample-every", "1000", "--out", out,
        ])
        defer { if live.process.isRunning { live.process.terminate() } }
        let deadline = Date(timeIntervalSinceNow: 60)
        while !FileManager.default.fileExists(atPath: out + "/training-state.safetensors") && Date() < deadline {
            usleep(50_000)
        }
        let config = try Data(contentsOf: URL(fileURLWithPath: out + "/config.json"))
        let pid = "\(live.process.processIdentifier)"
        for arguments in [
            ["train", "--model", "curve-gan", "--steps", "10", "--seed", "9", "--force", "--out", out],
            ["train", "--resume", out, "--steps", "20000000"],
            ["report", out],
        ] {
            let refused = try swiftgan(arguments, expectSuccess: false)
            XCTAssertNotEqual(refused.status, 0, arguments.joined(separator: " "))
            XCTAssertTrue(refused.output.contains("is in use by process \(pid)"), refused.output)
        }
        XCTAssertTrue(live.process.isRunning)
        XCTAssertEqual(
            try Data(contentsOf: URL(fileURLWithPath: out + "/config.json")), config, "the live run's configuration")
        // Stopped as Ctrl-C stops it, the run saves; the folder is free again and resumes.
        live.process.interrupt()
        _ = live.output.fileHandleForReading.readDataToEndOfFile()
        live.process.waitUntilExit()
        let saved = try TrainConfig.load(URL(fileURLWithPath: out + "/config.json"))
        XCTAssertEqual(saved.seed, 0)
        let step = try XCTUnwrap(
            try String(contentsOfFile: out + "/history.csv", encoding: .utf8).split(separator: "\n").last
                .flatMap { Int($0.split(separator: ",")[0]) })
        try swiftgan(["train", "--resume", out, "--steps", "\(step + 5)"])
    }

    func testAStateRefusesAConfigurationItWasNotSavedWith() throws {
        let config = curveConfig(steps: 20, sampleEvery: 10, folder: "foreign-config")
        try TrainingRun(config: config).run()
        let url = URL(fileURLWithPath: config.out! + "/config.json")
        var edited = try TrainConfig.load(url)
        edited.seed = 77
        try edited.json().write(to: url, atomically: true, encoding: .utf8)
        let refused = try swiftgan(["train", "--resume", config.out!, "--steps", "40"], expectSuccess: false)
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(
            refused.output.contains("is not the configuration training-state.safetensors was saved with"),
            refused.output)
    }
}
