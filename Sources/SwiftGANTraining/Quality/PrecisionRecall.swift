import SwiftGANTensors

/// Improved precision and recall (Kynkäänniemi et al. 2019) of a generated feature set against a
/// real one, each set's manifold estimated as a union of k-nearest-neighbour balls.
public struct PrecisionRecall: Equatable {
    /// The share of generated points inside at least one real ball: how many samples look real.
    public let precision: Double
    /// The share of real points inside at least one generated ball: how much of the data is covered.
    public let recall: Double
    /// k, the neighbour whose distance is each ball's radius.
    public let neighbourCount: Int
}

/// Precision and recall of `generated` [N_g, D] against `real` [N_r, D] (both with more than k rows).
///
/// Each point's ball has as radius the distance to its k-th nearest *other* point of its own set.
///
///     precision = (1/N_g) Σ_g 1[∃ r: ‖g − r‖ ≤ radius_real(r)]
///     recall    = (1/N_r) Σ_r 1[∃ g: ‖r − g‖ ≤ radius_generated(g)]
///
/// Squared distances come from ‖a‖² + ‖b‖² − 2aᵀb with sgemm (tiny negatives from rounding clamped
/// to 0, as in the authors' implementation), one block of `blockRows` rows against a whole set at a
/// time, so memory stays at blockRows × N floats: 10,000 points against 10,000 need 40 MB, not 400.
///
/// ```swift
/// let pr = try precisionRecall(real: realFeatures, generated: fakeFeatures)   // k = 3
/// print(pr.precision, pr.recall)
/// ```
public func precisionRecall(
    real: Tensor, generated: Tensor, neighbourCount k: Int = 3,
    blockRows: Int = 1000
) throws -> PrecisionRecall {
    guard k >= 1, blockRows >= 1 else {
        throw GANError("precision and recall need k ≥ 1 and blockRows ≥ 1, got \(k) and \(blockRows)")
    }
    try checkFeaturePair(real, generated, metric: "precision and recall with k = \(k)", minimumRows: k + 1)
    return withoutGrad {
        let realRadii = kNearestNeighbourSquaredRadii(real, k: k, blockRows: blockRows)
        let generatedRadii = kNearestNeighbourSquaredRadii(generated, k: k, blockRows: blockRows)
        let (nReal, nGenerated) = (real.shape[0], generated.shape[0])
        let generatedInside = UnsafeMutablePointer<Bool>.allocate(capacity: nGenerated)
        let realCovered = UnsafeMutablePointer<Bool>.allocate(capacity: nReal)
        defer { generatedInside.deallocate(); realCovered.deallocate() }
        realCovered.initialize(repeating: false, count: nReal)
        realRadii.withUnsafeBufferPointer { realRadius in
            generatedRadii.withUnsafeBufferPointer { generatedRadius in
                forEachSquaredDistanceBlock(generated, real, blockRows: blockRows) { start, rows, distances in
                    let minimumChunk = Swift.max(1, Parallel.elementwiseThreshold / nReal)
                    // Precision: does generated row g fall in some real ball?
                    Parallel.forEachChunk(rows, minimumChunk: minimumChunk) { chunk in
                        for r in chunk {
                            let row = distances + r * nReal
                            var inside = false
                            for j in 0..<nReal where row[j] <= realRadius[j] { inside = true; break }
                            generatedInside[start + r] = inside
                        }
                    }
                    // Recall: which real columns fall in the ball of some generated row of this block?
                    Parallel.forEachChunk(nReal, minimumChunk: Swift.max(1, Parallel.elementwiseThreshold / rows)) {
                        columns in
                        for r in 0..<rows {
                            let row = distances + r * nReal, radius = generatedRadius[start + r]
                            for j in columns where row[j] <= radius { realCovered[j] = true }
                        }
                    }
                }
            }
        }
        let precision = Double((0..<nGenerated).reduce(0) { $0 + (generatedInside[$1] ? 1 : 0) }) / Double(nGenerated)
        let recall = Double((0..<nReal).reduce(0) { $0 + (realCovered[$1] ? 1 : 0) }) / Double(nReal)
        return PrecisionRecall(precision: precision, recall: recall, neighbourCount: k)
    }
}

/// For each row of `points`, the squared distance to its k-th nearest other row.
func kNearestNeighbourSquaredRadii(_ points: Tensor, k: Int, blockRows: Int) -> [Float] {
    let n = points.shape[0]
    var radii = [Float](repeating: 0, count: n)
    radii.withUnsafeMutableBufferPointer { radius in
        forEachSquaredDistanceBlock(points, points, blockRows: blockRows) { start, rows, distances in
            Parallel.forEachChunk(rows, minimumChunk: Swift.max(1, Parallel.elementwiseThreshold / n)) { chunk in
                let nearest = UnsafeMutablePointer<Float>.allocate(capacity: k)  // ascending, k smallest so far
                defer { nearest.deallocate() }
                for r in chunk {
                    let row = distances + r * n, own = start + r
                    nearest.update(repeating: .infinity, count: k)
                    for j in 0..<n where j != own && row[j] < nearest[k - 1] {
                        var slot = k - 1
                        while slot > 0 && nearest[slot - 1] > row[j] { nearest[slot] = nearest[slot - 1]; slot -= 1 }
                        nearest[slot] = row[j]
                    }
                    radius[own] = nearest[k - 1]
                }
            }
        }
    }
    return radii
}

/// Calls `body(start, rows, distances)` for consecutive blocks of at most `blockRows` rows of `a`,
/// where `distances` is the row-major [rows, N_b] matrix of squared distances ‖aᵢ − bⱼ‖² from rows
/// start..<start+rows of a to every row of b. The buffer is valid only during the call.
func forEachSquaredDistanceBlock(
    _ a: Tensor, _ b: Tensor, blockRows: Int,
    _ body: (Int, Int, UnsafePointer<Float>) -> Void
) {
    let aNorms = squaredRowNorms(a), bNorms = squaredRowNorms(b)
    let (na, nb) = (a.shape[0], b.shape[0])
    aNorms.withUnsafeBufferPointer { aNorm in
        bNorms.withUnsafeBufferPointer { bNorm in
            for start in stride(from: 0, to: na, by: blockRows) {
                let rows = Swift.min(blockRows, na - start)
                let products = a.slice(alongAxis: 0, start..<(start + rows)).matmul(b, transposeOther: true)
                let p = products.data
                Parallel.forEachChunk(rows, minimumChunk: Swift.max(1, Parallel.elementwiseThreshold / nb)) { chunk in
                    for r in chunk {
                        let row = p + r * nb, rowNorm = aNorm[start + r]
                        for j in 0..<nb { row[j] = Swift.max(rowNorm + bNorm[j] - 2 * row[j], 0) }
                    }
                }
                body(start, rows, p)
            }
        }
    }
}

/// ‖xᵢ‖² for each row of an [N, D] tensor, summed in double precision.
func squaredRowNorms(_ x: Tensor) -> [Float] {
    let (n, d) = (x.shape[0], x.shape[1])
    let p = UnsafePointer(x.data)
    return (0..<n).map { i in
        let row = p + i * d
        var total = 0.0
        for j in 0..<d { total += Double(row[j]) * Double(row[j]) }
        return Float(total)
    }
}
