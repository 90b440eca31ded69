import Foundation
import SwiftGANNN
import SwiftGANTensors
import XCTest

@testable import SwiftGANTraining

/// The option table is the one description of `swiftgan train`'s options: these tests hold it to
/// the configuration type, the models and the help it writes.
final class TrainOptionsTests: XCTestCase {
    /// Every stored setting of `TrainConfig` (and of its `options` and `targets` groups) has exactly
    /// one option, so a new setting cannot be left without a flag, a help line or a check.
    func testEveryConfigurationKeyHasOneOption() {
        func labels(_ value: Any, _ prefix: String) -> [String] {
            Mirror(reflecting: value).children.compactMap(\.label).map { prefix + $0 }
        }
        let stored =
            labels(TrainConfig(), "").filter { $0 != "options" && $0 != "targets" }
            + labels(ModelOptions(), "options.") + labels(TargetOptions(), "targets.")
        XCTAssertEqual(Set(TrainOptions.all.map(\.key)), Set(stored))
        XCTAssertEqual(TrainOptions.all.count, stored.count, "one option per key")
        XCTAssertEqual(Set(TrainOptions.all.map(\.name)).count, TrainOptions.all.count, "names are unique")
    }

    /// The help names every option with its value, and states each default the table holds.
    func testHelpListsEveryOptionWithItsDefault() {
        let raw = TrainOptions.help(), help = raw.replacingOccurrences(of: "\n                          ", with: " ")
        for option in TrainOptions.all {
            let head = "  " + option.flag + (option.valueName.map { " " + $0 } ?? "")
            XCTAssertTrue(help.contains(head), "\(option.flag) missing")
            if let value = option.defaultValue {
                XCTAssertTrue(help.contains("Default: \(value)."), "\(option.flag): \(value)")
            }
        }
        for file in RunFolder.contents { XCTAssertTrue(help.contains(file.name), file.name) }
        XCTAssertTrue(
            help.contains("--batch-size N          Examples per batch. Default: 64; dcgan 32, acgan 128"), help)
        XCTAssertTrue(help.contains("Default: none; dcgan 0.3, acgan 0.2"), help)
        XCTAssertTrue(raw.split(separator: "\n").allSatisfy { $0.count <= 79 }, "fits 80 columns")
    }

    /// What the help says of each model is what the model is built with: batch size, Adam's
    /// settings, D's dropout (read from D's layers), batching and targets.
    func testSourceSettingsAreWhatTheModelsUse() throws {
        for name in ModelZoo.names {
            let source = try ModelZoo.source(of: name), model = try ModelZoo.make(name, rng: RandomGenerator(seed: 0))
            XCTAssertEqual(model.source.batchSize, source.batchSize, name)
            XCTAssertEqual(model.source.learningRate, source.learningRate, name)
            let rates = Set(dropoutRates(model.discriminator))
            XCTAssertEqual(rates, source.discriminatorDropout > 0 ? [source.discriminatorDropout] : [], name)
            // --d-dropout reaches every model's D, dcgan64's too.
            let wet = try ModelZoo.make(
                name, options: ModelOptions(discriminatorDropout: 0.45), rng: RandomGenerator(seed: 0))
            XCTAssertEqual(Set(dropoutRates(wet.discriminator)), [0.45], name)
        }
    }

    func dropoutRates(_ module: any Module) -> [Float] {
        let own: [Float] = (module as? Dropout).map { [$0.rate] } ?? []
        return own + module.children.flatMap { dropoutRates($0.module) }
    }

    /// Command lines: values, flags, `--name=value`, and the errors a user sees for each way to
    /// get one wrong.
    func testCommandLinesAndTheirErrors() throws {
        let request = try TrainRequest(arguments: [
            "--model", "dcgan", "--lr=3e-4", "--spectral-norm", "--steps", "7", "--label-smoothing", "0.1",
            "--two-sided",
        ])
        let c = try request.resolve()
        XCTAssertEqual(c.model, "dcgan")
        XCTAssertEqual(c.learningRate, 3e-4)
        XCTAssertEqual(c.options.spectralNorm, true)
        XCTAssertEqual(c.steps, 7)
        XCTAssertEqual(c.targets, TargetOptions(smoothing: 0.1, twoSided: true))
        XCTAssertEqual(c.recipe, "stable-bce", "a new dcgan run gets its best measured recipe")
        XCTAssertEqual(try TrainRequest(arguments: []).resolve().recipe, "tutorial")

        func usageError(_ arguments: [String], _ message: String, file: StaticString = #filePath, line: UInt = #line) {
            XCTAssertThrowsError(try TrainRequest(arguments: arguments)) {
                XCTAssertTrue("\($0)".contains(message), "\($0)", file: file, line: line)
            }
        }
        usageError(["--stpes", "5"], "unknown option '--stpes'")
        usageError(["--lr"], "--lr needs a value")
        usageError(["--epochs", "9223372036854775808"], "--epochs takes an integer, not '9223372036854775808'")
        usageError(["--seed", "-1"], "--seed takes a whole number ≥ 0, not '-1'")
        usageError(["--spectral-norm=yes"], "takes no value")
        usageError(["dcgan"], "unexpected argument 'dcgan'")
        usageError(["--steps", "5", "--epochs", "2"], "not both")
        usageError(
            ["--resume", "runs/x", "--lr", "1e-4", "--steps", "9"],
            "only --steps, --epochs, --time-budget, --precision, --sample-every, --eval-every, --evaluator may change (got --lr)"
        )
        XCTAssertNoThrow(try TrainRequest(arguments: ["--resume", "runs/x", "--steps", "9", "--time-budget", "60"]))

        func invalid(_ arguments: [String], _ message: String, file: StaticString = #filePath, line: UInt = #line) {
            XCTAssertThrowsError(try TrainRequest(arguments: arguments).resolve().validate()) {
                XCTAssertTrue("\($0)".contains(message), "\($0)", file: file, line: line)
            }
        }
        invalid(["--steps", "-5"], "--steps must be at least 1, got -5")
        invalid(["--lr", "inf"], "--lr must be positive and finite, got inf")
        invalid(["--lr", "1e39"], "--lr must be positive and finite, got inf")
        // The recipe is applied before the joint checks: a value JSON cannot hold is refused there too.
        XCTAssertThrowsError(try TrainRequest(arguments: ["--lr", "inf"]).resolve().applyingRecipe()) {
            XCTAssertTrue("\($0)".contains("--lr must be positive and finite, got inf"), "\($0)")
        }
        invalid(["--beta1", "nan"], "--beta1 must be in [0, 1), got nan")
        invalid(["--model", "resnet"], "unknown model 'resnet' (known: mlp-gan")
        invalid(["--sampling", "shuffled"], "--sampling must be one of epochs, random, got shuffled")
        invalid(["--diffaugment", "color,flip"], "--diffaugment must be a comma-separated list")
        invalid(["--two-sided"], "qualify --label-smoothing")
        invalid(["--image-size", "7", "--model", "dcgan64"], "--image-size must be two sides in 8...256, got 7")
    }

    /// A saved configuration for one model, run with `--model` naming another, keeps the run's
    /// own settings but drops what belonged to the old model (batch size, targets, architecture).
    func testAnotherModelDropsTheOldModelsSettings() throws {
        var saved = TrainConfig()
        saved.model = "acgan"
        saved.batchSize = 16
        saved.steps = 123
        saved.targets = TargetOptions(smoothing: 0.3)
        saved.options.discriminatorDropout = 0.1
        saved.out = "runs/old"
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("swiftgan-options-\(getpid()).json")
        try (try saved.json()).write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let c = try TrainRequest(arguments: ["--config", file.path, "--model", "mlp-gan", "--batch-size", "8"])
            .resolve()
        XCTAssertEqual(c.model, "mlp-gan")
        XCTAssertEqual(c.steps, 123)
        XCTAssertEqual(c.batchSize, 8)
        XCTAssertNil(c.targets)
        XCTAssertEqual(c.options, ModelOptions())
        XCTAssertNil(c.out)
        var repeated = saved
        repeated.out = nil
        XCTAssertEqual(
            try TrainRequest(arguments: ["--config", file.path]).resolve(), repeated,
            "the same model: the file as it was, in a folder of its own")
    }
}
