import Foundation
import SwiftGANTensors

/// How a weight tensor starts. Fans follow Keras: for a [fanIn, fanOut] matrix, the two
/// dimensions; for a convolution kernel [kh, kw, in, out], receptive field × in and × out.
///
/// - `glorotUniform`: U(−l, l), l = √(6 / (fanIn + fanOut)) (Keras's default for Dense and Conv).
/// - `glorotNormal`: truncated normal with σ = √(2 / (fanIn + fanOut)) (as Keras: redrawn beyond 2σ,
///   σ corrected by 0.8796 for the truncation).
/// - `heUniform`: U(−l, l), l = √(6 / fanIn); `heNormal`: truncated normal, σ = √(2 / fanIn).
/// - `normal(std:)`: N(0, std²), e.g. DCGAN's N(0, 0.02).
/// - `uniform(limit:)`: U(−limit, limit); `zeros`, `ones`, `constant`.
public enum Initializer: Equatable, Sendable {
    case glorotUniform, glorotNormal, heUniform, heNormal
    case normal(std: Float)
    case uniform(limit: Float)
    case zeros, ones
    case constant(Float)

    public static func fans(_ shape: [Int]) -> (fanIn: Int, fanOut: Int) {
        switch shape.count {
        case 0: return (1, 1)
        case 1: return (shape[0], shape[0])
        case 2: return (shape[0], shape[1])
        default:
            let receptive = shape.dropLast(2).reduce(1, *)
            return (receptive * shape[shape.count - 2], receptive * shape[shape.count - 1])
        }
    }

    public func make(_ shape: [Int], rng: RandomGenerator) -> Tensor {
        let (fanIn, fanOut) = Self.fans(shape)
        switch self {
        case .glorotUniform:
            let limit = (6 / Float(fanIn + fanOut)).squareRoot()
            return Tensor.uniform(shape, low: -limit, high: limit, using: rng)
        case .glorotNormal:
            return Self.truncatedNormal(shape, std: (2 / Float(fanIn + fanOut)).squareRoot() / 0.879_625_76, rng: rng)
        case .heUniform:
            let limit = (6 / Float(fanIn)).squareRoot()
            return Tensor.uniform(shape, low: -limit, high: limit, using: rng)
        case .heNormal:
            return Self.truncatedNormal(shape, std: (2 / Float(fanIn)).squareRoot() / 0.879_625_76, rng: rng)
        case .normal(let std):
            return Tensor.normal(shape, std: std, using: rng)
        case .uniform(let limit):
            return Tensor.uniform(shape, low: -limit, high: limit, using: rng)
        case .zeros: return Tensor.zeros(shape)
        case .ones: return Tensor.ones(shape)
        case .constant(let value): return Tensor.full(value, shape: shape)
        }
    }

    /// N(0, std²) redrawn beyond two standard deviations, as Keras's TruncatedNormal.
    private static func truncatedNormal(_ shape: [Int], std: Float, rng: RandomGenerator) -> Tensor {
        let t = Tensor.zeros(shape)
        for i in 0..<t.count {
            var z = rng.normal()
            while Swift.abs(z) > 2 { z = rng.normal() }
            t.data[i] = z * std
        }
        return t
    }
}
