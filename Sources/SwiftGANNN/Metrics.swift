import SwiftGANTensors

/// The share of predictions on the right side of the decision boundary: logit > 0 (probability
/// > 0.5) counts as class 1, and a target counts as 1 when it exceeds 0.5 (so smoothed targets
/// count by their side of 0.5; Keras's `binary_accuracy` compares them exactly, so it scores a
/// smoothed 0.9 target as never matched).
public func binaryAccuracy(logits: Tensor, targets: Tensor) -> Float {
    require(
        logits.shape == targets.shape && logits.count > 0,
        "SwiftGAN shape error: binaryAccuracy logits \(describe(logits.shape)) vs targets \(describe(targets.shape))")
    var correct = 0
    let (z, t) = (logits.data, targets.data)
    for i in 0..<logits.count where (z[i] > 0) == (t[i] > 0.5) { correct += 1 }
    return Float(correct) / Float(logits.count)
}

/// The share of rows whose largest logit is the target's largest entry (Keras's `categorical_accuracy`).
public func categoricalAccuracy(logits: Tensor, targets: Tensor) -> Float {
    require(
        logits.shape == targets.shape && logits.rank == 2 && logits.count > 0,
        "SwiftGAN shape error: categoricalAccuracy logits \(describe(logits.shape)) vs targets \(describe(targets.shape))"
    )
    let classes = logits.shape[1]
    func argmax(_ p: UnsafeMutablePointer<Float>) -> Int {
        var best = 0
        for c in 1..<classes where p[c] > p[best] { best = c }
        return best
    }
    var correct = 0
    for row in 0..<logits.shape[0] where argmax(logits.data + row * classes) == argmax(targets.data + row * classes) {
        correct += 1
    }
    return Float(correct) / Float(logits.shape[0])
}
