import SwiftGANTensors

/// The last step of a projection discriminator (Miyato & Koyama 2018, "cGANs with Projection
/// Discriminator"): from D's features φ(x) [batch, F] and the labels y,
///
///     D(x, y) = ψ(φ(x)) + ⟨embed(y), φ(x)⟩,       ψ a Dense(F, 1), embed an Embedding(classes, F),
///
/// as [batch, 1] logits. Without labels (an unconditional use) it is ψ(φ(x)) alone.
///
/// Both layers start Glorot-uniform (the Chainer code's initializer; ψ's bias 0). Spectral
/// normalization is the caller's: ``Embedding`` is a ``WeightedLayer``, so ``SpectralNorm`` wraps
/// both, either by hand (`init(linear:embedding:)`) or by a model-wide rewrite, which reaches
/// them because this head is a ``LayerContainer``. Either layer may be any one-input layer; the
/// embedding is called with the labels as a float tensor [batch].
///
/// ```swift
/// let head = ProjectionDiscriminatorHead(featureCount: 128, classCount: 10, rng: rng)
/// let logits = head(features, labels: labels)                  // [batch, 128] → [batch, 1]
/// let sn = try head.rewritingLayers { ($0 as? any WeightedLayer).map { SpectralNorm($0, rng: rng) } }
/// ```
public final class ProjectionDiscriminatorHead: LabelledLayer {
    /// ψ: features → one unconditional logit (a ``Dense`` of F → 1, or one wrapped).
    public let linear: any UnaryLayer
    /// embed: a label (as a float) → F numbers (an ``Embedding`` of classes × F, or one wrapped).
    public let embedding: any UnaryLayer

    public init(featureCount: Int, classCount: Int, rng: RandomGenerator) {
        linear = Dense(featureCount, 1, rng: rng)
        embedding = Embedding(count: classCount, dimension: featureCount, initializer: .glorotUniform, rng: rng)
    }

    /// A head over layers of one's own (spectrally normalized ones, say).
    public init(linear: any UnaryLayer, embedding: any UnaryLayer) {
        self.linear = linear
        self.embedding = embedding
    }

    public func callAsFunction(_ features: Tensor, labels: [Int]?) -> Tensor {
        require(
            features.rank == 2,
            "SwiftGAN shape error: ProjectionDiscriminatorHead takes features [batch, F], got \(describe(features.shape))"
        )
        let unconditional = linear(features)
        guard let labels else { return unconditional }
        require(
            labels.count == features.shape[0],
            "SwiftGAN shape error: ProjectionDiscriminatorHead needs one label per example of \(describe(features.shape)), got \(labels.count)"
        )
        let embedded = embedding(Tensor(labels.map { Float($0) }))
        require(
            embedded.shape == features.shape,
            "SwiftGAN shape error: ProjectionDiscriminatorHead's embedding gives \(describe(embedded.shape)) for features \(describe(features.shape))"
        )
        return unconditional + (embedded * features).sum(alongAxis: 1, keepingDimensions: true)
    }
}

extension ProjectionDiscriminatorHead: LayerContainer {
    public func mapLayers(_ transform: (any UnaryLayer) throws -> any UnaryLayer) rethrows -> Self {
        Self(linear: try transform(linear), embedding: try transform(embedding))
    }
}
