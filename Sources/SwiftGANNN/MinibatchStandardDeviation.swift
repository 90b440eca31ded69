import SwiftGANTensors

/// The minibatch standard deviation of ProGAN (Karras et al. 2018) and StyleGAN: within each group
/// of examples, the standard deviation of every feature (every pixel's every channel) over the
/// group, averaged into one number that is appended to each of the group's examples as a constant
/// channel. D sees how varied its batch is, and a generator that collapses to a few outputs
/// shows. For x [N, H, W, C] (or [N, C]) and groups of G examples:
///
///     σ = mean over (h, w, c) of √(variance over the group of x[·, h, w, c] + ε),   ε = 1e-8,
///     y = concat(x, σ of the example's group), along the channels → [N, H, W, C + 1]
///
/// Groups are strided as in the official code (`reshape(x, [G, −1, …])`): example i belongs to
/// group i mod (N / G), so the examples of a group are N/G apart in the batch. G is `groupSize`
/// or the batch if smaller (StyleGAN's `min(4, N)`), and must divide the batch; `nil` takes the
/// whole batch as one group, ProGAN's paper version. Variance is the biased one (mean of squared
/// deviations), as in the official code. No parameters; the same in training and inference.
///
/// Built from the engine's differentiable ops, so it differentiates to any order. It mixes the
/// examples of a group, so a gradient penalty per example (WGAN-GP, R1) sees the others too, as
/// it did in ProGAN's WGAN-GP training. StyleGAN2 splits the channels into `num_channels` groups
/// with one σ each; this is its `num_channels = 1`, ProGAN's and StyleGAN's setting.
///
/// ```swift
/// let d = Sequential([…, MinibatchStandardDeviation(), Conv2D(c + 1, c, kernelSize: 3, padding: .same, rng: rng), …])
/// ```
public final class MinibatchStandardDeviation: UnaryLayer {
    /// The examples per group; nil for the whole batch.
    public let groupSize: Int?
    public let epsilon: Float

    public init(groupSize: Int? = 4, epsilon: Float = 1e-8) {
        require(
            groupSize.map { $0 >= 1 } ?? true, "SwiftGAN: MinibatchStandardDeviation's group size must be at least 1")
        require(epsilon > 0, "SwiftGAN: MinibatchStandardDeviation's epsilon must be positive, got \(epsilon)")
        (self.groupSize, self.epsilon) = (groupSize, epsilon)
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        require(
            x.rank >= 2 && x.shape[0] > 0,
            "SwiftGAN shape error: MinibatchStandardDeviation takes a batch [batch, …, channels], got \(describe(x.shape))"
        )
        let n = x.shape[0]
        let group = Swift.min(groupSize ?? n, n)
        require(
            n % group == 0,
            "SwiftGAN: MinibatchStandardDeviation's groups of \(group) do not divide the batch of \(n)")
        let groups = n / group
        let features = Array(x.shape.dropFirst()), pixels = Array(features.dropLast())
        // [G, N/G, …]: member g of group m is example g·(N/G) + m.
        let grouped = x.reshaped([group, groups] + features)
        let centered = grouped - grouped.mean(alongAxis: 0, keepingDimensions: true)
        let deviation = ((centered * centered).mean(alongAxis: 0) + epsilon).sqrt()  // [N/G, …]
        let sigma = deviation.mean(alongAxes: Array(1..<deviation.rank))  // [N/G]
        // One constant channel per example: σ of its group, broadcast over the pixels.
        let ones = [Int](repeating: 1, count: features.count)
        let channel = sigma.reshaped([1, groups] + ones)
            .broadcast(to: [group, groups] + pixels + [1])
            .reshaped([n] + pixels + [1])
        return Tensor.concatenate([x, channel], alongAxis: -1)
    }
}
