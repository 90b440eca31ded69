import Foundation
import SwiftGANDatasets
import SwiftGANTensors

/// Every quality number for one set of images, measured in an ``Evaluator``'s feature space
/// against a dataset's real test split.
public struct QualityReport: Codable, Equatable {
    public var imageCount: Int
    public var realCount: Int
    /// Fréchet distance between Gaussian fits of the feature sets (0 = same statistics).
    public var fid: Double
    /// Kernel distance: unbiased MMD² with the cubic polynomial kernel, mean and standard
    /// deviation over random subsets. Not biased by the sample count, unlike FID.
    public var kid: Double, kidStandardDeviation: Double
    /// k-NN precision and recall (k = 3): the share of generated images on the real manifold, and
    /// of real images on the generated one. Nil in the quick report made during training.
    public var precision: Double?, recall: Double?
    /// The evaluator's predicted class shares, their entropy (natural log) and entropy / log C,
    /// and the Inception-Score-style exp(E[KL(p(y|x) ‖ p(y))]) (C for perfect coverage, 1 for collapse).
    public var classShares: [Double]
    public var classEntropy: Double, normalizedClassEntropy: Double, inceptionScore: Double
    /// Conditional models: the share of images the evaluator assigns to the requested class.
    public var conditionalAccuracy: Double?
    /// SHA-256 of the generator checkpoint measured, when one was: a run's report shows a
    /// `quality.json` only beside the very generator it measured.
    public var generatorSHA256: String?
    /// The real images measured against: "fashion-mnist", "fashion-mnist (Bag only)"; nil in files
    /// from before it was recorded (the dataset's whole test split).
    public var reference: String?
}

/// Measures sets of 28×28 images against the real test split: real features are computed once.
///
/// ```swift
/// let judge = try QualityJudge(evaluator: evaluator, real: testSplit)
/// let report = try judge.report(images: samples, labels: nil, rng: RandomGenerator(seed: 0))
/// ```
public final class QualityJudge {
    public let evaluator: Evaluator
    public let realFeatures: Tensor
    public let realStatistics: FeatureStatistics

    /// `real`: the dataset's test split (or any reference set), images as bytes.
    public init(evaluator: Evaluator, real: ImageDataset) throws {
        guard real.imageShape == [28, 28, 1] else {
            throw GANError("the evaluator measures 28×28 grayscale images, not \(real.imageShape)")
        }
        self.evaluator = evaluator
        realFeatures = evaluator.features(real.batch(Array(0..<real.count), range: 0...1))
        realStatistics = try FeatureStatistics(features: realFeatures)
    }

    /// The full report (`full`), or FID, KID and class coverage only (the quick one for training).
    /// `images`: [n, 28, 28, 1] in [0, 1]. KID uses subsets of min(1000, n) images: 100 of them
    /// (`full`) or 10. Measured in fp32 whatever the training run multiplies in (`--precision`):
    /// KID and precision/recall are Gram matrices of features, and numbers must compare across runs.
    public func report(images: Tensor, labels: [Int]?, full: Bool = true, rng: RandomGenerator) throws -> QualityReport
    {
        try Precision.inFP32 { try fp32Report(images: images, labels: labels, full: full, rng: rng) }
    }

    private func fp32Report(images: Tensor, labels: [Int]?, full: Bool, rng: RandomGenerator) throws -> QualityReport {
        guard images.rank == 4, Array(images.shape.dropFirst()) == [28, 28, 1] else {
            throw GANError("images to evaluate must be [n, 28, 28, 1], got \(describe(images.shape))")
        }
        guard images.shape[0] >= 2 else { throw GANError("need at least 2 images to evaluate, got \(images.shape[0])") }
        guard images.isFinite else { throw GANError("the images to evaluate contain NaN or infinite values") }
        if let labels, labels.count != images.shape[0] {
            throw GANError("\(labels.count) labels for \(images.shape[0]) images")
        }
        let (features, probabilities) = evaluator.featuresAndProbabilities(images)
        let fid = try frechetDistance(realStatistics, FeatureStatistics(features: features))
        let kid = try kernelDistance(
            real: realFeatures, generated: features, subsets: full ? 100 : 10,
            subsetSize: Swift.min(1000, images.shape[0], realFeatures.shape[0]), using: rng)
        let pr = full ? try precisionRecall(real: realFeatures, generated: features) : nil
        let coverage = try ClassCoverage(probabilities: probabilities)
        return QualityReport(
            imageCount: images.shape[0], realCount: realFeatures.shape[0], fid: fid,
            kid: kid.mean, kidStandardDeviation: kid.standardDeviation,
            precision: pr?.precision, recall: pr?.recall,
            classShares: coverage.shares, classEntropy: coverage.entropy,
            normalizedClassEntropy: coverage.normalizedEntropy, inceptionScore: coverage.inceptionScore,
            conditionalAccuracy: try labels.map { try conditionalAccuracy(probabilities: probabilities, labels: $0) })
    }
}

// MARK: - The shipped evaluators

extension Evaluator {
    /// Datasets SwiftGAN ships a trained evaluator for.
    public static let shippedDatasets = ["fashion-mnist"]

    /// SHA-256 of each shipped evaluator file (`Sources/SwiftGANTraining/Evaluators/README.md` has the command
    /// that made it).
    public static let shippedChecksums = [
        "fashion-mnist": "f4cd492231f758908e2d0ca8ecff678b6a0c8032712c138c4338a04ea5d5825f"
    ]

    /// The evaluator SwiftGAN ships for `dataset` (a package resource), or an error saying how to train one.
    public static func shipped(for dataset: String) throws -> (evaluator: Evaluator, testAccuracy: Double, url: URL) {
        guard shippedDatasets.contains(dataset),
            let url = Bundle.module.url(
                forResource: "evaluator-\(dataset)", withExtension: "safetensors", subdirectory: "Evaluators")
        else {
            throw GANError(
                "SwiftGAN ships no evaluator for \(dataset) (it has: \(shippedDatasets.joined(separator: ", "))); "
                    + "train one with `swiftgan train-evaluator --dataset \(dataset) --out FILE` and pass --evaluator FILE"
            )
        }
        let (evaluator, saved, accuracy) = try load(from: url)
        guard saved == dataset else { throw GANError("\(url.path) is the evaluator of \(saved), not \(dataset)") }
        return (evaluator, accuracy, url)
    }

    /// The reference sets measured with the shipped evaluator of `dataset` (real training images,
    /// blurred ones, one class only, uniform noise), as `swiftgan evaluate --reference --json`
    /// wrote them into `Evaluators/evaluator-DATASET.reference.json`; nil where none ships.
    public static func shippedReferences(for dataset: String) -> [(set: String, report: QualityReport)]? {
        guard shippedDatasets.contains(dataset),
            let url = Bundle.module.url(
                forResource: "evaluator-\(dataset).reference", withExtension: "json", subdirectory: "Evaluators"),
            let data = try? Data(contentsOf: url),
            let rows = try? JSONDecoder().decode([String: QualityReport].self, from: data)
        else { return nil }
        // The file's keys sort alphabetically; the rows read best from the floor (real) upwards.
        return rows.sorted { ($0.value.fid, $0.key) < ($1.value.fid, $1.key) }.map { ($0.key, $0.value) }
    }
}

extension GANModel {
    /// `count` samples mapped to [0, 1] (what the evaluators take), generated in chunks of 500 so
    /// memory stays bounded; a conditional model is asked for every class in turn (the labels are
    /// returned).
    public func generateForEvaluation(count: Int, using rng: RandomGenerator) -> (images: Tensor, labels: [Int]?) {
        let labels = classCount > 0 ? (0..<count).map { $0 % classCount } : nil
        var parts: [Tensor] = []
        for start in stride(from: 0, to: count, by: 500) {
            let n = Swift.min(500, count - start)
            parts.append(generate(noise(n, using: rng), labels: labels.map { Array($0[start..<(start + n)]) }))
        }
        let all = parts.count == 1 ? parts[0] : Tensor.concatenate(parts, alongAxis: 0)
        let scaled = withoutGrad {
            ((all - dataRange.lowerBound) * (1 / (dataRange.upperBound - dataRange.lowerBound))).clamped(min: 0, max: 1)
        }
        return (scaled, labels)
    }
}
