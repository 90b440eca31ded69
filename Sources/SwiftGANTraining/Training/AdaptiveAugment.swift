import SwiftGANTensors

/// ADA's adaptive augmentation probability (Karras et al. 2020, "Training Generative Adversarial
/// Networks with Limited Data"), `--ada TARGET`: each ``DiffAugment`` policy is applied to each
/// image D sees (real and fake, in D's and G's updates) with probability p, and p follows D's
/// overfitting, measured by the sign of its outputs on the real images it trains on:
///
///     every 4 D updates:  r_t = E[sign(D(x) − τ)]   over the real images of those updates
///                         p ← clamp(p + sign(r_t − TARGET) · N / (kimg · 1000), 0, 1)
///
/// p starts at 0. N is the number of real images of those updates (4 × the batch), so p can
/// cross [0, 1] in `kimg` thousand images: 500 in the paper (`--ada-kimg`; a short CPU run of
/// 3,000 steps at batch 64 sees 192 thousand). D(x) is D's adversarial output on the augmented
/// reals, as in the official code (`Loss/signs/real` from the real logits); τ is the objective's
/// decision threshold (0 for logits; 0.5 for LSGAN's 0/1 targets, whose raw outputs are all
/// positive). The official code clamps p at 0 only; here at 1 too, a probability.
///
/// p and the running sum are training state: ``GANTrainingStep`` keeps one, and the training
/// state saves it, so a resumed run continues exactly.
///
/// ```swift
/// let ada = AdaptiveAugment(AdaptiveAugment.Settings(target: 0.6))
/// let seen = augment(x, range: -1...1, probability: ada.probability, using: rng)
/// ada.observe(realOutputs: d(seen))       // after each D update; adjusts p every 4th
/// ```
public final class AdaptiveAugment {
    public struct Settings: Equatable {
        /// The r_t that p is moved towards (0.6 in the paper).
        public var target: Float
        /// p can go from 0 to 1 in this many thousand real images (500 in the paper).
        public var kimg: Float
        /// D updates between adjustments (4 in the paper).
        public var interval: Int

        public init(target: Float, kimg: Float = Settings.paperKimg, interval: Int = 4) {
            (self.target, self.kimg, self.interval) = (target, kimg, interval)
        }

        public static let paperKimg: Float = 500
    }

    /// The policies `--ada` augments with when `--diffaugment` names none.
    public static let defaultPolicies = "color,translation,cutout"

    public let settings: Settings
    /// The probability each policy is applied to each image with.
    public private(set) var probability: Float = 0
    /// The last adjustment's r_t; nil before the first.
    public private(set) var signMean: Float?
    /// What `history.csv` logs as `ada_rt`: the last adjustment's r_t, or before the first, the
    /// mean sign over the real images observed so far (0 before any), so the column has no gaps.
    public var reportedSignMean: Float { signMean ?? (images > 0 ? Float(signSum) / Float(images) : 0) }
    /// Σ sign(D(x) − τ) and the number of real images, since the last adjustment.
    public private(set) var signSum = 0, images = 0
    /// D updates observed.
    public private(set) var updates = 0

    public init(_ settings: Settings) {
        require(
            settings.target.isFinite && settings.kimg > 0 && settings.kimg.isFinite && settings.interval >= 1,
            "ADA needs a finite target, kimg > 0 and an interval ≥ 1, got \(settings)")
        self.settings = settings
    }

    /// Records one D update's adversarial outputs on its real batch (as D saw it, augmented);
    /// every `interval`th update adjusts p. `threshold`: τ, where D's decision lies.
    public func observe(realOutputs: Tensor, threshold: Float = 0) {
        record(signSum: Self.sumOfSigns(realOutputs, threshold: threshold), images: realOutputs.count)
    }

    /// Σ sign(D(x) − τ) over `realOutputs`.
    public static func sumOfSigns(_ realOutputs: Tensor, threshold: Float = 0) -> Int {
        realOutputs.scalars.reduce(0) { $0 + ($1 > threshold ? 1 : $1 < threshold ? -1 : 0) }
    }

    /// ``observe(realOutputs:threshold:)`` from its counts: the sign sum over `images` real images
    /// (in data-parallel training, summed over the ranks, so every rank moves p alike).
    public func record(signSum batchSum: Int, images count: Int) {
        signSum += batchSum
        images += count
        updates += 1
        guard updates % settings.interval == 0, images > 0 else { return }
        let r = Float(signSum) / Float(images)
        let direction: Float = r > settings.target ? 1 : r < settings.target ? -1 : 0
        probability = Swift.min(1, Swift.max(0, probability + direction * Float(images) / (settings.kimg * 1000)))
        signMean = r
        (signSum, images) = (0, 0)
    }

    /// Restores a saved state.
    public func load(probability: Float, signMean: Float?, signSum: Int, images: Int, updates: Int) throws {
        guard (0...1).contains(probability), signMean.map({ (-1...1).contains($0) }) ?? true, images >= 0,
            abs(signSum) <= images, updates >= 0
        else {
            throw GANError("the saved ADA state (augmentation probability and signs) is damaged")
        }
        (self.probability, self.signMean, self.signSum, self.images, self.updates) = (
            probability, signMean, signSum, images, updates
        )
    }
}
