import SwiftGANTensors

/// A layer computed from one weight tensor whose last axis is the output features (Dense
/// [in, out], Conv2D [kh, kw, in, out]), which can be run with a replacement for that weight.
public protocol WeightedLayer: UnaryLayer {
    var weight: Tensor { get }
    func callAsFunction(_ input: Tensor, weight: Tensor) -> Tensor
}

/// Spectral normalization (Miyato et al. 2018), as PyTorch's `torch.nn.utils.spectral_norm`:
/// the layer runs with W / σ(W), σ estimated by power iteration on W viewed as a matrix
/// M = W reshaped to [rest, out] (PyTorch's [out, rest] is its transpose up to a row order, with
/// the same singular values). One iteration per training forward while ``iterates`` is on:
///
///     v ← normalize(M·u),  u ← normalize(Mᵀ·v),  σ = vᵀ·M·u
///
/// u and v are buffers (saved in checkpoints and the training state), updated without gradient;
/// σ is differentiated through M only, as in PyTorch. In inference mode the stored u and v give σ
/// without iterating. normalize(x) = x / max(‖x‖, 1e-12), PyTorch's ε.
///
/// The layer's parameters keep their names (`weight`, `kernel`, `bias`); the vectors are `sn_u`
/// and `sn_v`.
public final class SpectralNorm: UnaryLayer {
    public let layer: any WeightedLayer
    public let u: Tensor, v: Tensor
    /// Whether a training forward makes a power iteration. A GAN step runs D several times (its
    /// update, G's update, penalties); it iterates in the first only, so once per D update.
    public var iterates = true
    private var training = true

    public init(_ layer: any WeightedLayer, rng: RandomGenerator) {
        self.layer = layer
        let out = layer.weight.shape.last!, rest = layer.weight.count / out
        u = Self.normalized(Tensor.normal([out], using: rng))
        v = Self.normalized(Tensor.normal([rest], using: rng))
    }

    private static func normalized(_ x: Tensor) -> Tensor {
        withoutGrad { x / Swift.max((x * x).sum().scalar.squareRoot(), 1e-12) }
    }

    /// The weight as the matrix M, [rest, out].
    private var matrix: Tensor { layer.weight.reshaped([-1, layer.weight.shape.last!]) }

    /// One power iteration on the current weight (updates u and v), in fp32 whatever the run's
    /// precision: u and v persist from step to step, and bf16's rounding would move σ by ≈0.4 %.
    public func powerIteration() {
        Precision.inFP32 {
            withoutGrad {
                let m = matrix.detached()
                v.assign(Self.normalized(m.matmul(u.reshaped([-1, 1])).reshaped([v.count])))
                u.assign(Self.normalized(m.matmul(v.reshaped([-1, 1]), transposeSelf: true).reshaped([u.count])))
            }
        }
    }

    /// σ = vᵀ·M·u with the current vectors, differentiable with respect to the weight.
    public var sigma: Tensor {
        // Snapshots: the buffers may change (the next forward) before this graph's backward runs.
        let uc = u.copy(), vc = v.copy()
        return Precision.inFP32 { (matrix.matmul(uc.reshaped([-1, 1])).reshaped([vc.count]) * vc).sum() }
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        if training && iterates { powerIteration() }
        return layer(input, weight: layer.weight / sigma)
    }

    public var ownParameters: [(name: String, tensor: Tensor)] { layer.ownParameters }
    public var ownBuffers: [(name: String, tensor: Tensor)] { layer.ownBuffers + [("sn_u", u), ("sn_v", v)] }
    public var children: [(name: String, module: any Module)] { layer.children }
    public func setTraining(_ training: Bool) {
        self.training = training
        layer.setTraining(training)
    }
}

extension Module {
    /// Turns the power iteration of every ``SpectralNorm`` in the tree on or off.
    public func setSpectralIteration(_ on: Bool) {
        if let sn = self as? SpectralNorm { sn.iterates = on }
        for child in children { child.module.setSpectralIteration(on) }
    }
}
