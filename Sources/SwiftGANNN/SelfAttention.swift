import SwiftGANTensors

/// Self-attention over the pixels of NHWC feature maps (Zhang et al. 2019, "Self-Attention
/// Generative Adversarial Networks"), in BigGAN's form (Brock et al. 2019). For x [N, H, W, C],
/// with 1×1 convolutions without bias
///
///     f = query(x): C → C/8,   g = pool(key(x)): C → C/8,   h = pool(value(x)): C → C/2,
///     β = softmax over the key positions of f·gᵀ           ([N, HW, HW/4]: each pixel's weights),
///     o = output(β·h): C/2 → C,
///     y = x + γ·o,
///
/// where pool is a 2×2 max-pool with stride 2 (so keys and values are HW/4 positions) and γ a
/// scalar parameter starting at 0, so the block starts as the identity. Without pooling
/// (`pooling: false`) every pixel attends to every pixel, as in the SAGAN paper's equations.
///
/// Everything is the engine's differentiable ops (the max-pool is two `max(alongAxis:)` over a
/// reshape, the products batched `matmul`, the softmax `softmax(alongAxis:)`), so gradients of
/// gradients (R1, WGAN-GP) come for free. The four convolutions are children: a model-wide
/// rewrite reaches them (this block is a ``LayerContainer``), e.g. SAGAN's spectral norm on all.
/// Costs O((HW)²·C/8) time and O(HW·HW/4) memory per image: meant for 32×32 or 64×64 maps.
///
/// Differences from BigGAN-PyTorch's `Attention`: the same shapes, pooling, bias-free convs and
/// zero γ; its convs are spectrally normalized and initialized orthogonally, these are
/// Glorot-uniform (add ``SpectralNorm`` yourself). SAGAN's released code and StudioGAN's
/// `SelfAttention` (whose γ is called `sigma`) compute the same; the SAGAN paper's equations have
/// no pooling and take h to C/8 channels.
///
/// ```swift
/// let attention = SelfAttention(channels: 64, rng: rng)
/// let y = attention(x)   // [8, 32, 32, 64] → [8, 32, 32, 64]
/// ```
public final class SelfAttention: UnaryLayer {
    /// f: C → C/8, the queries.
    public let query: any UnaryLayer
    /// g: C → C/8, the keys (pooled).
    public let key: any UnaryLayer
    /// h: C → C/2, the values (pooled).
    public let value: any UnaryLayer
    /// C/2 → C, back to the input's channels.
    public let output: any UnaryLayer
    /// γ, [1], starting at 0.
    public let gamma: Tensor
    /// Whether keys and values are 2×2 max-pooled (BigGAN); H and W must then be even.
    public let pooling: Bool

    /// The block for `channels` input channels (a multiple of 8), its 1×1 convolutions without bias.
    public convenience init(channels: Int, pooling: Bool = true, rng: RandomGenerator) {
        require(
            channels >= 8 && channels % 8 == 0,
            "SwiftGAN: SelfAttention needs a channel count that is a multiple of 8 (C/8 queries and keys), got \(channels)"
        )
        self.init(
            query: SelfAttention.pointwise(channels, channels / 8, rng),
            key: SelfAttention.pointwise(channels, channels / 8, rng),
            value: SelfAttention.pointwise(channels, channels / 2, rng),
            output: SelfAttention.pointwise(channels / 2, channels, rng),
            gamma: Tensor.zeros([1]).requiringGradient(), pooling: pooling)
    }

    /// A 1×1 convolution without bias.
    private static func pointwise(_ inChannels: Int, _ outChannels: Int, _ rng: RandomGenerator) -> Conv2D {
        Conv2D(inChannels, outChannels, kernelSize: 1, useBias: false, rng: rng)
    }

    /// The block over layers of one's own; `gamma` is used as it is (a [1] tensor that requires gradients).
    public init(
        query: any UnaryLayer, key: any UnaryLayer, value: any UnaryLayer, output: any UnaryLayer, gamma: Tensor,
        pooling: Bool
    ) {
        require(gamma.shape == [1], "SwiftGAN shape error: SelfAttention's gamma is [1], got \(describe(gamma.shape))")
        (self.query, self.key, self.value, self.output) = (query, key, value, output)
        (self.gamma, self.pooling) = (gamma, pooling)
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        require(
            x.rank == 4 && (!pooling || (x.shape[1] % 2 == 0 && x.shape[2] % 2 == 0)),
            "SwiftGAN shape error: SelfAttention takes [batch, height, width, channels] images\(pooling ? " of even height and width" : ""), got \(describe(x.shape))"
        )
        let (n, h, w) = (x.shape[0], x.shape[1], x.shape[2])
        let positions = h * w, pooled = pooling ? positions / 4 : positions
        // [N, positions, channels]: one row per pixel.
        func rows(_ t: Tensor, _ count: Int) -> Tensor { t.reshaped([n, count, t.shape[3]]) }
        func pool(_ t: Tensor) -> Tensor { pooling ? Self.maxPooled(t) : t }
        let queries = rows(query(x), positions)
        let keys = rows(pool(key(x)), pooled)
        let values = rows(pool(value(x)), pooled)
        let attention = queries.matmul(keys, transposeOther: true).softmax(alongAxis: -1)  // [N, HW, pooled]
        let attended = attention.matmul(values)  // [N, HW, C/2]
        let o = output(attended.reshaped([n, h, w, attended.shape[2]]))
        return x + gamma * o
    }

    /// 2×2 max-pooling with stride 2 of NHWC maps: the maximum of each window, found as the maximum
    /// over the window's columns, then its rows. The gradient goes to the window's first maximal
    /// element (PyTorch's `max_pool2d` picks one too).
    static func maxPooled(_ t: Tensor) -> Tensor {
        let (n, h, w, c) = (t.shape[0], t.shape[1], t.shape[2], t.shape[3])
        return t.reshaped([n, h / 2, 2, w / 2, 2, c]).max(alongAxis: 4).max(alongAxis: 2)
    }

    public var ownParameters: [(name: String, tensor: Tensor)] { [("gamma", gamma)] }
}

extension SelfAttention: LayerContainer {
    public func mapLayers(_ transform: (any UnaryLayer) throws -> any UnaryLayer) rethrows -> Self {
        Self(
            query: try transform(query), key: try transform(key), value: try transform(value),
            output: try transform(output), gamma: gamma, pooling: pooling)
    }
}
