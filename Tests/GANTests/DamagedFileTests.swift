import Foundation
import SwiftGANArtifacts
import SwiftGANTensors
import XCTest

@testable import SwiftGANTraining

/// Files damaged by a crash, a bad copy or an attacker give an error that names them, never a
/// trap or a silent wrong result.
final class DamagedFileTests: XCTestCase {
    /// Rewrites a safetensors file with `change` applied to its tensors and metadata.
    func rewrite(
        _ url: URL, _ change: (inout [String: (shape: [Int], values: [Float])], inout [String: String]) -> Void
    ) throws {
        var (tensors, metadata) = try Safetensors.read(from: url)
        change(&tensors, &metadata)
        try Safetensors.encode(
            tensors.sorted { $0.key < $1.key }.map { (name: $0.key, shape: $0.value.shape, values: $0.value.values) },
            metadata: metadata
        ).write(to: url)
    }

    func testDamagedTrainingStatesAreRefused() throws {
        var config = TrainConfig()
        config.dataset = "mnist"
        config.dataDir = try randomIDXFolder("damaged-data", count: 40, seed: 1).path
        config.batchSize = 8
        config.steps = 2
        config.sampleEvery = 2
        config.out = runFolder("damaged-state")
        try TrainingRun(config: config).run()
        let state = URL(fileURLWithPath: config.out! + "/training-state.safetensors")
        let good = try Data(contentsOf: state)
        config.steps = 4
        let damages: [(String, (inout [String: (shape: [Int], values: [Float])], inout [String: String]) -> Void)] = [
            ("data order", { t, _ in t["sampler.order"]!.values[3] = .nan }),
            ("data order", { t, _ in t["sampler.order"]!.values[0] = 1e30 }),
            ("step count", { t, _ in t["generator_optimizer.step"] = (shape: [2], values: [1, 2]) }),
            ("step count", { t, _ in t["discriminator_optimizer.step"] = (shape: [], values: [.infinity]) }),
            ("random generator", { _, m in m["rng"] = "1,2" }),
        ]
        for (what, damage) in damages {
            try good.write(to: state)
            try rewrite(state, damage)
            XCTAssertThrowsError(try TrainingRun(config: config).resume()) {
                XCTAssertTrue("\($0)".contains(what), "\(what): \($0)")
            }
        }
    }

    func testDamagedCheckpointsAreRefused() throws {
        let config = curveConfig(steps: 2, sampleEvery: 2)
        try TrainingRun(config: config).run()
        let url = URL(fileURLWithPath: config.out! + "/generator.safetensors")
        let good = try Data(contentsOf: url)
        try rewrite(url) { t, _ in t[t.keys.sorted()[0]]!.values[0] = .nan }
        XCTAssertThrowsError(try Checkpoint.loadGenerator(from: url)) {
            XCTAssertTrue("\($0)".contains("NaN or infinite"), "\($0)")
        }
        for options in [
            #"{"width":1000000000,"discriminatorDropout":0}"#, #"{"discriminatorDropout":7}"#, #"{"width":"#,
        ] {
            try good.write(to: url)
            try rewrite(url) { _, m in
                m["model"] = "dcgan64"; m["options"] = options
            }
            XCTAssertThrowsError(try Checkpoint.loadGenerator(from: url)) {
                XCTAssertTrue("\($0)".contains(url.path), "\($0)")
            }
        }
    }

    /// Temporary files of a killed writer are removed when a run starts; a live writer's stay.
    func testStaleTemporaryFilesAreRemoved() throws {
        let folder = URL(fileURLWithPath: runFolder("stale-temporaries"))
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let finished = Process()
        finished.executableURL = URL(fileURLWithPath: "/bin/sh")
        finished.arguments = ["-c", "exit 0"]
        try finished.run()
        finished.waitUntilExit()
        let dead = ".generator.safetensors.\(finished.processIdentifier).77.tmp",
            live = ".history.csv.\(getpid()).5.tmp"
        for name in [dead, live, "notes.tmp"] { try Data([1]).write(to: folder.appendingPathComponent(name)) }
        XCTAssertEqual(AtomicFile.removeStaleTemporaries(in: folder), [dead])
        XCTAssertEqual(Set(try FileManager.default.contentsOfDirectory(atPath: folder.path)), [live, "notes.tmp"])
    }
}
