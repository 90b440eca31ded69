import Foundation
import SwiftGANTensors

/// How a classifier spreads generated samples over classes, from its class probabilities
/// p(y|x) for N samples and C classes (softmax outputs, an [N, C] tensor):
///
/// - `counts[c]`, `shares[c]`: how many samples (and what share) have argmax p(y|x) = c;
/// - `entropy` = −Σ_c shares[c]·ln shares[c], the entropy of the predicted classes (ln C when every
///   class is predicted equally often, 0 when one class takes all), and `normalizedEntropy` = entropy / ln C;
/// - `inceptionScore` = exp(E_x[KL(p(y|x) ‖ p(y))]) with p(y) = (1/N) Σ_x p(y|x), the Inception Score
///   of Salimans et al. 2016 over one split (1 for identical predictions, C for confident and
///   balanced ones).
///
/// ```swift
/// let coverage = try ClassCoverage(probabilities: classifier(generated).softmax())
/// print(coverage.shares, coverage.normalizedEntropy, coverage.inceptionScore)
/// ```
public struct ClassCoverage: Equatable {
    public let classCount: Int
    public let sampleCount: Int
    public let counts: [Int]
    public let shares: [Double]
    /// Natural-log entropy of `shares`.
    public let entropy: Double
    /// `entropy / ln C` in [0, 1]; 0 when C = 1.
    public let normalizedEntropy: Double
    public let inceptionScore: Double

    public init(probabilities: Tensor) throws {
        try checkProbabilities(probabilities)
        let (n, c) = (probabilities.shape[0], probabilities.shape[1])
        let p = UnsafePointer(probabilities.data)
        var counts = [Int](repeating: 0, count: c)
        var marginal = [Double](repeating: 0, count: c)
        marginal.withUnsafeMutableBufferPointer { py in
            for i in 0..<n {
                let row = p + i * c
                counts[argmax(row, count: c)] += 1
                for j in 0..<c { py[j] += Double(row[j]) / Double(n) }
            }
        }
        var klTotal = 0.0
        marginal.withUnsafeBufferPointer { py in
            for i in 0..<n {
                let row = p + i * c
                for j in 0..<c where row[j] > 0 { klTotal += Double(row[j]) * (log(Double(row[j])) - log(py[j])) }
            }
        }
        let shares = counts.map { Double($0) / Double(n) }
        let entropy = -shares.reduce(0) { $1 > 0 ? $0 + $1 * log($1) : $0 }
        self.classCount = c
        self.sampleCount = n
        self.counts = counts
        self.shares = shares
        self.entropy = entropy
        self.normalizedEntropy = c > 1 ? entropy / log(Double(c)) : 0
        self.inceptionScore = exp(klTotal / Double(n))
    }
}

/// The share of samples whose most probable class is their label: (1/N) Σᵢ 1[argmax p(y|xᵢ) = labelsᵢ],
/// for a conditional generator asked for class `labels[i]` and a classifier's probabilities [N, C].
///
/// ```swift
/// let accuracy = try conditionalAccuracy(probabilities: classifier(samples).softmax(), labels: requested)
/// ```
public func conditionalAccuracy(probabilities: Tensor, labels: [Int]) throws -> Double {
    try checkProbabilities(probabilities)
    let (n, c) = (probabilities.shape[0], probabilities.shape[1])
    guard labels.count == n else {
        throw GANError("conditional accuracy needs one label per image: \(n) images, \(labels.count) labels")
    }
    if let i = labels.firstIndex(where: { !(0..<c).contains($0) }) {
        throw GANError("label \(labels[i]) (at index \(i)) is outside the evaluator's classes 0..<\(c)")
    }
    let p = UnsafePointer(probabilities.data)
    let correct = labels.enumerated().reduce(0) { $0 + (argmax(p + $1.offset * c, count: c) == $1.element ? 1 : 0) }
    return Double(correct) / Double(n)
}

/// The index of the largest of `count` values (the first one on ties).
private func argmax(_ values: UnsafePointer<Float>, count: Int) -> Int {
    var best = 0
    for j in 1..<count where values[j] > values[best] { best = j }
    return best
}

private func checkProbabilities(_ probabilities: Tensor) throws {
    guard probabilities.rank == 2, probabilities.shape[0] >= 1, probabilities.shape[1] >= 1 else {
        throw GANError(
            "class probabilities must be an [N, C] tensor with N, C ≥ 1, got shape \(describe(probabilities.shape))")
    }
}
