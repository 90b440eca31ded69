import Foundation
import XCTest

/// The `Examples/` package as a dependent package sees SwiftGAN: built by path through the
/// `SwiftGAN` product alone, and every program run. custom-gan is the whole library surface in one
/// program: a model of one's own with a two-input discriminator and a custom layer, an objective
/// of one's own, the trainer with its run folder, TensorBoard log, report and an interrupted run
/// resumed to the same bytes, the checkpoint loaded into a new model, sampled, evaluated, and
/// exported to ONNX (run here in ONNX Runtime against SwiftGAN's own samples).
final class ExamplesTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let examples = root.appendingPathComponent("Examples")
    static var built = false

    func build() throws {
        if Self.built { return }
        guard let swift = which("swift") else { throw XCTSkip("no `swift` on PATH to build Examples/ with") }
        var result = try runProgram(swift, ["build", "--package-path", Self.examples.path])
        if result.status != 0 {
            // SwiftPM keeps its build plan for a path dependency whose files were added or removed
            // since the last build of Examples/ (a developer's tree, never a fresh clone), and fails
            // with "missing inputs" or "cannot find … in scope": plan again, once.
            _ = try runProgram(swift, ["package", "--package-path", Self.examples.path, "clean"])
            result = try runProgram(swift, ["build", "--package-path", Self.examples.path])
        }
        XCTAssertEqual(result.status, 0, "Examples/ does not build:\n" + result.output.suffix(4000))
        guard result.status == 0 else { throw XCTSkip("Examples/ did not build") }
        Self.built = true
    }

    func example(_ name: String, _ arguments: [String] = []) throws -> String {
        try build()
        let result = try runProgram(Self.examples.appendingPathComponent(".build/debug/\(name)"), arguments)
        XCTAssertEqual(result.status, 0, "\(name) failed:\n" + result.output.suffix(4000))
        return result.output
    }

    func testCustomLoopLearnsTheRingOfGaussians() throws {
        let output = try example("custom-loop", ["1000"])
        let covered = output.components(separatedBy: "modes covered: ").last.flatMap { Int($0.prefix { $0.isNumber }) }
        XCTAssertGreaterThanOrEqual(try XCTUnwrap(covered, output), 6, output)
    }

    func testCustomLayerPassesItsGradientChecksAndExports() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("examples-\(getpid())-pixel-norm.onnx")
        defer { try? FileManager.default.removeItem(at: file) }
        let output = try example("custom-layer", [file.path])
        XCTAssertTrue(output.contains("gradient check: first order ok, second order ok"), output)
        XCTAssertTrue(output.contains("root mean square of each row: 1.0000 1.0000 1.0000 1.0000"), output)
        XCTAssertTrue(output.contains("(2): PixelNorm"), output)
        XCTAssertGreaterThan(try Data(contentsOf: file).count, 1000)
    }

    func testCustomGANTrainsResumesSamplesEvaluatesAndExports() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("examples-\(getpid())-custom-gan")
        defer { try? FileManager.default.removeItem(at: out) }
        let output = try example("custom-gan", [out.path, "20"])
        XCTAssertTrue(output.contains("stopped at step 10 of 20"), output)
        XCTAssertTrue(output.contains("resumed to step 20"), output)
        XCTAssertTrue(output.contains("resume byte-identical: true"), output)
        XCTAssertTrue(output.contains("tensorboard event files: 2; report: true"), output)
        XCTAssertTrue(output.contains("quality: FID"), output)
        let folder = out.appendingPathComponent("run")
        for file in ["config.json", "history.csv", "training.gif", "report.html", "generator.safetensors"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: folder.appendingPathComponent(file).path), file)
        }
        let config = try String(contentsOf: folder.appendingPathComponent("config.json"), encoding: .utf8)
        XCTAssertTrue(
            config.contains("\"model\" : \"shapes-gan\"") && config.contains("\"loss\" : \"relativistic-hinge\""),
            config)
        XCTAssertTrue(
            try String(contentsOf: folder.appendingPathComponent("history.csv"), encoding: .utf8).hasPrefix(
                "step,epoch,d_loss,d_accuracy,g_loss,g_accuracy,seconds,fid,kid,real_minus_fake"))

        let evaluation = try example("evaluate-generator", [out.appendingPathComponent("generator.safetensors").path])
        XCTAssertTrue(
            evaluation.contains("generator ") && evaluation.contains("real, held out")
                && evaluation.contains("uniform noise"), evaluation)

        // The exported generator in ONNX Runtime, against SwiftGAN's samples for the same noise and labels.
        let python = Self.root.appendingPathComponent(".venv/bin/python")
        guard FileManager.default.isExecutableFile(atPath: python.path),
            (try? runProgram(python, ["-c", "import onnxruntime, numpy"]))?.status == 0
        else {
            throw XCTSkip("the ONNX Runtime comparison needs .venv with onnxruntime (scripts/setup makes it)")
        }
        let check = """
            import numpy as np, onnxruntime as ort, sys
            d = sys.argv[1]
            s = ort.InferenceSession(d + "/generator.onnx")
            y = s.run(None, {"noise": np.load(d + "/noise.npy"), "label": np.load(d + "/labels.npy")})[0]
            print("max_diff", float(np.abs(y - np.load(d + "/samples.npy")).max()))
            """
        let result = try runProgram(python, ["-c", check, out.path])
        XCTAssertEqual(result.status, 0, result.output)
        let diff = result.output.components(separatedBy: "max_diff ").last.flatMap {
            Double($0.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        XCTAssertLessThan(try XCTUnwrap(diff, result.output), 1e-4, result.output)
    }
}
