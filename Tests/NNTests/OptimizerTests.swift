import SwiftGANNN
import SwiftGANTensors
import XCTest

final class OptimizerTests: XCTestCase {
    /// Two Keras-form Adam steps, lr 0.1, β₁ 0.9, β₂ 0.999, ε 1e-7. Expected values computed with
    /// NumPy from the update written out: m = β₁m + (1−β₁)g; v = β₂v + (1−β₂)g²;
    /// p −= lr·√(1−β₂ᵗ)/(1−β₁ᵗ)·m/(√v + ε).
    func testAdamHandComputed() {
        let p = Tensor([1, -2]).requiringGradient()
        let adam = Adam(parameters: [p], learningRate: 0.1)
        adam.step([Tensor([0.5, -1])])
        assertClose(p.scalars, [0.900_000_63, -1.900_000_32], tolerance: 1e-6)
        adam.step([Tensor([0.1, 0.3])])
        assertClose(p.scalars, [0.819_697_03, -1.857_215_59], tolerance: 1e-6)
        XCTAssertEqual(adam.stepCount, 2)
        XCTAssertEqual(adam.state.map(\.name), ["step", "m.0", "v.0"])
    }

    /// Two RMSprop steps, lr 0.1, ρ 0.9, ε 1e-7; expected values from NumPy with the update written
    /// out: v = ρv + (1−ρ)g²; p −= lr·g/(√v + ε).
    func testRMSpropHandComputed() {
        let p = Tensor([1, -2]).requiringGradient()
        let rmsprop = RMSprop(parameters: [p], rule: RMSpropRule(learningRate: 0.1))
        rmsprop.step([Tensor([0.5, -1])])
        assertClose(p.scalars, [0.683_772_43, -1.683_772_33], tolerance: 1e-6)
        rmsprop.step([Tensor([0.1, 0.3])])
        assertClose(p.scalars, [0.618_539_67, -1.779_118_56], tolerance: 1e-6)
        XCTAssertEqual(rmsprop.state.map(\.name), ["step", "v.0"])
    }

    /// A spec makes the optimizer it names, with its settings.
    func testOptimizerSpecMakesTheNamedOptimizer() {
        let p = Tensor([1]).requiringGradient()
        XCTAssertTrue(
            OptimizerSpec.rmsprop(learningRate: 5e-5, rho: 0.99, epsilon: 1e-8).make(parameters: [p]) is RMSprop)
        let adam = OptimizerSpec.adam(learningRate: 1e-4, beta1: 0.5, beta2: 0.9).make(parameters: [p]) as? Adam
        XCTAssertEqual(adam?.rule.beta2, 0.9)
        XCTAssertEqual(OptimizerSpec.sgd(learningRate: 0.1, momentum: 0).with(learningRate: 0.2).learningRate, 0.2)
    }

    func testKerasDefaults() {
        let rule = AdamRule()
        XCTAssertEqual([rule.learningRate, rule.beta1, rule.beta2, rule.epsilon], [0.001, 0.9, 0.999, 1e-7])
    }

    /// u ← 0.9u − 0.1g, p ← p + u, with g = 0.5 twice: p = 1 − 0.05 = 0.95, then 0.95 − 0.095 = 0.855.
    func testSGDMomentumHandComputed() {
        let p = Tensor([1]).requiringGradient()
        let sgd = SGD(parameters: [p], learningRate: 0.1, momentum: 0.9)
        sgd.step([Tensor([0.5])])
        assertClose(p.scalars, [0.95])
        sgd.step([Tensor([0.5])])
        assertClose(p.scalars, [0.855])
        let plain = Tensor([1]).requiringGradient()
        SGD(parameters: [plain], learningRate: 0.1).step([Tensor([2])])
        assertClose(plain.scalars, [0.8])
    }

    func testStateRoundTrip() throws {
        let p = Tensor([1, 2, 3]).requiringGradient()
        let a = Adam(parameters: [p])
        a.step([Tensor([1, 1, 1])])
        let saved = Dictionary(uniqueKeysWithValues: a.state.map { ($0.name, $0.tensor.copy()) })
        let q = Tensor([1, 2, 3]).requiringGradient()
        let b = Adam(parameters: [q])
        try b.load(state: saved)
        XCTAssertEqual(b.stepCount, 1)
        XCTAssertEqual(b.slots[0][1].scalars, a.slots[0][1].scalars)
        XCTAssertThrowsError(try b.load(state: ["step": Tensor(scalar: 1)]))
    }

    /// Freezing by omission: the generator's optimizer changes only the generator.
    func testOptimizerTouchesOnlyItsParameters() {
        let rng = RandomGenerator(seed: 2)
        let g = Dense(2, 2, rng: rng), d = Dense(2, 1, rng: rng)
        let dBefore = d.weight.scalars
        let opt = Adam(parameters: g.parameters, learningRate: 0.01)
        let loss = binaryCrossEntropy(logits: d(g(Tensor.normal([4, 2], using: rng))), targets: Tensor.ones([4, 1]))
        opt.step(gradients(of: loss, withRespectTo: opt.parameters))
        XCTAssertEqual(d.weight.scalars, dBefore)
    }

    /// End to end: a small MLP learns XOR with Adam and binary cross-entropy.
    func testMLPLearnsXOR() {
        let rng = RandomGenerator(seed: 4)
        let net = Sequential([Dense(2, 16, rng: rng), Tanh(), Dense(16, 1, rng: rng)])
        let x = Tensor([0, 0, 0, 1, 1, 0, 1, 1], shape: [4, 2]), y = Tensor([0, 1, 1, 0], shape: [4, 1])
        let opt = Adam(parameters: net.parameters, learningRate: 0.05)
        var loss = Float.infinity
        for _ in 0..<300 {
            let l = binaryCrossEntropy(logits: net(x), targets: y)
            loss = l.scalar
            opt.step(gradients(of: l, withRespectTo: opt.parameters))
        }
        XCTAssertLessThan(loss, 0.05)
        XCTAssertEqual(binaryAccuracy(logits: net(x), targets: y), 1)
    }
}
