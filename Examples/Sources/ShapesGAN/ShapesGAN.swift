import Foundation
import SwiftGAN

/// A conditional GAN of one's own, for 28×28 gray "shapes" (``Shapes``):
///
///     G: concat(z(32), one-hot label) → Dense 7·7·32 → Reshape → PixelNorm → LeakyReLU(0.2)
///        → Upsample ×2 → Conv 16, 3×3 → PixelNorm → LeakyReLU(0.2)
///        → Upsample ×2 → Conv 1, 3×3 → tanh                                   (28×28×1)
///     D: a projection discriminator (Miyato & Koyama 2018): features φ(x) by two stride-2
///        convolutions and a minibatch-stddev channel (the engine's, over the whole batch), then
///        Dense(φ) + ⟨embed(y), φ⟩
///
/// D takes two inputs (images and labels), so it is a `LabelledLayer`; the trainer hands it
/// the labels, and gives G the labels as one-hot inputs.
public enum ShapesGAN {
    public static let classes = Shapes.classNames.count

    public static func make(seed: UInt64 = 7) -> GANModel {
        let rng = RandomGenerator(seed: seed)
        let generator = Sequential([
            Dense(32 + classes, 7 * 7 * 32, rng: rng), Reshape([7, 7, 32]), PixelNorm(), LeakyReLU(0.2),
            Upsample(factor: 2), Conv2D(32, 16, kernelSize: 3, padding: .same, rng: rng), PixelNorm(), LeakyReLU(0.2),
            Upsample(factor: 2), Conv2D(16, 1, kernelSize: 3, padding: .same, rng: rng), Tanh(),
        ])
        return GANModel(
            name: "shapes-gan", generator: generator, discriminator: ProjectionDiscriminator(rng: rng),
            noiseSize: 32, sample: .grayscale28, dataRange: -1...1,
            source: SourceSettings(learningRate: 2e-4, beta1: 0.5, batchSize: 32),
            conditioning: .labels(classes: classes))
    }
}

/// D(x, y) = w·φ(x) + b + ⟨embed(y), φ(x)⟩: the projection discriminator. Its layers are stored
/// properties: nothing lists them, the module finds them.
public final class ProjectionDiscriminator: LabelledLayer {
    let features: Sequential
    let linear: Dense
    let embedding: Embedding

    public init(rng: RandomGenerator) {
        features = Sequential([
            Conv2D(1, 16, kernelSize: 4, stride: 2, padding: .same, rng: rng), LeakyReLU(0.2),
            Conv2D(16, 32, kernelSize: 4, stride: 2, padding: .same, rng: rng), LeakyReLU(0.2),
            MinibatchStandardDeviation(groupSize: nil), Conv2D(33, 32, kernelSize: 3, padding: .same, rng: rng),
            LeakyReLU(0.2),
            GlobalSumPool(),
        ])
        linear = Dense(32, 1, rng: rng)
        embedding = Embedding(count: ShapesGAN.classes, dimension: 32, rng: rng)
    }

    public func callAsFunction(_ x: Tensor, labels: [Int]?) -> Tensor {
        let phi = features(x)
        guard let labels else { return linear(phi) }
        return linear(phi) + (embedding(labels) * phi).sum(alongAxis: 1, keepingDimensions: true)
    }
}

/// Ten classes of 28×28 gray pictures made on the fly: a bar (horizontal, vertical, either
/// diagonal), a square, a frame, a cross, a dot, two bars, a corner; each drawn at a random offset
/// and brightness. Small enough to learn in a minute, varied enough to measure.
public enum Shapes {
    public static let classNames = [
        "horizontal", "vertical", "diagonal", "antidiagonal", "square", "frame", "cross", "dot", "two bars", "corner",
    ]

    public static func dataset(count: Int, seed: UInt64) throws -> ImageDataset {
        let rng = RandomGenerator(seed: seed)
        var pixels = [UInt8](repeating: 0, count: count * 28 * 28)
        var labels: [Int] = []
        for i in 0..<count {
            let label = i % classNames.count
            labels.append(label)
            let (dx, dy) = (rng.integer(below: 7) - 3, rng.integer(below: 7) - 3)
            let value = UInt8(160 + rng.integer(below: 96))
            for y in 0..<28 {
                for x in 0..<28 where inside(label, x - dx - 14, y - dy - 14) { pixels[i * 784 + y * 28 + x] = value }
            }
        }
        return try ImageDataset(
            name: "shapes", height: 28, width: 28, channels: 1, pixels: pixels, labels: labels, classNames: classNames)
    }

    /// Whether (x, y), relative to the centre, is ink for a class.
    static func inside(_ label: Int, _ x: Int, _ y: Int) -> Bool {
        switch label {
        case 0: return abs(y) <= 1 && abs(x) <= 9
        case 1: return abs(x) <= 1 && abs(y) <= 9
        case 2: return abs(x - y) <= 1 && abs(x) <= 8
        case 3: return abs(x + y) <= 1 && abs(x) <= 8
        case 4: return abs(x) <= 6 && abs(y) <= 6
        case 5: return max(abs(x), abs(y)) <= 8 && max(abs(x), abs(y)) >= 6
        case 6: return (abs(x) <= 1 || abs(y) <= 1) && abs(x) <= 8 && abs(y) <= 8
        case 7: return x * x + y * y <= 16
        case 8: return (abs(y - 5) <= 1 || abs(y + 5) <= 1) && abs(x) <= 8
        default: return (abs(x + 6) <= 1 || abs(y - 6) <= 1) && x >= -7 && x <= 8 && y >= -8 && y <= 7
        }
    }
}
