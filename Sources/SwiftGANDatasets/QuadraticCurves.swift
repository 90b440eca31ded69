import SwiftGANTensors

/// The curve GAN's real data: 16 points of y = a·x² + (a − 1) at x evenly spaced in [−1, 1], with
/// a ~ U(1, 2) per curve (so y(0) = a − 1 ∈ [0, 1] and y(±1) = 2a − 1 ∈ [1, 3]). A generated curve
/// is checked by fitting y = p·x² + q and testing that q ≈ p − 1 with p in [1, 2].
public enum QuadraticCurves {
    public static let pointCount = 16

    /// The x positions, evenly spaced over [−1, 1].
    public static var xs: [Float] { (0..<pointCount).map { -1 + 2 * Float($0) / Float(pointCount - 1) } }

    /// `count` curves as a [count, 16] tensor.
    public static func sample(_ count: Int, using rng: RandomGenerator) -> Tensor {
        let t = Tensor.zeros([count, pointCount])
        let xs = xs
        for i in 0..<count {
            let a = 1 + rng.uniform()
            for (j, x) in xs.enumerated() { t.data[i * pointCount + j] = a * x * x + (a - 1) }
        }
        return t
    }

    /// Least-squares fit y ≈ p·x² + q to one curve; returns (p, q, root-mean-square residual).
    public static func fit(_ ys: [Float]) -> (a: Float, offset: Float, rmsResidual: Float) {
        let u = xs.map { Double($0 * $0) }, y = ys.map(Double.init)
        let n = Double(u.count)
        let su = u.reduce(0, +), sy = y.reduce(0, +)
        let suu = u.reduce(0) { $0 + $1 * $1 }, suy = zip(u, y).reduce(0) { $0 + $1.0 * $1.1 }
        let p = (n * suy - su * sy) / (n * suu - su * su)
        let q = (sy - p * su) / n
        let residual = zip(u, y).reduce(0) { $0 + (p * $1.0 + q - $1.1) * (p * $1.0 + q - $1.1) }
        return (Float(p), Float(q), Float((residual / n).squareRoot()))
    }

    /// Whether a curve is of the family: a good quadratic fit whose coefficient lies in [1, 2] and
    /// whose offset is the coefficient minus one.
    public static func isInFamily(_ ys: [Float], tolerance: Float = 0.1) -> Bool {
        let f = fit(ys)
        return f.rmsResidual < tolerance && f.a > 1 - tolerance && f.a < 2 + tolerance
            && abs(f.offset - (f.a - 1)) < tolerance
    }
}
