import Foundation
import SwiftGANTensors

/// The kernel inception distance (KID, Bińkowski et al. 2018): the mean and spread of an unbiased
/// estimate of the squared maximum mean discrepancy between two feature sets, over random subsets.
public struct KernelDistance: Equatable {
    /// The mean of the subsets' MMD² estimates: the KID.
    public let mean: Double
    /// Their standard deviation (population form, NumPy's `np.std`, as torch-fidelity reports).
    public let standardDeviation: Double
    /// The size of each subset drawn from each set.
    public let subsetSize: Int
    /// How many subsets were drawn.
    public let subsetCount: Int
}

/// KID as torch-fidelity computes it: `subsets` times, draw `subsetSize` rows without replacement
/// from each of `real` and `generated` ([N₁, D] and [N₂, D]; the size is clamped to min(N₁, N₂)),
/// and take ``polynomialKernelMMD(_:_:)`` of the two subsets. The draws come from `rng` in a fixed
/// order (real subset, then generated subset), so a seed reproduces the result.
///
/// ```swift
/// let kid = try kernelDistance(real: realFeatures, generated: fakeFeatures, using: RandomGenerator(seed: 0))
/// print(kid.mean, "±", kid.standardDeviation)
/// ```
public func kernelDistance(
    real: Tensor, generated: Tensor, subsets: Int = 100, subsetSize: Int = 1000,
    using rng: RandomGenerator
) throws -> KernelDistance {
    try checkFeaturePair(real, generated, metric: "kernel distance", minimumRows: 2)
    guard subsets >= 1, subsetSize >= 2 else {
        throw GANError(
            "kernel distance needs at least one subset of at least two rows, got \(subsets) of \(subsetSize)")
    }
    let size = Swift.min(subsetSize, real.shape[0], generated.shape[0])
    var realOrder = Array(0..<real.shape[0]), generatedOrder = Array(0..<generated.shape[0])
    var estimates = [Double]()
    withoutGrad {
        for _ in 0..<subsets {
            let x = real.gathering(drawWithoutReplacement(size, from: &realOrder, using: rng))
            let y = generated.gathering(drawWithoutReplacement(size, from: &generatedOrder, using: rng))
            estimates.append(polynomialKernelMMD(x, y))
        }
    }
    let mean = estimates.reduce(0, +) / Double(subsets)
    let variance = estimates.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(subsets)
    return KernelDistance(mean: mean, standardDeviation: variance.squareRoot(), subsetSize: size, subsetCount: subsets)
}

/// The unbiased estimate of MMD² between the rows of x [m, D] and y [n, D] (m, n ≥ 2) under the
/// polynomial kernel k(a, b) = (aᵀb / D + 1)³:
///
///     MMD²ᵤ = 1/(m(m−1)) Σ_{i≠j} k(xᵢ, xⱼ) + 1/(n(n−1)) Σ_{i≠j} k(yᵢ, yⱼ) − 2/(mn) Σ_{i,j} k(xᵢ, yⱼ)
///
/// (torch-fidelity's `mmd2` with `mmd_est='unbiased'`). Its expectation is 0 when x and y come
/// from the same distribution, so single estimates can be negative. Gram matrices by sgemm,
/// kernel sums accumulated in double precision.
///
/// ```swift
/// let mmd = polynomialKernelMMD(realFeatures, generatedFeatures)
/// ```
public func polynomialKernelMMD(_ x: Tensor, _ y: Tensor) -> Double {
    require(
        x.rank == 2 && y.rank == 2 && x.shape[1] == y.shape[1] && x.shape[0] >= 2 && y.shape[0] >= 2,
        "polynomialKernelMMD needs [m, D] and [n, D] with m, n ≥ 2, got \(describe(x.shape)) and \(describe(y.shape))")
    let (m, n, d) = (Double(x.shape[0]), Double(y.shape[0]), x.shape[1])
    return withoutGrad {
        let xx = polynomialKernelSum(x.matmul(x, transposeOther: true), dimension: d, skippingDiagonal: true)
        let yy = polynomialKernelSum(y.matmul(y, transposeOther: true), dimension: d, skippingDiagonal: true)
        let xy = polynomialKernelSum(x.matmul(y, transposeOther: true), dimension: d, skippingDiagonal: false)
        return xx / (m * (m - 1)) + yy / (n * (n - 1)) - 2 * xy / (m * n)
    }
}

/// Σ (gᵢⱼ / D + 1)³ over a Gram matrix g, leaving out i = j when asked.
private func polynomialKernelSum(_ gram: Tensor, dimension d: Int, skippingDiagonal: Bool) -> Double {
    let (rows, columns) = (gram.shape[0], gram.shape[1])
    let g = UnsafePointer(gram.data), scale = 1 / Double(d)
    var total = 0.0
    for r in 0..<rows {
        let row = g + r * columns
        var rowTotal = 0.0
        for c in 0..<columns {
            let base = Double(row[c]) * scale + 1
            rowTotal += base * base * base
        }
        if skippingDiagonal {
            let base = Double(row[r]) * scale + 1
            rowTotal -= base * base * base
        }
        total += rowTotal
    }
    return total
}

/// The first `count` entries of `order` after a partial Fisher–Yates shuffle: a uniformly random
/// subset, whatever order `order` was left in by earlier draws.
func drawWithoutReplacement(_ count: Int, from order: inout [Int], using rng: RandomGenerator) -> [Int] {
    let n = order.count
    for i in 0..<count { order.swapAt(i, i + rng.integer(below: n - i)) }
    return Array(order[0..<count])
}
