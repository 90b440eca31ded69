import SwiftGANTensors

/// Batch normalization over the last axis (features for [batch, features], channels for NHWC
/// images): y = γ·(x − μ)/√(σ² + ε) + β, with μ and σ² per feature.
///
/// Training mode normalizes with the batch's mean and biased variance and updates the running
/// statistics the Keras way:
///
///     running = momentum · running + (1 − momentum) · batch
///
/// so the tutorials' `BatchNormalization(momentum=0.8)` keeps 80% of the old value. Inference mode
/// uses the running statistics. In data-parallel training each process normalizes its share of the
/// batch, or with `--sync-bn` (a ``BatchShard`` that synchronizes batch statistics) the whole batch. Defaults are Keras's: momentum 0.99, ε = 1e-3, γ = 1, β = 0,
/// running mean 0 and variance 1.
///
/// With `affine: false` the layer only normalizes: γ and β are the constants 1 and 0 and it has no
/// parameters (PyTorch's `affine=False`); ``ConditionalBatchNorm`` adds a per-class γ and β after it.
///
/// Differences from PyTorch's `BatchNorm1d/2d`: PyTorch's `momentum` is the weight of the *new*
/// value (its 0.1 is Keras's 0.9), its ε defaults to 1e-5, and it updates the running variance
/// with the unbiased batch variance; here, as in Keras, the biased one.
///
/// ```swift
/// let bn = BatchNorm(featureCount: 256, momentum: 0.8)
/// let normalizeOnly = BatchNorm(featureCount: 256, affine: false)   // no γ, β
/// ```
public final class BatchNorm: UnaryLayer {
    public let momentum: Float
    public let epsilon: Float
    /// Whether γ and β are trained parameters; without, they stay 1 and 0.
    public let affine: Bool
    public let scale: Tensor  // γ
    public let offset: Tensor  // β
    public let runningMean: Tensor
    public let runningVariance: Tensor
    public private(set) var isTraining = true

    public init(featureCount: Int, momentum: Float = 0.99, epsilon: Float = 1e-3, affine: Bool = true) {
        require(
            (0...1).contains(momentum),
            "BatchNorm momentum must lie in [0, 1] (the weight of the old running value), got \(momentum)")
        require(epsilon > 0, "BatchNorm epsilon must be positive, got \(epsilon)")
        self.momentum = momentum
        self.epsilon = epsilon
        self.affine = affine
        scale = Tensor.ones([featureCount]).requiringGradient(affine)
        offset = Tensor.zeros([featureCount]).requiringGradient(affine)
        runningMean = Tensor.zeros([featureCount])
        runningVariance = Tensor.ones([featureCount])
    }

    public func callAsFunction(_ x: Tensor) -> Tensor { normalize(x, leakyReLUSlope: nil) }

    /// `LeakyReLU(slope)(self(x))` in one pass over the activations in training mode (see
    /// `Tensor.batchNormalized`): ``Sequential`` calls this for a BatchNorm followed by a LeakyReLU
    /// whose slope is ≥ 0. Same values and gradients as the two layers.
    public func callAsFunction(_ x: Tensor, thenLeakyReLU slope: Float) -> Tensor {
        slope >= 0 && isTraining ? normalize(x, leakyReLUSlope: slope) : self(x).leakyRelu(slope: slope)
    }

    private func normalize(_ x: Tensor, leakyReLUSlope: Float?) -> Tensor {
        let features = scale.count
        require(
            x.rank >= 2 && x.shape.last == features,
            "SwiftGAN shape error: BatchNorm(featureCount: \(features)) expects [batch, …, \(features)], got \(describe(x.shape))"
        )
        if !isTraining {
            let inverse = (runningVariance + epsilon).pow(-0.5)
            return (x - runningMean) * (scale * inverse) + offset
        }
        // Synchronized over the ranks of a data-parallel step (`--sync-bn`), the values are every rank's.
        let ranks = BatchShard.current.map { $0.synchronizesBatchStatistics ? $0.size : 1 } ?? 1
        require(
            x.count / features * ranks > 1,
            "SwiftGAN: BatchNorm in training mode needs more than one value per feature, got \(describe(x.shape))")
        let (y, mean, variance) = x.batchNormalized(
            scale: scale, offset: offset, epsilon: epsilon, leakyReLUSlope: leakyReLUSlope)
        withoutGrad {
            runningMean.assign(runningMean * momentum + mean * (1 - momentum))
            runningVariance.assign(runningVariance * momentum + variance * (1 - momentum))
        }
        return y
    }

    public func setTraining(_ training: Bool) { isTraining = training }
    public var ownParameters: [(name: String, tensor: Tensor)] {
        guard affine else { return [] }
        return [("scale", scale), ("offset", offset)]
    }
    public var ownBuffers: [(name: String, tensor: Tensor)] {
        [("runningMean", runningMean), ("runningVariance", runningVariance)]
    }
}
