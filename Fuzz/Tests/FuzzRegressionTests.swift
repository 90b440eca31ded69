import Foundation
import SwiftGANFuzzing
import XCTest

/// Replays what the fuzzers found: every input kept under `Inputs/<target>/` (the crashes that
/// were fixed, named after what they broke) goes through its parser again, which must answer
/// with a value or an error, never a trap. The seeds must parse, so each target is known to
/// reach its parser's success path.
final class FuzzRegressionTests: XCTestCase {
    static let inputs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Inputs")

    func testSeedsParse() throws {
        for target in FuzzTargets.all {
            let seeds = try target.seeds()
            XCTAssertFalse(seeds.isEmpty, target.name)
            for (i, seed) in seeds.enumerated() {
                XCTAssertNoThrow(try target.run(seed), "\(target.name) seed \(i)")
            }
        }
    }

    func testKeptInputsAreRefusedCleanly() throws {
        var replayed = 0
        defer { XCTAssertGreaterThan(replayed, 0, "no kept inputs found under \(Self.inputs.path)") }
        let folders = (try? FileManager.default.contentsOfDirectory(atPath: Self.inputs.path)) ?? []
        for folder in folders.sorted() {
            let target = try XCTUnwrap(FuzzTargets.named(folder), "Inputs/\(folder) names no fuzz target")
            let files = try FileManager.default.contentsOfDirectory(
                atPath: Self.inputs.appendingPathComponent(folder).path
            ).sorted()
            for file in files {
                replayed += 1
                let data = try Data(contentsOf: Self.inputs.appendingPathComponent(folder).appendingPathComponent(file))
                XCTAssertThrowsError(
                    try target.run(data), "Inputs/\(folder)/\(file) is damaged input: an error, not a value")
            }
        }
    }
}
