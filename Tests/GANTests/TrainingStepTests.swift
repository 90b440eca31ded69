import SwiftGANDatasets
import SwiftGANNN
import SwiftGANTensors
import SwiftGANTraining
import XCTest

final class TrainingStepTests: XCTestCase {
    /// The single discriminator pass over real and fake together (used when D has no batch
    /// statistics) gives the same loss and gradients as the two separate passes it replaces.
    func testJointDiscriminatorPassEqualsSeparatePasses() throws {
        let rng = RandomGenerator(seed: 3)
        let model = try ModelZoo.make("curve-gan", rng: rng)
        let d = model.discriminator
        let real = Tensor.normal([8, 16], using: rng), fake = Tensor.normal([8, 16], using: rng)
        let ones = Tensor.ones([8, 1]), zeros = Tensor.zeros([8, 1])
        let separate =
            (binaryCrossEntropy(logits: d(real), targets: ones) + binaryCrossEntropy(logits: d(fake), targets: zeros))
            * 0.5
        let both = d(Tensor.concatenate([real, fake], alongAxis: 0))
        let joint =
            (binaryCrossEntropy(logits: both.slice(alongAxis: 0, 0..<8), targets: ones)
                + binaryCrossEntropy(logits: both.slice(alongAxis: 0, 8..<16), targets: zeros)) * 0.5
        XCTAssertEqual(separate.scalar, joint.scalar, accuracy: 1e-6)
        let a = gradients(of: separate, withRespectTo: d.parameters),
            b = gradients(of: joint, withRespectTo: d.parameters)
        for (x, y) in zip(a, b) { assertClose(x.scalars, y.scalars, tolerance: 1e-5) }
    }

    /// `generatorSteps: 2` makes two generator updates per step (the second on fresh noise) and
    /// one discriminator update.
    func testTwoGeneratorUpdatesPerStep() throws {
        let rng = RandomGenerator(seed: 4)
        let model = try ModelZoo.make("curve-gan", rng: rng)
        let step = GANTrainingStep(model: model, generatorSteps: 2, rng: rng)
        for _ in 0..<3 { XCTAssertTrue(step(real: QuadraticCurves.sample(8, using: rng)).isFinite) }
        XCTAssertEqual(step.generatorOptimizer.stepCount, 6)
        XCTAssertEqual(step.discriminatorOptimizer.stepCount, 3)
    }

    /// A steady dcgan training step (convolutions, BatchNorm, dropout, Adam) takes every tensor
    /// buffer from the pool, on each convolution backend this machine has.
    func testSteadyConvolutionalStepAllocatesNothingNew() throws {
        for backend in ConvolutionBackend.allCases where backend == .portable || ConvolutionBackend.isOneDNNAvailable {
            try ConvolutionBackend.with(backend) {
                let rng = RandomGenerator(seed: 6)
                let model = try ModelZoo.make("dcgan", rng: rng)
                let step = GANTrainingStep(model: model, rng: rng)
                let real = Tensor.uniform([4, 28, 28, 1], low: -1, high: 1, using: rng)
                for _ in 0..<3 { _ = step(real: real) }
                let before = BufferPool.shared.statistics
                for _ in 0..<3 { XCTAssertTrue(step(real: real).isFinite) }
                let after = BufferPool.shared.statistics
                XCTAssertEqual(after.freshAllocations, before.freshAllocations, "\(backend)")
                XCTAssertGreaterThan(after.reuses, before.reuses)
            }
        }
    }
}

func assertClose(_ a: [Float], _ b: [Float], tolerance: Float, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, file: file, line: line)
    for (i, (x, y)) in zip(a, b).enumerated() where abs(x - y) > tolerance * max(1, abs(y)) {
        XCTFail("element \(i): \(x) vs \(y)", file: file, line: line)
        return
    }
}

/// The convolution backends agree on a whole dcgan training step's losses and gradients (D on
/// real + fake, G through D, BatchNorm and dropout included) at the model's batch size.
final class BackendAgreementTests: XCTestCase {
    func lossesAndGradientsOfOneStep(_ backend: ConvolutionBackend) throws -> (d: [Tensor], g: [Tensor]) {
        try ConvolutionBackend.with(backend) {
            let rng = RandomGenerator(seed: 11)
            let model = try ModelZoo.make("dcgan", rng: rng)
            let (g, d) = (model.generator, model.discriminator)
            let real = Tensor.uniform([32, 28, 28, 1], low: -1, high: 1, using: rng)
            let fake = g(Tensor.normal([32, 100], using: rng))
            let targets = Tensor.concatenate([Tensor.ones([32, 1]), Tensor.zeros([32, 1])], alongAxis: 0)
            let dLoss = binaryCrossEntropy(
                logits: d(Tensor.concatenate([real, fake.detached()], alongAxis: 0)), targets: targets)
            let gLoss = binaryCrossEntropy(logits: d(fake), targets: Tensor.ones([32, 1]))
            return (
                [dLoss, gLoss] + gradients(of: dLoss, withRespectTo: d.parameters),
                gradients(of: gLoss, withRespectTo: g.parameters)
            )
        }
    }

    func testOneDNNAndPortableGiveTheSameStep() throws {
        try XCTSkipUnless(ConvolutionBackend.isOneDNNAvailable, "oneDNN is not loaded here")
        let a = try lossesAndGradientsOfOneStep(.oneDNN), b = try lossesAndGradientsOfOneStep(.portable)
        // Each convolution pass agrees to 1e-7–2e-6 of its scale (ConvolutionBackendTests). D's
        // losses and gradients stay within 1e-4. G's gradients pass back through D and two batch
        // normalizations, whose backward subtracts batch means and amplifies rounding: changing
        // the noise by a random 2e-6 of itself moves them by up to 0.5% of their scale on one
        // backend alone. 2% still fails any wrong rule, whose errors are of the order of the scale.
        for (tolerance, (xs, ys)) in [(Float(1e-4), (a.d, b.d)), (2e-2, (a.g, b.g))] {
            XCTAssertEqual(xs.count, ys.count)
            for (i, (x, y)) in zip(xs, ys).enumerated() {
                let scale = y.scalars.map(abs).max() ?? 0
                let worst = zip(x.scalars, y.scalars).map { abs($0 - $1) }.max() ?? 0
                XCTAssertLessThanOrEqual(
                    worst, tolerance * scale + 1e-7,
                    "tensor \(i) (\(describe(y.shape))): worst difference \(worst) of scale \(scale)")
            }
        }
    }
}
