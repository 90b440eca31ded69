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
/// Gradient penalties see the images without augmentation.
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
        let n = x.shape[0]
        func perImage(_ low: Float, _ high: Float) -> Tensor {
            Tensor.uniform([n, 1, 1, 1], low: low, high: high, using: rng)
        }
        var y = x
        for policy in policies {
            switch policy {
            case .color:
                let half = (range.upperBound - range.lowerBound) / 4
                y = y + perImage(-half, half)
                let channelMean = y.mean(alongAxes: [3], keepingDimensions: true)
                y = (y - channelMean) * perImage(0, 2) + channelMean
                let imageMean = y.mean(alongAxes: [1, 2, 3], keepingDimensions: true)
                y = (y - imageMean) * perImage(0.5, 1.5) + imageMean
            case .translation:
                let (h, w) = (x.shape[1], x.shape[2])
                let sy = Int(Float(h) * 0.125 + 0.5), sx = Int(Float(w) * 0.125 + 0.5)
                let rows = (0..<n).map { _ in rng.integer(below: 2 * sy + 1) - sy }
                let columns = (0..<n).map { _ in rng.integer(below: 2 * sx + 1) - sx }
                y = y.translated(rows: rows, columns: columns)
            case .cutout:
                y = y * cutoutMask(n: n, h: x.shape[1], w: x.shape[2], using: rng)
            }
        }
        return y
    }

    /// Ones, with a (size/2)² square of zeros per image at a random centre, [n, h, w, 1].
    func cutoutMask(n: Int, h: Int, w: Int, using rng: RandomGenerator) -> Tensor {
        let ch = Int(Float(h) * 0.5 + 0.5), cw = Int(Float(w) * 0.5 + 0.5)
        let mask = Tensor.ones([n, h, w, 1])
        for b in 0..<n {
            // The reference code's offsets: 0 ..< size + (1 − cut % 2), the square centred there.
            let oy = rng.integer(below: h + (1 - ch % 2)), ox = rng.integer(below: w + (1 - cw % 2))
            for i in Swift.max(0, oy - ch / 2)..<Swift.min(h, oy - ch / 2 + ch) {
                for j in Swift.max(0, ox - cw / 2)..<Swift.min(w, ox - cw / 2 + cw) {
                    mask.data[(b * h + i) * w + j] = 0
                }
            }
        }
        return mask
    }
}
