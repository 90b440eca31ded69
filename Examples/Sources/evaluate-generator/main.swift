// Evaluating a generator of one's own: FID and KID in the shipped evaluator's feature space,
// precision and recall, class coverage and conditional accuracy, beside reference points (real
// held-out data, and noise) so the numbers mean something.
// Run: swift run -c release --package-path Examples evaluate-generator GENERATOR.safetensors
import Foundation
import ShapesGAN
import SwiftGAN

guard CommandLine.arguments.count > 1 else {
    print("usage: evaluate-generator GENERATOR.safetensors (custom-gan writes one: OUT_DIR/generator.safetensors)")
    exit(64)
}
let model = ShapesGAN.make()
do {
    try model.generator.load(from: URL(fileURLWithPath: CommandLine.arguments[1]))
} catch {
    print("error: \(error)")
    exit(1)
}
let rng = RandomGenerator(seed: 0)
let shipped = try Evaluator.shipped(for: "fashion-mnist")
let judge = try QualityJudge(evaluator: shipped.evaluator, real: Shapes.dataset(count: 1000, seed: 2))

func line(_ name: String, _ r: QualityReport) -> String {
    name.padding(toLength: 16, withPad: " ", startingAt: 0)
        + String(
            format: "FID %7.2f  KID %7.3f  precision %.2f  recall %.2f  class entropy %.2f",
            r.fid, r.kid, r.precision ?? .nan, r.recall ?? .nan, r.normalizedClassEntropy)
}

let (images, labels) = model.generateForEvaluation(count: 1000, using: rng)
print(line("generator", try judge.report(images: images, labels: labels, rng: rng)))
let heldOut = try Shapes.dataset(count: 1000, seed: 3)
print(
    line(
        "real, held out",
        try judge.report(images: heldOut.batch(Array(0..<1000), range: 0...1), labels: heldOut.labels, rng: rng)))
print(
    line(
        "uniform noise", try judge.report(images: Tensor.uniform([1000, 28, 28, 1], using: rng), labels: nil, rng: rng))
)
