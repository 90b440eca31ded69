import SwiftGANNN
import SwiftGANTensors
import XCTest

final class InitializerTests: XCTestCase {
    func stats(_ t: Tensor) -> (mean: Float, std: Float, maxAbs: Float) {
        let m = t.mean().scalar
        return (m, ((t - m).pow(2)).mean().scalar.squareRoot(), t.abs().max(alongAxis: 0).scalar)
    }

    func testFansFollowKeras() {
        XCTAssertTrue(Initializer.fans([784, 512]) == (784, 512))
        XCTAssertTrue(Initializer.fans([5, 5, 64, 128]) == (25 * 64, 25 * 128))
    }

    func testGlorotAndHeScales() {
        let rng = RandomGenerator(seed: 1)
        let shape = [400, 600]
        let gu = Initializer.glorotUniform.make(shape, rng: rng).reshaped([-1])
        let limit = (6 / Float(1000)).squareRoot()
        XCTAssertLessThanOrEqual(stats(gu).maxAbs, limit)
        XCTAssertEqual(stats(gu).std, limit / 3.0.squareRoot().float, accuracy: 1e-3)
        let gn = Initializer.glorotNormal.make(shape, rng: rng).reshaped([-1])
        XCTAssertEqual(stats(gn).std, (2 / Float(1000)).squareRoot(), accuracy: 1e-3, "truncation is corrected for")
        XCTAssertLessThanOrEqual(stats(gn).maxAbs, 2 * (2 / Float(1000)).squareRoot() / 0.879_625_76 + 1e-6)
        let hn = Initializer.heNormal.make(shape, rng: rng).reshaped([-1])
        XCTAssertEqual(stats(hn).std, (2 / Float(400)).squareRoot(), accuracy: 2e-3)
        let n = Initializer.normal(std: 0.02).make(shape, rng: rng).reshaped([-1])
        XCTAssertEqual(stats(n).std, 0.02, accuracy: 5e-4)
        XCTAssertEqual(stats(n).mean, 0, accuracy: 5e-4)
        XCTAssertEqual(Initializer.zeros.make([3], rng: rng).scalars, [0, 0, 0])
    }

    func testSeedReproducesInitialization() {
        let a = Dense(10, 5, rng: RandomGenerator(seed: 9)), b = Dense(10, 5, rng: RandomGenerator(seed: 9))
        XCTAssertEqual(a.weight.scalars, b.weight.scalars)
        XCTAssertEqual(a.bias!.scalars, [0, 0, 0, 0, 0])
    }
}

private extension Double { var float: Float { Float(self) } }
