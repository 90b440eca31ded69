import Foundation
import XCTest

@testable import SwiftGANTraining

/// A new run never destroys a run it was not asked to replace, nor before its own state is safe.
final class RunFolderTests: XCTestCase {
    func contents(_ folder: String) throws -> [String: Data] {
        var files: [String: Data] = [:]
        for name in [
            "config.json", "generator.safetensors", "training-state.safetensors", "history.csv",
            "samples/step-000010.png",
        ] {
            files[name] = try Data(contentsOf: URL(fileURLWithPath: folder + "/" + name))
        }
        return files
    }

    /// A finished 10-step curve-gan run, and its files.
    func finishedRun(_ name: String = #function) throws -> (TrainConfig, [String: Data]) {
        let config = curveConfig(steps: 10, sampleEvery: 10, folder: name)
        try TrainingRun(config: config).run()
        return (config, try contents(config.out!))
    }

    func testANewRunRefusesAFolderHoldingARun() throws {
        let (config, before) = try finishedRun()
        var other = config
        other.seed = 5
        XCTAssertThrowsError(try TrainingRun(config: other).run()) {
            XCTAssertTrue(
                "\($0)".contains("already holds a run") && "\($0)".contains("--resume \(config.out!)")
                    && "\($0)".contains("--force"), "\($0)")
        }
        XCTAssertEqual(try contents(config.out!), before, "the old run is untouched")
        var longer = config
        longer.steps = 20
        XCTAssertNoThrow(try TrainingRun(config: longer).resume(), "and still resumable")
    }

    /// `--force`: a replacement that fails before its first save leaves the old run whole (moved
    /// aside); one that saves removes it.
    func testAReplacementKeepsTheOldRunUntilItsOwnStateIsSaved() throws {
        let (config, before) = try finishedRun()

        var diverging = config
        diverging.learningRate = 1e30
        diverging.steps = 200
        diverging.sampleEvery = 100
        let failed = try TrainingRun(config: diverging)
        failed.replacesExistingRun = true
        XCTAssertThrowsError(try failed.run())
        let aside = try FileManager.default.contentsOfDirectory(atPath: config.out!).filter {
            $0.hasPrefix(".replaced-")
        }
        XCTAssertEqual(aside.count, 1)
        XCTAssertEqual(try contents(config.out! + "/" + aside[0]), before, "the old run's files, whole")

        // Moved back, the old run resumes.
        let folder = URL(fileURLWithPath: config.out!), fm = FileManager.default
        for name in try fm.contentsOfDirectory(atPath: folder.path) where !name.hasPrefix(".replaced-") {
            try fm.removeItem(at: folder.appendingPathComponent(name))
        }
        for name in try fm.contentsOfDirectory(atPath: folder.appendingPathComponent(aside[0]).path) {
            try fm.moveItem(
                at: folder.appendingPathComponent(aside[0]).appendingPathComponent(name),
                to: folder.appendingPathComponent(name))
        }
        try fm.removeItem(at: folder.appendingPathComponent(aside[0]))
        var longer = config
        longer.steps = 20
        let resumed = try TrainingRun(config: longer)
        try resumed.resume()
        XCTAssertEqual(resumed.startStep, 10)

        var replacement = config
        replacement.seed = 9
        let replacing = try TrainingRun(config: replacement)
        replacing.replacesExistingRun = true
        try replacing.run()
        XCTAssertEqual(
            try fm.contentsOfDirectory(atPath: folder.path).filter { $0.hasPrefix(".replaced-") }, [],
            "removed once the new state was saved")
        XCTAssertNotEqual(try contents(config.out!)["generator.safetensors"], before["generator.safetensors"])
    }

    /// `--config` repeats a run's settings in a folder of its own, not in the saved run's.
    func testARepeatedConfigurationGetsItsOwnFolder() throws {
        let (config, _) = try finishedRun()
        let repeated = try TrainRequest(arguments: ["--config", config.out! + "/config.json"]).resolve()
        XCTAssertNil(repeated.out)
        XCTAssertEqual(repeated.outputFolder, "runs/curve-gan")
        XCTAssertEqual(try TrainRequest(arguments: ["--resume", config.out!]).resolve().out, config.out)
    }
}

/// A write that fails (here: past the file-size limit, as a full disk fails) stops the run with
/// an error naming the file, and the last good state stays loadable.
final class FailedWriteTests: XCTestCase {
    func testAFailedWriteKeepsTheLastGoodState() throws {
        let out = runFolder("failed-write")
        try swiftgan(["train", "--model", "curve-gan", "--steps", "100", "--sample-every", "50", "--out", out])
        let state = try Data(contentsOf: URL(fileURLWithPath: out + "/training-state.safetensors"))
        // ulimit -f 100: no file may grow past 100 KiB; a sample picture of curves is larger.
        let (status, output) = try runProcess(
            URL(fileURLWithPath: "/bin/sh"),
            ["-c", "ulimit -f 100 && exec \"$0\" \"$@\"", tool.path, "train", "--resume", out, "--steps", "200"])
        XCTAssertEqual(status, 1, output)
        XCTAssertTrue(output.contains("cannot write \(out)/") && output.contains("File too large"), output)
        XCTAssertEqual(
            try Data(contentsOf: URL(fileURLWithPath: out + "/training-state.safetensors")), state,
            "the last good state, untouched")
        XCTAssertTrue(
            try FileManager.default.contentsOfDirectory(atPath: out).allSatisfy { !$0.hasSuffix(".tmp") },
            "no half-written files left")
        let resumed = try swiftgan(["train", "--resume", out, "--steps", "200"])
        XCTAssertTrue(resumed.output.contains("resuming curve-gan at step 100"), resumed.output)
    }
}

/// The same on a real file system that fills up or turns read-only: a small tmpfs mounted for the
/// test (it needs root, as CI has; elsewhere the `ulimit` test above and AtomicFileTests' unwritable
/// folder cover the injected failures).
final class FullDiskTests: XCTestCase {
    var mountPoint: String!

    override func setUpWithError() throws {
        try XCTSkipIf(geteuid() != 0, "mounting a tmpfs needs root; the ulimit -f test covers a failed write")
        mountPoint = runFolder("tmpfs-\(name)")
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        let (status, output) = try runProcess(
            URL(fileURLWithPath: "/bin/mount"), ["-t", "tmpfs", "-o", "size=4m", "tmpfs", mountPoint])
        try XCTSkipIf(status != 0, "cannot mount a tmpfs here: \(output)")
        addTeardownBlock { [mountPoint] in
            _ = try? self.runProcess(URL(fileURLWithPath: "/bin/umount"), ["-l", mountPoint!])
            try? FileManager.default.removeItem(atPath: mountPoint!)
        }
    }

    /// A finished 100-step curve-gan run inside the tmpfs, and its training state.
    func runOnTmpfs() throws -> (out: String, state: Data) {
        let out = mountPoint + "/run"
        try swiftgan(["train", "--model", "curve-gan", "--steps", "100", "--sample-every", "50", "--out", out])
        return (out, try Data(contentsOf: URL(fileURLWithPath: out + "/training-state.safetensors")))
    }

    func assertLastGoodStateKept(
        _ out: String, _ state: Data, file: StaticString = #filePath, line: UInt = #line
    ) throws {
        XCTAssertEqual(
            try Data(contentsOf: URL(fileURLWithPath: out + "/training-state.safetensors")), state,
            "the last good state, untouched", file: file, line: line)
        XCTAssertTrue(
            try FileManager.default.contentsOfDirectory(atPath: out).allSatisfy { !$0.hasSuffix(".tmp") },
            "no half-written files left", file: file, line: line)
    }

    func testAFullDiskStopsTheRunAndKeepsTheLastGoodState() throws {
        let (out, state) = try runOnTmpfs()
        // Fill what is left of the file system.
        let filler = mountPoint + "/filler"
        _ = FileManager.default.createFile(atPath: filler, contents: nil)
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: filler))
        let block = Data(count: 64 << 10)
        while (try? handle.write(contentsOf: block)) != nil {}
        let small = Data(count: 1024)
        while (try? handle.write(contentsOf: small)) != nil {}
        try handle.close()

        let (status, output) = try swiftgan(["train", "--resume", out, "--steps", "200"], expectSuccess: false)
        XCTAssertEqual(status, 1, output)
        XCTAssertTrue(output.contains("cannot write \(out)/") && output.contains("No space left on device"), output)
        try assertLastGoodStateKept(out, state)

        try FileManager.default.removeItem(atPath: filler)
        let resumed = try swiftgan(["train", "--resume", out, "--steps", "200"])
        XCTAssertTrue(resumed.output.contains("resuming curve-gan at step 100"), resumed.output)
    }

    func testAReadOnlyFolderStopsTheRunAndKeepsTheLastGoodState() throws {
        let (out, state) = try runOnTmpfs()
        let (remounted, message) = try runProcess(URL(fileURLWithPath: "/bin/mount"), ["-o", "remount,ro", mountPoint])
        XCTAssertEqual(remounted, 0, message)

        let (status, output) = try swiftgan(["train", "--resume", out, "--steps", "200"], expectSuccess: false)
        XCTAssertEqual(status, 1, output)
        XCTAssertTrue(output.contains(out) && output.contains("Read-only file system"), output)
        try assertLastGoodStateKept(out, state)

        let (fresh, freshOutput) = try swiftgan(
            ["train", "--model", "curve-gan", "--steps", "10", "--out", mountPoint + "/new"], expectSuccess: false)
        XCTAssertEqual(fresh, 1, freshOutput)
        XCTAssertTrue(
            freshOutput.contains(mountPoint + "/new") && freshOutput.contains("Read-only file system"), freshOutput)
    }
}

/// `--out` naming a file, not a folder: an error naming it, and the file untouched.
final class OutputPathTests: XCTestCase {
    func testAnOutputPathThatIsAFileIsRefused() throws {
        let path = runFolder()
        try Data("mine".utf8).write(to: URL(fileURLWithPath: path))
        let (status, output) = try swiftgan(
            ["train", "--model", "curve-gan", "--steps", "10", "--out", path], expectSuccess: false)
        XCTAssertEqual(status, 1, output)
        XCTAssertTrue(output.contains(path), output)
        XCTAssertFalse(output.contains("Error Domain"), "no Foundation dump: \(output)")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), Data("mine".utf8))
    }
}
