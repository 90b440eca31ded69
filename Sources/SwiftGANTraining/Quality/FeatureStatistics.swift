import SwiftGANTensors

/// The mean and covariance of a set of feature vectors, in double precision: what the Fréchet
/// distance compares, and what a dataset's reference statistics are cached as.
///
/// For features x₁ … x_N ∈ ℝᴰ (the rows of an [N, D] tensor):
///
///     μ = (1/N) Σᵢ xᵢ,    Σ = 1/(N − 1) · Σᵢ (xᵢ − μ)(xᵢ − μ)ᵀ
///
/// (the unbiased covariance, NumPy's `np.cov(features, rowvar=False)`). Computed in two passes,
/// the mean first, then the centered rows in blocks of double-precision rows handed to `dgemm`.
///
/// ```swift
/// let statistics = try FeatureStatistics(features: inceptionFeatures)   // [N, 2048]
/// statistics.mean.count == 2048; statistics.covariance.count == 2048 * 2048
/// ```
public struct FeatureStatistics: Equatable {
    /// N, the number of feature vectors the statistics were computed from.
    public let sampleCount: Int
    /// D, the feature dimension.
    public let dimension: Int
    /// μ, D values.
    public let mean: [Double]
    /// Σ, D×D row-major.
    public let covariance: [Double]

    /// Statistics known already (for instance, loaded from a cache of a dataset's statistics).
    public init(sampleCount: Int, mean: [Double], covariance: [Double]) throws {
        guard covariance.count == mean.count * mean.count else {
            throw GANError(
                "feature statistics: a covariance of \(covariance.count) values does not match a mean of dimension \(mean.count)"
            )
        }
        self.sampleCount = sampleCount
        self.dimension = mean.count
        self.mean = mean
        self.covariance = covariance
    }

    /// The statistics of the rows of `features`, shape [N, D] with N ≥ 2.
    public init(features: Tensor) throws {
        guard features.rank == 2, features.shape[0] >= 2 else {
            throw GANError(
                "feature statistics need at least two feature vectors as an [N, D] tensor, got shape \(describe(features.shape))"
            )
        }
        let (n, d) = (features.shape[0], features.shape[1])
        let x = UnsafePointer(features.data)
        var mean = [Double](repeating: 0, count: d)
        mean.withUnsafeMutableBufferPointer { mu in
            for row in 0..<n {
                let xr = x + row * d
                for j in 0..<d { mu[j] += Double(xr[j]) }
            }
            for j in 0..<d { mu[j] /= Double(n) }
        }
        var covariance = [Double](repeating: 0, count: d * d)
        let blockRows = Swift.max(1, Swift.min(n, (1 << 21) / Swift.max(d, 1)))  // blocks of about 16 MB
        let centered = UnsafeMutablePointer<Double>.allocate(capacity: blockRows * d)
        defer { centered.deallocate() }
        mean.withUnsafeBufferPointer { mu in
            covariance.withUnsafeMutableBufferPointer { sigma in
                for start in stride(from: 0, to: n, by: blockRows) {
                    let rows = Swift.min(blockRows, n - start)
                    for r in 0..<rows {
                        let xr = x + (start + r) * d, cr = centered + r * d
                        for j in 0..<d { cr[j] = Double(xr[j]) - mu[j] }
                    }
                    multiplyDoubleMatrices(
                        centered, centered, into: sigma.baseAddress!, m: d, n: d, k: rows,
                        transposeA: true, accumulate: start > 0)
                }
                let scale = 1 / Double(n - 1)
                for i in 0..<(d * d) { sigma[i] *= scale }
            }
        }
        try self.init(sampleCount: n, mean: mean, covariance: covariance)
    }
}

/// Checks two feature sets are [N, D] tensors of one D with at least `minimumRows` rows each.
func checkFeaturePair(_ real: Tensor, _ generated: Tensor, metric: String, minimumRows: Int) throws {
    guard real.rank == 2, generated.rank == 2, real.shape[1] == generated.shape[1],
        real.shape[0] >= minimumRows, generated.shape[0] >= minimumRows
    else {
        throw GANError(
            "\(metric) needs two [N, D] feature tensors of the same D with at least \(minimumRows) rows each, got \(describe(real.shape)) and \(describe(generated.shape))"
        )
    }
}
