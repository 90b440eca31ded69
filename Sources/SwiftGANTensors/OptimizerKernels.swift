import SwiftGANCKernels

// In-place parameter updates, fused into one pass over each buffer. They live with the other
// kernels (behind the same backend seam) and record nothing.

extension Tensor {
    /// Keras-form Adam on this parameter: m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g²,
    /// θ ← θ − lrₜ·m/(√v + ε) with lrₜ = lr·√(1−β₂ᵗ)/(1−β₁ᵗ).
    public func adamUpdate(
        gradient g: Tensor, firstMoment m: Tensor, secondMoment v: Tensor,
        correctedLearningRate: Float, beta1: Float, beta2: Float, epsilon: Float
    ) {
        require(
            g.shape == shape && m.shape == shape && v.shape == shape,
            "SwiftGAN shape error: Adam update of \(describe(shape)) with gradient \(describe(g.shape))")
        let chunkMinimum = Parallel.elementwiseThreshold / 2
        let (p, pm, pv, pg) = (data, m.data, v.data, g.data)
        Parallel.forEachChunk(count, minimumChunk: chunkMinimum) { r in
            sg_adam_update(
                p + r.lowerBound, pm + r.lowerBound, pv + r.lowerBound, pg + r.lowerBound,
                r.count, correctedLearningRate, beta1, beta2, epsilon)
        }
        markModified()
    }

    /// Keras-form SGD with momentum on this parameter: u ← μu − lr·g; θ ← θ + u
    /// (Nesterov: θ ← θ + μu − lr·g). With μ = 0: θ ← θ − lr·g.
    public func sgdUpdate(
        gradient g: Tensor, velocity u: Tensor?, learningRate lr: Float, momentum mu: Float, nesterov: Bool
    ) {
        require(
            g.shape == shape,
            "SwiftGAN shape error: SGD update of \(describe(shape)) with gradient \(describe(g.shape))")
        let p = data, pg = g.data
        defer { markModified() }
        guard let u else {
            for i in 0..<count { p[i] -= lr * pg[i] }
            return
        }
        let pu = u.data
        for i in 0..<count {
            let ui = mu * pu[i] - lr * pg[i]
            pu[i] = ui
            p[i] += nesterov ? mu * ui - lr * pg[i] : ui
        }
    }

    /// RMSprop on this parameter: v ← ρv + (1−ρ)g², θ ← θ − lr·g/(√v + ε).
    public func rmspropUpdate(
        gradient g: Tensor, meanSquare v: Tensor, learningRate lr: Float, rho: Float, epsilon: Float
    ) {
        require(
            g.shape == shape && v.shape == shape,
            "SwiftGAN shape error: RMSprop update of \(describe(shape)) with gradient \(describe(g.shape))")
        let (p, pv, pg) = (data, v.data, g.data)
        Parallel.forEachChunk(count, minimumChunk: Parallel.elementwiseThreshold / 2) { r in
            for i in r {
                let vi = rho * pv[i] + (1 - rho) * pg[i] * pg[i]
                pv[i] = vi
                p[i] -= lr * pg[i] / (vi.squareRoot() + epsilon)
            }
        }
        markModified()
    }
}
