import Foundation
import SwiftGANCKernels

extension Tensor {
    /// Batch normalization in training mode over every axis but the last (features, or channels of
    /// NHWC images): y = γ·(x − μ)/√(σ² + ε) + β with the batch's mean μ and biased variance σ².
    /// Returns the statistics too, for the running averages.
    ///
    /// One fused pass forward (after two blocked passes for the statistics) and, for first-order
    /// gradients, the closed-form backward
    /// dx = γ/√(σ²+ε) · (g − mean(g) − x̂·mean(g·x̂)), dγ = Σ g·x̂, dβ = Σ g, with x̂ the normalized input.
    /// When the backward pass is itself recorded, it is taken through the same formula built from
    /// differentiable operations, so gradients of gradients stay exact.
    ///
    /// Under a ``BatchShard`` that ``BatchShard/synchronizesBatchStatistics`` (`--sync-bn`), μ and
    /// σ² are the global batch's (SyncBatchNorm): each rank's mean m and squared deviations M₂ over
    /// its n rows are joined in one all-reduce of [n·m, M₂ + n·m², n] per channel (in Double), and
    /// the backward pass sums its two per-channel sums, Σg and Σg·x̂, over the ranks in one
    /// all-reduce of 2C floats before forming dx (dγ and dβ stay this rank's: the training step
    /// sums parameter gradients itself). The recorded backward sums through
    /// ``summedOverRanks()``, so gradient penalties through a synchronized BatchNorm stay exact.
    /// In one process nothing changes.
    ///
    /// With `leakyReLUSlope` s (≥ 0) the output is LeakyReLU's of the normalized values,
    /// z > 0 ? z : s·z, in the same pass: what `BatchNorm` followed by `LeakyReLU` computes, value
    /// for value (same expression, same rounding), without writing and reading the normalized
    /// activations once more each way. The backward pass recomputes z from x to choose each
    /// element's slope (1 or s), then runs the formula above on the gated gradient.
    public func batchNormalized(
        scale: Tensor, offset: Tensor, epsilon: Float, leakyReLUSlope: Float? = nil
    ) -> (output: Tensor, mean: Tensor, variance: Tensor) {
        let c = shape.last ?? 0
        require(
            rank >= 2 && scale.shape == [c] && offset.shape == [c],
            "SwiftGAN shape error: batchNormalized of \(describe(shape)) with scale \(describe(scale.shape)) and offset \(describe(offset.shape))"
        )
        require(
            leakyReLUSlope.map { $0 >= 0 } ?? true,
            "batchNormalized: the fused LeakyReLU needs a slope ≥ 0 (its gate reads the output's sign), got \(leakyReLUSlope ?? 0)"
        )
        let slope = leakyReLUSlope ?? 1  // 1: no activation (z > 0 ? z : 1·z is z)
        let rows = count / c
        require(rows > 0, "SwiftGAN: batch normalization of an empty batch \(describe(shape))")
        // The ranks whose rows are normalized together (SyncBatchNorm); nil: this process's rows alone.
        let shard = BatchShard.current.flatMap { $0.synchronizesBatchStatistics && $0.size > 1 ? $0 : nil }
        let mean = Tensor(uninitialized: [c]), variance = Tensor(uninitialized: [c]),
            inverse = Tensor(uninitialized: [c])
        let px = data, pm = mean.data, pv = variance.data, pi = inverse.data
        // Two passes (mean, then centered squares) over the rows, each split into fixed blocks.
        channelSums(rows: rows, channels: c, into: pm) { r, acc in
            sg_batchnorm_statistics(px + r.lowerBound * c, r.count, c, nil, acc)
        }
        for j in 0..<c { pm[j] /= Float(rows) }
        channelSums(rows: rows, channels: c, into: pv) { r, acc in
            sg_batchnorm_statistics(px + r.lowerBound * c, r.count, c, pm, acc)
        }
        // The rows normalized over: this process's, or the global batch's once the ranks' are joined.
        let n = Float(shard.map { joinStatistics($0, mean: pm, squares: pv, rows: rows, channels: c) } ?? rows)
        for j in 0..<c {
            pv[j] /= n
            pi[j] = 1 / (pv[j] + epsilon).squareRoot()
        }
        let out = Tensor(uninitialized: shape)
        let po = out.data, pg = scale.data, pb = offset.data
        // y = (x − μ)·inv·γ + β, then the LeakyReLU (a slope of 1 leaves it as is), in C.
        Parallel.forEachChunk(rows, minimumChunk: Swift.max(1, Parallel.elementwiseThreshold / Swift.max(c, 1))) { r in
            sg_batchnorm_forward(px + r.lowerBound * c, po + r.lowerBound * c, r.count, c, pm, pi, pg, pb, slope)
        }
        let x = self
        // The output's buffer, not the output: a closure holding the output would keep it alive forever.
        let y = out.storage
        let name = leakyReLUSlope == nil ? "batchNorm" : "batchNormLeakyRelu"
        let output = Tensor.record(name, out, [x, scale, offset]) { incoming, wanted in
            let axes = Array(0..<(x.rank - 1))
            if GradMode.isEnabled {
                // The same backward formula from differentiable operations (recorded), on the
                // gradient gated by the activation's slope: a constant of x almost everywhere, so
                // gradients of gradients stay exact. y > 0 exactly where z > 0, since s ≥ 0.
                let g =
                    leakyReLUSlope == nil
                    ? incoming : incoming * Tensor(shape: x.shape, sharing: y).map { $0 > 0 ? 1 : slope }
                guard let shard else {
                    let mu = x.mean(alongAxes: axes)
                    let centered = x - mu
                    let inv = ((centered * centered).mean(alongAxes: axes) + epsilon).pow(-0.5)
                    let normalized = centered * inv
                    let dOffset = g.sum(alongAxes: axes), dScale = (g * normalized).sum(alongAxes: axes)
                    let dx = (scale * inv) * (g - dOffset / Float(rows) - normalized * (dScale / Float(rows)))
                    return [wanted[0] ? dx : nil, wanted[1] ? dScale : nil, wanted[2] ? dOffset : nil]
                }
                // Synchronized: the statistics and the two sums over the global batch, each summed
                // over the ranks by a recorded all-reduce (whose own gradient is an all-reduce). Every
                // rank runs the same graph, so the ranks meet in the same all-reduces in the same order.
                let mu = x.sum(alongAxes: axes).summed(over: shard) / n
                let centered = x - mu
                let inv = ((centered * centered).sum(alongAxes: axes).summed(over: shard) / n + epsilon).pow(-0.5)
                let normalized = centered * inv
                let dOffset = g.sum(alongAxes: axes), dScale = (g * normalized).sum(alongAxes: axes)
                let dx =
                    wanted[0]
                    ? (scale * inv)
                        * (g - dOffset.summed(over: shard) / n - normalized * (dScale.summed(over: shard) / n)) : nil
                return [dx, wanted[1] ? dScale : nil, wanted[2] ? dOffset : nil]
            }
            // Pointers from tensors this closure holds: the statistics must outlive the forward call.
            let gp = incoming.data, px = x.data, pm = mean.data, pi = inverse.data, pg = scale.data,
                pb = offset.data
            // Σĝ and Σĝ·x̂ in one pass over the rows (dβ in the first c sums, dγ in the next c), ĝ the
            // incoming gradient through the activation's slope at z, recomputed as the forward did
            // (without an activation the slope is 1 and ĝ is g itself, exactly).
            let sums = Tensor(uninitialized: [2 * c])
            channelSums(rows: rows, channels: 2 * c, into: sums.data) { r, acc in
                sg_batchnorm_backward_sums(
                    gp + r.lowerBound * c, px + r.lowerBound * c, r.count, c, pm, pi, pg, pb, slope, acc)
            }
            let dOffsetTensor = Tensor(uninitialized: [c]), dScaleTensor = Tensor(uninitialized: [c])
            dOffsetTensor.data.update(from: sums.data, count: c)
            dScaleTensor.data.update(from: sums.data + c, count: c)
            var db = UnsafePointer(dOffsetTensor.data), ds = UnsafePointer(dScaleTensor.data)
            var dx: Tensor?
            if wanted[0] {
                // Synchronized: dx needs both sums over the global batch, one all-reduce of 2C floats
                // (dγ and dβ below stay this rank's sums).
                var totals: Tensor?
                if let shard {
                    let sums = Tensor(uninitialized: [2 * c])
                    sums.data.update(from: db, count: c)
                    (sums.data + c).update(from: ds, count: c)
                    shard.allReduceSum(UnsafeMutableBufferPointer(start: sums.data, count: 2 * c))
                    db = UnsafePointer(sums.data)
                    ds = UnsafePointer(sums.data + c)
                    totals = sums
                }
                let result = Tensor(uninitialized: x.shape)
                let pd = result.data
                let (gradientSums, scaleSums) = (db, ds)
                // The sums' buffer stays alive until the loop that reads it through pointers is done.
                withExtendedLifetime(totals) {
                    Parallel.forEachChunk(
                        rows, minimumChunk: Swift.max(1, Parallel.elementwiseThreshold / Swift.max(c, 1))
                    ) { r in
                        let o = r.lowerBound * c
                        sg_batchnorm_backward_data(
                            gp + o, px + o, pd + o, r.count, c, pm, pi, pg, pb, slope, gradientSums, scaleSums, n)
                    }
                }
                dx = result
            }
            return [dx, wanted[1] ? dScaleTensor : nil, wanted[2] ? dOffsetTensor : nil]
        }
        return (output, mean, variance)
    }
}

/// Joins this rank's per-channel mean (`mean`) and sum of squared deviations (`squares`) over its
/// `rows` rows with the other ranks' of `shard`, in one all-reduce of [Σx, Σx², n] per channel in
/// Double (Σx = n·m, Σx² = M₂ + n·m²): on return `mean` holds the global batch's mean μ and
/// `squares` its Σ(x − μ)² = Σx² − N·μ². Returns N, the global batch's row count.
private func joinStatistics(
    _ shard: BatchShard, mean pm: UnsafeMutablePointer<Float>, squares pv: UnsafeMutablePointer<Float>, rows: Int,
    channels c: Int
) -> Int {
    let sums = UnsafeMutableBufferPointer<Double>.allocate(capacity: 2 * c + 1)
    defer { sums.deallocate() }
    let n = Double(rows)
    for j in 0..<c {
        let m = Double(pm[j])
        sums[j] = n * m
        sums[c + j] = Double(pv[j]) + n * m * m
    }
    sums[2 * c] = n
    shard.allReduceSum(sums)
    let total = sums[2 * c]
    for j in 0..<c {
        let mu = sums[j] / total
        pm[j] = Float(mu)
        pv[j] = Float(Swift.max(0, sums[c + j] - total * mu * mu))
    }
    return Int(total)
}

/// Per-channel sums over rows: `body(rows, accumulator)` adds a range of rows, in order, into a
/// [channels] accumulator. Rows are cut into fixed blocks summed in parallel, and the block
/// partials are added in order, so the result does not depend on the thread count.
private func channelSums(
    rows: Int, channels c: Int, into result: UnsafeMutablePointer<Float>,
    _ body: (Range<Int>, UnsafeMutablePointer<Float>) -> Void
) {
    let block = 256, blocks = (rows + block - 1) / block
    let partials = UnsafeMutablePointer<Float>.allocate(capacity: blocks * c)
    defer { partials.deallocate() }
    partials.initialize(repeating: 0, count: blocks * c)
    Parallel.forEachChunk(blocks, minimumChunk: Swift.max(1, Parallel.elementwiseThreshold / Swift.max(block * c, 1))) {
        range in
        for b in range { body((b * block)..<Swift.min(rows, (b + 1) * block), partials + b * c) }
    }
    result.initialize(repeating: 0, count: c)
    for b in 0..<blocks { for j in 0..<c { result[j] += partials[b * c + j] } }
}
