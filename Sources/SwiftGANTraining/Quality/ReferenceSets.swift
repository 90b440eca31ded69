import SwiftGANDatasets
import SwiftGANTensors

/// Image sets whose quality numbers are known in kind, so a user can read their own: real
/// images (the floor any generator is compared with), pure noise (the ceiling), blurred real
/// images (right shapes, missing detail), and a single class (mode collapse).
public enum ReferenceSets {
    /// `count` images of each set, [n, 28, 28, 1] in [0, 1], drawn from the training split.
    public static func make(
        train: ImageDataset, count: Int, rng: RandomGenerator
    ) throws -> [(name: String, images: Tensor)] {
        let n = Swift.min(count, train.count)
        let real = train.batch(Array(rng.permutation(train.count).prefix(n)), range: 0...1)
        let noise = Tensor.uniform([n, 28, 28, 1], low: 0, high: 1, using: rng)
        let oneClass = train.labels.indices.filter { train.labels[$0] == 1 }.prefix(n)
        return [
            ("real training images (the floor)", real),
            ("real, blurred (3×3 box filter, twice)", blurred(blurred(real))),
            ("one class only (\(train.classNames[1]))", train.batch(Array(oneClass), range: 0...1)),
            ("uniform noise", noise),
        ]
    }

    /// Each pixel replaced by the mean of its 3×3 neighbourhood (edges: the pixels that exist).
    static func blurred(_ images: Tensor) -> Tensor {
        let (n, h, w) = (images.shape[0], images.shape[1], images.shape[2])
        let out = Tensor.zeros(images.shape)
        for i in 0..<n {
            let src = images.data + i * h * w, dst = out.data + i * h * w
            for y in 0..<h {
                for x in 0..<w {
                    var sum: Float = 0, k: Float = 0
                    for yy in Swift.max(0, y - 1)...Swift.min(h - 1, y + 1) {
                        for xx in Swift.max(0, x - 1)...Swift.min(w - 1, x + 1) { sum += src[yy * w + xx]; k += 1 }
                    }
                    dst[y * w + x] = sum / k
                }
            }
        }
        return out
    }
}
