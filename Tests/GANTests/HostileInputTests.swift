import Foundation
import SwiftGANArtifacts
import SwiftGANDatasets
import SwiftGANTensors
import XCTest

@testable import SwiftGANTraining

/// The second probe's reproductions (#21): run-folder files a page embeds, strings and counts from
/// files and options, outputs that would overwrite inputs, resumes under other kernels.
final class HostileInputTests: XCTestCase {
    func finishedRun(_ name: String = #function) throws -> RunFolder {
        let config = curveConfig(steps: 40, sampleEvery: 20, folder: name)
        try TrainingRun(config: config).run()
        return RunFolder(URL(fileURLWithPath: config.out!))
    }

    func testAReportEmbedsNoLinkAndNothingThatIsNotItsPicture() throws {
        let folder = try finishedRun()
        let secret = folder.url.deletingLastPathComponent().appendingPathComponent("hostile-netrc")
        try Data("machine example.com password hunter2".utf8).write(to: secret)
        addTeardownBlock { try? FileManager.default.removeItem(at: secret) }
        let encoded = Data("machine example.com password hunter2".utf8).base64EncodedString().prefix(24)
        for picture in [folder.samplePicture(step: 20), folder.animation] {
            try FileManager.default.removeItem(at: picture)
            try FileManager.default.createSymbolicLink(at: picture, withDestinationURL: secret)
        }
        // A file that is not what its name says is not embedded either.
        try Data("not a picture".utf8).write(to: folder.samplePicture(step: 40))
        try swiftgan(["report", folder.path])
        let page = try String(contentsOf: folder.report, encoding: .utf8)
        XCTAssertFalse(page.contains(String(encoded)), "the linked file is in the page")
        XCTAssertFalse(page.contains(Data("not a picture".utf8).base64EncodedString()))
        XCTAssertTrue(page.contains("step-000020.png: is a symbolic link, which is not followed here"))
        XCTAssertTrue(page.contains("training.gif: is a symbolic link"))
        XCTAssertTrue(page.contains("step-000040.png: not a PNG") || page.contains("step-000040.png: PNG"), page)
        XCTAssertEqual(page.components(separatedBy: "data:image/png;base64,").count - 1, 1 + 1, "step 0 only")
    }

    /// An animation that failed at the end of a run is written by `report`, or by a resume of the finished run.
    func testAMissingAnimationIsWrittenAgain() throws {
        let folder = try finishedRun()
        let original = try Data(contentsOf: folder.animation)
        try FileManager.default.removeItem(at: folder.animation)
        let report = try swiftgan(["report", folder.path])
        XCTAssertTrue(report.output.contains("wrote \(folder.animation.path)"), report.output)
        XCTAssertEqual(try Data(contentsOf: folder.animation), original)
        XCTAssertTrue(try String(contentsOf: folder.report, encoding: .utf8).contains("data:image/gif;base64,"))
        try FileManager.default.removeItem(at: folder.animation)
        let resume = try swiftgan(["train", "--resume", folder.path], expectSuccess: false)
        XCTAssertTrue(resume.output.contains("wrote the missing \(folder.animation.path)"), resume.output)
        XCTAssertTrue(resume.output.contains("already reached step 40"), resume.output)
        XCTAssertEqual(try Data(contentsOf: folder.animation), original)
    }

    /// What is not a checkpoint file is named in the system's words, not Foundation's error numbers.
    func testFilesThatAreNotFilesAreNamedPlainly() throws {
        let folder = URL(fileURLWithPath: runFolder())
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let loop = folder.appendingPathComponent("loop.safetensors").path
        XCTAssertEqual(symlink(loop, loop), 0)
        let cases = [
            (folder.path, "is a folder (EISDIR), not a regular file"), ("/dev/zero", "a character device"),
            (loop, "Too many levels of symbolic links (ELOOP)"),
        ]
        for (path, message) in cases {
            let result = try swiftgan(
                ["sample", "--checkpoint", path, "--count", "1", "--out", folder.path + "/x.png"], expectSuccess: false)
            XCTAssertEqual(result.status, 1)
            XCTAssertTrue(result.output.contains(message), result.output)
            XCTAssertFalse(result.output.contains("NSCocoaErrorDomain"), result.output)
        }
    }

    /// A history whose clock reads 10^300 seconds is drawn, not trapped on.
    func testAReportOfAHistoryWithAHugeClock() throws {
        let folder = try finishedRun()
        var lines = try String(contentsOf: folder.history, encoding: .utf8).split(separator: "\n").map(String.init)
        let header = lines[0].split(separator: ",").map(String.init)
        let column = try XCTUnwrap(header.firstIndex(of: "seconds"))
        var last = lines[lines.count - 1].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        last[column] = "1e300"
        lines[lines.count - 1] = last.joined(separator: ",")
        try (lines.joined(separator: "\n") + "\n").write(to: folder.history, atomically: true, encoding: .utf8)
        let page = try RunReport.page(for: folder)
        XCTAssertTrue(page.contains("40 of 40 steps in 1.0e+300 s"), String(page.prefix(2000)))
    }

    func testAQualityFileOfAnotherGeneratorIsNotShown() throws {
        let folder = try finishedRun()
        let references = try XCTUnwrap(Evaluator.shippedReferences(for: "fashion-mnist"))
        var measured = references[1].report
        measured.fid = 61.25
        measured.generatorSHA256 = String(repeating: "0", count: 64)
        try JSONEncoder().encode(measured).write(to: folder.quality)
        var run = try RunData(folder)
        XCTAssertNil(run.quality)
        XCTAssertTrue(run.qualityNote?.contains("it measured another generator") ?? false)
        XCTAssertFalse(try RunReport.page(for: folder).contains("61.25"))
        measured.generatorSHA256 = SHA256.hex(try Data(contentsOf: folder.generator))
        try JSONEncoder().encode(measured).write(to: folder.quality)
        run = try RunData(folder)
        XCTAssertEqual(run.quality?.fid, 61.25)
        // A new run in the folder (--force) moves the old run's quality.json aside with the rest.
        XCTAssertTrue(folder.runFiles().contains(folder.quality))
    }

    func testDuplicateKeysInAConfigurationAreRefused() throws {
        let json = #"{"model": "curve-gan", "steps": 10, "steps": 100000}"#
        XCTAssertThrowsError(try TrainConfig.decode(Data(json.utf8), name: "c.json")) {
            XCTAssertEqual("\($0)", "c.json: the key 'steps' appears twice (which one was meant?)")
        }
        let unknown = #"{"st\u001b]0;owned\u0007eps": 1}"#
        XCTAssertThrowsError(try TrainConfig.decode(Data(unknown.utf8), name: "c.json")) {
            XCTAssertFalse("\($0)".contains("\u{1B}"), "\($0)")
            XCTAssertTrue("\($0)".contains("unknown key 'st\\x1B]0;owned\\x07eps'"), "\($0)")
        }
    }

    func testARunFolderInsideItsImageFolderIsRefused() throws {
        let data = URL(fileURLWithPath: runFolder("hostile-images"))
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        let result = try swiftgan(
            [
                "train", "--model", "dcgan", "--dataset", "folder", "--data-dir", data.path, "--out",
                data.path + "/sub/../runs/a", "--steps", "1",
            ], expectSuccess: false)
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.output.contains("is inside --data-dir"), result.output)
        XCTAssertTrue(RealData.isInside(data.appendingPathComponent("x/y"), data))
        XCTAssertFalse(RealData.isInside(data.deletingLastPathComponent(), data))
        XCTAssertFalse(RealData.isInside(URL(fileURLWithPath: data.path + "-2"), data))
    }

    func testClassNamesFromACheckpointArePrintableAndShort() throws {
        let out = runFolder()
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let model = try ModelZoo.make("cgan", rng: RandomGenerator(seed: 1))
        let names =
            ["\u{1B}]0;owned\u{07}", "\u{1B}[2J", String(repeating: "x", count: 2_000_000)]
            + (3..<10).map { "class \($0)" }
        let checkpoint = URL(fileURLWithPath: out + "/generator.safetensors")
        try Checkpoint.save(model.generator, of: model, role: "generator", step: 1, classNames: names, to: checkpoint)
        let loaded = try XCTUnwrap(try Checkpoint.loadGenerator(from: checkpoint).classNames)
        XCTAssertEqual(loaded[0], "\\x1B]0;owned\\x07")
        XCTAssertEqual(loaded[2].count, Checkpoint.maximumClassNameLength + 1, "cut, with an ellipsis")
        let result = try swiftgan([
            "sample", "--checkpoint", checkpoint.path, "--label", "all", "--count", "2", "--out", out + "/all.png",
        ])
        XCTAssertFalse(result.output.contains("\u{1B}"), result.output)
        let picture = try PNG.read(from: URL(fileURLWithPath: out + "/all.png"))
        XCTAssertLessThan(picture.width, 2000, "the labels' width is bounded")

        try Checkpoint.save(
            model.generator, of: model, role: "generator", step: 1, classNames: ["a", "b"], to: checkpoint)
        XCTAssertThrowsError(try Checkpoint.loadGenerator(from: checkpoint)) {
            XCTAssertTrue("\($0)".contains("its metadata names 2 classes; its model, cgan, has 10"), "\($0)")
        }
    }

    func testOutputsThatWouldDestroyAnInputAreRefused() throws {
        let folder = try finishedRun()
        let before = try Data(contentsOf: folder.generator)
        let checkpoint = folder.generator.path
        let attempts: [[String]] = [
            ["sample", "--checkpoint", checkpoint, "--count", "4", "--npy", checkpoint],
            ["sample", "--checkpoint", checkpoint, "--count", "4", "--npy", folder.path + "/./generator.safetensors"],
            ["export", "--checkpoint", checkpoint, "--onnx", checkpoint],
            ["evaluate", "--checkpoint", checkpoint, "--json", checkpoint],
        ]
        for arguments in attempts {
            let result = try swiftgan(arguments, expectSuccess: false)
            XCTAssertNotEqual(result.status, 0, "\(arguments)")
            XCTAssertTrue(result.output.contains("give a name ending in"), result.output)
        }
        try FileManager.default.createSymbolicLink(
            at: folder.url.appendingPathComponent("link.npy"), withDestinationURL: folder.generator)
        let linked = try swiftgan(
            ["sample", "--checkpoint", checkpoint, "--count", "4", "--npy", folder.path + "/link.npy"],
            expectSuccess: false)
        XCTAssertTrue(linked.output.contains("writing it would destroy it"), linked.output)
        XCTAssertEqual(try Data(contentsOf: folder.generator), before)
    }

    func testCountsFromOptionsAreBounded() throws {
        let folder = try finishedRun()
        let checkpoint = folder.generator.path
        let attempts: [([String], String)] = [
            (["evaluate", "--checkpoint", checkpoint, "--count", "1000000000000"], "--count must be in 2...50000"),
            (["train", "--model", "curve-gan", "--d-steps", "1000000000"], "--d-steps must be in 1...100"),
            (["train", "--model", "curve-gan", "--g-steps", "1000000000"], "--g-steps must be in 1...100"),
            (["train", "--model", "dcgan", "--batch-size", "100000000"], "--batch-size must be in 2...1024"),
            (["train", "--model", "dcgan", "--eval-samples", "1000000000"], "--eval-samples must be in 2...50000"),
            (["bench", "curve-gan", "--seconds", "1e300"], "--seconds must be in 0.01...3600"),
            (["bench", "engine", "--seconds=-1"], "--seconds must be in 0.01...3600"),
            (["bench", "dcgan", "--batch-size", "1000000000"], "--batch-size must be in 2...1024"),
            (["train-evaluator", "--epochs", "1000000000", "--out", "e.safetensors"], "--epochs must be in 1...1000"),
        ]
        for (arguments, message) in attempts {
            let result = try swiftgan(arguments, expectSuccess: false)
            XCTAssertNotEqual(result.status, 0, "\(arguments)")
            XCTAssertTrue(result.output.contains(message), "\(arguments): \(result.output)")
        }
    }

    /// The training state records the kernels' settings; a resume under others says that it is
    /// no longer byte-identical instead of promising it.
    func testAResumeUnderOtherKernelsSaysSo() throws {
        var config = curveConfig(steps: 20, sampleEvery: 20)
        try TrainingRun(config: config).run()
        let state = try Safetensors.read(from: URL(fileURLWithPath: config.out! + "/training-state.safetensors"))
        XCTAssertEqual(state.metadata["kernels.workers"], String(Parallel.workers))
        XCTAssertEqual(state.metadata["kernels.convolution"], ConvolutionBackend.current.rawValue)
        config.steps = 30
        let saved = Parallel.workers
        defer { Parallel.workers = saved }
        Parallel.workers = saved + 1
        var lines: [String] = []
        let run = try TrainingRun(config: config)
        run.log = { lines.append($0) }
        try run.resume()
        XCTAssertTrue(
            lines.contains {
                $0.contains("kernels.workers \(saved) → \(saved + 1)") && $0.contains("no longer byte-identical")
            },
            "\(lines)")
    }

    /// SWIFTGAN_NO_DNNL=0 reads as "no": oneDNN stays on (where it loads at all).
    func testNoDNNLZeroKeepsOneDNN() throws {
        try XCTSkipUnless(ConvolutionBackend.isOneDNNAvailable, "oneDNN is not loaded here")
        for (value, expected) in [("0", "onednn"), ("", "onednn"), ("1", "portable"), ("yes", "portable")] {
            let out = runFolder("no-dnnl-\(expected)-\(value.isEmpty ? "empty" : value)")
            let process = Process()
            process.executableURL = tool
            process.arguments = ["train", "--model", "curve-gan", "--steps", "1", "--out", out]
            process.environment = ProcessInfo.processInfo.environment.merging(["SWIFTGAN_NO_DNNL": value]) { $1 }
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            XCTAssertEqual(process.terminationStatus, 0)
            let state = try Safetensors.read(from: URL(fileURLWithPath: out + "/training-state.safetensors"))
            XCTAssertEqual(state.metadata["kernels.convolution"], expected, "SWIFTGAN_NO_DNNL='\(value)'")
        }
    }

    /// Ctrl-C while `sample` writes leaves no hidden temporary file beside the output: the signal
    /// is sent as soon as the temporary file appears.
    func testInterruptedSampleLeavesNoTemporaryFile() throws {
        let folder = try finishedRun()
        let out = folder.url.appendingPathComponent("interrupted")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let temporaries = {
            try FileManager.default.contentsOfDirectory(atPath: out.path).filter { $0.hasSuffix(".tmp") }
        }
        var caught = 0
        for round in 0..<3 {
            let (process, pipe) = try startProcess(
                tool,
                [
                    "sample", "--checkpoint", folder.generator.path, "--count", "300000", "--npy",
                    out.path + "/curves-\(round).npy",
                ])
            while process.isRunning, try temporaries().isEmpty { usleep(500) }
            process.interrupt()
            _ = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            if process.terminationStatus == 128 + SIGINT { caught += 1 }
            XCTAssertTrue([0, 128 + SIGINT].contains(process.terminationStatus), "round \(round)")
            XCTAssertEqual(try temporaries(), [], "round \(round)")
        }
        XCTAssertGreaterThan(caught, 0, "no round was interrupted while writing")
    }
}
