import SwiftGANDatasets
import SwiftGANNN
import SwiftGANTensors

/// The CPU-friendly first GAN: learn the family of curves y = a·x² + (a − 1), a ~ U(1, 2), sampled
/// at 16 points of [−1, 1] (see `QuadraticCurves`).
///
///     G: z(8) → Dense 64 → LeakyReLU(0.2) → Dense 64 → LeakyReLU(0.2) → Dense 16 (linear)
///     D: 16 → Dense 64 → LeakyReLU(0.2) → Dense 64 → LeakyReLU(0.2) → Dense 1 (logit)
///
/// Adam(1e-3, β₁ 0.5), batch 64. A few thousand steps (seconds on a CPU) give curves of the right family.
public enum CurveGAN {
    public static let source = SourceSettings(learningRate: 1e-3, beta1: 0.5, batchSize: 64)

    public static func make(options: ModelOptions, rng: RandomGenerator) -> GANModel {
        let generator = Sequential([
            Dense(8, 64, rng: rng), LeakyReLU(0.2),
            Dense(64, 64, rng: rng), LeakyReLU(0.2),
            Dense(64, 16, rng: rng),
        ])
        var d: [any UnaryLayer] = [Dense(16, 64, rng: rng), LeakyReLU(0.2)]
        let rate = source.dropout(options.discriminatorDropout)
        if rate > 0 { d.append(Dropout(rate: rate, rng: rng)) }
        d += [Dense(64, 64, rng: rng), LeakyReLU(0.2), Dense(64, 1, rng: rng)]
        return GANModel(
            name: "curve-gan", generator: generator, discriminator: Sequential(d), noiseSize: 8,
            sample: .curves(points: QuadraticCurves.pointCount), dataRange: -1...3, source: source, options: options)
    }
}

extension CurveGAN: ZooModel {
    public static let name = "curve-gan"
    public static let summary = "the 1-D quadratic-curve GAN: learns a family of parabolas"
    public static func build(options: ModelOptions, rng: RandomGenerator) throws -> GANModel {
        make(options: options, rng: rng)
    }
}
