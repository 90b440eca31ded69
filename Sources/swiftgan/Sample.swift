import ArgumentParser
import Artifacts
import Foundation
import GAN
import Tensors

struct Sample: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Draw samples from a saved generator.",
        discussion: "Writes a PNG (a grid of images, or a plot of curves) and optionally a NumPy .npy file: uint8 N×H×W for grayscale models (N×28×28), N×H×W×3 for colour ones, float32 N×16 for curve-gan."
    )

    @Option(help: "A generator.safetensors written by 'swiftgan train'.") var checkpoint: String
    @Option(help: "How many samples.") var count: Int = 64
    @Option(help: "Seed for the noise.") var seed: UInt64 = 0
    @Option(help: "PNG file to write.") var out: String?
    @Option(help: "NumPy .npy file to write the samples to.") var npy: String?

    func validate() throws {
        guard count > 0 else { throw ValidationError("--count must be positive") }
        guard out != nil || npy != nil else { throw ValidationError("give --out FILE.png and/or --npy FILE.npy") }
    }

    func run() throws {
        let (model, step) = try Checkpoint.loadGenerator(from: URL(fileURLWithPath: checkpoint))
        let samples = model.generate(model.noise(count, using: RandomGenerator(seed: seed)))
        if let out {
            try RunPictures.samples(generated: samples, real: nil, model: model, step: step).write(to: URL(fileURLWithPath: out))
            print("wrote \(out) (\(count) samples of \(model.name), step \(step))")
        }
        if let npy {
            let data = model.sampleShape == [16]
                ? NPY.encode(float32: samples.scalars, shape: [count, 16])
                : NPY.encode(uint8: RunPictures.bytes(samples, range: model.dataRange),
                             shape: [count] + (model.sampleShape.last == 1 ? Array(model.sampleShape.dropLast()) : model.sampleShape))
            try AtomicFile.write(data, to: URL(fileURLWithPath: npy))
            print("wrote \(npy)")
        }
    }
}
