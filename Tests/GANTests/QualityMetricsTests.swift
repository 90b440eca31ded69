import Foundation
import SwiftGANTensors
import SwiftGANTraining
import XCTest

/// The quality metrics of `swiftgan evaluate` against closed forms and against naive double-precision
/// loops written out here (an independent implementation of each formula).
final class QualityMetricsTests: XCTestCase {
    // MARK: Symmetric eigendecomposition

    func testEigendecompositionReconstructsTheMatrix() throws {
        let n = 6
        let b = gaussianRows(n, n, seed: 1)
        // A = B + Bᵀ: symmetric, indefinite.
        let a = (0..<(n * n)).map { b[$0 / n][$0 % n] + b[$0 % n][$0 / n] }
        let (values, vectors) = try symmetricEigendecomposition(a, n: n)
        XCTAssertEqual(values, values.sorted(), "eigenvalues come ascending")
        for i in 0..<n {
            for j in 0..<n {
                let reconstructed = (0..<n).reduce(0.0) { $0 + vectors[i * n + $1] * values[$1] * vectors[j * n + $1] }
                XCTAssertEqual(reconstructed, a[i * n + j], accuracy: 1e-10, "A = VΛVᵀ at (\(i), \(j))")
                let gram = (0..<n).reduce(0.0) { $0 + vectors[$1 * n + i] * vectors[$1 * n + j] }
                XCTAssertEqual(gram, i == j ? 1 : 0, accuracy: 1e-10, "VᵀV = I at (\(i), \(j))")
            }
        }
    }

    func testEigenvaluesOfKnownMatrices() throws {
        let diagonal = try symmetricEigendecomposition([3, 0, 0, 0, -1, 0, 0, 0, 2], n: 3)
        XCTAssertEqual(diagonal.values, [-1, 2, 3])
        // Column 0 is ±e₂ (the eigenvector of −1).
        XCTAssertEqual(abs(diagonal.vectors[1 * 3 + 0]), 1, accuracy: 1e-15)
        let pair = try symmetricEigenvalues([2, 1, 1, 2], n: 2)
        XCTAssertEqual(pair[0], 1, accuracy: 1e-14)
        XCTAssertEqual(pair[1], 3, accuracy: 1e-14)
        XCTAssertEqual(try symmetricEigenvalues([], n: 0), [])
    }

    // MARK: Fréchet distance

    func testFeatureStatisticsMatchNaiveLoops() throws {
        let x = Tensor.normal([50, 4], mean: 3, std: 2, using: RandomGenerator(seed: 2))
        let statistics = try FeatureStatistics(features: x)
        let (mean, covariance) = naiveMeanAndCovariance(rows(x))
        for j in 0..<4 { XCTAssertEqual(statistics.mean[j], mean[j], accuracy: 1e-12) }
        for i in 0..<16 { XCTAssertEqual(statistics.covariance[i], covariance[i], accuracy: 1e-10) }
        XCTAssertThrowsError(try FeatureStatistics(features: Tensor.zeros([1, 4])))
    }

    func testFrechetDistanceOfASetWithItselfIsZero() throws {
        let x = correlatedGaussian(400, mean: [1, -2, 0.5, 4, 0], mixing: 0.7, seed: 3)
        let statistics = try FeatureStatistics(features: x)
        let scale = (0..<5).reduce(0.0) { $0 + statistics.covariance[$1 * 5 + $1] }
        XCTAssertLessThan(abs(try frechetDistance(statistics, statistics)), 1e-6 * scale)
    }

    /// Against the closed form on the sample statistics, with Tr (Σ₁Σ₂)^{1/2} taken by the
    /// Denman–Beavers iteration on the non-symmetric product (as scipy's sqrtm would), not by eigenvalues.
    func testFrechetDistanceMatchesTheFormulaOnSampleStatistics() throws {
        let x = correlatedGaussian(300, mean: [0, 1, 2, 3], mixing: 0.8, seed: 4)
        let y = correlatedGaussian(250, mean: [1, 1, 0, 3], mixing: -0.5, seed: 5)
        let (mu1, sigma1) = naiveMeanAndCovariance(rows(x))
        let (mu2, sigma2) = naiveMeanAndCovariance(rows(y))
        let root = denmanBeaversSquareRoot(multiply(sigma1, sigma2, n: 4), n: 4)
        var expected = zip(mu1, mu2).reduce(0.0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
        for i in 0..<4 { expected += sigma1[i * 5] + sigma2[i * 5] - 2 * root[i * 5] }
        let fid = try frechetDistance(real: x, generated: y)
        XCTAssertEqual(fid, expected, accuracy: 1e-9 * expected)
        XCTAssertEqual(try frechetDistance(real: y, generated: x), fid, accuracy: 1e-10 * fid, "FID is symmetric")
    }

    /// Diagonal covariances diag(a), diag(b): FID = ‖μ₁ − μ₂‖² + Σᵢ (√aᵢ − √bᵢ)², recovered from samples.
    func testFrechetDistanceOfDiagonalGaussiansFromLargeSamples() throws {
        let (a, b): ([Float], [Float]) = ([1, 4, 9, 0.25], [4, 1, 1, 1])
        let (mu1, mu2): ([Float], [Float]) = ([0, 0, 0, 0], [1, 0, -1, 0.5])
        let n = 20000
        let x = Tensor.normal([n, 4], using: RandomGenerator(seed: 6)),
            y = Tensor.normal([n, 4], using: RandomGenerator(seed: 7))
        for i in 0..<(n * 4) {
            x.data[i] = mu1[i % 4] + a[i % 4].squareRoot() * x.data[i]
            y.data[i] = mu2[i % 4] + b[i % 4].squareRoot() * y.data[i]
        }
        let analytic =
            zip(mu1, mu2).reduce(0.0) { $0 + Double(($1.0 - $1.1) * ($1.0 - $1.1)) }
            + zip(a, b).reduce(0.0) {
                $0 + Double(($1.0.squareRoot() - $1.1.squareRoot()) * ($1.0.squareRoot() - $1.1.squareRoot()))
            }
        XCTAssertEqual(analytic, 8.5, accuracy: 1e-12)
        // Sampling noise: each variance has relative error √(2/N) = 1%, each mean error √(v/N); through
        // ∂FID/∂aᵢ = 1 − √(bᵢ/aᵢ), ∂FID/∂bᵢ = 1 − √(aᵢ/bᵢ), ∂FID/∂μ = ±2Δμ the standard error is ≈ 0.085: allow 3σ.
        XCTAssertEqual(try frechetDistance(real: x, generated: y), analytic, accuracy: 0.25)
    }

    // MARK: Kernel distance

    func testPolynomialMMDMatchesNaiveLoops() {
        let x = Tensor.normal([7, 3], using: RandomGenerator(seed: 8))
        let y = Tensor.normal([9, 3], mean: 0.3, using: RandomGenerator(seed: 9))
        XCTAssertEqual(polynomialKernelMMD(x, y), naiveMMD(rows(x), rows(y)), accuracy: 1e-5)
    }

    func testKernelDistanceOverTheWholeSetIsTheSingleEstimate() throws {
        let x = Tensor.normal([8, 3], using: RandomGenerator(seed: 10))
        let y = Tensor.normal([8, 3], mean: 0.5, using: RandomGenerator(seed: 11))
        let kid = try kernelDistance(
            real: x, generated: y, subsets: 1, subsetSize: 1000, using: RandomGenerator(seed: 0))
        XCTAssertEqual(kid.subsetSize, 8, "subset size clamps to the smaller set")
        XCTAssertEqual(kid.mean, naiveMMD(rows(x), rows(y)), accuracy: 1e-5)
        XCTAssertEqual(kid.standardDeviation, 0)
    }

    /// Same distribution: the unbiased estimate averages to 0 within three standard errors. The biased
    /// (V-statistic) estimate of the same size would sit near 2(E k(x,x) − E k(x,x'))/m ≈ 0.27 here,
    /// far outside that band, so the test tells the two apart. A shifted distribution stands out.
    func testKernelDistanceIsUnbiasedAndDetectsAShift() throws {
        let (subsets, size) = (50, 50)
        let real = Tensor.normal([2000, 16], using: RandomGenerator(seed: 12))
        let same = Tensor.normal([2000, 16], using: RandomGenerator(seed: 13))
        let shifted = Tensor.normal([2000, 16], mean: 0.5, using: RandomGenerator(seed: 14))
        let null = try kernelDistance(
            real: real, generated: same, subsets: subsets, subsetSize: size, using: RandomGenerator(seed: 15))
        let band = 3 * null.standardDeviation / Double(subsets).squareRoot()
        XCTAssertLessThan(abs(null.mean), band, "KID \(null.mean) ± \(null.standardDeviation) for one distribution")
        let biased = naiveMMD(Array(rows(real).prefix(size)), Array(rows(same).prefix(size)), biased: true)
        XCTAssertGreaterThan(biased, 5 * band, "the biased estimator would fail the band")
        let shift = try kernelDistance(
            real: real, generated: shifted, subsets: subsets, subsetSize: size, using: RandomGenerator(seed: 15))
        XCTAssertGreaterThan(shift.mean, 10 * shift.standardDeviation / Double(subsets).squareRoot())
        XCTAssertGreaterThan(shift.mean, 10 * band)
        // A seed reproduces the result.
        let again = try kernelDistance(
            real: real, generated: same, subsets: subsets, subsetSize: size, using: RandomGenerator(seed: 15))
        XCTAssertEqual(again, null)
    }

    /// Values from the reference implementations' formulas, run with NumPy 2.4.6 / SciPy 1.17.1 on
    /// the same deterministic features: pytorch-fid's `calculate_frechet_distance` (scipy `sqrtm`)
    /// on float64 statistics, and torch-fidelity's unbiased `mmd2` of the polynomial kernel:
    ///
    ///     i, j = np.arange(40)[:, None], np.arange(6)[None, :]
    ///     real = (np.sin(0.37 * (i + 1) * (j + 1)) + 0.1 * j).astype(np.float32)
    ///     gen = (1.3 * np.cos(0.23 * (i + 2) * (j + 1))).astype(np.float32)
    func testAgreesWithPytorchFidAndTorchFidelityFormulas() throws {
        let (n, d) = (40, 6)
        var realValues = [Float](), generatedValues = [Float]()
        for i in 0..<n {
            for j in 0..<d {
                let (row, column) = (Double(i), Double(j))
                realValues.append(Float(sin(0.37 * (row + 1) * (column + 1)) + 0.1 * column))
                generatedValues.append(Float(1.3 * cos(0.23 * (row + 2) * (column + 1))))
            }
        }
        let real = Tensor(realValues, shape: [n, d]), generated = Tensor(generatedValues, shape: [n, d])
        XCTAssertEqual(try frechetDistance(real: real, generated: generated), 1.0124366112406324, accuracy: 1e-9)
        XCTAssertEqual(polynomialKernelMMD(real, generated), 0.3103630986834709, accuracy: 1e-6)
    }

    // MARK: Precision and recall

    func testPrecisionRecallOfIdenticalAndDisjointSets() throws {
        let x = Tensor.normal([200, 8], using: RandomGenerator(seed: 16))
        let identical = try precisionRecall(real: x, generated: x.copy())
        XCTAssertEqual([identical.precision, identical.recall, Double(identical.neighbourCount)], [1, 1, 3])
        let far = Tensor.normal([150, 8], mean: 100, using: RandomGenerator(seed: 17))
        let disjoint = try precisionRecall(real: x, generated: far)
        XCTAssertEqual([disjoint.precision, disjoint.recall], [0, 0])
    }

    /// Four well-separated real clusters, generated samples from two of them only.
    func testGeneratedSetCoveringHalfTheModes() throws {
        let centers: [(Float, Float)] = [(-20, -20), (-20, 20), (20, -20), (20, 20)]
        let real = clusters(centers, perCluster: 100, seed: 18)
        let generated = clusters(Array(centers.prefix(2)), perCluster: 200, seed: 19)
        let pr = try precisionRecall(real: real, generated: generated, blockRows: 64)
        XCTAssertGreaterThan(pr.precision, 0.9)
        XCTAssertGreaterThan(pr.recall, 0.45)
        XCTAssertLessThanOrEqual(pr.recall, 0.5)
    }

    func testPrecisionRecallMatchesBruteForceNearestNeighbours() throws {
        let real = Tensor.normal([40, 5], using: RandomGenerator(seed: 20))
        let generated = Tensor.normal([30, 5], mean: 0.3, std: 1.3, using: RandomGenerator(seed: 21))
        for k in [1, 3, 5] {
            let expected = naivePrecisionRecall(rows(real), rows(generated), k: k)
            for blockRows in [7, 1000] {
                let pr = try precisionRecall(real: real, generated: generated, neighbourCount: k, blockRows: blockRows)
                XCTAssertEqual(pr.precision, expected.precision, "k = \(k), blocks of \(blockRows)")
                XCTAssertEqual(pr.recall, expected.recall, "k = \(k), blocks of \(blockRows)")
            }
        }
        XCTAssertThrowsError(try precisionRecall(real: real, generated: generated, neighbourCount: 40))
    }

    // MARK: Class coverage

    func testBalancedOneHotPredictionsCoverEveryClass() throws {
        let c = 5
        let coverage = try ClassCoverage(probabilities: oneHot((0..<20).map { $0 % c }, classes: c))
        XCTAssertEqual(coverage.counts, [4, 4, 4, 4, 4])
        XCTAssertEqual(coverage.shares, [0.2, 0.2, 0.2, 0.2, 0.2])
        XCTAssertEqual(coverage.entropy, log(5), accuracy: 1e-12)
        XCTAssertEqual(coverage.normalizedEntropy, 1, accuracy: 1e-12)
        XCTAssertEqual(coverage.inceptionScore, 5, accuracy: 1e-9)
    }

    func testOneClassPredictionsHaveZeroEntropyAndScoreOne() throws {
        let coverage = try ClassCoverage(probabilities: oneHot(Array(repeating: 2, count: 10), classes: 4))
        XCTAssertEqual(coverage.counts, [0, 0, 10, 0])
        XCTAssertEqual(coverage.entropy, 0)
        XCTAssertEqual(coverage.normalizedEntropy, 0)
        XCTAssertEqual(coverage.inceptionScore, 1, accuracy: 1e-12)
        // Identical soft predictions: p(y|x) = p(y), so every KL term is 0.
        let soft = Tensor(Array([[Float]](repeating: [0.2, 0.3, 0.5], count: 6).joined()), shape: [6, 3])
        XCTAssertEqual(try ClassCoverage(probabilities: soft).inceptionScore, 1, accuracy: 1e-6)
    }

    func testInceptionScoreMatchesNaiveLoops() throws {
        let (n, c) = (30, 6)
        let logits = gaussianRows(n, c, seed: 22, std: 2)
        let probabilities = logits.map { row -> [Double] in
            let e = row.map { exp($0) }
            return e.map { $0 / e.reduce(0, +) }
        }
        let marginal = (0..<c).map { j in probabilities.reduce(0.0) { $0 + $1[j] } / Double(n) }
        var kl = 0.0
        for row in probabilities { for j in 0..<c { kl += row[j] * log(row[j] / marginal[j]) } }
        let coverage = try ClassCoverage(
            probabilities: Tensor(probabilities.flatMap { $0.map(Float.init) }, shape: [n, c]))
        XCTAssertEqual(coverage.inceptionScore, exp(kl / Double(n)), accuracy: 1e-5)
        XCTAssertEqual(coverage.counts.reduce(0, +), n)
    }

    func testConditionalAccuracy() throws {
        let probabilities = Tensor(
            [
                0.7, 0.2, 0.1,
                0.1, 0.8, 0.1,
                0.3, 0.3, 0.4,
                0.5, 0.4, 0.1,
            ], shape: [4, 3])
        XCTAssertEqual(try conditionalAccuracy(probabilities: probabilities, labels: [0, 1, 2, 1]), 0.75)
        XCTAssertEqual(try conditionalAccuracy(probabilities: probabilities, labels: [1, 0, 0, 2]), 0)
        XCTAssertThrowsError(try conditionalAccuracy(probabilities: probabilities, labels: [0, 1, 2]))
        XCTAssertThrowsError(try conditionalAccuracy(probabilities: probabilities, labels: [0, 1, 2, 3]))
    }
}

// MARK: Independent references and data

private func rows(_ x: Tensor) -> [[Double]] {
    (0..<x.shape[0]).map { i in (0..<x.shape[1]).map { Double(x[i, $0]) } }
}

private func gaussianRows(_ n: Int, _ d: Int, seed: UInt64, std: Float = 1) -> [[Double]] {
    rows(Tensor.normal([n, d], std: std, using: RandomGenerator(seed: seed)))
}

/// N(mean, AAᵀ) with A = I + mixing·(ones above the diagonal): correlated dimensions.
private func correlatedGaussian(_ n: Int, mean: [Float], mixing: Float, seed: UInt64) -> Tensor {
    let d = mean.count
    let z = Tensor.normal([n, d], using: RandomGenerator(seed: seed))
    let x = Tensor.zeros([n, d])
    for i in 0..<n {
        for j in 0..<d {
            var value = mean[j] + z.data[i * d + j]
            for l in (j + 1)..<d { value += mixing * z.data[i * d + l] }
            x.data[i * d + j] = value
        }
    }
    return x
}

private func clusters(_ centers: [(Float, Float)], perCluster: Int, seed: UInt64) -> Tensor {
    let noise = Tensor.normal([centers.count * perCluster, 2], using: RandomGenerator(seed: seed))
    for (c, center) in centers.enumerated() {
        for i in (c * perCluster)..<((c + 1) * perCluster) {
            noise.data[2 * i] += center.0
            noise.data[2 * i + 1] += center.1
        }
    }
    return noise
}

private func oneHot(_ classes: [Int], classes c: Int) -> Tensor {
    Tensor(classes.flatMap { k in (0..<c).map { $0 == k ? Float(1) : 0 } }, shape: [classes.count, c])
}

private func naiveMeanAndCovariance(_ x: [[Double]]) -> (mean: [Double], covariance: [Double]) {
    let (n, d) = (x.count, x[0].count)
    let mean = (0..<d).map { j in x.reduce(0.0) { $0 + $1[j] } / Double(n) }
    var covariance = [Double](repeating: 0, count: d * d)
    for i in 0..<d {
        for j in 0..<d {
            covariance[i * d + j] = x.reduce(0.0) { $0 + ($1[i] - mean[i]) * ($1[j] - mean[j]) } / Double(n - 1)
        }
    }
    return (mean, covariance)
}

private func multiply(_ a: [Double], _ b: [Double], n: Int) -> [Double] {
    (0..<(n * n)).map { ij in (0..<n).reduce(0.0) { $0 + a[ij / n * n + $1] * b[$1 * n + ij % n] } }
}

/// Gauss–Jordan inverse with partial pivoting.
private func inverse(_ a: [Double], n: Int) -> [Double] {
    var m = a, inv = (0..<(n * n)).map { $0 / n == $0 % n ? 1.0 : 0.0 }
    for col in 0..<n {
        let pivot = (col..<n).max { abs(m[$0 * n + col]) < abs(m[$1 * n + col]) }!
        for j in 0..<n { m.swapAt(col * n + j, pivot * n + j); inv.swapAt(col * n + j, pivot * n + j) }
        let p = m[col * n + col]
        for j in 0..<n { m[col * n + j] /= p; inv[col * n + j] /= p }
        for r in 0..<n where r != col {
            let f = m[r * n + col]
            for j in 0..<n { m[r * n + j] -= f * m[col * n + j]; inv[r * n + j] -= f * inv[col * n + j] }
        }
    }
    return inv
}

/// The principal square root of a matrix with positive real eigenvalues (Denman–Beavers iteration).
private func denmanBeaversSquareRoot(_ a: [Double], n: Int) -> [Double] {
    var y = a, z = (0..<(n * n)).map { $0 / n == $0 % n ? 1.0 : 0.0 }
    for _ in 0..<50 {
        let (yInverse, zInverse) = (inverse(y, n: n), inverse(z, n: n))
        (y, z) = (zip(y, zInverse).map { ($0 + $1) / 2 }, zip(z, yInverse).map { ($0 + $1) / 2 })
    }
    return y
}

/// MMD² under k(a, b) = (aᵀb/D + 1)³: unbiased (diagonals left out of the within-set sums) or biased.
private func naiveMMD(_ x: [[Double]], _ y: [[Double]], biased: Bool = false) -> Double {
    let d = Double(x[0].count)
    func k(_ a: [Double], _ b: [Double]) -> Double { pow(zip(a, b).reduce(0.0) { $0 + $1.0 * $1.1 } / d + 1, 3) }
    func within(_ s: [[Double]]) -> Double {
        var total = 0.0
        for i in s.indices { for j in s.indices where biased || i != j { total += k(s[i], s[j]) } }
        return total / Double(biased ? s.count * s.count : s.count * (s.count - 1))
    }
    var between = 0.0
    for a in x { for b in y { between += k(a, b) } }
    return within(x) + within(y) - 2 * between / Double(x.count * y.count)
}

private func naivePrecisionRecall(
    _ real: [[Double]], _ generated: [[Double]], k: Int
) -> (precision: Double, recall: Double) {
    func distance(_ a: [Double], _ b: [Double]) -> Double {
        zip(a, b).reduce(0.0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
    }
    func radii(_ s: [[Double]]) -> [Double] {
        s.indices.map { i in s.indices.filter { $0 != i }.map { distance(s[i], s[$0]) }.sorted()[k - 1] }
    }
    func share(_ points: [[Double]], inBallsOf centers: [[Double]]) -> Double {
        let r = radii(centers)
        let inside = points.filter { p in centers.indices.contains { distance(p, centers[$0]) <= r[$0] } }
        return Double(inside.count) / Double(points.count)
    }
    return (share(generated, inBallsOf: real), share(real, inBallsOf: generated))
}
