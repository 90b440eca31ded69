import Foundation
import SwiftGANDatasets
import SwiftGANNN
import SwiftGANTensors
import SwiftGANTraining
import XCTest

/// The objectives (`--loss`) and D's regularizers, each against values worked out by hand or by
/// finite differences, and each in a short real training run.
final class ObjectiveTests: XCTestCase {
    let real = Tensor([0.5, -1], shape: [2, 1]), fake = Tensor([2, -0.3], shape: [2, 1])
    let hardTargets = (real: Tensor.ones([2, 1]), fake: Tensor.zeros([2, 1]))

    /// With D(x) = (0.5, −1) and D(G(z)) = (2, −0.3). BCE's values from Python's math.log1p:
    /// D ½·(mean log(1+e^−D(x)) + mean log(1+e^D(G(z)))), G mean log(1+e^−D(G(z))).
    func testLossesMatchHandComputedValues() throws {
        let bce = try Objectives.named("bce")
        XCTAssertEqual(
            bce.discriminatorLoss(ObjectivePass(real: real, fake: fake, targets: hardTargets)).loss.scalar, 1.117_155_5,
            accuracy: 1e-6)
        let smoothed = (real: Tensor.full(0.9, shape: [2, 1]), fake: Tensor.zeros([2, 1]))
        XCTAssertEqual(
            bce.discriminatorLoss(ObjectivePass(real: real, fake: fake, targets: smoothed)).loss.scalar, 1.104_655_5,
            accuracy: 1e-6)
        XCTAssertEqual(
            bce.generatorLoss(ObjectivePass(real: real, fake: fake)).loss.scalar, 0.490_641_6, accuracy: 1e-6)

        // LSGAN: D ½·(((0.5−1)² + (−1−1)²)/2 + (2² + 0.3²)/2) = ½·(2.125 + 2.045); G ½·((2−1)² + (−1.3)²)/2.
        let lsgan = try Objectives.named("lsgan")
        XCTAssertEqual(
            lsgan.discriminatorLoss(ObjectivePass(real: real, fake: fake, targets: hardTargets)).loss.scalar, 2.085,
            accuracy: 1e-6)
        XCTAssertEqual(lsgan.generatorLoss(ObjectivePass(real: real, fake: fake)).loss.scalar, 0.6725, accuracy: 1e-6)

        // Hinge: D (max(0, 0.5) + max(0, 2))/2 + (max(0, 3) + max(0, 0.7))/2 = 1.25 + 1.85; G −(2 − 0.3)/2.
        let hinge = try Objectives.named("hinge")
        XCTAssertEqual(
            hinge.discriminatorLoss(ObjectivePass(real: real, fake: fake, targets: hardTargets)).loss.scalar, 3.1,
            accuracy: 1e-6)
        XCTAssertEqual(hinge.generatorLoss(ObjectivePass(real: real, fake: fake)).loss.scalar, -0.85, accuracy: 1e-6)
        // Beyond the margin, D's loss is 0.
        XCTAssertEqual(
            hinge.discriminatorLoss(
                ObjectivePass(
                    real: Tensor([1.5], shape: [1, 1]), fake: Tensor([-2], shape: [1, 1]), targets: hardTargets)
            ).loss.scalar, 0)

        // WGAN and WGAN-GP: D mean D(G(z)) − mean D(x) = 0.85 − (−0.25); G −0.85.
        for name in ["wgan", "wgan-gp"] {
            let w = try Objectives.named(name)
            XCTAssertEqual(
                w.discriminatorLoss(ObjectivePass(real: real, fake: fake, targets: hardTargets)).loss.scalar, 1.1,
                accuracy: 1e-6, name)
            XCTAssertEqual(
                w.generatorLoss(ObjectivePass(real: real, fake: fake)).loss.scalar, -0.85, accuracy: 1e-6, name)
            XCTAssertNil(w.decisionThreshold, name)
        }
        // RaGAN: D(x) − E D(G(z)) = (−0.35, −1.85), D(G(z)) − E D(x) = (2.25, −0.05); values from
        // Python's math.log1p: D ½·(mean softplus(0.35, 1.85) + mean softplus(2.25, −0.05)),
        // G ½·(mean softplus(−2.25, 0.05) + mean softplus(−0.35, −1.85)).
        let ragan = try Objectives.named("ragan")
        XCTAssertEqual(
            ragan.discriminatorLoss(ObjectivePass(real: real, fake: fake, targets: hardTargets)).loss.scalar,
            1.474_520_9, accuracy: 1e-6)
        XCTAssertEqual(
            ragan.generatorLoss(ObjectivePass(real: real, fake: fake)).loss.scalar, 0.374_520_9, accuracy: 1e-6)
        // G's loss depends on D(x) only through its value: no gradient reaches the real outputs' graph.
        let realLeaf = real.copy().requiringGradient(), fakeLeaf = fake.copy().requiringGradient()
        let g = gradients(
            of: ragan.generatorLoss(ObjectivePass(real: realLeaf, fake: fakeLeaf)).loss, withRespectTo: [fakeLeaf])[0]
        XCTAssertEqual(g.shape, [2, 1])
        XCTAssertThrowsError(try Objectives.named("lsgann")) {
            XCTAssertTrue("\($0)".contains("known: bce, lsgan, hinge, wgan, wgan-gp"), "\($0)")
        }
    }

    /// A small smooth convolutional critic (stride-2 convolution, tanh, dense), written as a
    /// function of its parameters so finite differences can perturb them.
    func critic(_ p: [Tensor]) -> (Tensor) -> Tensor {
        { x in x.conv2d(p[0], bias: p[1], stride: 2, padding: .same).tanh().flattenedBatch().matmul(p[2]) }
    }

    func criticParameters(_ rng: RandomGenerator) -> [Tensor] {
        [
            Tensor.normal([3, 3, 2, 3], std: 0.5, using: rng), Tensor.normal([3], std: 0.1, using: rng),
            Tensor.normal([27, 1], std: 0.5, using: rng),
        ]
    }

    /// D's input gradient for each example, by central differences of D's output: [n][pixels].
    func numericInputGradients(_ x: Tensor, _ d: (Tensor) -> Tensor) -> [[Double]] {
        let n = x.shape[0], size = x.count / n
        return (0..<n).map { i in
            (0..<size).map { j in
                let probe = x.copy(), h: Float = 1e-2
                probe.data[i * size + j] += h
                let plus = Double(d(probe).data[i])
                probe.data[i * size + j] -= 2 * h
                let minus = Double(d(probe).data[i])
                return (plus - minus) / Double(2 * h)
            }
        }
    }

    /// WGAN-GP's penalty on a convolutional critic: its value equals λ·mean((‖∇D(x̂ᵢ)‖ − 1)²) with
    /// the input gradients taken by finite differences at x̂ᵢ = εᵢxᵢ + (1 − εᵢ)x̃ᵢ, one ε per
    /// example (a shared ε gives another value), and its gradient with respect to D's weights
    /// matches finite differences of the penalty itself — on every convolution backend.
    func testGradientPenaltyMatchesFiniteDifferences() throws {
        for backend in ConvolutionBackend.allCases where backend == .portable || ConvolutionBackend.isOneDNNAvailable {
            ConvolutionBackend.with(backend) {
                let rng = RandomGenerator(seed: 21)
                let p = criticParameters(rng)
                let real = Tensor.normal([3, 5, 5, 2], using: rng), fake = Tensor.normal([3, 5, 5, 2], using: rng)
                let eps = Tensor.uniform([3, 1, 1, 1], using: RandomGenerator(seed: 9)).scalars
                XCTAssertEqual(Set(eps).count, 3, "one ε per example")
                let size = 50
                let interpolates = Tensor(
                    (0..<(3 * size)).map { k in eps[k / size] * real.data[k] + (1 - eps[k / size]) * fake.data[k] },
                    shape: real.shape)
                let norms = numericInputGradients(interpolates, critic(p)).map { g in
                    g.map { $0 * $0 }.reduce(0, +).squareRoot()
                }
                let expected = 10 * norms.map { ($0 - 1) * ($0 - 1) }.reduce(0, +) / 3
                let penalty = GradientPenalty(weight: 10).penalty(
                    real: real, fake: fake, critic: critic(p), rng: RandomGenerator(seed: 9))
                XCTAssertEqual(Double(penalty.scalar), expected, accuracy: 1e-3 * max(1, expected), "\(backend)")
                let shared = GradientPenalty.interpolate(real: real, fake: fake, eps: [eps[0], eps[0], eps[0]])
                XCTAssertNotEqual(shared.scalars, interpolates.scalars)

                let check = GradientCheck(step: 1e-2, absoluteTolerance: 2e-3, relativeTolerance: 2e-2)
                let mismatches = check.check(p) { q in
                    GradientPenalty(weight: 10).penalty(
                        real: real, fake: fake, critic: self.critic(q), rng: RandomGenerator(seed: 9))
                }
                XCTAssertTrue(mismatches.isEmpty, "\(backend): \(mismatches.prefix(5))")
            }
        }
    }

    /// R1: γ/2·mean ‖∇D(x)‖² on the real batch, value against finite differences of the input
    /// gradient, gradient against finite differences of the penalty.
    func testR1PenaltyMatchesFiniteDifferences() throws {
        let rng = RandomGenerator(seed: 22)
        let p = criticParameters(rng)
        let real = Tensor.normal([2, 5, 5, 2], using: rng), fake = Tensor.normal([2, 5, 5, 2], using: rng)
        let squared = numericInputGradients(real, critic(p)).map { g in g.map { $0 * $0 }.reduce(0, +) }
        let expected = 0.5 * squared.reduce(0, +) / 2  // γ = 1
        let penalty = R1Penalty(gamma: 1).penalty(real: real, fake: fake, critic: critic(p), rng: rng)
        XCTAssertEqual(Double(penalty.scalar), expected, accuracy: 1e-3 * max(1, expected))
        let mismatches = GradientCheck(step: 1e-2, absoluteTolerance: 2e-3, relativeTolerance: 2e-2).check(p) { q in
            R1Penalty(gamma: 1).penalty(real: real, fake: fake, critic: self.critic(q), rng: rng)
        }
        XCTAssertTrue(mismatches.isEmpty, "\(mismatches.prefix(5))")
    }

    /// wgan: RMSprop(5e-5), 5 D updates per step, D's parameters within ±0.01 after every step;
    /// wgan-gp: Adam(1e-4, 0.5, 0.9), 5 D updates, the penalty reported, and dcgan64's critic
    /// built without BatchNorm.
    func testWassersteinRecipesFollowTheirPapers() throws {
        let rng = RandomGenerator(seed: 5)
        let model = try ModelZoo.make("curve-gan", rng: rng)
        var config = TrainConfig()
        config.loss = "wgan"
        let recipe = try config.recipe(for: model)
        XCTAssertEqual(recipe.discriminatorOptimizer, .rmsprop(learningRate: 5e-5, rho: 0.99, epsilon: 1e-8))
        XCTAssertEqual(recipe.criticSteps, 5)
        let step = GANTrainingStep(model: model, recipe: recipe, rng: rng)
        let batches = (0..<5).map { _ in (real: QuadraticCurves.sample(8, using: rng), labels: [Int]?.none) }
        let metrics = step(batches: batches)
        XCTAssertEqual(step.discriminatorOptimizer.stepCount, 5)
        XCTAssertEqual(step.generatorOptimizer.stepCount, 1)
        XCTAssertTrue(step.discriminatorOptimizer is RMSprop)
        XCTAssertNil(metrics.discriminatorAccuracy)
        XCTAssertNotNil(metrics.extra("wasserstein"))
        XCTAssertTrue(model.discriminator.parameters.allSatisfy { $0.scalars.allSatisfy { abs($0) <= 0.01 } })

        config.loss = "wgan-gp"
        let gp = try config.recipe(for: model)
        XCTAssertEqual(gp.discriminatorOptimizer, .adam(learningRate: 1e-4, beta1: 0.5, beta2: 0.9))
        XCTAssertEqual(gp.criticSteps, 5)
        XCTAssertNil(gp.weightClip)
        XCTAssertEqual((gp.regularizers.first as? GradientPenalty)?.weight, 10)
        let gpStep = GANTrainingStep(model: model, recipe: gp, rng: rng)
        XCTAssertNotNil(gpStep(batches: batches).extra("gradient_penalty"))

        // Options change the recipe: TTUR rates, fewer critic steps, no penalty.
        config.discriminatorLearningRate = 4e-4
        config.generatorLearningRate = 1e-4
        config.criticSteps = 1
        config.gradientPenalty = 0
        let changed = try config.recipe(for: model)
        XCTAssertEqual(changed.discriminatorOptimizer, .adam(learningRate: 4e-4, beta1: 0.5, beta2: 0.9))
        XCTAssertEqual(changed.generatorOptimizer, .adam(learningRate: 1e-4, beta1: 0.5, beta2: 0.9))
        XCTAssertEqual(changed.criticSteps, 1)
        XCTAssertTrue(changed.regularizers.isEmpty)
        // Label smoothing means nothing to a critic.
        config.targets = TargetOptions(smoothing: 0.1)
        XCTAssertThrowsError(try config.recipe(for: model)) { XCTAssertTrue("\($0)".contains("no targets"), "\($0)") }

        let critic = try ModelZoo.make(
            "dcgan64", options: ModelOptions(width: 4, imageSize: 32, discriminatorNormalization: "none"), rng: rng)
        XCTAssertFalse(critic.discriminator.contains { $0 is BatchNorm })
        XCTAssertTrue(critic.generator.contains { $0 is BatchNorm })
        XCTAssertTrue(
            try ModelZoo.make("dcgan64", options: ModelOptions(width: 4, imageSize: 32), rng: rng).discriminator
                .contains { $0 is BatchNorm })
    }

    /// The default objective is exactly the step SwiftGAN always took: same losses, same updates.
    func testDefaultRecipeIsTheModelsOwn() throws {
        let a = RandomGenerator(seed: 8), b = RandomGenerator(seed: 8)
        let m1 = try ModelZoo.make("curve-gan", rng: a), m2 = try ModelZoo.make("curve-gan", rng: b)
        let s1 = GANTrainingStep(model: m1, rng: a),
            s2 = GANTrainingStep(model: m2, recipe: try TrainConfig().recipe(for: m2), rng: b)
        for _ in 0..<3 {
            let x1 = s1(real: QuadraticCurves.sample(8, using: a)), x2 = s2(real: QuadraticCurves.sample(8, using: b))
            let v1: [Float] = [x1.discriminatorLoss, x1.generatorLoss, x1.discriminatorAccuracy!]
            let v2: [Float] = [x2.discriminatorLoss, x2.generatorLoss, x2.discriminatorAccuracy!]
            XCTAssertEqual(v1, v2)
        }
        XCTAssertEqual(m1.generator.parameters.map(\.scalars), m2.generator.parameters.map(\.scalars))
    }

    /// WGAN-GP on the quadratic curves: the critic's Wasserstein estimate E[D(x)] − E[D(G(z))] rises
    /// while the critic learns, then shrinks as G closes the gap, staying positive — the curve of
    /// the paper's Figure 3.
    func testWGANGPWassersteinEstimateRisesThenShrinks() throws {
        var config = curveConfig(steps: 1200, sampleEvery: 1200, seed: 0)
        config.loss = "wgan-gp"
        let run = try TrainingRun(config: config)
        try run.run()
        let w = run.history.map { Double($0.metrics.extra("wasserstein")!) }
        func mean(_ r: Range<Int>) -> Double { w[r].reduce(0, +) / Double(r.count) }
        let windows = stride(from: 0, to: 1200, by: 200).map { mean($0..<($0 + 200)) }
        let peak = windows.indices.max { windows[$0] < windows[$1] }!
        XCTAssertLessThan(peak, 3, "\(windows)")
        XCTAssertGreaterThan(windows.last!, 0, "\(windows)")
        XCTAssertLessThan(windows.last!, windows[peak] / 3, "\(windows)")
        // After the peak, each window's estimate is below the one before.
        for i in (peak + 1)..<windows.count { XCTAssertLessThan(windows[i], windows[i - 1], "\(windows)") }
        XCTAssertTrue(run.history.allSatisfy { $0.metrics.extra("gradient_penalty")!.isFinite })
    }

    /// A few steps of `model` with `loss` at batch 8 on the IDX files in `data`.
    func shortRun(_ model: String, loss: String, data: URL, steps: Int) -> TrainConfig {
        var config = TrainConfig()
        config.model = model
        config.dataset = "mnist"
        config.dataDir = data.path
        config.batchSize = 8
        config.steps = steps
        config.sampleEvery = 1000
        config.loss = loss
        config.out = runFolder("objective-\(model)-\(loss)")
        return config
    }

    /// Every objective trains mlp-gan and dcgan (on small random image files) without diverging:
    /// finite losses throughout, and D not stuck: a classifier's accuracy below 1 and G's above 0
    /// over the last steps, a critic's Wasserstein estimate finite and not exploding.
    func testEveryObjectiveTrainsMLPGANAndDCGAN() throws {
        let data = try randomIDXFolder("idx-objectives", count: 64, seed: 3)
        for model in ["mlp-gan", "dcgan"] {
            for loss in Objectives.names {
                let config = shortRun(model, loss: loss, data: data, steps: model == "dcgan" ? 8 : 10)
                let run = try TrainingRun(config: config)
                try run.run()
                let label = "\(model) \(loss)"
                XCTAssertEqual(run.history.count, config.steps, label)
                XCTAssertTrue(run.history.allSatisfy { $0.metrics.isFinite }, label)
                let recent = run.history.suffix(5).map(\.metrics)
                if run.step.recipe.objective.decisionThreshold != nil {
                    let d = recent.map { $0.discriminatorAccuracy! }.reduce(0, +) / 5,
                        g = recent.map { $0.generatorAccuracy! }.reduce(0, +) / 5
                    XCTAssertTrue(d < 1 || g > 0, "\(label): D accuracy \(d), G accuracy \(g)")
                } else {
                    let w = recent.map { $0.extra("wasserstein")! }
                    XCTAssertTrue(w.allSatisfy { $0.isFinite && abs($0) < 100 }, "\(label): \(w)")
                }
            }
        }
    }

    /// Conditioning (cgan) and ACGAN's class loss combine with every objective (acgan's own smoothed
    /// targets apply to bce and lsgan; the others have none).
    func testConditionalModelsTrainWithEveryObjective() throws {
        let data = try randomIDXFolder("idx-objectives-conditional", count: 40, seed: 4)
        for model in ["cgan", "acgan"] {
            for loss in Objectives.names {
                var config = shortRun(model, loss: loss, data: data, steps: 3)
                config.criticSteps = 1
                let run = try TrainingRun(config: config)
                try run.run()
                XCTAssertTrue(run.history.allSatisfy { $0.metrics.isFinite }, "\(model) \(loss)")
                XCTAssertEqual(run.step.recipe.objective.name, loss)
            }
        }
    }

    /// history.csv keeps a critic's empty accuracies and the objective's own columns, and reads
    /// back to the same rows (a resumed WGAN-GP run continues from them).
    func testCriticHistoryRoundTripsAndResumesExactly() throws {
        var config = curveConfig(steps: 12, sampleEvery: 6, seed: 2)
        config.loss = "wgan-gp"
        config.r1 = 0.5
        try assertResumeIsExact(config)
        var clipped = curveConfig(steps: 12, sampleEvery: 6, seed: 3)
        clipped.loss = "wgan"
        try assertResumeIsExact(clipped)

        let run = try TrainingRun(config: config)
        try run.run()
        let text = try String(contentsOfFile: config.out! + "/history.csv", encoding: .utf8)
        let lines = text.split(separator: "\n")
        XCTAssertEqual(
            lines[0],
            "step,epoch,d_loss,d_accuracy,g_loss,g_accuracy,seconds,fid,kid,wasserstein,gradient_penalty,r1_penalty")
        XCTAssertTrue(lines[1].hasPrefix("1,0,"))
        XCTAssertEqual(lines[1].split(separator: ",", omittingEmptySubsequences: false)[3], "")
        XCTAssertEqual(History.csv(try History.read(URL(fileURLWithPath: config.out! + "/history.csv"))), text)
    }

    /// A recipe fills only what the configuration leaves unset; `tutorial` changes nothing.
    func testRecipesFillUnsetOptions() throws {
        var config = TrainConfig()
        config.model = "dcgan"
        config.recipe = "tutorial"
        var expected = config
        expected.recipe = "tutorial"
        XCTAssertEqual(try config.applyingRecipe(), expected)
        config.recipe = "hinge-sn"
        config.discriminatorLearningRate = 2e-4
        let applied = try config.applyingRecipe()
        XCTAssertEqual(applied.loss, "hinge")
        XCTAssertEqual(applied.options.spectralNorm, true)
        XCTAssertEqual(applied.discriminatorLearningRate, 2e-4, "the option given wins")
        XCTAssertEqual(applied.generatorLearningRate, 1e-4)
        XCTAssertEqual(applied.ema, 0.999)
        XCTAssertEqual(applied.model, "dcgan")
        let recipe = try applied.recipe(
            for: try ModelZoo.make("dcgan", options: applied.options, rng: RandomGenerator(seed: 0)))
        XCTAssertEqual(recipe.discriminatorOptimizer, .adam(learningRate: 2e-4, beta1: 0, beta2: 0.9))
        config.recipe = "best"
        XCTAssertThrowsError(try config.validate()) {
            XCTAssertTrue("\($0)".contains("unknown recipe 'best'"), "\($0)")
        }
    }

    /// A misspelled key in config.json is an error that names it, not a silently ignored option.
    func testConfigurationRefusesUnknownKeys() throws {
        let folder = URL(fileURLWithPath: runFolder())
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var config = TrainConfig()
        config.loss = "hinge"
        config.options.spectralNorm = true
        let good = folder.appendingPathComponent("good.json")
        try (try config.json()).write(to: good, atomically: true, encoding: .utf8)
        XCTAssertEqual(try TrainConfig.load(good), config)
        let json = try config.json()
        for (text, key) in [
            (json.replacingOccurrences(of: "\"loss\"", with: "\"lerningRate\" : 0.001, \"loss\""), "'lerningRate'"),
            (json.replacingOccurrences(of: "\"spectralNorm\"", with: "\"spectral_norm\""), "'options.spectral_norm'"),
        ] {
            let bad = folder.appendingPathComponent("bad.json")
            try text.write(to: bad, atomically: true, encoding: .utf8)
            XCTAssertThrowsError(try TrainConfig.load(bad)) {
                XCTAssertTrue("\($0)".contains("unknown key \(key)"), "\($0)")
            }
        }
    }

    /// `timeBudget` stops the run at the first step past it, and saves that step as the last one.
    func testTimeBudgetStopsCleanly() throws {
        var config = curveConfig(steps: 1_000_000, sampleEvery: 1_000_000, seed: 1)
        config.timeBudget = 0.5
        let run = try TrainingRun(config: config)
        try run.run()
        XCTAssertGreaterThan(run.finalStep, 0)
        XCTAssertLessThan(run.finalStep, config.steps)
        XCTAssertEqual(run.history.count, run.finalStep)
        let folder = config.out!
        XCTAssertTrue(
            FileManager.default.fileExists(atPath: folder + String(format: "/samples/step-%06d.png", run.finalStep)))
        for name in ["generator.safetensors", "training-state.safetensors", "training.gif", "history.csv"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: folder + "/" + name), name)
        }
        let again = try TrainingRun(config: config)
        XCTAssertThrowsError(try again.resume()) { XCTAssertTrue("\($0)".contains("larger --time-budget"), "\($0)") }
        config.timeBudget = 30
        config.steps = run.finalStep + 5
        let longer = try TrainingRun(config: config)
        try longer.resume()
        XCTAssertEqual(longer.startStep, run.finalStep)
        try longer.run()
        XCTAssertEqual(longer.finalStep, run.finalStep + 5)
    }
}
