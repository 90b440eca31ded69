import Foundation
import SwiftGANArtifacts
import SwiftGANNN
import SwiftGANTensors
import SwiftGANTraining
import XCTest

/// The limited-data tricks: LeCam regularization (`--lecam`) and ADA's adaptive augmentation
/// probability (`--ada`), each against values worked out by hand or by finite differences, on a
/// discriminator whose outputs the test sets, and in a run that is stopped and resumed.
final class LimitedDataTests: XCTestCase {
    /// E[relu(D(x) − α_F)²] + E[relu(α_R − D(G(z)))²] by a naive loop in Double.
    func naiveLeCam(_ real: [Float], _ fake: [Float], realAverage: Double, fakeAverage: Double) -> Double {
        let above = real.map { max(0, Double($0) - fakeAverage) }, below = fake.map { max(0, realAverage - Double($0)) }
        return above.map { $0 * $0 }.reduce(0, +) / Double(real.count)
            + below.map { $0 * $0 }.reduce(0, +) / Double(fake.count)
    }

    /// D(x) = (0.5, −1, 2), D(G(z)) = (2, −0.3, 0.4), α_R = 0.2, α_F = 0.1: relu(D(x) − α_F)² =
    /// (0.16, 0, 3.61), mean 1.256667; relu(α_R − D(G(z)))² = (0, 0.25, 0), mean 0.083333;
    /// together 1.34, and 0.402 at λ 0.3. On random outputs, the naive loop's value.
    func testLeCamPenaltyMatchesHandComputedValues() throws {
        let real = Tensor([0.5, -1, 2], shape: [3, 1]), fake = Tensor([2, -0.3, 0.4], shape: [3, 1])
        XCTAssertEqual(
            LeCamRegularizer.penalty(real: real, fake: fake, realAverage: 0.2, fakeAverage: 0.1).scalar, 1.34,
            accuracy: 1e-5)
        let lecam = LeCamRegularizer(weight: 0.3)
        try lecam.load(realAverage: 0.2, fakeAverage: 0.1, updates: 7)
        XCTAssertEqual(lecam.penalty(real: real, fake: fake).scalar, 0.402, accuracy: 1e-5)
        XCTAssertEqual(lecam.name, "lecam")

        let rng = RandomGenerator(seed: 3)
        let r = Tensor.normal([16, 1], using: rng), f = Tensor.normal([16, 1], using: rng)
        let expected = naiveLeCam(r.scalars, f.scalars, realAverage: 0.3, fakeAverage: -0.2)
        XCTAssertGreaterThan(expected, 0)
        XCTAssertEqual(
            Double(LeCamRegularizer.penalty(real: r, fake: f, realAverage: 0.3, fakeAverage: -0.2).scalar), expected,
            accuracy: 1e-5 * max(1, expected))
        XCTAssertThrowsError(try lecam.load(realAverage: .nan, fakeAverage: 0, updates: 1)) {
            XCTAssertTrue("\($0)".contains("damaged"), "\($0)")
        }
    }

    /// α ← mean at the first update, then α ← d·α + (1 − d)·mean with d = min(0.99, (1 + t)/(10 + t)):
    /// written out for five updates; d reaches 0.99 after 890.
    func testLeCamAveragesFollowTheFormula() {
        let lecam = LeCamRegularizer(weight: 1)
        var expected = (real: 0.0, fake: 0.0)
        let batches: [([Float], [Float])] = [
            ([1, 3], [-1, 0]), ([0.5, 0.5], [2, -4]), ([-2, 0], [1, 1]), ([4, 2], [0, -2]), ([7, -1], [3, 3]),
        ]
        for (t, (r, f)) in batches.enumerated() {
            let d = t == 0 ? 0 : min(0.99, Double(1 + t) / Double(10 + t))
            XCTAssertEqual(Double(lecam.currentDecay), d, accuracy: 1e-7, "update \(t)")
            lecam.update(real: Tensor(r, shape: [2, 1]), fake: Tensor(f, shape: [2, 1]))
            let (mr, mf) = (Double(r[0] + r[1]) / 2, Double(f[0] + f[1]) / 2)
            expected = (d * expected.real + (1 - d) * mr, d * expected.fake + (1 - d) * mf)
            XCTAssertEqual(Double(lecam.realAverage), expected.real, accuracy: 1e-6, "update \(t)")
            XCTAssertEqual(Double(lecam.fakeAverage), expected.fake, accuracy: 1e-6, "update \(t)")
        }
        XCTAssertEqual(lecam.updates, 5)
        for _ in 5..<1000 { lecam.update(real: Tensor([0], shape: [1, 1]), fake: Tensor([0], shape: [1, 1])) }
        XCTAssertEqual(lecam.currentDecay, 0.99)
    }

    /// The penalty's gradient, through a small D to its weights and to D's outputs themselves,
    /// matches finite differences (the averages inside the outputs' range, so each term has
    /// examples on both sides of its hinge).
    func testLeCamGradientMatchesFiniteDifferences() {
        let rng = RandomGenerator(seed: 23)
        let x = Tensor.normal([6, 4], using: rng), z = Tensor.normal([6, 4], using: rng)
        let p = [Tensor.normal([4, 5], std: 0.7, using: rng), Tensor.normal([5, 1], std: 0.7, using: rng)]
        func d(_ q: [Tensor], _ input: Tensor) -> Tensor { input.matmul(q[0]).tanh().matmul(q[1]) }
        let (fakeAverage, realAverage) = withoutGrad { (d(p, x).mean().scalar, d(p, z).mean().scalar) }
        let check = GradientCheck(step: 1e-2, absoluteTolerance: 1e-3, relativeTolerance: 1e-2)
        let throughD = check.check(p) { q in
            LeCamRegularizer.penalty(
                real: d(q, x), fake: d(q, z), realAverage: realAverage, fakeAverage: fakeAverage) * 0.3
        }
        XCTAssertTrue(throughD.isEmpty, "\(throughD.prefix(5))")
        let outputs = withoutGrad { [d(p, x), d(p, z)] }
        let direct = check.check(outputs) { o in
            LeCamRegularizer.penalty(real: o[0], fake: o[1], realAverage: realAverage, fakeAverage: fakeAverage)
        }
        XCTAssertTrue(direct.isEmpty, "\(direct.prefix(5))")
        // Both hinges are active for some examples and not for others.
        XCTAssertTrue(
            outputs[0].scalars.contains { $0 > fakeAverage } && outputs[0].scalars.contains { $0 < fakeAverage })
        XCTAssertTrue(
            outputs[1].scalars.contains { $0 < realAverage } && outputs[1].scalars.contains { $0 > realAverage })
    }

    /// One training step with `--lecam 0.3` against the same step without: D's loss is larger by
    /// exactly the reported penalty, D's update (plain SGD, so it is the gradient) differs, and the
    /// penalty is computed with averages already updated from this update's outputs (the official
    /// code's order): at the first update, the means of D(x) and D(G(z)) themselves.
    func testLeCamChangesDsLossAndGradient() throws {
        func oneStep(lecam: Float?) throws -> (metrics: StepMetrics, model: GANModel, step: GANTrainingStep) {
            let rng = RandomGenerator(seed: 12)
            let model = try ModelZoo.make("curve-gan", rng: rng)
            var recipe = try TrainConfig().recipe(for: model)
            recipe.discriminatorOptimizer = .sgd(learningRate: 0.1, momentum: 0)
            recipe.lecamWeight = lecam
            let step = GANTrainingStep(model: model, recipe: recipe, rng: rng)
            // "Real" curves from G itself: D's outputs on real and fake overlap, so both hinges
            // have examples past them whatever D's initialization.
            let real = withoutGrad { model.generatorOutput(noise: model.noise(16, using: rng), labels: nil) }
            return (step(real: real), model, step)
        }
        // D's outputs in the first update, worked out beside it: the step's first draws are its
        // fakes' noise (fixed targets draw nothing).
        let rng = RandomGenerator(seed: 12)
        let model = try ModelZoo.make("curve-gan", rng: rng)
        _ = GANTrainingStep(model: model, rng: rng)
        let real = withoutGrad { model.generatorOutput(noise: model.noise(16, using: rng), labels: nil) }
        let (dReal, dFake) = withoutGrad {
            (
                model.discriminatorOutput(real, labels: nil),
                model.discriminatorOutput(
                    model.generatorOutput(noise: model.noise(16, using: rng), labels: nil), labels: nil)
            )
        }
        let (realMean, fakeMean) = (dReal.mean().scalar, dFake.mean().scalar)
        let expected =
            LeCamRegularizer.penalty(
                real: dReal, fake: dFake, realAverage: realMean, fakeAverage: fakeMean
            ).scalar * 0.3
        let stale = LeCamRegularizer.penalty(real: dReal, fake: dFake, realAverage: 0, fakeAverage: 0).scalar * 0.3

        let with = try oneStep(lecam: 0.3), without = try oneStep(lecam: nil)
        let penalty = try XCTUnwrap(with.metrics.extra("lecam"))
        XCTAssertGreaterThan(penalty, 0)
        XCTAssertEqual(penalty, expected, accuracy: 1e-5 * max(1, expected))
        XCTAssertGreaterThan(abs(expected - stale), 1e-4, "the test tells the two orders apart")
        XCTAssertNil(without.metrics.extra("lecam"))
        XCTAssertEqual(
            with.metrics.discriminatorLoss - without.metrics.discriminatorLoss, penalty, accuracy: 1e-5,
            "D's loss gains the penalty")
        let lecam = try XCTUnwrap(with.step.lecam)
        XCTAssertEqual(lecam.updates, 1)
        XCTAssertEqual(lecam.realAverage, realMean, accuracy: 1e-5)
        XCTAssertEqual(lecam.fakeAverage, fakeMean, accuracy: 1e-5)
        let changed = zip(with.model.discriminator.parameters, without.model.discriminator.parameters).filter {
            $0.scalars != $1.scalars
        }
        XCTAssertFalse(changed.isEmpty, "the penalty's gradient reaches D's update")
    }

    /// ADA's rule on outputs the test writes: p moves only every 4th update, by
    /// sign(r_t − target)·32/1000 for 4 batches of 8 at kimg 1, up when most real outputs are
    /// positive, down when fewer are than the target asks, and stays within [0, 1]. The
    /// objective's threshold is where a sign is read from.
    func testAdaptiveProbabilityFollowsTheSigns() throws {
        let ada = AdaptiveAugment(AdaptiveAugment.Settings(target: 0.6, kimg: 1))
        func batch(positives: Int) -> Tensor { Tensor((0..<8).map { $0 < positives ? Float(2) : -3 }, shape: [8, 1]) }
        for _ in 0..<3 { ada.observe(realOutputs: batch(positives: 7)) }
        XCTAssertEqual(ada.probability, 0, "adjusted every 4 D updates only")
        XCTAssertNil(ada.signMean)
        XCTAssertEqual(ada.reportedSignMean, 0.75, "logged before the first adjustment: the signs so far")
        ada.observe(realOutputs: batch(positives: 7))
        XCTAssertEqual(ada.signMean, 0.75, "(7 − 1)/8")
        XCTAssertEqual(ada.probability, 0.032, accuracy: 1e-7)
        XCTAssertEqual([ada.signSum, ada.images, ada.updates], [0, 0, 4])
        // r_t = (6 − 2)/8 = 0.5 < 0.6: down again.
        for _ in 0..<4 { ada.observe(realOutputs: batch(positives: 6)) }
        XCTAssertEqual(ada.signMean, 0.5)
        XCTAssertEqual(ada.probability, 0)
        // Mostly negative: p stays at 0.
        for _ in 0..<8 { ada.observe(realOutputs: batch(positives: 1)) }
        XCTAssertEqual(ada.probability, 0)
        XCTAssertEqual(ada.signMean, -0.75)
        // All positive for long: p climbs to 1 and stays there.
        var seen: [Float] = []
        for _ in 0..<160 {
            ada.observe(realOutputs: batch(positives: 8))
            seen.append(ada.probability)
        }
        XCTAssertTrue(seen.allSatisfy { (0...1).contains($0) }, "\(seen)")
        XCTAssertEqual(seen.last, 1)
        XCTAssertEqual(seen.filter { $0 == 1 }.count, 160 - (4 * 32 - 1), "1 from the 32nd adjustment on")

        // LSGAN's outputs are read against 0.5: 0.3 everywhere is "fake" though positive.
        let lsgan = AdaptiveAugment(AdaptiveAugment.Settings(target: 0.6, kimg: 1))
        for _ in 0..<4 { lsgan.observe(realOutputs: Tensor.full(0.3, shape: [8, 1]), threshold: 0.5) }
        XCTAssertEqual(lsgan.signMean, -1)
        XCTAssertThrowsError(try lsgan.load(probability: 1.5, signMean: nil, signSum: 0, images: 0, updates: 0))
        XCTAssertThrowsError(try lsgan.load(probability: 0.5, signMean: nil, signSum: 9, images: 8, updates: 1))
    }

    /// A generator of 8×8 images and a D whose output the test sets: zero weights and a bias of 5,
    /// so D(x) ≈ 5 for every image, real or fake ("real" everywhere: an overfitting D's signal).
    func controlledModel(_ rng: RandomGenerator) -> (model: GANModel, head: Dense) {
        let head = Dense(64, 1, weightInitializer: .zeros, biasInitializer: .constant(5), rng: rng)
        let model = GANModel(
            name: "controlled", generator: Sequential([Dense(4, 64, rng: rng), Tanh(), Reshape([8, 8, 1])]),
            discriminator: Sequential([Flatten(), head]), noiseSize: 4,
            sample: .images(height: 8, width: 8, channels: 1), dataRange: -1...1,
            source: SourceSettings(learningRate: 1e-4, beta1: 0.5, batchSize: 8))
        return (model, head)
    }

    /// ADA in training steps on the controlled D: with D(x) ≈ +5, r_t = 1 > 0.6 and p rises by
    /// 4·8/(0.1·1000) = 0.32 every 4 steps; with D(x) ≈ −5, r_t = −1 and p falls back to 0 and
    /// stays; positive again for long, it reaches 1 and stays. history's `ada_p` and `ada_rt` say so.
    func testADARaisesPWhenDOverfitsAndLowersItWhenNot() throws {
        let rng = RandomGenerator(seed: 8)
        let (model, head) = controlledModel(rng)
        var recipe = TrainingRecipe(model: model)
        // A tiny rate: D's outputs stay within a few hundredths of the bias the test sets.
        (recipe.discriminatorOptimizer, recipe.generatorOptimizer) = (
            .sgd(learningRate: 1e-4, momentum: 0), .sgd(learningRate: 1e-4, momentum: 0)
        )
        recipe.augment = try DiffAugment(AdaptiveAugment.defaultPolicies)
        recipe.adaptiveAugment = AdaptiveAugment.Settings(target: 0.6, kimg: 0.1)
        let step = GANTrainingStep(model: model, recipe: recipe, rng: rng)
        func run(_ steps: Int) -> [StepMetrics] {
            (0..<steps).map { _ in step(real: Tensor.uniform([8, 8, 8, 1], low: -1, high: 1, using: rng)) }
        }
        var metrics = run(8)
        XCTAssertEqual(metrics[2].extra("ada_p"), 0)
        XCTAssertEqual(metrics[2].extra("ada_rt"), 1)
        XCTAssertEqual(try XCTUnwrap(metrics[3].extra("ada_p")), 0.32, accuracy: 1e-6)
        XCTAssertEqual(try XCTUnwrap(metrics[7].extra("ada_p")), 0.64, accuracy: 1e-6)
        XCTAssertEqual(metrics[7].extra("ada_rt"), 1)

        head.bias!.assign(Tensor([-5]))
        metrics = run(12)
        XCTAssertEqual(try XCTUnwrap(metrics[3].extra("ada_p")), 0.32, accuracy: 1e-6)
        XCTAssertEqual(metrics[3].extra("ada_rt"), -1)
        XCTAssertEqual(metrics[11].extra("ada_p"), 0)

        head.bias!.assign(Tensor([5]))
        metrics = run(24)
        XCTAssertEqual(metrics.last?.extra("ada_p"), 1)
        XCTAssertTrue(metrics.allSatisfy { (0...1).contains($0.extra("ada_p")!) })
        XCTAssertEqual(step.adaptiveAugment?.updates, 44)
    }

    /// With a probability, a policy changes whole images, each chosen by its own draw: p = 0 is
    /// the batch itself, p = 1 is DiffAugment after the choice draws, p = ½ gives each image its
    /// own or DiffAugment's version as its draw says; p never changes the draws that follow, and
    /// the blend is differentiable.
    func testAugmentationProbabilityChoosesWholeImages() throws {
        let (n, size) = (16, 8 * 8 * 3)
        let x = Tensor.uniform([n, 8, 8, 3], low: -1, high: 1, using: RandomGenerator(seed: 2))
        let all = try DiffAugment("color,translation,cutout")
        let (r0, r1) = (RandomGenerator(seed: 9), RandomGenerator(seed: 9))
        XCTAssertEqual(all(x, range: -1...1, probability: 0, using: r0).scalars, x.scalars)
        let full = all(x, range: -1...1, probability: 1, using: r1)
        XCTAssertEqual(r0.state, r1.state, "p does not change the draws")
        let skip = RandomGenerator(seed: 9)
        _ = Tensor.uniform([3 * n], using: skip)
        XCTAssertEqual(full.scalars, all(x, range: -1...1, using: skip).scalars, "p = 1 is DiffAugment")
        XCTAssertNotEqual(full.scalars, x.scalars)

        let color = try DiffAugment("color")
        let half = color(x, range: -1...1, probability: 0.5, using: RandomGenerator(seed: 4))
        let u = Tensor.uniform([n], using: RandomGenerator(seed: 4)).scalars
        let after = RandomGenerator(seed: 4)
        _ = Tensor.uniform([n], using: after)
        let colored = color(x, range: -1...1, using: after)
        XCTAssertTrue(u.contains { $0 < 0.5 } && u.contains { $0 >= 0.5 }, "both kinds of image: \(u)")
        for i in 0..<n {
            let expected = u[i] < 0.5 ? colored : x
            XCTAssertEqual(
                Array(half.scalars[(i * size)..<((i + 1) * size)]),
                Array(expected.scalars[(i * size)..<((i + 1) * size)]), "image \(i)")
        }
        let check = GradientCheck(step: 1e-2, absoluteTolerance: 1e-3, relativeTolerance: 1e-2)
        let mismatches = check.check([x]) { t in
            color(t[0], range: -1...1, probability: 0.5, using: RandomGenerator(seed: 4))
        }
        XCTAssertTrue(mismatches.isEmpty, "\(mismatches.prefix(5))")
    }

    /// `--ada` without `--diffaugment` augments with all three policies; `--ada-kimg` needs
    /// `--ada`; neither applies to curves; the recipe says what it does.
    func testOptionsMakeTheRecipe() throws {
        let model = try ModelZoo.make("mlp-gan", rng: RandomGenerator(seed: 0))
        var config = TrainConfig()
        config.ada = 0.6
        config.lecam = 0.3
        let recipe = try config.recipe(for: model)
        XCTAssertEqual(recipe.augment, try DiffAugment("color,translation,cutout"))
        XCTAssertEqual(recipe.adaptiveAugment, AdaptiveAugment.Settings(target: 0.6, kimg: 500, interval: 4))
        XCTAssertEqual(recipe.lecamWeight, 0.3)
        XCTAssertTrue(recipe.summary.contains("ADA color,translation,cutout"), recipe.summary)
        XCTAssertTrue(recipe.summary.contains("LeCam λ 0.3"), recipe.summary)
        config.diffAugment = "cutout"
        config.adaKimg = 20
        let cut = try config.recipe(for: model)
        XCTAssertEqual(cut.augment, try DiffAugment("cutout"))
        XCTAssertEqual(cut.adaptiveAugment?.kimg, 20)
        XCTAssertNoThrow(try config.validate())

        var lone = TrainConfig()
        lone.adaKimg = 20
        XCTAssertThrowsError(try lone.validate()) { XCTAssertTrue("\($0)".contains("give it too"), "\($0)") }
        lone.ada = 1
        XCTAssertThrowsError(try lone.validate()) {
            XCTAssertTrue("\($0)".contains("--ada must be in (0, 1), got 1.0"), "\($0)")
        }
        var curves = TrainConfig()
        curves.ada = 0.6
        XCTAssertThrowsError(try curves.recipe(for: try ModelZoo.make("curve-gan", rng: RandomGenerator(seed: 0)))) {
            XCTAssertTrue("\($0)".contains("--ada augments images"), "\($0)")
        }
        XCTAssertNil(try TrainConfig().recipe(for: model).adaptiveAugment)
        XCTAssertNil(try TrainConfig().recipe(for: model).lecamWeight)
    }

    /// A run with `--lecam` and `--ada`, stopped at step 7 (3 of the 4 D updates of ADA's second
    /// interval counted) and resumed, ends byte-identical to the run that went straight through, and logs the same
    /// `lecam`, `ada_p` and `ada_rt` at every step: the averages, p and the signs counted since the
    /// last adjustment are all in the training state.
    func testRunWithLeCamAndADAResumesExactly() throws {
        let data = try randomIDXFolder("idx-limited-data", count: 40, seed: 7)
        var config = TrainConfig()
        config.model = "mlp-gan"
        config.dataset = "mnist"
        config.dataDir = data.path
        config.batchSize = 8
        config.steps = 14
        config.sampleEvery = 7
        config.seed = 5
        config.lecam = 0.3
        config.ada = 0.2
        config.adaKimg = 0.05
        try assertResumeIsExact(config)
        // assertResumeIsExact's run folders, left in place.
        func folder(_ name: String) -> URL {
            FileManager.default.temporaryDirectory.appendingPathComponent("swiftgan-gan-\(getpid())-\(name)")
        }
        let straight = try History.read(folder("straightmlpgan").appendingPathComponent("history.csv"))
        let resumed = try History.read(folder("resumedmlpgan").appendingPathComponent("history.csv"))
        XCTAssertEqual(straight.count, 14)
        for name in ["lecam", "ada_p", "ada_rt"] {
            XCTAssertEqual(straight.map { $0.metrics.extra(name) }, resumed.map { $0.metrics.extra(name) }, name)
            XCTAssertTrue(straight.allSatisfy { $0.metrics.extra(name) != nil }, name)
        }
        let state = try Safetensors.read(
            from: folder("resumedmlpgan").appendingPathComponent("training-state.safetensors"))
        XCTAssertEqual(state.metadata["lecam.updates"], "14")
        XCTAssertEqual(state.metadata["ada.updates"], "14")
        XCTAssertEqual(state.metadata["ada.images"], "16", "updates 13 and 14, since the adjustment at 12")
        XCTAssertNotNil(state.metadata["ada.sign_mean"])
    }
}
