import Foundation
import SwiftGANTensors

/// Walks through a generator's noise space: spherical interpolation between seeded noise
/// vectors (White 2016, "Sampling Generative Networks"), and, for conditional models, one noise
/// vector drawn as every class.
public enum LatentWalk {
    /// slerp(a, b, t) = sin((1 − t)Ω)/sin Ω · a + sin(tΩ)/sin Ω · b, Ω the angle between a and b.
    /// Gaussian noise lives near a sphere; the straight line between two points cuts inside it,
    /// where the generator saw no noise in training. Nearly parallel vectors fall back to the line.
    public static func slerp(_ a: [Float], _ b: [Float], _ t: Float) -> [Float] {
        precondition(a.count == b.count, "slerp needs vectors of one length, got \(a.count) and \(b.count)")
        let dot = zip(a, b).reduce(0) { $0 + Double($1.0) * Double($1.1) }
        let norms = (a.reduce(0) { $0 + Double($1) * Double($1) } * b.reduce(0) { $0 + Double($1) * Double($1) })
            .squareRoot()
        let omega = norms > 0 ? acos(Swift.max(-1, Swift.min(1, dot / norms))) : 0
        guard sin(omega) > 1e-6 else { return zip(a, b).map { $0 + (Float(t)) * ($1 - $0) } }
        let (wa, wb) = (Float(sin((1 - Double(t)) * omega) / sin(omega)), Float(sin(Double(t) * omega) / sin(omega)))
        return zip(a, b).map { wa * $0 + wb * $1 }
    }

    /// `rows` walks of `steps` points each (t from 0 to 1), row after row: noise of shape
    /// [rows · steps, noiseSize]. Each row's two ends are drawn from `rng` in turn.
    public static func noise(rows: Int, steps: Int, noiseSize: Int, using rng: RandomGenerator) -> Tensor {
        precondition(rows >= 1 && steps >= 2, "a walk needs a row and two steps")
        var values: [Float] = []
        values.reserveCapacity(rows * steps * noiseSize)
        for _ in 0..<rows {
            let ends = Tensor.normal([2, noiseSize], using: rng).scalars
            let (a, b) = (Array(ends[..<noiseSize]), Array(ends[noiseSize...]))
            for s in 0..<steps { values += slerp(a, b, Float(s) / Float(steps - 1)) }
        }
        return Tensor(values, shape: [rows * steps, noiseSize])
    }

    /// A class sweep: `rows` noise vectors, each repeated once per class, with the labels
    /// 0, 1, …, classes − 1 along every row (same style, every class).
    public static func classSweep(
        rows: Int, classes: Int, noiseSize: Int, using rng: RandomGenerator
    ) -> (noise: Tensor, labels: [Int]) {
        let base = Tensor.normal([rows, noiseSize], using: rng).scalars
        var values: [Float] = []
        for r in 0..<rows { for _ in 0..<classes { values += base[(r * noiseSize)..<((r + 1) * noiseSize)] } }
        return (Tensor(values, shape: [rows * classes, noiseSize]), (0..<(rows * classes)).map { $0 % classes })
    }
}
