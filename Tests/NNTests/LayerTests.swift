import SwiftGANNN
import SwiftGANTensors
import XCTest

final class LayerTests: XCTestCase {
    let rng = RandomGenerator(seed: 1)

    func testDenseMatchesNaiveAndChecksGradients() {
        let layer = Dense(3, 2, biasInitializer: .uniform(limit: 1), rng: rng)
        let x = Tensor.normal([4, 3], using: rng)
        let y = layer(x)
        for b in 0..<4 {
            for o in 0..<2 {
                var expected = layer.bias![o]
                for i in 0..<3 { expected += x[b, i] * layer.weight[i, o] }
                XCTAssertEqual(y[b, o], expected, accuracy: 1e-5)
            }
        }
        XCTAssertEqual(layer.namedParameters.map(\.name), ["weight", "bias"])
        let mismatches = GradientCheck().check([x, layer.weight, layer.bias!]) { p in p[0].matmul(p[1]) + p[2] }
        XCTAssertTrue(mismatches.isEmpty)
    }

    /// Keras-semantics BatchNorm on a hand-computed example: batch mean/biased variance in
    /// training, running = 0.8·running + 0.2·batch, running statistics in inference.
    /// Expected values computed with NumPy: (x − x.mean(0)) / sqrt(x.var(0) + 1e-3), etc.
    func testBatchNormHandComputed() {
        let bn = BatchNorm(featureCount: 2, momentum: 0.8)
        let x = Tensor([1, 2, 3, 6, 5, 10], shape: [3, 2])
        assertClose(bn(x).scalars, [-1.224_515_3, -1.224_687_47, 0, 0, 1.224_515_3, 1.224_687_47])
        assertClose(bn.runningMean.scalars, [0.6, 1.2])
        assertClose(bn.runningVariance.scalars, [4 / 3, 2.933_333_3])
        let runningBefore = bn.runningMean.scalars
        bn.eval()
        assertClose(
            bn(x).scalars, [0.346_280_33, 0.467_019_77, 2.077_681_98, 2.802_118_61, 3.809_083_64, 5.137_217_44])
        XCTAssertEqual(bn.runningMean.scalars, runningBefore, "inference leaves the statistics alone")
        XCTAssertEqual(bn.namedBuffers.map(\.name), ["runningMean", "runningVariance"])
    }

    func testBatchNormGradientsIncludingChannelsOfImages() {
        let bn = BatchNorm(featureCount: 3, momentum: 0.8, epsilon: 1e-3)
        bn.scale.assign(Tensor([0.5, 1.5, -1]))
        let check = GradientCheck(step: 1e-2, absoluteTolerance: 2e-3, relativeTolerance: 2e-2)
        // [batch, features] and NHWC [batch, h, w, channels]: statistics per channel.
        for shape in [[5, 3], [2, 2, 2, 3]] {
            let x = Tensor.normal(shape, using: rng)
            let m = check.check([x, bn.scale, bn.offset]) { p in
                let axes = Array(0..<(p[0].rank - 1))
                let mean = p[0].mean(alongAxes: axes)
                let c = p[0] - mean
                _ = bn(p[0])  // the layer itself is exercised for equality below
                return c * (p[1] * ((c * c).mean(alongAxes: axes) + 1e-3).pow(-0.5)) + p[2]
            }
            XCTAssertTrue(m.isEmpty, "\(m.prefix(3))")
            let xl = x.copy().requiringGradient()
            let gLayer = gradients(of: (bn(xl) * bn(xl)).sum(), withRespectTo: [xl])[0]
            XCTAssertTrue(gLayer.isFinite)
            let y = bn(x)
            let perChannel = y.mean(alongAxes: Array(0..<(y.rank - 1)))
            assertClose(perChannel.scalars, bn.offset.scalars, tolerance: 1e-5)
        }
        let second = check.checkSecondOrder([Tensor.normal([4, 3], using: rng)]) { bn($0[0]) }
        XCTAssertTrue(second.isEmpty, "\(second.prefix(3))")
    }

    /// Sequential runs a BatchNorm followed by a LeakyReLU (slope ≥ 0) as one fused operation, with
    /// the same outputs, running statistics and gradients as the layers run one at a time; in
    /// inference mode, and for a negative slope, the layers run apart.
    func testSequentialFusesBatchNormWithItsLeakyReLU() {
        func layers(_ slope: Float) -> [any UnaryLayer] {
            let norm = BatchNorm(featureCount: 4, momentum: 0.8)
            norm.scale.assign(Tensor([0.5, 1.5, -1, 2]))
            return [Dense(3, 4, rng: RandomGenerator(seed: 3)), norm, LeakyReLU(slope)]
        }
        let x = Tensor.normal([6, 3], using: RandomGenerator(seed: 4))
        for slope: Float in [0.2, -0.1] {
            let (fused, apart) = (Sequential(layers(slope)), layers(slope))
            let y = fused(x)
            let expected = apart.reduce(x) { $1($0) }
            XCTAssertEqual(y.operationName, slope >= 0 ? "batchNormLeakyRelu" : "leakyRelu")
            XCTAssertEqual(y.scalars, expected.scalars)
            let (a, b) = (fused.layers[1] as! BatchNorm, apart[1] as! BatchNorm)
            XCTAssertEqual(a.runningMean.scalars, b.runningMean.scalars)
            XCTAssertEqual(a.runningVariance.scalars, b.runningVariance.scalars)
            let ga = gradients(of: y.pow(2).sum(), withRespectTo: fused.parameters)
            let gb = gradients(of: expected.pow(2).sum(), withRespectTo: apart.flatMap(\.parameters))
            XCTAssertEqual(ga.map(\.scalars), gb.map(\.scalars))
            fused.setTraining(false)
            XCTAssertEqual(fused(x).operationName, "leakyRelu", "inference mode runs the layers apart")
        }
    }

    /// Sequential runs a LeakyReLU followed by a Dropout as one operation with the two layers'
    /// mask, values and gradients; in inference mode the Dropout is the identity.
    func testSequentialFusesLeakyReLUWithItsDropout() {
        func layers() -> [any UnaryLayer] {
            [
                Dense(3, 40, rng: RandomGenerator(seed: 5)), LeakyReLU(0.2),
                Dropout(rate: 0.3, rng: RandomGenerator(seed: 6)),
            ]
        }
        let x = Tensor.normal([8, 3], using: RandomGenerator(seed: 7))
        let (fused, apart) = (Sequential(layers()), layers())
        for _ in 0..<2 {  // a second call draws the next mask, as the layers do
            let y = fused(x), expected = apart.reduce(x) { $1($0) }
            XCTAssertEqual(y.operationName, "leakyReluDropout")
            XCTAssertEqual(y.scalars, expected.scalars)
            XCTAssertTrue(y.scalars.contains(0), "the mask dropped something")
            let ga = gradients(of: y.pow(2).sum(), withRespectTo: fused.parameters)
            let gb = gradients(of: expected.pow(2).sum(), withRespectTo: apart.flatMap(\.parameters))
            XCTAssertEqual(ga.map(\.scalars), gb.map(\.scalars))
        }
        fused.setTraining(false)
        XCTAssertEqual(fused(x).operationName, "leakyRelu", "inference: no dropout")
    }

    func testDropoutIsInvertedTrainOnlyAndSeeded() {
        let x = Tensor.ones([1000])
        let drop = Dropout(rate: 0.4, rng: RandomGenerator(seed: 3))
        let y = drop(x).scalars
        let kept = y.filter { $0 != 0 }
        XCTAssertTrue(kept.allSatisfy { abs($0 - 1 / 0.6) < 1e-6 })
        XCTAssertEqual(Double(kept.count) / 1000, 0.6, accuracy: 0.05)
        XCTAssertEqual(Dropout(rate: 0.4, rng: RandomGenerator(seed: 3))(x).scalars, y, "same seed, same mask")
        drop.eval()
        XCTAssertEqual(drop(x).scalars, x.scalars)
        // The gradient is the mask.
        drop.train()
        let leaf = Tensor.ones([50]).requiringGradient()
        let out = drop(leaf)
        XCTAssertEqual(gradients(of: out.sum(), withRespectTo: [leaf])[0].scalars, out.scalars)
    }

    func testSequentialNamesModesAndParameterCount() {
        let d = Sequential([
            Dense(784, 512, rng: rng), LeakyReLU(0.2), Dropout(rate: 0.3, rng: rng),
            Dense(512, 256, rng: rng), BatchNorm(featureCount: 256, momentum: 0.8), Dense(256, 1, rng: rng),
        ])
        XCTAssertEqual(
            d.namedParameters.map(\.name),
            ["0.weight", "0.bias", "3.weight", "3.bias", "4.scale", "4.offset", "5.weight", "5.bias"])
        XCTAssertEqual(d.parameterCount, 784 * 512 + 512 + 512 * 256 + 256 + 2 * 256 + 257)
        XCTAssertEqual(d.namedBuffers.count, 2)
        d.eval()
        XCTAssertFalse((d.layers[2] as! Dropout).isTraining)
        XCTAssertFalse((d.layers[4] as! BatchNorm).isTraining)
        d.train()
        XCTAssertTrue((d.layers[4] as! BatchNorm).isTraining)
    }

    func testShapingLayersAndEmbedding() {
        let x = Tensor.normal([2, 7, 7, 3], using: rng)
        XCTAssertEqual(Flatten()(x).shape, [2, 147])
        XCTAssertEqual(Reshape([7, 7, 3])(Flatten()(x)).scalars, x.scalars)
        XCTAssertEqual(Concatenate()([Tensor.zeros([2, 100]), Tensor.ones([2, 10])]).shape, [2, 110])
        let e = Embedding(count: 4, dimension: 3, rng: rng)
        XCTAssertTrue(e.table.scalars.allSatisfy { abs($0) <= 0.05 })
        let v = e([2, 0, 2])
        XCTAssertEqual(v.shape, [3, 3])
        XCTAssertEqual(v[2, 1], e.table[2, 1])
        let g = gradients(of: v.sum(), withRespectTo: [e.table])[0]
        XCTAssertEqual(g.scalars, [1, 1, 1, 0, 0, 0, 2, 2, 2, 0, 0, 0])
        XCTAssertEqual(e(Tensor([3, 1])).shape, [2, 3])
    }

    func testActivationLayersMatchTensorFunctions() {
        let x = Tensor.normal([3, 4], using: rng)
        XCTAssertEqual(LeakyReLU(0.2)(x).scalars, x.leakyRelu(slope: 0.2).scalars)
        XCTAssertEqual(ReLU()(x).scalars, x.relu().scalars)
        XCTAssertEqual(ELU()(x).scalars, x.elu().scalars)
        XCTAssertEqual(SELU()(x).scalars, x.selu().scalars)
        XCTAssertEqual(Sigmoid()(x).scalars, x.sigmoid().scalars)
        XCTAssertEqual(Tanh()(x).scalars, x.tanh().scalars)
    }
}

func assertClose(
    _ a: [Float], _ b: [Float], tolerance: Float = 1e-5, file: StaticString = #filePath, line: UInt = #line
) {
    XCTAssertEqual(a.count, b.count, "lengths differ", file: file, line: line)
    for (i, (x, y)) in zip(a, b).enumerated() where !(abs(x - y) <= tolerance * max(1, abs(y))) {
        XCTFail("element \(i): \(x) vs \(y)", file: file, line: line)
        return
    }
}
