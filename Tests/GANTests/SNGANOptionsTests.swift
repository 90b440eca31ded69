import Foundation
import SwiftGANNN
import SwiftGANTensors
import XCTest

@testable import SwiftGANTraining

/// sngan's model options (#25): `--attention RES`, `--minibatch-stddev` and `--conditioning
/// projection|auxiliary`, and that without them sngan builds the networks it built before.
final class SNGANOptionsTests: XCTestCase {
    /// The intermediate sides at each size, and the channels G and D have there at width 8
    /// (G: 4w at the grid, halving to w; D: w, 2w, then 4w), written out independently of SNGAN.swift.
    static let attentionChannels: [Int: [Int: (generator: Int, discriminator: Int)]] = [
        28: [14: (16, 8)],
        32: [8: (16, 16), 16: (8, 8)],
        64: [8: (16, 32), 16: (8, 16), 32: (8, 8)],
    ]
    static let imageChannels = [28: 1, 32: 3, 64: 3]

    static func options(size: Int, classes: Int? = 3) -> ModelOptions {
        ModelOptions(
            width: 8, imageSize: ImageSize(height: size, width: size), channels: imageChannels[size]!,
            classes: classes)
    }

    /// SelfAttention's parameters on C channels: query and key C → C/8, value C → C/2, output
    /// C/2 → C (1×1, no bias), and γ.
    static func attentionParameters(_ c: Int) -> Int { c * (c / 8) * 2 + c * (c / 2) * 2 + 1 }

    func testShapesWithEachOptionAtEverySize() throws {
        for size in [28, 32, 64] {
            XCTAssertEqual(SNGAN.attentionSides(size: size), Self.attentionChannels[size]!.keys.sorted())
            var variants: [ModelOptions] = Self.attentionChannels[size]!.keys.sorted().map {
                var options = Self.options(size: size)
                options.attention = $0
                return options
            }
            var stddev = Self.options(size: size)
            stddev.minibatchStddev = true
            var auxiliary = Self.options(size: size)
            auxiliary.conditioning = "auxiliary"
            var all = auxiliary
            (all.minibatchStddev, all.attention) = (true, Self.attentionChannels[size]!.keys.min())
            var unconditional = stddev
            (unconditional.classes, unconditional.attention) = (nil, Self.attentionChannels[size]!.keys.max())
            variants += [stddev, auxiliary, all, unconditional]
            for options in variants {
                let model = try ModelZoo.make("sngan", options: options, rng: RandomGenerator(seed: 1))
                let labels = model.classCount > 0 ? [0, 1, 2, 1] : nil
                let images = model.generate(model.noise(4, using: RandomGenerator(seed: 2)), labels: labels)
                XCTAssertEqual(images.shape, [4, size, size, Self.imageChannels[size]!], "\(options)")
                let logits = model.discriminator(images, labels: labels)
                XCTAssertEqual(logits.shape, [4, options.conditioning == "auxiliary" ? 1 + 3 : 1], "\(options)")
                XCTAssertTrue(logits.isFinite, "\(options)")
            }
        }
    }

    /// The attention blocks sit where their side is: in D, the block before the attention makes
    /// RES×RES maps; in G, applying the attention by hand after the block that makes RES×RES maps
    /// gives G's own output (with γ moved off 0, so the block is not the identity). Each network
    /// gains one SelfAttention's parameters on its channels at that side.
    func testAttentionSitsAfterTheBlocksOfItsSide() throws {
        for size in [28, 32, 64] {
            let plain = try ModelZoo.make("sngan", options: Self.options(size: size), rng: RandomGenerator(seed: 1))
            for (side, channels) in Self.attentionChannels[size]! {
                var options = Self.options(size: size)
                options.attention = side
                let model = try ModelZoo.make("sngan", options: options, rng: RandomGenerator(seed: 1))
                XCTAssertEqual(
                    model.generator.parameterCount - plain.generator.parameterCount,
                    Self.attentionParameters(channels.generator), "G at \(side) of \(size)")
                XCTAssertEqual(
                    model.discriminator.parameterCount - plain.discriminator.parameterCount,
                    Self.attentionParameters(channels.discriminator), "D at \(side) of \(size)")

                let labels = [0, 2]
                let images = Tensor.uniform(
                    [2, size, size, Self.imageChannels[size]!], low: -1, high: 1, using: RandomGenerator(seed: 3))
                let d = try XCTUnwrap(model.discriminator.module as? ProjectionDiscriminator)
                var sidesBefore: [Int] = []
                var h = images
                for layer in d.body.layers {
                    if layer is SelfAttention { sidesBefore.append(h.shape[1]) }
                    h = layer(h)
                }
                XCTAssertEqual(sidesBefore, [side], "D at \(size)")

                let g = try XCTUnwrap(model.generator.module as? SNGANGenerator)
                let attention = try XCTUnwrap(g.attention)
                attention.gamma.data[0] = 0.5
                let noise = model.noise(2, using: RandomGenerator(seed: 4))
                let generated = model.generate(noise, labels: labels)
                model.generator.eval()
                let byHand: Tensor = withoutGrad {
                    var x = g.dense(noise).reshaped([2] + g.grid)
                    for block in g.blocks {
                        x = block(x, labels: labels)
                        if x.shape[1] == side { x = attention(x) }
                    }
                    return g.output(g.finalNorm(x).relu()).tanh()
                }
                model.generator.train()
                XCTAssertEqual(byHand.scalars, generated.scalars, "G at \(side) of \(size)")
            }
        }
    }

    func testBadAttentionSidesAndWidthsAreRefused() throws {
        for (size, side) in [(28, 28), (28, 7), (32, 4), (32, 32), (64, 64), (64, 12), (32, 0)] {
            var options = Self.options(size: size)
            options.attention = side
            XCTAssertThrowsError(try ModelZoo.make("sngan", options: options, rng: RandomGenerator(seed: 1))) {
                XCTAssertTrue("\($0)".contains("not \(side) at \(size)×\(size)"), "\($0)")
                XCTAssertTrue("\($0)".contains("28×28: 14; 32×32: 8, 16; 64×64: 8, 16, 32"), "\($0)")
            }
        }
        // Width 4 leaves D 4 channels at 14×14: SelfAttention splits its channels into eighths.
        XCTAssertThrowsError(
            try ModelZoo.make("sngan", options: ModelOptions(width: 4, attention: 14), rng: RandomGenerator(seed: 1))
        ) { XCTAssertTrue("\($0)".contains("G's 8 and D's 4 channels at 14×14"), "\($0)") }
        // The options belong to sngan: another model refuses them rather than ignoring them.
        XCTAssertThrowsError(
            try ModelZoo.make("dcgan64", options: ModelOptions(attention: 16), rng: RandomGenerator(seed: 1))
        ) { XCTAssertTrue("\($0)".contains("dcgan64 takes no --attention (sngan does)"), "\($0)") }
        XCTAssertThrowsError(
            try ModelZoo.make("resnet-gan", options: ModelOptions(minibatchStddev: true), rng: RandomGenerator(seed: 1))
        ) { XCTAssertTrue("\($0)".contains("resnet-gan takes no --minibatch-stddev (sngan does)"), "\($0)") }
    }

    func testConditioningIsEachModelsOwn() throws {
        let which = "cgan: concatenation; acgan: auxiliary; sngan: projection or auxiliary"
        XCTAssertEqual(ModelZoo.conditioningTakers, which)
        XCTAssertEqual(ModelZoo.conditionings, ["concatenation", "auxiliary", "projection"])
        for (model, kind) in [("cgan", "concatenation"), ("acgan", "auxiliary"), ("sngan", "projection")] {
            XCTAssertNoThrow(
                try ModelZoo.make(
                    model, options: ModelOptions(classes: 3, conditioning: kind), rng: RandomGenerator(seed: 1)),
                model)
        }
        for (model, kind) in [
            ("cgan", "auxiliary"), ("acgan", "projection"), ("sngan", "concatenation"), ("mlp-gan", "auxiliary"),
        ] {
            XCTAssertThrowsError(
                try ModelZoo.make(model, options: ModelOptions(conditioning: kind), rng: RandomGenerator(seed: 1))
            ) {
                XCTAssertTrue("\($0)".contains(which), "\($0)")
                XCTAssertTrue("\($0)".hasPrefix(model + " "), "\($0)")
            }
        }
        // Labels are what the conditioning takes in.
        XCTAssertThrowsError(
            try ModelZoo.make(
                "sngan", options: ModelOptions(classes: 3, unconditional: true, conditioning: "auxiliary"),
                rng: RandomGenerator(seed: 1))
        ) { XCTAssertTrue("\($0)".contains("needs class labels"), "\($0)") }
        var config = TrainConfig()
        config.model = "sngan"
        config.options.conditioning = "classifier"
        XCTAssertThrowsError(try config.validate()) {
            XCTAssertTrue("\($0)".contains("unknown conditioning 'classifier'"), "\($0)")
        }
    }

    /// The options are in `swiftgan train --help`, written from the table as the others are.
    func testTheOptionsAreInTheHelp() throws {
        let help = TrainOptions.help()
        for head in ["--conditioning KIND", "--attention RES", "--minibatch-stddev"] {
            XCTAssertTrue(help.contains("\n  " + head + " "), head)
        }
        let conditioning = try XCTUnwrap(TrainOptions.named("conditioning"))
        XCTAssertTrue(conditioning.help.contains(ModelZoo.conditioningTakers), conditioning.help)
        XCTAssertTrue(try XCTUnwrap(TrainOptions.named("attention")).help.hasPrefix("sngan:"))
        XCTAssertTrue(try XCTUnwrap(TrainOptions.named("minibatch-stddev")).help.hasPrefix("sngan:"))
        XCTAssertFalse(conditioning.resumable)
    }

    /// With minibatch standard deviation D judges the real batch on its own: its outputs on a real
    /// batch are the same whatever fakes the step drew (in one pass over both they would not be,
    /// as the last assertion shows).
    func testMinibatchStddevJudgesRealAndFakeApart() throws {
        let options = ModelOptions(width: 4, minibatchStddev: true)
        let real = Tensor.uniform([8, 28, 28, 1], low: -1, high: 1, using: RandomGenerator(seed: 3))
        func firstStep(seed: UInt64) throws -> (real: [Float], fake: [Float], separate: Bool) {
            let model = try ModelZoo.make("sngan", options: options, rng: RandomGenerator(seed: 1))
            let recorder = RecordingObjective()
            let step = GANTrainingStep(
                model: model, recipe: TrainingRecipe(model: model, objective: recorder),
                rng: RandomGenerator(seed: seed))
            _ = step(real: real)
            return (recorder.real[0], recorder.fake[0], step.separateDiscriminatorPasses)
        }
        let a = try firstStep(seed: 10), b = try firstStep(seed: 11)
        XCTAssertTrue(a.separate)
        XCTAssertNotEqual(a.fake, b.fake, "the two steps drew different fakes")
        XCTAssertEqual(a.real, b.real, "D's outputs on the real batch depend on the fakes")

        let model = try ModelZoo.make("sngan", options: options, rng: RandomGenerator(seed: 1))
        let fake = Tensor.uniform([8, 28, 28, 1], low: -1, high: 1, using: RandomGenerator(seed: 5))
        let joined = model.discriminatorOutput(Tensor.concatenate([real, fake], alongAxis: 0), labels: nil)
        XCTAssertNotEqual(
            joined.slice(alongAxis: 0, 0..<8).scalars, model.discriminatorOutput(real, labels: nil).scalars,
            "σ over a batch of real and fake mixes them")
        // Without it, sngan's D keeps the single, faster pass.
        let plain = try ModelZoo.make("sngan", options: ModelOptions(width: 4), rng: RandomGenerator(seed: 1))
        XCTAssertFalse(
            GANTrainingStep(model: plain, recipe: TrainingRecipe(model: plain), rng: RandomGenerator(seed: 1))
                .separateDiscriminatorPasses)
    }

    /// acgan's training, on sngan: D's output is 1 + C logits, and the class loss trains the
    /// classifier head (which the hinge loss, reading column 0 only, never reaches).
    func testAuxiliaryConditioningTrains() throws {
        let model = try ModelZoo.make(
            "sngan", options: ModelOptions(width: 4, classes: 3, conditioning: "auxiliary"),
            rng: RandomGenerator(seed: 1))
        XCTAssertTrue(model.conditioning.auxiliaryClassifier)
        XCTAssertEqual(model.classCount, 3)
        let d = try XCTUnwrap(model.discriminator.module as? ProjectionDiscriminator)
        let heads = try XCTUnwrap(d.head as? TwoHeads)
        let classifier = try XCTUnwrap(heads.second as? Dense)
        let before = classifier.weight.scalars
        let step = GANTrainingStep(
            model: model, recipe: TrainingRecipe(model: model, objective: HingeGAN()), rng: RandomGenerator(seed: 2))
        let data = RandomGenerator(seed: 3)
        for _ in 0..<3 {
            let metrics = step(
                real: Tensor.uniform([6, 28, 28, 1], low: -1, high: 1, using: data), labels: [0, 1, 2, 2, 1, 0])
            XCTAssertTrue(metrics.isFinite)
        }
        XCTAssertNotEqual(classifier.weight.scalars, before, "the class loss trains the classifier")
        let images = model.generate(model.noise(5, using: data), labels: [0, 1, 2, 0, 1])
        let output = model.discriminatorOutput(images, labels: [0, 1, 2, 0, 1])
        XCTAssertEqual(output.shape, [5, 1 + 3])
        XCTAssertTrue(output.isFinite)
    }

    /// All three options in a run: written to config.json, fixed on resume, and the run resumes to
    /// the same bytes. A batch that groups of four do not divide is refused before training.
    func testOptionsAreSavedAndTheRunResumesExactly() throws {
        let data = try randomIDXFolder("sngan-options-data", count: 40, seed: 3)
        var config = TrainConfig()
        config.model = "sngan"
        config.dataset = "mnist"
        config.dataDir = data.path
        config.options = ModelOptions(width: 8, conditioning: "auxiliary", attention: 14, minibatchStddev: true)
        config.batchSize = 8
        config.steps = 4
        config.sampleEvery = 2
        config.seed = 5
        config.recipe = Recipes.commandLineDefault(for: "sngan")
        config.out = runFolder("sngan-options")
        let run = try TrainingRun(config: config)
        try run.run()
        XCTAssertTrue(run.history.allSatisfy { $0.metrics.isFinite })
        XCTAssertTrue(run.model.conditioning.auxiliaryClassifier)
        XCTAssertEqual(run.model.classCount, 10)
        XCTAssertTrue(run.model.discriminator.contains { $0 is SelfAttention })
        XCTAssertTrue(run.model.discriminator.contains { $0 is MinibatchStandardDeviation })
        let saved = try String(contentsOfFile: config.out! + "/config.json", encoding: .utf8)
        for line in [#""attention" : 14"#, #""conditioning" : "auxiliary""#, #""minibatchStddev" : true"#] {
            XCTAssertTrue(saved.contains(line), saved)
        }
        let reloaded = try TrainConfig.load(URL(fileURLWithPath: config.out! + "/config.json"))
        XCTAssertEqual(reloaded.options.attention, 14)
        XCTAssertEqual(reloaded.options.conditioning, "auxiliary")
        XCTAssertEqual(reloaded.options.minibatchStddev, true)
        for change in [["--attention", "14"], ["--minibatch-stddev"], ["--conditioning", "projection"]] {
            XCTAssertThrowsError(try TrainRequest(arguments: ["--resume", config.out!] + change)) {
                XCTAssertTrue("\($0)".contains(change[0]), "\($0)")
            }
        }

        var uneven = config
        uneven.batchSize = 10
        uneven.out = runFolder("sngan-options-uneven")
        XCTAssertThrowsError(try TrainingRun(config: uneven)) {
            XCTAssertTrue("\($0)".contains("--batch-size must be a multiple of 4"), "\($0)")
        }

        try assertResumeIsExact(config)
    }

    /// Without the options sngan builds the networks it built before they existed: the parameter
    /// counts and names below were worked out from the architecture, not read from the code under test.
    func testDefaultsBuildTheNetworksAsBefore() throws {
        for (options, g, d) in [
            (ModelOptions(width: 4, classes: 10), 104_257, 1_205),
            (ModelOptions(width: 32, classes: 10), 963_969, 67_873),
            (ModelOptions(classes: 10), 444_865, 17_297),  // the default width, 16
            (ModelOptions(width: 4, imageSize: 64, channels: 3), 36_235, 9_757),
        ] {
            let model = try ModelZoo.make("sngan", options: options, rng: RandomGenerator(seed: 1))
            XCTAssertEqual(model.generator.parameterCount, g, "\(options)")
            XCTAssertEqual(model.discriminator.parameterCount, d, "\(options)")
        }
        let rng = RandomGenerator(seed: 1)
        let model = try ModelZoo.make("sngan", options: ModelOptions(width: 4, classes: 10), rng: rng)
        let conv = ["kernel", "bias"]
        XCTAssertEqual(
            model.discriminator.namedParameters.map(\.name),
            [
                "body.0.main.0", "body.0.main.2", "body.0.shortcut.0", "body.1.main.1", "body.1.main.3",
                "body.1.shortcut.0",
            ]
            .flatMap { layer in conv.map { layer + "." + $0 } }
                + ["head.linear.weight", "head.linear.bias", "head.embedding.table"])
        let block = [
            "norm1.scale.table", "norm1.offset.table", "conv1.kernel", "conv1.bias", "norm2.scale.table",
            "norm2.offset.table", "conv2.kernel", "conv2.bias", "shortcut.kernel", "shortcut.bias",
        ]
        XCTAssertEqual(
            model.generator.namedParameters.map(\.name),
            ["dense.weight", "dense.bias"] + (0..<2).flatMap { i in block.map { "blocks.\(i)." + $0 } }
                + ["finalNorm.scale", "finalNorm.offset", "output.kernel", "output.bias"])

        // The options' off values build the same weights from the same draws, and leave the
        // generator where the defaults leave it.
        let explicitRNG = RandomGenerator(seed: 1)
        let explicit = try ModelZoo.make(
            "sngan",
            options: ModelOptions(width: 4, classes: 10, conditioning: "projection", minibatchStddev: false),
            rng: explicitRNG)
        XCTAssertEqual(explicit.generator.parameters.map(\.scalars), model.generator.parameters.map(\.scalars))
        XCTAssertEqual(explicit.discriminator.parameters.map(\.scalars), model.discriminator.parameters.map(\.scalars))
        XCTAssertEqual(explicitRNG.next(), rng.next())

        // A configuration written before the options reads them as unset and writes itself back
        // without them, so its digest (what a resume checks) is unchanged.
        let old = #"{"model": "sngan", "options": {"discriminatorDropout": 0, "width": 4}, "seed": 3}"#
        let config = try TrainConfig.decode(Data(old.utf8), name: "old config.json")
        XCTAssertNil(config.options.attention)
        XCTAssertNil(config.options.conditioning)
        XCTAssertNil(config.options.minibatchStddev)
        let written = try config.json()
        for key in ["attention", "conditioning", "minibatchStddev"] { XCTAssertFalse(written.contains(key), written) }
    }
}

/// The hinge loss, recording D's outputs on the real and the fake batch of each D update.
private final class RecordingObjective: GANObjective {
    let name = "recording"
    let decisionThreshold: Float? = 0
    let usesTargets = false
    var real: [[Float]] = [], fake: [[Float]] = []

    func discriminatorLoss(_ pass: ObjectivePass) -> ObjectiveLoss {
        real.append(pass.real.scalars)
        fake.append(pass.fake.scalars)
        return HingeGAN().discriminatorLoss(pass)
    }

    func generatorLoss(_ pass: ObjectivePass) -> ObjectiveLoss { HingeGAN().generatorLoss(pass) }
}
