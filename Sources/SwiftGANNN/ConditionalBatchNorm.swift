import SwiftGANTensors

/// Class-conditional batch normalization (de Vries et al. 2017; the generator's normalization in
/// Miyato & Koyama's projection cGAN (SNGAN, 2018) and in BigGAN (Brock et al. 2019)): batch
/// normalization without an affine map of its own, followed by a scale and a shift chosen by each
/// example's class,
///
///     y = γ[label]·(x − μ)/√(σ² + ε) + β[label],
///
/// with γ and β two ``Embedding``s of classCount × featureCount, γ initialized to 1 and β to 0, so
/// the layer starts as a plain BatchNorm. The normalization is a ``BatchNorm`` with `affine: false`
/// (child `norm`): the same statistics over every axis but the last, the same Keras-style running
/// averages (`running = momentum·running + (1 − momentum)·batch`, biased variance) in training mode
/// and the running statistics in inference mode, the same defaults (momentum 0.99, ε 1e-3).
/// Works on NHWC images [batch, H, W, C] and on features [batch, C].
///
/// This is the projection-style cBN of Miyato & Koyama's Chainer code (γ and β tables, ones and
/// zeros). BigGAN-PyTorch and StudioGAN compute γ = 1 + linear(e) and β = linear(e) from a shared
/// class embedding e (with hierarchical noise joined to it in BigGAN), so their γ starts near 1
/// rather than at 1; their BatchNorm is PyTorch's (momentum 0.1 ≙ 0.9 here, ε 1e-5 or 1e-4).
///
/// ```swift
/// let cbn = ConditionalBatchNorm(featureCount: 256, classCount: 10, momentum: 0.9, epsilon: 1e-5)
/// let y = cbn(x, labels: [3, 1, 4, 1])   // x: [4, 8, 8, 256]
/// ```
public final class ConditionalBatchNorm: LabelledLayer {
    /// The normalization: a BatchNorm without γ and β of its own.
    public let norm: BatchNorm
    /// γ per class, [classCount, featureCount], initialized to 1.
    public let scale: Embedding
    /// β per class, [classCount, featureCount], initialized to 0.
    public let offset: Embedding

    public init(featureCount: Int, classCount: Int, momentum: Float = 0.99, epsilon: Float = 1e-3) {
        require(
            featureCount > 0 && classCount > 0,
            "SwiftGAN: ConditionalBatchNorm needs at least one feature and one class, got \(featureCount) and \(classCount)"
        )
        norm = BatchNorm(featureCount: featureCount, momentum: momentum, epsilon: epsilon, affine: false)
        // Constant initializers draw nothing: the generator is a formality.
        let unused = RandomGenerator(seed: 0)
        scale = Embedding(count: classCount, dimension: featureCount, initializer: .ones, rng: unused)
        offset = Embedding(count: classCount, dimension: featureCount, initializer: .zeros, rng: unused)
    }

    /// The normalized `input` ([batch, …, featureCount]) scaled and shifted by each example's
    /// class. `labels` (one per example) are required: the layer has no unconditional form.
    public func callAsFunction(_ input: Tensor, labels: [Int]?) -> Tensor {
        guard let labels else {
            fatalError("SwiftGAN: ConditionalBatchNorm needs the labels of its batch, got none")
        }
        require(
            input.rank >= 2 && labels.count == input.shape[0],
            "SwiftGAN shape error: ConditionalBatchNorm needs one label per example of \(describe(input.shape)), got \(labels.count)"
        )
        let normalized = norm(input)
        // [batch, 1, …, 1, features]: one γ and β per example, broadcast over its pixels.
        let perExample = [input.shape[0]] + [Int](repeating: 1, count: input.rank - 2) + [input.shape[input.rank - 1]]
        return normalized * scale(labels).reshaped(perExample) + offset(labels).reshaped(perExample)
    }
}
