// A conditional GAN of one's own (Sources/ShapesGAN) trained by SwiftGAN's trainer: the same run
// folder, TensorBoard log, report, Ctrl-C safety and byte-identical resume as `swiftgan train`,
// with an objective of one's own. Then the saved generator is loaded, sampled, evaluated and
// exported to ONNX. Run: swift run -c release --package-path Examples custom-gan OUT_DIR [STEPS]
import Foundation
import ShapesGAN
import SwiftGAN

/// The relativistic average hinge loss (Jolicoeur-Martineau 2018): D wants real examples a margin
/// above the average fake and fakes a margin below the average real; G wants the reverse, so its
/// loss looks at D's outputs on the real batch too (`pass.real`).
struct RelativisticHinge: GANObjective {
    let name = "relativistic-hinge", decisionThreshold: Float? = 0, usesTargets = false

    func discriminatorLoss(_ pass: ObjectivePass) -> ObjectiveLoss {
        let (real, fake) = (pass.real - pass.fake.mean(), pass.fake - pass.real.mean())
        let gap = withoutGrad { pass.real.mean().scalar - pass.fake.mean().scalar }
        return ObjectiveLoss((1 - real).relu().mean() + (1 + fake).relu().mean(), metrics: [("real_minus_fake", gap)])
    }

    /// The accuracies read the relative outputs: D's raw outputs may drift by any constant.
    func discriminatorDecision(_ pass: ObjectivePass) -> (real: Tensor, fake: Tensor) {
        (pass.real - pass.fake.mean(), pass.fake - pass.real.mean())
    }

    func generatorDecision(_ pass: ObjectivePass) -> Tensor { pass.fake - pass.real.mean() }

    func generatorLoss(_ pass: ObjectivePass) -> ObjectiveLoss {
        let (real, fake) = (pass.real - pass.fake.mean(), pass.fake - pass.real.mean())
        return ObjectiveLoss((1 + real).relu().mean() + (1 - fake).relu().mean())
    }
}

let arguments = CommandLine.arguments
let out = URL(fileURLWithPath: arguments.count > 1 ? arguments[1] : "runs/custom-gan")
let steps = arguments.count > 2 ? Int(arguments[2]) ?? 60 : 60
try? FileManager.default.removeItem(at: out)
let data = try Shapes.dataset(count: 640, seed: 1)

func configuration(_ folder: String) -> TrainConfig {
    var config = TrainConfig()
    config.steps = steps
    config.sampleEvery = max(steps / 4, 1)
    config.seed = 3
    config.ema = 0.99
    config.out = out.appendingPathComponent(folder).path
    return config
}

// 1. Train, stopped halfway as Ctrl-C would stop it: everything is saved at the stop.
var stepsDone = 0
let first = try TrainingRun(
    model: ShapesGAN.make(), config: configuration("run"), data: data, objective: RelativisticHinge())
first.onStep = { step, _ in stepsDone = step }
first.stopRequested = { stepsDone >= steps / 2 }
try first.run()
print(
    "stopped at step \(first.finalStep) of \(steps); the run folder holds: "
        + ((try? FileManager.default.contentsOfDirectory(atPath: first.folder.path)) ?? []).sorted().joined(
            separator: ", "))

// 2. Resume it: the same model code, the same arguments, then resume().
let resumed = try TrainingRun(
    model: ShapesGAN.make(), config: configuration("run"), data: data, objective: RelativisticHinge())
try resumed.resume()
try resumed.run()
let last = resumed.history.last!.metrics
print(
    String(
        format: "resumed to step %d: D loss %.3f, G loss %.3f, real_minus_fake %.3f", resumed.finalStep,
        last.discriminatorLoss, last.generatorLoss, last.extra("real_minus_fake") ?? .nan))

// 3. The same run without the stop: the same weights to the byte, and the same training state
//    (optimizers, average, random generator, data order).
let straight = try TrainingRun(
    model: ShapesGAN.make(), config: configuration("straight"), data: data, objective: RelativisticHinge())
try straight.run()
let sameWeights = try ["generator.safetensors", "discriminator.safetensors"].allSatisfy { file in
    try Data(contentsOf: resumed.folder.url.appendingPathComponent(file))
        == Data(contentsOf: straight.folder.url.appendingPathComponent(file))
}
let (a, b) = (try Safetensors.read(from: resumed.folder.state), try Safetensors.read(from: straight.folder.state))
let sameState =
    a.tensors.count == b.tensors.count
    && a.tensors.allSatisfy { name, t in b.tensors[name].map { $0.shape == t.shape && $0.values == t.values } ?? false }
    // Only the clock in the header differs.
    && a.metadata.filter { $0.key != "seconds" } == b.metadata.filter { $0.key != "seconds" }
let identical = sameWeights && sameState
print("resume byte-identical: \(identical) (weights \(sameWeights), training state \(sameState))")
let events = try FileManager.default.contentsOfDirectory(atPath: resumed.folder.path).filter {
    $0.hasPrefix("events.out.tfevents")
}
print(
    "tensorboard event files: \(events.count); report: \(FileManager.default.fileExists(atPath: resumed.folder.report.path))"
)

// 4. Load the saved generator into a freshly built model, and draw one row per class.
let model = ShapesGAN.make(seed: 99)
try Checkpoint.load(model.generator, of: model, role: "generator", from: resumed.folder.generator)
let rng = RandomGenerator(seed: 5)
let labels = (0..<(ShapesGAN.classes * 8)).map { $0 / 8 }
let noise = model.noise(labels.count, using: rng)
let samples = model.generate(noise, labels: labels)
let grid = try ImageGrid.render(
    nhwc: samples.scalars, height: 28, width: 28, channels: 1, columns: 8, scale: 2,
    rowLabels: Shapes.classNames)
try grid.write(to: out.appendingPathComponent("samples.png"))
print("samples: \(out.appendingPathComponent("samples.png").path)")

// 5. Evaluate it in the shipped evaluator's feature space against held-out shapes.
let judge = try QualityJudge(
    evaluator: Evaluator.shipped(for: "fashion-mnist").evaluator, real: Shapes.dataset(count: 500, seed: 2))
let (images, imageLabels) = model.generateForEvaluation(count: 500, using: rng)
let report = try judge.report(images: images, labels: imageLabels, full: false, rng: rng)
print(String(format: "quality: FID %.1f, KID %.3f on %d samples", report.fid, report.kid, report.imageCount))

// 6. Export G to ONNX, with the inputs and SwiftGAN's outputs for a runtime to compare against.
let onnx = try ONNXExport.model(
    model, role: "generator", step: resumed.finalStep, classNames: Shapes.classNames, producerVersion: "examples")
try Data(onnx).write(to: out.appendingPathComponent("generator.onnx"))
try NPY.write(float32: noise.scalars, shape: noise.shape, to: out.appendingPathComponent("noise.npy"))
try NPY.write(int64: labels.map(Int64.init), shape: [labels.count], to: out.appendingPathComponent("labels.npy"))
try NPY.write(float32: samples.scalars, shape: samples.shape, to: out.appendingPathComponent("samples.npy"))
try model.generator.save(to: out.appendingPathComponent("generator.safetensors"))
print("onnx: \(onnx.count) bytes in \(out.appendingPathComponent("generator.onnx").path)")
guard identical else { exit(1) }
