import Foundation
import SwiftGANArtifacts
import SwiftGANTensors
import XCTest

@testable import SwiftGANTraining

final class LatentWalkTests: XCTestCase {
    /// slerp's ends are its inputs; between two orthogonal vectors of one length it keeps that
    /// length (the straight line would shrink it by √2 halfway); nearly parallel ones take the line.
    func testSlerp() {
        let a: [Float] = [3, 0, 0], b: [Float] = [0, 3, 0]
        XCTAssertEqual(LatentWalk.slerp(a, b, 0), a)
        for (x, y) in zip(LatentWalk.slerp(a, b, 1), b) { XCTAssertEqual(x, y, accuracy: 1e-6) }
        let middle = LatentWalk.slerp(a, b, 0.5)
        XCTAssertEqual(middle.map { $0 * $0 }.reduce(0, +).squareRoot(), 3, accuracy: 1e-5)
        XCTAssertEqual(middle[0], middle[1], accuracy: 1e-6)
        XCTAssertEqual(LatentWalk.slerp([1, 2], [1, 2], 0.3), [1, 2])
        let walk = LatentWalk.noise(rows: 2, steps: 4, noiseSize: 5, using: RandomGenerator(seed: 1))
        XCTAssertEqual(walk.shape, [8, 5])
        let sweep = LatentWalk.classSweep(rows: 2, classes: 3, noiseSize: 4, using: RandomGenerator(seed: 1))
        XCTAssertEqual(sweep.labels, [0, 1, 2, 0, 1, 2])
        XCTAssertEqual(Array(sweep.noise.scalars[0..<4]), Array(sweep.noise.scalars[8..<12]), "one style across a row")
    }

    /// `interpolate` writes the grid and the animation; `sample --noise` draws exactly what
    /// `sample --seed` draws from the same noise.
    func testInterpolateAndSampleFromNoise() throws {
        let data = try randomIDXFolder("walk-data", count: 40, seed: 3)
        let out = runFolder("walk")
        for model in ["mlp-gan", "acgan"] {
            try swiftgan([
                "train", "--model", model, "--dataset", "mnist", "--data-dir", data.path, "--batch-size", "8",
                "--steps", "1",
                "--out", out + "/" + model,
            ])
        }
        let mlp = out + "/mlp-gan/generator.safetensors", acgan = out + "/acgan/generator.safetensors"
        let walk = try swiftgan([
            "interpolate", "--checkpoint", mlp, "--steps", "5", "--rows", "3", "--out", out + "/walk.png", "--gif",
            out + "/walk.gif",
        ])
        XCTAssertEqual(try GIF.read(from: URL(fileURLWithPath: out + "/walk.gif")).frames.count, 8, walk.output)
        XCTAssertGreaterThan(try PNG.read(from: URL(fileURLWithPath: out + "/walk.png")).width, 5 * 56)
        let sweep = try swiftgan([
            "interpolate", "--checkpoint", acgan, "--classes", "--rows", "2", "--out", out + "/classes.png",
        ])
        XCTAssertTrue(sweep.output.contains("2 noise vectors × 10 classes"), sweep.output)
        try swiftgan(["interpolate", "--checkpoint", acgan, "--label", "3", "--out", out + "/threes.png"])
        let refused = try swiftgan(
            ["interpolate", "--checkpoint", acgan, "--out", out + "/x.png"], expectSuccess: false)
        XCTAssertTrue(refused.output.contains("conditional"), refused.output)

        let (model, _, _) = try Checkpoint.loadGenerator(from: URL(fileURLWithPath: mlp))
        let noise = model.noise(7, using: RandomGenerator(seed: 11))
        try NPY.write(float32: noise.scalars, shape: noise.shape, to: URL(fileURLWithPath: out + "/noise.npy"))
        try swiftgan(["sample", "--checkpoint", mlp, "--noise", out + "/noise.npy", "--npy", out + "/from-file.npy"])
        try swiftgan(["sample", "--checkpoint", mlp, "--seed", "11", "--count", "7", "--npy", out + "/from-seed.npy"])
        XCTAssertEqual(
            try Data(contentsOf: URL(fileURLWithPath: out + "/from-file.npy")),
            try Data(contentsOf: URL(fileURLWithPath: out + "/from-seed.npy")))
        try NPY.write(float32: [1, 2, 3], shape: [1, 3], to: URL(fileURLWithPath: out + "/short.npy"))
        let wrong = try swiftgan(
            ["sample", "--checkpoint", mlp, "--noise", out + "/short.npy", "--npy", out + "/x.npy"],
            expectSuccess: false)
        XCTAssertTrue(wrong.output.contains("shape [N, 100]"), wrong.output)
    }
}
