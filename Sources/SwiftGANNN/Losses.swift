import SwiftGANTensors

// Losses return the mean over all elements as a rank-0 tensor. Classifier losses take logits and
// are computed in a stable form; probabilities are an output, not an input (the one exception,
// `binaryCrossEntropy(probabilities:…)`, exists to match Keras models that end in a sigmoid).
//
// Predictions and targets must have the same shape: a [64, 1] prediction against a [64] target
// would otherwise broadcast to [64, 64], a classic silent bug. NaN in the inputs gives a NaN loss
// (as in PyTorch and Keras); the training loop checks for it.

private func checkPair(_ name: String, _ predictions: Tensor, _ targets: Tensor) {
    require(
        predictions.shape == targets.shape,
        "SwiftGAN shape error: \(name) predictions \(describe(predictions.shape)) and targets \(describe(targets.shape)) must have the same shape"
    )
    require(predictions.count > 0, "SwiftGAN: \(name) of an empty batch (shape \(describe(predictions.shape)))")
}

/// Keras's binary label smoothing: t ← t·(1 − s) + s/2.
private func smoothBinary(_ targets: Tensor, _ s: Float) -> Tensor {
    require((0...1).contains(s), "label smoothing must lie in [0, 1], got \(s)")
    return s == 0 ? targets : targets * (1 - s) + 0.5 * s
}

/// Binary cross-entropy from logits z and targets t ∈ [0, 1] (soft targets allowed):
/// mean(softplus(z) − z·t) = −mean(t·log σ(z) + (1 − t)·log(1 − σ(z))), exact for any logit.
///
/// ```swift
/// let dLoss = binaryCrossEntropy(logits: d(real), targets: Tensor.ones([64, 1]))
/// ```
public func binaryCrossEntropy(logits: Tensor, targets: Tensor, labelSmoothing: Float = 0) -> Tensor {
    checkPair("binaryCrossEntropy", logits, targets)
    return (logits.softplus() - logits * smoothBinary(targets, labelSmoothing)).mean()
}

/// Binary cross-entropy from probabilities, as Keras computes it: p is clipped to [ε, 1 − ε]
/// (ε = 1e-7) before the logarithms, so p = 0 or 1 gives a large finite loss and no gradient
/// beyond the clip. Prefer the logits form, which needs no clipping.
public func binaryCrossEntropy(
    probabilities: Tensor, targets: Tensor, labelSmoothing: Float = 0,
    epsilon: Float = 1e-7
) -> Tensor {
    checkPair("binaryCrossEntropy", probabilities, targets)
    let p = probabilities.clamped(min: epsilon, max: 1 - epsilon)
    let t = smoothBinary(targets, labelSmoothing)
    return -(t * p.log() + (1 - t) * (1 - p).log()).mean()
}

/// Categorical cross-entropy from logits [batch, classes] and target distributions of the same
/// shape (one-hot or soft): −mean over the batch of Σ_c t_c · log softmax(z)_c. Label smoothing as
/// Keras: t ← t·(1 − s) + s/classes.
public func categoricalCrossEntropy(logits: Tensor, targets: Tensor, labelSmoothing: Float = 0) -> Tensor {
    checkPair("categoricalCrossEntropy", logits, targets)
    require(
        logits.rank == 2,
        "SwiftGAN shape error: categoricalCrossEntropy expects [batch, classes], got \(describe(logits.shape))")
    require((0...1).contains(labelSmoothing), "label smoothing must lie in [0, 1], got \(labelSmoothing)")
    let classes = Float(logits.shape[1])
    let t = labelSmoothing == 0 ? targets : targets * (1 - labelSmoothing) + labelSmoothing / classes
    return -(t * logits.logSoftmax(alongAxis: 1)).sum(alongAxis: 1).mean()
}

/// mean((prediction − target)²).
public func meanSquaredError(_ predictions: Tensor, _ targets: Tensor) -> Tensor {
    checkPair("meanSquaredError", predictions, targets)
    let d = predictions - targets
    return (d * d).mean()
}

/// One-hot rows for integer labels: [labels.count, classes].
public func oneHot(_ labels: [Int], classes: Int) -> Tensor {
    let t = Tensor.zeros([labels.count, classes])
    for (row, label) in labels.enumerated() {
        require(label >= 0 && label < classes, "label \(label) out of range 0..<\(classes)")
        t.data[row * classes + label] = 1
    }
    return t
}
