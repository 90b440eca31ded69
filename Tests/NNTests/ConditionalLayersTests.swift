import Foundation
import SwiftGANNN
import SwiftGANTensors
import XCTest

/// The building blocks of modern conditional GANs: conditional BatchNorm, the projection head,
/// self-attention and the minibatch standard deviation. Each is checked against hand-computed
/// values or a loop of its own, against finite differences to the second order (R1 and WGAN-GP
/// differentiate D's input gradient again), and as a module (children, parameters, save and load).
final class ConditionalLayersTests: XCTestCase {
    let check = GradientCheck(step: 1e-2, absoluteTolerance: 2e-3, relativeTolerance: 2e-2)

    // MARK: Conditional BatchNorm

    func testBatchNormWithoutAffineOnlyNormalizes() {
        let plain = BatchNorm(featureCount: 3, momentum: 0.8, affine: false)
        let affine = BatchNorm(featureCount: 3, momentum: 0.8)
        XCTAssertTrue(plain.namedParameters.isEmpty)
        XCTAssertEqual(plain.namedBuffers.map(\.name), ["runningMean", "runningVariance"])
        let x = Tensor.normal([5, 3], using: RandomGenerator(seed: 1))
        XCTAssertEqual(plain(x).scalars, affine(x).scalars, "γ = 1 and β = 0 either way")
        XCTAssertEqual(plain.runningMean.scalars, affine.runningMean.scalars)
        plain.eval()
        affine.eval()
        XCTAssertEqual(plain(x).scalars, affine(x).scalars)
    }

    /// A 4×1×1×2 batch of two classes, momentum 0.8, ε 1e-3. Expected values from NumPy:
    /// y = (x − x.mean(0)) / sqrt(x.var(0) + 1e-3) · γ[labels] + β[labels]; running mean
    /// 0.2·mean = [0.6, 0.8], running variance 0.8 + 0.2·var = [1.5, 2.4]; inference
    /// (x − running mean) / sqrt(running variance + 1e-3) · γ[labels] + β[labels].
    func testConditionalBatchNormHandComputed() {
        let cbn = ConditionalBatchNorm(featureCount: 2, classCount: 2, momentum: 0.8, epsilon: 1e-3)
        XCTAssertEqual(cbn.scale.table.scalars, [1, 1, 1, 1], "γ starts at 1")
        XCTAssertEqual(cbn.offset.table.scalars, [0, 0, 0, 0], "β starts at 0")
        cbn.scale.table.assign(Tensor([2, 0.5, -1, 3], shape: [2, 2]))
        cbn.offset.table.assign(Tensor([0.1, 0.2, -0.3, 0.4], shape: [2, 2]))
        let x = Tensor([1, 0, 2, 4, 3, 8, 6, 4], shape: [4, 1, 1, 2])
        let labels = [0, 1, 1, 0]
        let y = cbn(x, labels: labels)
        XCTAssertEqual(y.shape, [4, 1, 1, 2])
        assertClose(
            y.scalars,
            [-2.037_784_56, -0.507_062_59, 0.234_446_14, 0.4, -0.3, 4.642_375_55, 3.306_676_84, 0.2], tolerance: 1e-5)
        assertClose(cbn.norm.runningMean.scalars, [0.6, 0.8])
        assertClose(cbn.norm.runningVariance.scalars, [1.5, 2.4])
        let statistics = cbn.norm.runningMean.scalars
        cbn.eval()
        XCTAssertFalse(cbn.norm.isTraining, "the mode reaches the normalization")
        assertClose(
            cbn(x, labels: labels).scalars,
            [
                0.752_979_64, -0.058_145_12, -1.442_714_37, 6.595_482_76, -2.258_938_92, 14.339_836_22, 8.915_225_16,
                1.232_580_46,
            ],
            tolerance: 1e-5)
        XCTAssertEqual(cbn.norm.runningMean.scalars, statistics, "inference leaves the statistics alone")
        // [batch, features] is the same computation.
        let flat = ConditionalBatchNorm(featureCount: 2, classCount: 2, momentum: 0.8, epsilon: 1e-3)
        flat.scale.table.assign(cbn.scale.table)
        flat.offset.table.assign(cbn.offset.table)
        XCTAssertEqual(flat(x.reshaped([4, 2]), labels: labels).scalars, y.scalars)
    }

    func testConditionalBatchNormGradients() {
        let rng = RandomGenerator(seed: 2)
        let cbn = ConditionalBatchNorm(featureCount: 3, classCount: 3, momentum: 0.8)
        cbn.scale.table.assign(Tensor.uniform([3, 3], low: 0.5, high: 1.5, using: rng))
        cbn.offset.table.assign(Tensor.normal([3, 3], using: rng))
        let labels = [0, 2, 1, 1, 0, 2]
        let x = Tensor.normal([6, 1, 2, 3], using: rng)
        for training in [true, false] {
            cbn.setTraining(training)
            let f: (Tensor) -> Tensor = { cbn($0, labels: labels) }
            let first = check.check([x]) { f($0[0]) }
            XCTAssertTrue(first.isEmpty, "training \(training): \(first.prefix(3))")
            let second = check.checkSecondOrder([x]) { f($0[0]) }
            XCTAssertTrue(second.isEmpty, "training \(training): \(second.prefix(3))")
            let parameters = parameterGradientMismatches(cbn, weightedOutput(x, f))
            XCTAssertTrue(parameters.isEmpty, "training \(training): \(parameters.prefix(3))")
            let penalty = parameterGradientMismatches(cbn, inputGradientPenalty(x, f))
            XCTAssertTrue(penalty.isEmpty, "training \(training), penalty: \(penalty.prefix(3))")
        }
    }

    func testConditionalBatchNormTreeAndSaveLoad() throws {
        let cbn = ConditionalBatchNorm(featureCount: 4, classCount: 3)
        XCTAssertEqual(cbn.children.map(\.name), ["norm", "scale", "offset"])
        XCTAssertEqual(cbn.namedParameters.map(\.name), ["scale.table", "offset.table"])
        XCTAssertEqual(cbn.parameterCount, 2 * 3 * 4, "two embeddings, no γ or β of the BatchNorm's")
        XCTAssertEqual(cbn.namedBuffers.map(\.name), ["norm.runningMean", "norm.runningVariance"])
        let rng = RandomGenerator(seed: 3)
        cbn.scale.table.assign(Tensor.normal([3, 4], using: rng))
        cbn.offset.table.assign(Tensor.normal([3, 4], using: rng))
        let x = Tensor.normal([5, 2, 2, 4], using: rng)
        let labels = [2, 0, 1, 2, 1]
        _ = cbn(x, labels: labels)  // moves the running statistics
        let loaded = ConditionalBatchNorm(featureCount: 4, classCount: 3)
        try roundTrip(cbn, into: loaded)
        cbn.eval()
        loaded.eval()
        assertClose(loaded(x, labels: labels).scalars, cbn(x, labels: labels).scalars, tolerance: 1e-6)
    }

    // MARK: Projection head

    /// φ = [[1, 2, 3], [−1, 0, 2]], ψ(φ) = φ·[0.5, −1, 0.25] + 0.1 = [−0.65, 0.1];
    /// labels [1, 0]: ⟨E₁, φ₀⟩ = 0.5 + 4 + 3 = 7.5, ⟨E₀, φ₁⟩ = −1 + 0 − 2 = −3.
    func testProjectionHeadHandComputed() {
        let head = ProjectionDiscriminatorHead(featureCount: 3, classCount: 2, rng: RandomGenerator(seed: 4))
        let linear = head.linear as! Dense
        linear.weight.assign(Tensor([0.5, -1, 0.25], shape: [3, 1]))
        linear.bias!.assign(Tensor([0.1]))
        (head.embedding as! Embedding).table.assign(Tensor([1, 0, -1, 0.5, 2, 1], shape: [2, 3]))
        let phi = Tensor([1, 2, 3, -1, 0, 2], shape: [2, 3])
        let y = head(phi, labels: [1, 0])
        XCTAssertEqual(y.shape, [2, 1])
        assertClose(y.scalars, [6.85, -2.9])
        assertClose(head(phi, labels: nil).scalars, [-0.65, 0.1], tolerance: 1e-6)
    }

    func testProjectionHeadGradientsTreeAndSaveLoad() throws {
        let rng = RandomGenerator(seed: 5)
        let head = ProjectionDiscriminatorHead(featureCount: 4, classCount: 3, rng: rng)
        XCTAssertEqual(head.namedParameters.map(\.name), ["linear.weight", "linear.bias", "embedding.table"])
        XCTAssertEqual(head.parameterCount, 4 + 1 + 3 * 4)
        let phi = Tensor.normal([3, 4], using: rng)
        let labels = [2, 0, 2]
        let f: (Tensor) -> Tensor = { head($0, labels: labels) }
        let first = check.check([phi]) { f($0[0]) }
        XCTAssertTrue(first.isEmpty, "\(first.prefix(3))")
        let second = check.checkSecondOrder([phi]) { f($0[0]) }
        XCTAssertTrue(second.isEmpty, "\(second.prefix(3))")
        let parameters = parameterGradientMismatches(head, weightedOutput(phi, f))
        XCTAssertTrue(parameters.isEmpty, "\(parameters.prefix(3))")
        let penalty = parameterGradientMismatches(head, inputGradientPenalty(phi, f))
        XCTAssertTrue(penalty.isEmpty, "penalty: \(penalty.prefix(3))")
        let loaded = ProjectionDiscriminatorHead(featureCount: 4, classCount: 3, rng: RandomGenerator(seed: 6))
        try roundTrip(head, into: loaded)
        assertClose(loaded(phi, labels: labels).scalars, head(phi, labels: labels).scalars, tolerance: 1e-6)
    }

    /// A model-wide rewrite reaches both layers of the head (it is a LayerContainer), and an
    /// Embedding can be spectrally normalized: its rows come from table / σ.
    func testProjectionHeadUnderSpectralNorm() throws {
        let rng = RandomGenerator(seed: 7)
        let head = ProjectionDiscriminatorHead(featureCount: 4, classCount: 3, rng: rng)
        let normalized = try head.rewritingLayers { ($0 as? any WeightedLayer).map { SpectralNorm($0, rng: rng) } }
        let sn = try XCTUnwrap(normalized as? ProjectionDiscriminatorHead)
        XCTAssertTrue(sn.linear is SpectralNorm)
        XCTAssertTrue(sn.embedding is SpectralNorm)
        XCTAssertEqual(sn.namedParameters.map(\.name), head.namedParameters.map(\.name))
        XCTAssertEqual(
            sn.namedBuffers.map(\.name), ["linear.sn_u", "linear.sn_v", "embedding.sn_u", "embedding.sn_v"])
        let phi = Tensor.normal([2, 4], using: rng)
        XCTAssertEqual(sn(phi, labels: [1, 2]).shape, [2, 1])
        let wrapped = sn.embedding as! SpectralNorm
        sn.eval()
        let table = (head.embedding as! Embedding).table
        let expected = withoutGrad { (table / wrapped.sigma).gathering([2, 0]) }
        assertClose(withoutGrad { wrapped(Tensor([2, 0])) }.scalars, expected.scalars, tolerance: 1e-6)
    }

    // MARK: Self-attention

    func testSelfAttentionStartsAsTheIdentityAndMatchesLoops() {
        let rng = RandomGenerator(seed: 8)
        for (pooling, shape) in [(true, [2, 4, 4, 8]), (false, [1, 3, 2, 16])] {
            let attention = SelfAttention(channels: shape[3], pooling: pooling, rng: rng)
            let x = Tensor.normal(shape, using: rng)
            XCTAssertEqual(attention.gamma.scalars, [0])
            XCTAssertEqual(attention(x).scalars, x.scalars, "γ = 0: the identity")
            attention.gamma.assign(Tensor([0.7]))
            let y = attention(x)
            XCTAssertEqual(y.shape, shape)
            assertClose(y.scalars, naiveAttention(x, attention), tolerance: 1e-4)
        }
    }

    /// Inputs on a ramp over the pixels, with positive key and value kernels: every channel of g
    /// and h grows along the ramp, so each 2×2 pooling window has one clear maximum, far (≥ 0.016)
    /// from a tie at the finite differences' step (which moves g by at most 0.0025).
    func testSelfAttentionGradients() {
        let rng = RandomGenerator(seed: 9)
        let attention = SelfAttention(channels: 8, rng: rng)
        attention.gamma.assign(Tensor([0.7]))
        (attention.key as! Conv2D).kernel.assign(Tensor.uniform([1, 1, 8, 1], low: 0.05, high: 0.25, using: rng))
        (attention.value as! Conv2D).kernel.assign(Tensor.uniform([1, 1, 8, 4], low: 0.2, high: 1, using: rng))
        let (h, w, c) = (4, 4, 8)
        var ramp: [Float] = []
        for pixel in 0..<(h * w) {
            for _ in 0..<c { ramp.append(0.05 * Float(pixel) + 0.01 * rng.uniform() - 0.005) }
        }
        let x = Tensor(ramp, shape: [1, h, w, c])
        let f: (Tensor) -> Tensor = { attention($0) }
        let first = check.check([x]) { f($0[0]) }
        XCTAssertTrue(first.isEmpty, "\(first.prefix(3))")
        let second = check.checkSecondOrder([x]) { f($0[0]) }
        XCTAssertTrue(second.isEmpty, "\(second.prefix(3))")
        let parameters = parameterGradientMismatches(attention, weightedOutput(x, f))
        XCTAssertTrue(parameters.isEmpty, "\(parameters.prefix(3))")
        let penalty = parameterGradientMismatches(attention, inputGradientPenalty(x, f))
        XCTAssertTrue(penalty.isEmpty, "penalty: \(penalty.prefix(3))")
    }

    func testSelfAttentionTreeRewriteAndSaveLoad() throws {
        let rng = RandomGenerator(seed: 10)
        let attention = SelfAttention(channels: 16, rng: rng)
        XCTAssertEqual(attention.children.map(\.name), ["query", "key", "value", "output"])
        XCTAssertEqual(
            attention.namedParameters.map(\.name),
            ["gamma", "query.kernel", "key.kernel", "value.kernel", "output.kernel"])
        XCTAssertEqual(attention.parameterCount, 1 + 16 * 2 + 16 * 2 + 16 * 8 + 8 * 16)
        attention.gamma.assign(Tensor([0.3]))
        let x = Tensor.normal([2, 4, 4, 16], using: rng)
        let loaded = SelfAttention(channels: 16, rng: RandomGenerator(seed: 11))
        try roundTrip(attention, into: loaded)
        assertClose(loaded(x).scalars, attention(x).scalars, tolerance: 1e-6)
        // Spectral norm on every convolution; γ is shared, not copied.
        let normalized = try attention.rewritingLayers {
            ($0 as? any WeightedLayer).map { SpectralNorm($0, rng: rng) }
        }
        let sn = try XCTUnwrap(normalized as? SelfAttention)
        XCTAssertTrue([sn.query, sn.key, sn.value, sn.output].allSatisfy { $0 is SpectralNorm })
        XCTAssertTrue(sn.gamma === attention.gamma)
        XCTAssertEqual(sn.namedParameters.map(\.name), attention.namedParameters.map(\.name))
        XCTAssertEqual(sn.namedBuffers.count, 8)
        XCTAssertEqual(sn(x).shape, x.shape)
    }

    // MARK: Minibatch standard deviation

    /// x = [[1, 0], [2, 4], [3, 8], [6, 4]] as [4, 1, 1, 2]. Groups of 2 are strided: examples 0
    /// and 2 (standard deviations 1 and 4, σ = 2.5), 1 and 3 (2 and √ε = 1e-4, σ = 1.00005). The
    /// whole batch: standard deviations √3.5 and √8, σ = 2.349627909.
    func testMinibatchStandardDeviationHandComputed() {
        let x = Tensor([1, 0, 2, 4, 3, 8, 6, 4], shape: [4, 1, 1, 2])
        let pairs = MinibatchStandardDeviation(groupSize: 2)(x)
        XCTAssertEqual(pairs.shape, [4, 1, 1, 3])
        assertClose(pairs.scalars, [1, 0, 2.5, 2, 4, 1.000_05, 3, 8, 2.5, 6, 4, 1.000_05], tolerance: 1e-6)
        let whole: Float = 2.349_627_909
        for layer in [MinibatchStandardDeviation(groupSize: nil), MinibatchStandardDeviation()] {
            assertClose(layer(x).scalars, [1, 0, whole, 2, 4, whole, 3, 8, whole, 6, 4, whole], tolerance: 1e-6)
        }
        // A group larger than the batch is the batch; [batch, features] works the same way.
        assertClose(
            MinibatchStandardDeviation(groupSize: 8)(x.reshaped([4, 2])).scalars,
            [1, 0, whole, 2, 4, whole, 3, 8, whole, 6, 4, whole], tolerance: 1e-6)
        // Each pixel of an image gets the constant.
        let images = Tensor.normal([4, 2, 3, 5], using: RandomGenerator(seed: 12))
        let y = MinibatchStandardDeviation(groupSize: 2)(images)
        XCTAssertEqual(y.shape, [4, 2, 3, 6])
        XCTAssertEqual(y.slice(alongAxis: 3, 0..<5).scalars, images.scalars)
        let added = y.slice(alongAxis: 3, 5..<6).scalars
        XCTAssertEqual(Set(added[0..<6]).count, 1)
        XCTAssertEqual(Array(added[0..<6]), Array(added[12..<18]), "examples 0 and 2 share a group")
        XCTAssertTrue(MinibatchStandardDeviation().namedParameters.isEmpty)
    }

    /// Groups of 4: a standard deviation of two values is |a − b|/2, with a kink where they meet.
    func testMinibatchStandardDeviationGradients() {
        let layer = MinibatchStandardDeviation(groupSize: 4)
        let x = Tensor.normal([8, 2, 2, 3], using: RandomGenerator(seed: 13))
        let first = check.check([x]) { layer($0[0]) }
        XCTAssertTrue(first.isEmpty, "\(first.prefix(3))")
        let second = check.checkSecondOrder([x]) { layer($0[0]) }
        XCTAssertTrue(second.isEmpty, "\(second.prefix(3))")
    }
}

// MARK: Helpers

/// Σ w ⊙ f(x) with fixed random weights w in [0.5, 1.5]: a scalar that sees every output.
private func weightedOutput(_ x: Tensor, _ f: @escaping (Tensor) -> Tensor) -> () -> Tensor {
    let w = Tensor.uniform(withoutGrad { f(x) }.shape, low: 0.5, high: 1.5, using: RandomGenerator(seed: 21))
    return { (f(x) * w).sum() }
}

/// R1's and WGAN-GP's shape: Σ v ⊙ ∇ₓ(Σ w ⊙ f(x)), with the input gradient recorded
/// (`createGraph: true`) so that it can be differentiated again, with respect to the parameters.
private func inputGradientPenalty(_ x: Tensor, _ f: @escaping (Tensor) -> Tensor) -> () -> Tensor {
    let rng = RandomGenerator(seed: 22)
    let w = Tensor.uniform(withoutGrad { f(x) }.shape, low: 0.5, high: 1.5, using: rng)
    let v = Tensor.uniform(x.shape, low: 0.5, high: 1.5, using: rng)
    return {
        let leaf = x.copy().requiringGradient()
        let g = gradients(of: (f(leaf) * w).sum(), withRespectTo: [leaf], createGraph: true)[0]
        return (g * v).sum()
    }
}

/// The elements of `module`'s parameters where the gradient of `loss` differs from central finite
/// differences, each element moved by ±step in place (as ``GradientCheck`` does for inputs).
private func parameterGradientMismatches(
    _ module: any Module, _ loss: () -> Tensor, step: Float = 1e-2, absoluteTolerance: Double = 2e-3,
    relativeTolerance: Double = 2e-2
) -> [String] {
    let parameters = module.namedParameters
    let analytic = gradients(of: loss(), withRespectTo: parameters.map(\.tensor))
    var mismatches: [String] = []
    for (parameter, gradient) in zip(parameters, analytic) {
        let p = parameter.tensor
        for j in 0..<p.count {
            let saved = p.data[j]
            p.data[j] = saved + step
            let plus = Double(loss().scalar)
            p.data[j] = saved - step
            let minus = Double(loss().scalar)
            p.data[j] = saved
            let numeric = (plus - minus) / (Double(saved + step) - Double(saved - step))
            let a = Double(gradient.data[j])
            if abs(a - numeric) > absoluteTolerance + relativeTolerance * max(abs(a), abs(numeric)) || !a.isFinite {
                mismatches.append("\(parameter.name)[\(j)]: analytic \(a), numeric \(numeric)")
            }
        }
    }
    return mismatches
}

/// A save and a load through a safetensors file: every parameter and buffer arrives.
private func roundTrip(_ saved: any Module, into loaded: any Module) throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
        "conditional-layers-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let url = folder.appendingPathComponent("module.safetensors")
    try saved.save(to: url)
    XCTAssertNotEqual(
        loaded.namedState.map { $0.tensor.scalars }, saved.namedState.map { $0.tensor.scalars }, "the two start apart")
    try loaded.load(from: url)
    XCTAssertEqual(loaded.namedState.map(\.name), saved.namedState.map(\.name))
    for (a, b) in zip(saved.namedState, loaded.namedState) {
        XCTAssertEqual(a.tensor.scalars, b.tensor.scalars, a.name)
    }
}

/// BigGAN's attention by loops over Doubles, from the layer's 1×1 kernels and γ: f = x·Wf,
/// g = pool(x·Wg), h = pool(x·Wh), β = softmax over keys of f·g, y = x + γ·(β·h)·Wo.
private func naiveAttention(_ x: Tensor, _ layer: SelfAttention) -> [Float] {
    let (n, h, w, c) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let kernels = [layer.query, layer.key, layer.value, layer.output].map { ($0 as! Conv2D).kernel }
    let gamma = Double(layer.gamma.scalars[0])
    // v·kernel for a 1×1 kernel [1, 1, in, out].
    func project(_ v: [Double], _ kernel: Tensor) -> [Double] {
        (0..<kernel.shape[3]).map { o in
            (0..<kernel.shape[2]).reduce(0.0) { $0 + v[$1] * Double(kernel[0, 0, $1, o]) }
        }
    }
    // The maximum of each 2×2 window, channel by channel.
    func pooled(_ maps: [[Double]]) -> [[Double]] {
        var out: [[Double]] = []
        for i in stride(from: 0, to: h, by: 2) {
            for j in stride(from: 0, to: w, by: 2) {
                let window = [maps[i * w + j], maps[i * w + j + 1], maps[(i + 1) * w + j], maps[(i + 1) * w + j + 1]]
                out.append((0..<window[0].count).map { k in window.map { $0[k] }.max()! })
            }
        }
        return out
    }
    var result: [Float] = []
    for b in 0..<n {
        let pixels = (0..<(h * w)).map { p in (0..<c).map { Double(x[b, p / w, p % w, $0]) } }
        let queries = pixels.map { project($0, kernels[0]) }
        var keys = pixels.map { project($0, kernels[1]) }
        var values = pixels.map { project($0, kernels[2]) }
        if layer.pooling {
            keys = pooled(keys)
            values = pooled(values)
        }
        for p in 0..<(h * w) {
            let logits = keys.map { key in zip(queries[p], key).reduce(0.0) { $0 + $1.0 * $1.1 } }
            let top = logits.max()!
            let e = logits.map { Foundation.exp($0 - top) }
            let total = e.reduce(0, +)
            var attended = [Double](repeating: 0, count: values[0].count)
            for (k, value) in values.enumerated() {
                for d in 0..<value.count { attended[d] += e[k] / total * value[d] }
            }
            let o = project(attended, kernels[3])
            for channel in 0..<c { result.append(Float(pixels[p][channel] + gamma * o[channel])) }
        }
    }
    return result
}
