import Foundation
import XCTest

@testable import SwiftGANTraining

/// A `config.json` written by an older SwiftGAN still loads: a key it lacks keeps its default,
/// including settings that always have a value.
final class ConfigCompatibilityTests: XCTestCase {
    /// What `swiftgan train` wrote at commit 9d58780 (2026-11-22), the first version with a
    /// config.json: its encoder's output for a default mlp-gan run (`TrainConfig` then had ten keys,
    /// `batchSize`, `sampling` and `batchesPerEpoch` not yet optional, `options` one field).
    static let firstVersion = """
        {
          "batchSize" : 64,
          "batchesPerEpoch" : 100,
          "dataset" : "fashion-mnist",
          "model" : "mlp-gan",
          "options" : {
            "discriminatorDropout" : 0
          },
          "out" : "runs/mlp-gan",
          "sampleEvery" : 500,
          "sampling" : "epochs",
          "seed" : 0,
          "steps" : 5000
        }
        """

    func testTheFirstVersionsConfigurationLoadsAndValidates() throws {
        let config = try TrainConfig.decode(Data(Self.firstVersion.utf8), name: "config.json")
        var expected = TrainConfig()
        (expected.batchSize, expected.batchesPerEpoch, expected.sampling, expected.out) = (
            64, 100, "epochs", "runs/mlp-gan"
        )
        XCTAssertEqual(config, expected)
        XCTAssertNoThrow(try config.validate())
    }

    func testEveryKeyMayBeMissing() throws {
        var full = TrainConfig()
        (full.model, full.steps, full.seed, full.sampleEvery, full.dataset) = ("dcgan", 77, 9, 11, "mnist")
        full.options.discriminatorDropout = 0.25
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(try full.json().utf8)) as? [String: Any])
        for key in ["model", "dataset", "steps", "seed", "sampleEvery", "options"] {
            var fewer = object
            fewer[key] = nil
            let config = try TrainConfig.decode(try JSONSerialization.data(withJSONObject: fewer), name: key)
            var expected = full
            switch key {
            case "model": expected.model = TrainConfig().model
            case "dataset": expected.dataset = TrainConfig().dataset
            case "steps": expected.steps = TrainConfig().steps
            case "seed": expected.seed = TrainConfig().seed
            case "sampleEvery": expected.sampleEvery = TrainConfig().sampleEvery
            default: expected.options = TrainConfig().options
            }
            XCTAssertEqual(config, expected, key)
        }
        let options = try TrainConfig.decode(Data(#"{"options": {"width": 16}}"#.utf8), name: "options")
        XCTAssertEqual(options.options.width, 16)
        XCTAssertEqual(options.options.discriminatorDropout, 0)
    }

    /// Every setting of the option table, each given a value, comes back from the file as it was:
    /// a setting the decoder forgets fails here.
    func testEverySettingSurvivesTheFile() throws {
        var config = TrainConfig()
        for option in TrainOptions.all {
            if option.isFlag {
                try option.assign(&config, nil)
                continue
            }
            // The first text the option's type parses: an integer, a fraction, a word.
            for text in ["3", "0.25", "word"] where (try? option.assign(&config, text)) != nil { break }
        }
        let unset = Mirror(reflecting: config).children.filter { "\($0.value)" == "nil" }.map { $0.label ?? "?" }
        XCTAssertEqual(unset, [], "settings the table could not set")
        XCTAssertEqual(try TrainConfig.decode(Data(try config.json().utf8), name: "every setting"), config)
    }
}
