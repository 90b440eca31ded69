import Foundation
import SwiftGANArtifacts
import SwiftGANTensors
import SwiftGANTraining
import XCTest

/// The `swiftgan` tool as a user runs it: train a short curve-gan, then sample from its checkpoint.
final class CommandLineTests: XCTestCase {
    func testTrainThenSample() throws {
        try XCTSkipUnless(
            FileManager.default.isExecutableFile(atPath: tool.path), "swiftgan is not built next to the tests")
        let out = runFolder()
        let train = try swiftgan([
            "train", "--model", "curve-gan", "--steps", "200", "--sample-every", "100", "--seed", "3", "--out", out,
        ])
        XCTAssertTrue(train.output.contains("200/200"), train.output)
        for file in [
            "config.json", "generator.safetensors", "discriminator.safetensors", "history.csv", "curves.png",
            "samples/step-000000.png", "samples/step-000100.png", "samples/step-000200.png", "training.gif",
        ] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/" + file), "missing \(file)")
        }
        let png = try PNG.decode(Data(contentsOf: URL(fileURLWithPath: out + "/curves.png")))
        XCTAssertGreaterThan(png.width, 100)

        try swiftgan([
            "sample", "--checkpoint", out + "/generator.safetensors", "--count", "7", "--out", out + "/s.png", "--npy",
            out + "/s.npy",
        ])
        let npy = try NPY.decode(Data(contentsOf: URL(fileURLWithPath: out + "/s.npy")))
        XCTAssertEqual(npy.descr, "<f4")
        XCTAssertEqual(npy.shape, [7, 16])

        for (arguments, message) in [
            (["--count", "100000000", "--npy", out + "/n.npy"], "at most 1000000"),
            (["--count", "20000", "--out", out + "/g.png"], "at most 10000"),
            (["--out", out + "/x.jpg"], "ending in .png"),
        ] {
            let refused = try swiftgan(
                ["sample", "--checkpoint", out + "/generator.safetensors"] + arguments, expectSuccess: false)
            XCTAssertTrue(refused.output.contains(message), refused.output)
        }
        let many = try swiftgan([
            "sample", "--checkpoint", out + "/generator.safetensors", "--count", "1200", "--npy", out + "/many.npy",
        ])
        XCTAssertEqual(try NPY.read(from: URL(fileURLWithPath: out + "/many.npy")).shape, [1200, 16], many.output)
        XCTAssertTrue(try swiftgan(["--version"]).output.hasPrefix("swiftgan "))
        let wrong = try swiftgan(
            ["sample", "--checkpoint", out + "/discriminator.safetensors", "--out", out + "/x.png"],
            expectSuccess: false)
        XCTAssertNotEqual(wrong.status, 0)
        XCTAssertTrue(wrong.output.contains("not its generator"), wrong.output)
        let missing = try swiftgan(
            ["train", "--model", "mlp-gan", "--data-dir", out + "/nothing-here", "--steps", "1"], expectSuccess: false)
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.output.contains("missing"), missing.output)
    }

    /// `--loss` and its options from the command line: the recipe is logged, a critic's progress
    /// line shows its Wasserstein estimate, the options are fixed on resume (the time budget may
    /// grow), and a wrong value is refused with the known names.
    func testObjectiveOptions() throws {
        try XCTSkipUnless(
            FileManager.default.isExecutableFile(atPath: tool.path), "swiftgan is not built next to the tests")
        let out = runFolder()
        let train = try swiftgan([
            "train", "--model", "curve-gan", "--loss", "wgan-gp", "--d-lr", "2e-4", "--d-steps", "3", "--steps", "20",
            "--sample-every", "10", "--out", out,
        ])
        XCTAssertTrue(
            train.output.contains(
                "recipe: loss wgan-gp, D Adam(lr 0.0002, β₁ 0.5, β₂ 0.9), G Adam(lr 0.0001, β₁ 0.5, β₂ 0.9), 3 D updates per step, gradient penalty λ 10.0"
            ), train.output)
        XCTAssertTrue(train.output.contains(" W "), train.output)
        let header = try String(contentsOfFile: out + "/history.csv", encoding: .utf8).split(separator: "\n")[0]
        XCTAssertTrue(header.hasSuffix(",wasserstein,gradient_penalty"), String(header))
        let refused = try swiftgan(
            ["train", "--resume", out, "--loss", "hinge", "--steps", "30"], expectSuccess: false)
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.output.contains("--loss"), refused.output)
        try swiftgan(["train", "--resume", out, "--steps", "30", "--time-budget", "600"])
        let bad = try swiftgan(
            ["train", "--model", "curve-gan", "--loss", "wasserstein", "--steps", "1", "--out", out + "-bad"],
            expectSuccess: false)
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(
            bad.output.contains("unknown loss 'wasserstein' (known: bce, lsgan, hinge, wgan, wgan-gp, ragan)"),
            bad.output)
        let smoothing = try swiftgan(
            [
                "train", "--model", "curve-gan", "--loss", "hinge", "--label-smoothing", "0.1", "--steps", "1", "--out",
                out + "-bad",
            ],
            expectSuccess: false)
        XCTAssertTrue(smoothing.output.contains("no targets"), smoothing.output)

        // Without --recipe, dcgan gets its best measured recipe (stable-bce), the others their tutorial's.
        let data = try randomIDXFolder("idx-cli-recipe", count: 40, seed: 2)
        try swiftgan([
            "train", "--model", "dcgan", "--dataset", "mnist", "--data-dir", data.path, "--batch-size", "8", "--steps",
            "1", "--out", out + "-dcgan",
        ])
        let dcgan = try TrainConfig.load(URL(fileURLWithPath: out + "-dcgan/config.json"))
        XCTAssertEqual(dcgan.recipe, "stable-bce")
        XCTAssertEqual(dcgan.generatorSteps, 2)
        XCTAssertEqual(try TrainConfig.load(URL(fileURLWithPath: out + "/config.json")).recipe, "tutorial")
    }

    /// A conditional generator draws the class asked for; labels go beside the images in the .npy
    /// output; bad labels are refused with a clear message and a non-zero exit.
    func testConditionalSample() throws {
        try XCTSkipUnless(
            FileManager.default.isExecutableFile(atPath: tool.path), "swiftgan is not built next to the tests")
        let out = runFolder()
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let model = try ModelZoo.make("cgan", rng: RandomGenerator(seed: 1))
        let names = [
            "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
        ]
        let checkpoint = out + "/generator.safetensors"
        try Checkpoint.save(
            model.generator, of: model, role: "generator", step: 5, classNames: names,
            to: URL(fileURLWithPath: checkpoint))

        let sevens = try swiftgan([
            "sample", "--checkpoint", checkpoint, "--label", "7", "--count", "4", "--npy", out + "/sevens.npy", "--out",
            out + "/sevens.png",
        ])
        XCTAssertTrue(sevens.output.contains("Sneaker"), sevens.output)
        let labels = try NPY.decode(Data(contentsOf: URL(fileURLWithPath: out + "/sevens-labels.npy")))
        XCTAssertEqual(labels.descr, "<i8")
        XCTAssertEqual(labels.shape, [4])
        XCTAssertEqual(try NPY.decode(Data(contentsOf: URL(fileURLWithPath: out + "/sevens.npy"))).shape, [4, 28, 28])

        try swiftgan([
            "sample", "--checkpoint", checkpoint, "--label", "all", "--count", "3", "--out", out + "/all.png", "--npy",
            out + "/all.npy",
        ])
        let grid = try PNG.decode(Data(contentsOf: URL(fileURLWithPath: out + "/all.png")))
        XCTAssertGreaterThan(grid.height, 10 * 56)  // ten rows of 28×28 at 2×
        XCTAssertEqual(try NPY.decode(Data(contentsOf: URL(fileURLWithPath: out + "/all-labels.npy"))).shape, [30])

        for (label, message) in [
            ("10", "out of range"), ("-1", "out of range"),
            ("seven", "--label 'seven' is none of this checkpoint's classes: T-shirt/top"),
        ] {
            let arguments = ["sample", "--checkpoint", checkpoint, "--out", out + "/x.png", "--label", label]
            let bad = try swiftgan(arguments, expectSuccess: false)
            XCTAssertNotEqual(bad.status, 0)
            XCTAssertTrue(bad.output.contains(message), bad.output)
        }
        let none = try swiftgan(["sample", "--checkpoint", checkpoint, "--out", out + "/x.png"], expectSuccess: false)
        XCTAssertTrue(none.output.contains("conditional"), none.output)

        let plain = try ModelZoo.make("mlp-gan", rng: RandomGenerator(seed: 1))
        try Checkpoint.save(
            plain.generator, of: plain, role: "generator", step: 5, to: URL(fileURLWithPath: out + "/plain.safetensors")
        )
        let unconditional = try swiftgan(
            ["sample", "--checkpoint", out + "/plain.safetensors", "--label", "1", "--out", out + "/x.png"],
            expectSuccess: false)
        XCTAssertTrue(unconditional.output.contains("unconditional"), unconditional.output)
    }
}

/// Ctrl-C and SIGTERM during training: the run stops after its step, saves everything, prints the
/// command that continues it and exits 128 + the signal; the continued run ends where an
/// uninterrupted one does. Waits for files, not for time.
final class InterruptTests: XCTestCase {
    func testInterruptedRunSavesAndResumesExactly() throws {
        for (number, name) in [(SIGINT, "interrupted"), (SIGTERM, "terminated")] {
            let out = runFolder("interrupted-\(number)"), straight = runFolder("uninterrupted-\(number)")
            let process = Process()
            process.executableURL = tool
            process.arguments = [
                "train", "--model", "curve-gan", "--steps", "100000000", "--sample-every", "100000000", "--seed", "4",
                "--out", out,
            ]
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = pipe
            try process.run()
            // The first sample grid is written before the first step: training is under way.
            while !FileManager.default.fileExists(atPath: out + "/samples/step-000000.png") && process.isRunning {
                usleep(20_000)
            }
            kill(process.processIdentifier, number)
            let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            XCTAssertEqual(process.terminationStatus, 128 + number, output)
            XCTAssertTrue(output.contains(name) && output.contains("train --resume \(out)"), output)
            let history = try String(contentsOfFile: out + "/history.csv", encoding: .utf8)
            let saved = try XCTUnwrap(Int(history.split(separator: "\n").last!.split(separator: ",")[0]))
            XCTAssertGreaterThan(saved, 0)
            XCTAssertTrue(FileManager.default.fileExists(atPath: out + String(format: "/samples/step-%06d.png", saved)))

            let total = String(saved + 30)
            try swiftgan(["train", "--resume", out, "--steps", total])
            try swiftgan([
                "train", "--model", "curve-gan", "--steps", total, "--sample-every", "100000000", "--seed", "4",
                "--out", straight,
            ])
            for file in ["generator.safetensors", "discriminator.safetensors"] {
                XCTAssertEqual(
                    try Data(contentsOf: URL(fileURLWithPath: out + "/" + file)),
                    try Data(contentsOf: URL(fileURLWithPath: straight + "/" + file)), file)
            }
        }
    }
}
