import Foundation
import SwiftGANTensors

/// The Fréchet distance between two Gaussians fitted to feature sets (FID, Heusel et al. 2017,
/// when the features are Inception-v3 pool features):
///
///     FID = ‖μ₁ − μ₂‖² + Tr(Σ₁ + Σ₂ − 2 (Σ₁Σ₂)^{1/2})
///
/// This is pytorch-fid's definition (`calculate_frechet_distance`, which takes scipy's `sqrtm`
/// of Σ₁Σ₂ and then its trace). Here Tr (Σ₁Σ₂)^{1/2} is computed through symmetric matrices only,
/// in double precision: with Σ₁ = V Λ Vᵀ and S = Σ₁^{1/2} = V Λ^{1/2} Vᵀ (negative eigenvalues
/// from rounding clamped to 0), Σ₁Σ₂ = S·(S Σ₂ S)·S⁻¹ has the eigenvalues of the symmetric positive
/// semidefinite M = S Σ₂ S, so Tr (Σ₁Σ₂)^{1/2} = Σᵢ √max(λᵢ(M), 0). (Σ₁Σ₂ and SΣ₂·S share
/// eigenvalues even when S is singular.) The code diagonalizes VᵀMV = (VΛ^{1/2})ᵀ Σ₂ (VΛ^{1/2}),
/// which has the same eigenvalues and saves a product.
///
/// ```swift
/// let reference = try FeatureStatistics(features: realFeatures)
/// let fid = try frechetDistance(reference, try FeatureStatistics(features: generatedFeatures))
/// ```
public func frechetDistance(_ first: FeatureStatistics, _ second: FeatureStatistics) throws -> Double {
    guard first.dimension == second.dimension else {
        throw GANError("Fréchet distance: feature dimensions differ (\(first.dimension) vs \(second.dimension))")
    }
    let d = first.dimension
    var meanTerm = 0.0, traceTerm = 0.0
    for j in 0..<d {
        let difference = first.mean[j] - second.mean[j]
        meanTerm += difference * difference
        traceTerm += first.covariance[j * d + j] + second.covariance[j * d + j]
    }
    let traceOfRoot = try traceOfProductSquareRoot(first.covariance, second.covariance, dimension: d)
    return meanTerm + traceTerm - 2 * traceOfRoot
}

/// FID straight from two [N, D] feature tensors.
public func frechetDistance(real: Tensor, generated: Tensor) throws -> Double {
    try frechetDistance(FeatureStatistics(features: real), FeatureStatistics(features: generated))
}

/// Tr (Σ₁Σ₂)^{1/2} for symmetric positive semidefinite D×D Σ₁, Σ₂ (see ``frechetDistance(_:_:)``).
func traceOfProductSquareRoot(_ sigma1: [Double], _ sigma2: [Double], dimension d: Int) throws -> Double {
    if d == 0 { return 0 }
    let (lambda, v) = try symmetricEigendecomposition(sigma1, n: d)
    // U = V·Λ^{1/2}: column i of V scaled by √max(λᵢ, 0).
    let roots = lambda.map { Swift.max($0, 0).squareRoot() }
    var u = v
    u.withUnsafeMutableBufferPointer { pu in
        roots.withUnsafeBufferPointer { root in
            for r in 0..<d {
                for i in 0..<d { pu[r * d + i] *= root[i] }
            }
        }
    }
    // M' = Uᵀ Σ₂ U = Vᵀ (S Σ₂ S) V.
    var sigma2U = [Double](repeating: 0, count: d * d)
    var m = [Double](repeating: 0, count: d * d)
    multiplyDoubleMatrices(sigma2, u, into: &sigma2U, m: d, n: d, k: d)
    multiplyDoubleMatrices(u, sigma2U, into: &m, m: d, n: d, k: d, transposeA: true)
    return try symmetricEigenvalues(m, n: d).reduce(0) { $0 + Swift.max($1, 0).squareRoot() }
}
