import ArgumentParser
import Foundation
import SwiftGANArtifacts
import SwiftGANTensors
import SwiftGANTraining

struct Interpolate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Walk a saved generator's noise space: one row per pair of seeded noise vectors.",
        discussion: """
            Each row goes from one noise vector to another by spherical interpolation, in --steps images. \
            A conditional model (cgan, acgan, sngan) walks within the class of --label, or with --classes draws \
            each of --rows noise vectors as every class instead (one row each: same style, every class). \
            --gif writes the walk as an animation (forth and back), one frame per step.
            """
    )

    @Option(help: "A generator.safetensors written by 'swiftgan train'.") var checkpoint: String?
    @Option(help: PretrainedOption.help) var pretrained: String?
    @Option(help: "Images per row (the walk's points, ends included).") var steps: Int = 10
    @Option(help: "Rows: pairs of noise vectors (with --classes: noise vectors).") var rows: Int = 8
    @Option(help: "Seed for the noise.") var seed: UInt64 = 0
    @Option(parsing: .unconditional, help: "Conditional models: the class to walk in.") var label: Int?
    @Flag(help: "Conditional models: each noise vector drawn as every class.") var classes = false
    @Option(help: "PNG file to write.") var out: String?
    @Option(help: "GIF file to write the walk to, as an animation.") var gif: String?

    func validate() throws {
        guard (2...100).contains(steps) else { throw ValidationError("--steps must lie in 2...100, got \(steps)") }
        guard (1...100).contains(rows) else { throw ValidationError("--rows must lie in 1...100, got \(rows)") }
        guard out != nil || gif != nil else { throw ValidationError("give --out FILE.png and/or --gif FILE.gif") }
        let input = try PretrainedOption.checkpoint(checkpoint, pretrained: pretrained)
        for case let (path?, option, ext) in [(out, "--out", "png"), (gif, "--gif", "gif")] {
            if let problem = OutputFile.problem(with: path, option: option, extension: ext, inputs: [input]) {
                throw ValidationError(problem)
            }
        }
        if classes && label != nil {
            throw ValidationError("--classes draws every class; give it or --label, not both")
        }
    }

    /// The most images one walk draws (a picture of 100 × 100 64×64 images is 6,400 px square).
    static let maxImages = 10_000

    func run() throws {
        try OneProcess.require("interpolate")
        StopCleanly.install()
        let file = try PretrainedOption.checkpoint(checkpoint, pretrained: pretrained)
        let (model, step, classNames) = try Checkpoint.loadGenerator(from: URL(fileURLWithPath: file))
        guard case .images = model.sample else {
            throw GANError("\(model.name) makes \(model.sample); interpolate draws image models")
        }
        let rng = RandomGenerator(seed: seed)
        let noise: Tensor, labels: [Int]?, columns: Int
        if classes {
            guard model.classCount > 0 else {
                throw ValidationError("--classes needs a conditional model; \(model.name) is unconditional")
            }
            // A checkpoint may have any number of classes: the picture has a row per noise vector
            // and a column per class.
            guard rows * model.classCount <= Self.maxImages else {
                throw ValidationError(
                    "\(rows) rows × \(model.classCount) classes is more than the \(Self.maxImages) images a walk draws; give fewer --rows"
                )
            }
            (noise, labels) = LatentWalk.classSweep(
                rows: rows, classes: model.classCount, noiseSize: model.noiseSize, using: rng)
            columns = model.classCount
        } else {
            noise = LatentWalk.noise(rows: rows, steps: steps, noiseSize: model.noiseSize, using: rng)
            labels = label.map { Array(repeating: $0, count: rows * steps) }
            columns = steps
        }
        do { try model.validate(labels: labels) } catch { throw ValidationError("\(error)") }
        let images = model.generate(inBatches: noise, labels: labels)
        let name = { Sample.className($0, in: classNames) }
        let what = classes ? "\(rows) noise vectors × \(model.classCount) classes" : "\(rows) walks of \(steps) steps"
        if let out {
            let header = classes ? nil : label.map { [String](repeating: name($0), count: rows) }
            try RunPictures.samples(
                generated: images, real: nil, model: model, step: step, columns: columns, rowLabels: header
            )
            .write(to: URL(fileURLWithPath: out))
            print(
                "wrote \(out) (\(what) of \(model.name), step \(step)\(classes ? "; columns: " + (0..<model.classCount).map(name).joined(separator: ", ") : ""))"
            )
        }
        if let gif {
            // Frame k: every row's k-th image, side by side; forth, then back.
            let shape = model.sampleShape, size = shape.reduce(1, *), all = images.scalars
            var frames: [RasterImage] = []
            for k in Array(0..<columns) + Array((1..<(columns - 1)).reversed()) {
                var values: [Float] = []
                for r in 0..<rows { values += all[((r * columns + k) * size)..<((r * columns + k + 1) * size)] }
                frames.append(
                    try RunPictures.samples(
                        generated: Tensor(values, shape: [rows] + shape), real: nil, model: model, step: step,
                        columns: Swift.min(rows, 10)))
            }
            try GIF.writeAnimation(frames, frameDelay: 15, lastFrameDelay: 15, to: URL(fileURLWithPath: gif))
            print("wrote \(gif) (\(frames.count) frames)")
        }
    }
}
