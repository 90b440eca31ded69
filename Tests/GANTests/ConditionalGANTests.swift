import Foundation
import SwiftGANArtifacts
import SwiftGANDatasets
import SwiftGANNN
import SwiftGANTensors
import SwiftGANTraining
import XCTest

/// Conditional models: the label reaches both networks, the right kind of image comes out for
/// each label, and bad labels are refused.
final class ConditionalGANTests: XCTestCase {
    /// 8×8 images in [−1, 1]: class 0 has one bright row (a horizontal bar), class 1 one bright column.
    static func bars(_ count: Int, rng: RandomGenerator) throws -> ImageDataset {
        var pixels: [UInt8] = [], labels: [Int] = []
        for i in 0..<count {
            let label = i % 2, line = rng.integer(below: 8)
            for y in 0..<8 { for x in 0..<8 { pixels.append((label == 0 ? y : x) == line ? 255 : 0) } }
            labels.append(label)
        }
        return try ImageDataset(
            name: "bars", height: 8, width: 8, channels: 1, pixels: pixels, labels: labels,
            classNames: ["horizontal", "vertical"])
    }

    /// 0 for a horizontal bar, 1 for a vertical one: which of the row means or column means varies more.
    static func kind(of image: UnsafeMutablePointer<Float>) -> Int {
        var rows = [Float](repeating: 0, count: 8), columns = [Float](repeating: 0, count: 8)
        for y in 0..<8 { for x in 0..<8 { rows[y] += image[y * 8 + x] / 8; columns[x] += image[y * 8 + x] / 8 } }
        func variance(_ v: [Float]) -> Float {
            let m = v.reduce(0, +) / 8; return v.map { ($0 - m) * ($0 - m) }.reduce(0, +)
        }
        return variance(rows) > variance(columns) ? 0 : 1
    }

    /// A tiny conditional GAN of each kind: label concatenated to D's input (cgan) or predicted by
    /// D (acgan). The G input is concat(z, one-hot) in both.
    static func tinyModel(_ conditioning: Conditioning, rng: RandomGenerator) -> GANModel {
        let generator = Sequential([
            Dense(8 + 2, 64, rng: rng), LeakyReLU(0.2), Dense(64, 64, rng: rng), Tanh(), Reshape([8, 8, 1]),
        ])
        let dInputs = conditioning.discriminatorSees == .flattenedWithOneHot ? 64 + 2 : 64
        let dOutputs = conditioning.auxiliaryClassifier ? 3 : 1
        let discriminator = Sequential(
            (dInputs == 64 ? [Flatten()] : []) + [
                Dense(dInputs, 128, rng: rng), LeakyReLU(0.2), Dense(128, 128, rng: rng), LeakyReLU(0.2),
                Dense(128, dOutputs, rng: rng),
            ])
        return GANModel(
            name: "tiny", generator: generator, discriminator: discriminator, noiseSize: 8,
            sample: .images(height: 8, width: 8, channels: 1),
            dataRange: -1...1, source: SourceSettings(learningRate: 1e-3, beta1: 0.5, batchSize: 32),
            options: ModelOptions(), conditioning: conditioning)
    }

    func testGeneratesTheRequestedKindOfBar() throws {
        for conditioning in [
            Conditioning.concatenated(classes: 2, discriminatorSees: .flattenedWithOneHot),
            .auxiliaryClassifier(classes: 2),
        ] {
            let rng = RandomGenerator(seed: 11)
            let data = try Self.bars(512, rng: rng)
            let model = Self.tinyModel(conditioning, rng: rng)
            let step = GANTrainingStep(model: model, rng: rng)
            var sampler = BatchSampler(count: data.count, batchSize: 32, mode: .epochs, rng: rng)
            func share(of label: Int, among samples: Tensor) -> Double {
                Double((0..<samples.shape[0]).filter { Self.kind(of: samples.data + $0 * 64) == label }.count)
                    / Double(samples.shape[0])
            }
            let noise = model.noise(100, using: rng)
            // cgan has to learn the label from the adversarial signal alone and needs ~2,000 steps
            // here; acgan's class loss gets there in ~900.
            for _ in 0..<(conditioning.auxiliaryClassifier ? 1500 : 2500) {
                let indices = sampler.next()
                let metrics = step(real: data.batch(indices), labels: indices.map { data.labels[$0] })
                XCTAssertTrue(metrics.isFinite)
            }
            let horizontal = share(of: 0, among: model.generate(noise, labels: Array(repeating: 0, count: 100)))
            let vertical = share(of: 1, among: model.generate(noise, labels: Array(repeating: 1, count: 100)))
            // Chance would be ½ each; the same noise must give a horizontal bar for label 0 and a vertical one for label 1.
            XCTAssertGreaterThan(horizontal, 0.8, "\(conditioning)")
            XCTAssertGreaterThan(vertical, 0.8, "\(conditioning)")
        }
    }

    /// ACGAN's losses by value, recomputed here from D's outputs with the same random draws: D gets
    /// ½(BCE real + BCE fake) with per-example smoothed targets + ½ CE on the real labels; G gets
    /// BCE against 1 + CE on the labels it was asked for.
    func testAuxiliaryClassifierLossesByValue() throws {
        let rng = RandomGenerator(seed: 8)
        let tiny = Self.tinyModel(.auxiliaryClassifier(classes: 2), rng: rng)
        let targets = DiscriminatorTargets(smoothing: 0.2, twoSided: true, perExample: true)
        let model = GANModel(
            name: "tiny", generator: tiny.generator, discriminator: tiny.discriminator, noiseSize: 8,
            sample: .images(height: 8, width: 8, channels: 1),
            dataRange: -1...1, source: SourceSettings(learningRate: 1e-3, beta1: 0.5, batchSize: 4, targets: targets),
            options: ModelOptions(),
            conditioning: .auxiliaryClassifier(classes: 2))
        let step = GANTrainingStep(model: model, rng: rng)
        let real = Tensor.uniform([4, 8, 8, 1], low: -1, high: 1, using: rng), realLabels = [0, 1, 1, 0]

        // The step draws, in order: the fakes' labels, the targets, the noise.
        let mirror = RandomGenerator(seed: 0)
        mirror.state = rng.state
        let fakeLabels = model.randomLabels(4, using: mirror)
        let (realTargets, fakeTargets) = targets.make(4, using: mirror)
        let fake = withoutGrad {
            model.generator(model.generatorInput(noise: model.noise(4, using: mirror), labels: fakeLabels))
        }
        let out = withoutGrad { model.discriminator(Tensor.concatenate([real, fake], alongAxis: 0)) }
        func column(_ t: Tensor, _ rows: Range<Int>, _ columns: Range<Int>) -> Tensor {
            t.slice(alongAxis: 0, rows).slice(alongAxis: 1, columns)
        }
        let expectedD =
            (binaryCrossEntropy(logits: column(out, 0..<4, 0..<1), targets: realTargets)
            + binaryCrossEntropy(logits: column(out, 4..<8, 0..<1), targets: fakeTargets)).scalar / 2
            + categoricalCrossEntropy(logits: column(out, 0..<4, 1..<3), targets: oneHot(realLabels, classes: 2)).scalar
            / 2

        let metrics = step(real: real, labels: realLabels)
        XCTAssertEqual(metrics.discriminatorLoss, expectedD, accuracy: 1e-5)
        // G's loss is measured through the updated D, on the fakes made before G's update.
        let judged = withoutGrad { model.discriminator(fake) }
        let expectedG =
            binaryCrossEntropy(logits: judged.slice(alongAxis: 1, 0..<1), targets: Tensor.ones([4, 1])).scalar
            + categoricalCrossEntropy(
                logits: judged.slice(alongAxis: 1, 1..<3), targets: oneHot(fakeLabels, classes: 2)
            ).scalar
        XCTAssertEqual(metrics.generatorLoss, expectedG, accuracy: 1e-5)
    }

    /// cgan with a convolutional D: the label arrives as constant one-hot channels after the image's.
    func testOneHotPlanes() throws {
        let model = try ModelZoo.make("cgan", options: ModelOptions(body: "dcgan"), rng: RandomGenerator(seed: 0))
        let images = Tensor.uniform([2, 28, 28, 1], low: -1, high: 1, using: RandomGenerator(seed: 1))
        let joined = model.discriminatorInput(images, labels: [3, 9])
        XCTAssertEqual(joined.shape, [2, 28, 28, 11])
        for (n, label) in [3, 9].enumerated() {
            for p in [0, 401, 783] {
                let pixel = joined.data + (n * 784 + p) * 11
                XCTAssertEqual(pixel[0], images.data[n * 784 + p])
                XCTAssertEqual((1...10).map { pixel[$0] }, (0..<10).map { $0 == label ? 1 : 0 })
            }
        }
    }

    func testZooModelsShapesAndOneStep() throws {
        for (name, options) in [
            ("acgan", ModelOptions()), ("cgan", ModelOptions()), ("cgan", ModelOptions(body: "dcgan")),
        ] {
            let rng = RandomGenerator(seed: 2)
            let model = try ModelZoo.make(name, options: options, rng: rng)
            XCTAssertEqual(model.classCount, 10)
            let labels = [0, 3, 9]
            let fake = model.generator(model.generatorInput(noise: model.noise(3, using: rng), labels: labels))
            XCTAssertEqual(fake.shape, [3, 28, 28, 1], name)
            let outputs = model.conditioning.auxiliaryClassifier ? 11 : 1
            XCTAssertEqual(
                model.discriminator(model.discriminatorInput(fake, labels: labels)).shape, [3, outputs], name)
            let step = GANTrainingStep(model: model, rng: rng)
            let real = Tensor.uniform(
                [4, 28, 28, 1], low: model.dataRange.lowerBound, high: model.dataRange.upperBound, using: rng)
            XCTAssertTrue(step(real: real, labels: [1, 2, 3, 4]).isFinite, name)
        }
        XCTAssertThrowsError(
            try ModelZoo.make("cgan", options: ModelOptions(body: "resnet"), rng: RandomGenerator(seed: 0)))
    }

    /// acgan's layer list, as the tutorial gives it.
    func testACGANParameterCounts() throws {
        let model = try ModelZoo.make("acgan", rng: RandomGenerator(seed: 0))
        let g =
            110 * 1960 + 1960 + 2 * 1960  // Dense + BatchNorm(1960)
            + 25 * 80 * 40 + 80 + 2 * 80  // ConvT 40→80, stride 2, BN
            + 3 * (25 * 80 * 80 + 80 + 2 * 80)  // 3 × ConvT 80→80, BN
            + 25 * 1 * 80 + 1  // ConvT 80→1
        XCTAssertEqual(model.generator.parameterCount, g)
        let convs = [(1, 17), (17, 35), (35, 70), (70, 140), (140, 70)].reduce(0) { $0 + 25 * $1.0 * $1.1 + $1.1 }
        XCTAssertEqual(model.discriminator.parameterCount, convs + (1120 + 1) + (1120 * 10 + 10))
        XCTAssertEqual(model.source.batchSize, 128)
        XCTAssertEqual(model.dataRange, 0...1)
        XCTAssertEqual(model.source.targets, DiscriminatorTargets(smoothing: 0.2, twoSided: true, perExample: true))
        XCTAssertEqual(model.source.randomBatchesPerEpoch, 40)
    }

    func testDiscriminatorTargets() {
        let rng = RandomGenerator(seed: 5)
        let oneSided = DiscriminatorTargets(smoothing: 0.1).make(4, using: rng)
        XCTAssertEqual(oneSided.real.scalars, [0.9, 0.9, 0.9, 0.9])
        XCTAssertEqual(oneSided.fake.scalars, [0, 0, 0, 0])
        let twoSided = DiscriminatorTargets(smoothing: 0.1, twoSided: true).make(2, using: rng)
        XCTAssertEqual(twoSided.fake.scalars, [0.1, 0.1])
        let drawn = DiscriminatorTargets(smoothing: 0.2, twoSided: true, perExample: true).make(2000, using: rng)
        XCTAssertTrue(drawn.real.scalars.allSatisfy { (0.8...1).contains($0) })
        XCTAssertTrue(drawn.fake.scalars.allSatisfy { (0...0.2).contains($0) })
        XCTAssertEqual(drawn.real.scalars.reduce(0, +) / 2000, 0.9, accuracy: 0.01)
        XCTAssertEqual(drawn.fake.scalars.reduce(0, +) / 2000, 0.1, accuracy: 0.01)
        let noisy = DiscriminatorTargets(flipProbability: 0.1).make(5000, using: rng)
        XCTAssertEqual(Double(noisy.real.scalars.filter { $0 == 0 }.count) / 5000, 0.1, accuracy: 0.02)
        XCTAssertEqual(Double(noisy.fake.scalars.filter { $0 == 1 }.count) / 5000, 0.1, accuracy: 0.02)
        XCTAssertThrowsError(try DiscriminatorTargets(smoothing: 0.7).validate())
    }

    func testLabelsAreChecked() throws {
        let conditional = try ModelZoo.make("cgan", rng: RandomGenerator(seed: 0))
        let unconditional = try ModelZoo.make("mlp-gan", rng: RandomGenerator(seed: 0))
        XCTAssertNoThrow(try conditional.validate(labels: [0, 9]))
        for bad in [[-1], [10], [3, 12]] {
            XCTAssertThrowsError(try conditional.validate(labels: bad)) {
                XCTAssertTrue("\($0)".contains("out of range"), "\($0)")
            }
        }
        XCTAssertThrowsError(try conditional.validate(labels: nil)) {
            XCTAssertTrue("\($0)".contains("conditional"), "\($0)")
        }
        XCTAssertThrowsError(try unconditional.validate(labels: [1])) {
            XCTAssertTrue("\($0)".contains("unconditional"), "\($0)")
        }
    }
}

final class BalanceWarningTests: XCTestCase {
    func testWarnsWhenOneNetworkOverpowersTheOther() throws {
        XCTAssertNil(TrainingRun.balanceWarning(generatorAccuracies: [Float](repeating: 0.3, count: 500), step: 500))
        let dominated = try XCTUnwrap(
            TrainingRun.balanceWarning(generatorAccuracies: [Float](repeating: 0.01, count: 500), step: 700))
        XCTAssertTrue(dominated.contains("discriminator is overpowering") && dominated.contains("step 700"), dominated)
        let fooled = try XCTUnwrap(
            TrainingRun.balanceWarning(generatorAccuracies: [Float](repeating: 0.99, count: 500), step: 900))
        XCTAssertTrue(fooled.contains("generator is overpowering"), fooled)

        // In a run: with a window of one step, the first step where D calls every fake fake (or
        // every fake real) warns, and later ones do not warn again.
        var config = TrainConfig()
        config.model = "curve-gan"
        config.steps = 30
        config.sampleEvery = 30
        config.out = runFolder()
        var warnings: [String] = []
        let run = try TrainingRun(config: config, log: { if $0.hasPrefix("warning") { warnings.append($0) } })
        run.balanceWindow = 1
        try run.run()
        let lopsided = run.history.filter {
            $0.metrics.generatorAccuracy! < 0.02 || $0.metrics.generatorAccuracy! > 0.98
        }.map(\.step)
        XCTAssertFalse(lopsided.isEmpty, "curve-gan's D calls every fake fake in some early step")
        XCTAssertEqual(warnings.count, 1)
        XCTAssertTrue(warnings.first?.contains("at step \(lopsided[0]),") ?? false, "\(warnings) \(lopsided)")
    }
}
