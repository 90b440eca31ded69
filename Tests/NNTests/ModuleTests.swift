import Foundation
import SwiftGANNN
import SwiftGANTensors
import XCTest

/// A residual block written as a user writes one: its layers are stored properties, listed nowhere.
final class ResidualBlock: UnaryLayer {
    let first: Dense
    let second: Dense
    let extras: [any UnaryLayer]
    let optional: Dense?
    let absent: Dense? = nil
    let scale: Float = 1
    init(_ width: Int, rng: RandomGenerator) {
        first = Dense(width, width, rng: rng)
        second = Dense(width, width, rng: rng)
        extras = [LeakyReLU(0.2), BatchNorm(featureCount: width)]
        optional = Dense(width, width, useBias: false, rng: rng)
    }
    func callAsFunction(_ x: Tensor) -> Tensor { x + optional!(extras[1](second(first(x).relu()))) }
}

/// A subclass adds a layer of its own; the superclass's come first.
final class WiderBlock: Wide {
    let head: Dense
    override init(rng: RandomGenerator) {
        head = Dense(4, 1, rng: rng)
        super.init(rng: rng)
    }
}

class Wide: UnaryLayer {
    let body: Sequential
    init(rng: RandomGenerator) { body = Sequential([Dense(3, 4, rng: rng), Tanh()]) }
    func callAsFunction(_ x: Tensor) -> Tensor { body(x) }
}

/// Two inputs: a module need not be a one-input layer.
final class Projection: LabelledLayer {
    let features: ResidualBlock
    let embedding: Embedding
    init(rng: RandomGenerator) {
        features = ResidualBlock(3, rng: rng)
        embedding = Embedding(count: 5, dimension: 3, rng: rng)
    }
    func callAsFunction(_ x: Tensor, labels: [Int]?) -> Tensor {
        let h = features(x)
        guard let labels else { return h.sum(alongAxis: 1, keepingDimensions: true) }
        return (h * embedding(labels)).sum(alongAxis: 1, keepingDimensions: true)
    }
}

final class ModuleTests: XCTestCase {
    func testChildrenAreFoundInStoredProperties() {
        let block = ResidualBlock(3, rng: RandomGenerator(seed: 0))
        XCTAssertEqual(block.children.map(\.name), ["first", "second", "extras.0", "extras.1", "optional"])
        XCTAssertEqual(
            block.namedParameters.map(\.name),
            [
                "first.weight", "first.bias", "second.weight", "second.bias", "extras.1.scale", "extras.1.offset",
                "optional.weight",
            ])
        XCTAssertEqual(block.namedBuffers.map(\.name), ["extras.1.runningMean", "extras.1.runningVariance"])
        XCTAssertEqual(block.parameterCount, 3 * 3 * 3 + 3 * 2 + 3 * 2)
        // Training mode reaches a layer found by reflection.
        block.eval()
        let bn = block.extras[1] as! BatchNorm
        let x = Tensor.normal([4, 3], using: RandomGenerator(seed: 1))
        XCTAssertEqual(bn(x).scalars, bn(x).scalars)
        XCTAssertEqual(
            WiderBlock(rng: RandomGenerator(seed: 0)).namedParameters.map(\.name),
            ["body.0.weight", "body.0.bias", "head.weight", "head.bias"])
        XCTAssertEqual(Projection(rng: RandomGenerator(seed: 0)).children.map(\.name), ["features", "embedding"])
    }

    func testAForgottenLayerStillTrains() {
        let rng = RandomGenerator(seed: 2)
        let block = ResidualBlock(3, rng: rng)
        let optimizer = Adam(parameters: block.parameters, learningRate: 0.1)
        let before = block.second.weight.copy()
        let x = Tensor.normal([8, 3], using: rng)
        optimizer.step(gradients(of: (block(x) * block(x)).mean(), withRespectTo: optimizer.parameters))
        XCTAssertNotEqual(block.second.weight.scalars, before.scalars)
    }

    func testASharedLayerIsOneParameterSet() {
        let rng = RandomGenerator(seed: 0)
        let shared = Dense(2, 2, rng: rng)
        let net = Sequential([shared, Tanh(), shared])
        XCTAssertEqual(net.namedParameters.map(\.name), ["0.weight", "0.bias"])
    }

    func testPrintShowsTheTreeWithShapesAndCounts() {
        let text = "\(ResidualBlock(3, rng: RandomGenerator(seed: 0)))"
        let lines = text.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.first, "ResidualBlock  — 39 parameters")
        XCTAssertTrue(lines.contains("  (first): Dense  weight [3, 3], bias [3]  — 12 parameters"), text)
        XCTAssertTrue(lines.contains("  (extras.0): LeakyReLU"), text)
        XCTAssertTrue(
            lines.contains { $0.hasPrefix("  (extras.1): BatchNorm  scale [3], offset [3], runningMean [3] (buffer)") },
            text)
        XCTAssertEqual(lines.count, 6)
    }

    func testSaveAndLoadRoundTripAndRefuseAnotherArchitecture() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("module-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("block.safetensors")
        let saved = ResidualBlock(3, rng: RandomGenerator(seed: 0))
        try saved.save(to: url, metadata: ["note": "test"])
        let loaded = ResidualBlock(3, rng: RandomGenerator(seed: 9))
        XCTAssertNotEqual(loaded.first.weight.scalars, saved.first.weight.scalars)
        XCTAssertEqual(try loaded.load(from: url)["note"], "test")
        for (a, b) in zip(saved.namedState, loaded.namedState) {
            XCTAssertEqual(a.tensor.scalars, b.tensor.scalars, a.name)
        }
        let other = ResidualBlock(4, rng: RandomGenerator(seed: 0))
        let before = other.first.weight.copy()
        XCTAssertThrowsError(try other.load(from: url)) {
            XCTAssertTrue("\($0)".contains("first.weight: saved shape [3, 3]"), "\($0)")
        }
        XCTAssertEqual(other.first.weight.scalars, before.scalars, "a refused load changes nothing")
    }

    func testRewritesReachEveryContainerAndRefuseOthers() throws {
        let rng = RandomGenerator(seed: 0)
        let net = Sequential([Dense(2, 3, rng: rng), Sequential([Tanh(), Dense(3, 1, rng: rng)])])
        let rewritten = try net.rewritingLayers { ($0 as? Dense).map { _ in ReLU() } } as! Sequential
        XCTAssertTrue(rewritten.layers[0] is ReLU)
        XCTAssertTrue((rewritten.layers[1] as! Sequential).layers[1] is ReLU)
        XCTAssertThrowsError(
            try Sequential([ResidualBlock(2, rng: rng)]).rewritingLayers { ($0 as? Dense).map { _ in ReLU() } }
        ) {
            XCTAssertTrue("\($0)".contains("ResidualBlock holds layers"), "\($0)")
        }
    }

    func testAReferenceThatIsNotAChildStaysOut() {
        final class Head: UnaryLayer {
            let dense: Dense
            let body: ModuleReference<Sequential>
            init(body: Sequential, rng: RandomGenerator) {
                (dense, self.body) = (Dense(2, 1, rng: rng), ModuleReference(body))
            }
            func callAsFunction(_ x: Tensor) -> Tensor { dense(body.module!(x)) }
        }
        let rng = RandomGenerator(seed: 0)
        let body = Sequential([Dense(3, 2, rng: rng)])
        let head = Head(body: body, rng: rng)
        XCTAssertEqual(head.namedParameters.map(\.name), ["dense.weight", "dense.bias"])
        XCTAssertEqual(head(Tensor.ones([4, 3])).shape, [4, 1])
    }
}
