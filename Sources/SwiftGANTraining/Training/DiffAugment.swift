import SwiftGANNN
import SwiftGANTensors

/// Differentiable augmentation (Zhao et al. 2020, "Differentiable Augmentation for Data-Efficient
/// GAN Training"): the same random transformations applied to every image D sees, real and fake,
/// in D's and in G's updates, built from differentiable operations so G learns through them.
/// `--diffaugment color,translation,cutout`, following the paper's `DiffAugment_pytorch.py`:
///
/// - `color`: brightness + U(−½, ½), saturation (distance from the channel mean) × U(0, 2),
///   contrast (distance from the image mean) × U(½, 3/2), one draw per image. The brightness shift
///   is for images in [−1, 1]; for a model whose images lie in [0, 1] it is halved, so the same
///   share of the range moves. Saturation changes nothing in one-channel images.
/// - `translation`: a shift by up to ⅛ of the size each way (whole pixels, zero fill).
/// - `cutout`: a square of half the size set to 0 at a random centre (clipped at the border).
///
/// Gradient penalties see the images without augmentation. With `--ada`, each policy applies to
/// each image with ADA's adaptive probability instead of always (``AdaptiveAugment``).
///
/// In data-parallel training (a `BatchShard` is current) every draw is made for the whole global
/// batch and each rank keeps its images' draws, so an image is augmented as in one process.
public struct DiffAugment: Equatable {
    public enum Policy: String, CaseIterable { case color, translation, cutout }
    public let policies: [Policy]

    /// From a comma-separated list (`color,translation,cutout`).
    public init(_ list: String) throws {
        policies = try list.split(separator: ",").map { name in
            guard let p = Policy(rawValue: name.trimmingCharacters(in: .whitespaces)) else {
                throw GANError("unknown DiffAugment policy '\(name)' (known: color, translation, cutout)")
            }
            return p
        }
        guard !policies.isEmpty else {
            throw GANError("--diffaugment needs at least one of color, translation, cutout")
        }
    }

    /// `x` (NHWC, in `range`) augmented with draws from `rng`.
    public func callAsFunction(_ x: Tensor, range: ClosedRange<Float>, using rng: RandomGenerator) -> Tensor {
        require(x.rank == 4, "DiffAugment applies to image batches [n, h, w, c], not \(describe(x.shape))")
        var y = x
        for policy in policies { y = apply(policy, to: y, range: range, using: rng) }
        return y
    }

    /// `x` with each policy applied to each image with probability `p` (``AdaptiveAugment``, ADA):
    /// an image not chosen passes that policy unchanged. The choices are drawn first, one
    /// uniform per policy and image (policy-major: u[k·n + i] < p chooses image i for policy k),
    /// then every policy draws as in ``callAsFunction(_:range:using:)``, for all images whatever
    /// was chosen. So `p` changes which images change but never the draws that follow: p = 1 is
    /// DiffAugment after those n·k uniforms, and p = 0 returns `x` itself.
    ///
    ///     y ← m ⊙ policy(y) + (1 − m) ⊙ y,   mᵢ = 1 if image i is chosen, else 0
    public func callAsFunction(
        _ x: Tensor, range: ClosedRange<Float>, probability p: Float, using rng: RandomGenerator
    ) -> Tensor {
        require(x.rank == 4, "DiffAugment applies to image batches [n, h, w, c], not \(describe(x.shape))")
        let n = x.shape[0]
        // Policy-major over the global batch (one process: this batch); each rank reads its images'.
        let shard = BatchShard.current, total = shard?.globalCount(n) ?? n
        let drawn = (0..<(policies.count * total)).map { _ in rng.uniform() < p }
        let chosen =
            shard.map { shard in
                (0..<policies.count).flatMap { k in (0..<n).map { drawn[k * total + shard.globalRow($0)] } }
            } ?? drawn
        var y = x
        for (k, policy) in policies.enumerated() {
            let augmented = apply(policy, to: y, range: range, using: rng)
            let mine = chosen[(k * n)..<((k + 1) * n)]
            if mine.allSatisfy({ $0 }) {
                y = augmented
            } else if mine.contains(true) {
                let mask = Tensor(mine.map { $0 ? Float(1) : 0 }, shape: [n, 1, 1, 1])
                y = augmented * mask + y * (1 - mask)
            }
        }
        return y
    }

    /// One policy applied to every image of `y`, with its draws from `rng`.
    func apply(_ policy: Policy, to y: Tensor, range: ClosedRange<Float>, using rng: RandomGenerator) -> Tensor {
        let (n, h, w) = (y.shape[0], y.shape[1], y.shape[2])
        func perImage(_ low: Float, _ high: Float) -> Tensor {
            BatchShard.rows(n) { Tensor.uniform([$0, 1, 1, 1], low: low, high: high, using: rng) }
        }
        switch policy {
        case .color:
            let half = (range.upperBound - range.lowerBound) / 4
            var z = y + perImage(-half, half)
            let channelMean = z.mean(alongAxes: [3], keepingDimensions: true)
            z = (z - channelMean) * perImage(0, 2) + channelMean
            let imageMean = z.mean(alongAxes: [1, 2, 3], keepingDimensions: true)
            return (z - imageMean) * perImage(0.5, 1.5) + imageMean
        case .translation:
            let sy = Int(Float(h) * 0.125 + 0.5), sx = Int(Float(w) * 0.125 + 0.5)
            let rows = BatchShard.elements(n) { count in (0..<count).map { _ in rng.integer(below: 2 * sy + 1) - sy } }
            let columns = BatchShard.elements(n) { count in
                (0..<count).map { _ in rng.integer(below: 2 * sx + 1) - sx }
            }
            return y.translated(rows: rows, columns: columns)
        case .cutout:
            return y * cutoutMask(n: n, h: h, w: w, using: rng)
        }
    }

    /// Ones, with a (size/2)² square of zeros per image at a random centre, [n, h, w, 1].
    func cutoutMask(n: Int, h: Int, w: Int, using rng: RandomGenerator) -> Tensor {
        let ch = Int(Float(h) * 0.5 + 0.5), cw = Int(Float(w) * 0.5 + 0.5)
        let mask = Tensor.ones([n, h, w, 1])
        // The reference code's offsets: 0 ..< size + (1 − cut % 2), the square centred there.
        let offsets = BatchShard.elements(n) { count in
            (0..<count).map { _ in (y: rng.integer(below: h + (1 - ch % 2)), x: rng.integer(below: w + (1 - cw % 2))) }
        }
        for b in 0..<n {
            let (oy, ox) = (offsets[b].y, offsets[b].x)
            for i in Swift.max(0, oy - ch / 2)..<Swift.min(h, oy - ch / 2 + ch) {
                for j in Swift.max(0, ox - cw / 2)..<Swift.min(w, ox - cw / 2 + cw) {
                    mask.data[(b * h + i) * w + j] = 0
                }
            }
        }
        return mask
    }
}
