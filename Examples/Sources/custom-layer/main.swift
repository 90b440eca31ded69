// A layer of one's own over an op of one's own: pixel norm (Sources/ShapesGAN/PixelNorm.swift),
// checked against finite differences at first and second order, shown as a module tree, used in
// a network, and exported to ONNX. Run: swift run -c release --package-path Examples custom-layer [OUT.onnx]
import Foundation
import ShapesGAN
import SwiftGAN

let rng = RandomGenerator(seed: 0)

// 1. The op's gradients against central finite differences, like torch.autograd.gradcheck and
//    gradgradcheck. Inputs of order 1: the defaults' tolerances hold.
let x = Tensor.normal([3, 5], using: rng)
let firstOrder = GradientCheck().check([x]) { pixelNormalized($0[0]) }
let secondOrder = GradientCheck().checkSecondOrder([x]) { pixelNormalized($0[0]) }
print(
    "gradient check: first order \(firstOrder.isEmpty ? "ok" : "\(firstOrder)"), second order \(secondOrder.isEmpty ? "ok" : "\(secondOrder)")"
)
guard firstOrder.isEmpty && secondOrder.isEmpty else { exit(1) }

// 2. Every row of the output has a root mean square of 1.
let y = pixelNormalized(Tensor.normal([4, 16], std: 3, using: rng)).scalars
let rms = (0..<4).map { row in (y[(row * 16)..<(row * 16 + 16)].map { $0 * $0 }.reduce(0, +) / 16).squareRoot() }
print("root mean square of each row: " + rms.map { String(format: "%.4f", $0) }.joined(separator: " "))

// 3. In a network: the tree, with shapes and parameter counts.
let generator = Sequential([
    Dense(16, 7 * 7 * 8, rng: rng), Reshape([7, 7, 8]), PixelNorm(), LeakyReLU(0.2),
    Upsample(factor: 4), Conv2D(8, 1, kernelSize: 3, padding: .same, rng: rng), Tanh(),
])
print(generator)

// 4. Exported to ONNX: PixelNorm writes itself through ONNXExportable.
let model = GANModel(
    name: "pixel-norm-demo", generator: generator, discriminator: Sequential([Flatten(), Dense(784, 1, rng: rng)]),
    noiseSize: 16, sample: .grayscale28, dataRange: -1...1,
    source: SourceSettings(learningRate: 2e-4, beta1: 0.5, batchSize: 64))
let onnx = try ONNXExport.model(model, role: "generator", step: 0, producerVersion: "examples")
let out =
    CommandLine.arguments.count > 1
    ? CommandLine.arguments[1] : FileManager.default.temporaryDirectory.appendingPathComponent("pixel-norm.onnx").path
try Data(onnx).write(to: URL(fileURLWithPath: out))
print("onnx: \(onnx.count) bytes in \(out)")
