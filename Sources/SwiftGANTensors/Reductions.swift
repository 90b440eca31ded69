import Foundation

// Reductions over axes (sum, mean, max) and the axis-wise normalizers (log-softmax, softmax).
// Every kernel sees its input as [outer, n, inner] around the reduced axis.

extension Tensor {
    /// (outer, n, inner) for a reduction along `axis`.
    func split(at axis: Int) -> (outer: Int, n: Int, inner: Int) {
        (shape[..<axis].reduce(1, *), shape[axis], shape[(axis + 1)...].reduce(1, *))
    }

    /// Sums along one axis, keeping it with size 1.
    private func sumKeepingAxis(_ axis: Int) -> Tensor {
        let (outer, n, inner) = split(at: axis)
        var outShape = shape
        outShape[axis] = 1
        let out = Tensor(uninitialized: outShape)
        let px = data, po = out.data
        if inner == 1 && outer < 8 && n >= Parallel.elementwiseThreshold {
            // A few long rows: fixed-size blocks summed in parallel, partials added in order, so the
            // result is the same for any number of threads.
            let block = 1 << 16, blocks = (n + block - 1) / block
            let partials = UnsafeMutablePointer<Float>.allocate(capacity: outer * blocks)
            defer { partials.deallocate() }
            Parallel.forEachChunk(outer * blocks, minimumChunk: 1) { r in
                for b in r {
                    let (o, k) = (b / blocks, b % blocks)
                    partials[b] = sumContiguous(px + o * n + k * block, Swift.min(block, n - k * block))
                }
            }
            for o in 0..<outer { po[o] = sumContiguous(partials + o * blocks, blocks) }
        } else if inner == 1 {
            // Row sums: eight running partials keep the loop vectorized and the error small.
            Parallel.forEachChunk(outer, minimumChunk: Swift.max(1, Parallel.elementwiseThreshold / Swift.max(n, 1))) {
                rows in
                for o in rows { po[o] = sumContiguous(px + o * n, n) }
            }
        } else {
            Parallel.forEachChunk(outer * inner, minimumChunk: Parallel.elementwiseThreshold / Swift.max(n, 1)) { r in
                // Chunks over output positions; rows of `inner` consecutive outputs stay vectorized.
                var start = r.lowerBound
                while start < r.upperBound {
                    let o = start / inner, i0 = start % inner
                    let stop = Swift.min(r.upperBound - start, inner - i0)
                    let dst = po + start
                    dst.initialize(repeating: 0, count: stop)
                    for k in 0..<n {
                        let src = px + (o * n + k) * inner + i0
                        for j in 0..<stop { dst[j] += src[j] }
                    }
                    start += stop
                }
            }
        }
        return out
    }

    /// Sums over `axes` (negative axes count from the end); the gradient broadcasts back.
    public func sum(alongAxes axes: [Int], keepingDimensions: Bool = false) -> Tensor {
        let normalized = axes.map { a in checked { try normalizedAxis(a, rank: rank) } }.sorted()
        require(
            Set(normalized).count == normalized.count,
            "SwiftGAN shape error: axis repeated in \(axes) for a tensor of shape \(describe(shape))")
        var out = self
        var reduced = shape
        for a in normalized { out = out.sumKeepingAxis(a) }
        for a in normalized { reduced[a] = 1 }
        let finalShape =
            keepingDimensions ? reduced : shape.enumerated().filter { !normalized.contains($0.offset) }.map(\.element)
        let result = normalized.isEmpty ? copy() : Tensor(shape: finalShape, sharing: out.storage)
        let inputShape = shape
        return Tensor.record("sum", result, [self]) { g, _ in
            [g.reshaped(reduced).broadcast(to: inputShape)]
        }
    }

    public func sum(alongAxis axis: Int, keepingDimensions: Bool = false) -> Tensor {
        sum(alongAxes: [axis], keepingDimensions: keepingDimensions)
    }

    /// The sum of all elements, as a rank-0 tensor.
    public func sum() -> Tensor { sum(alongAxes: Array(0..<rank)) }

    /// The mean over `axes`. The mean of zero elements is NaN, as in NumPy and PyTorch.
    public func mean(alongAxes axes: [Int], keepingDimensions: Bool = false) -> Tensor {
        let n = axes.map { a in shape[checked { try normalizedAxis(a, rank: rank) }] }.reduce(1, *)
        return sum(alongAxes: axes, keepingDimensions: keepingDimensions) * (1 / Float(n))
    }

    public func mean(alongAxis axis: Int, keepingDimensions: Bool = false) -> Tensor {
        mean(alongAxes: [axis], keepingDimensions: keepingDimensions)
    }

    /// The mean of all elements, as a rank-0 tensor.
    public func mean() -> Tensor { mean(alongAxes: Array(0..<rank)) }

    /// The maximum along `axis` (NaN if the slice holds one). The gradient goes to the first
    /// maximal element of each slice.
    public func max(alongAxis axis: Int, keepingDimensions: Bool = false) -> Tensor {
        let axis = checked { try normalizedAxis(axis, rank: rank) }
        require(shape[axis] > 0, "SwiftGAN shape error: max along an empty axis of \(describe(shape))")
        let (outer, n, inner) = split(at: axis)
        var kept = shape
        kept[axis] = 1
        let out = Tensor(
            uninitialized: keepingDimensions ? kept : shape.enumerated().filter { $0.offset != axis }.map(\.element))
        let winners = Tensor.zeros(shape)  // one-hot of each slice's argmax: the backward mask
        let px = data, po = out.data, pw = winners.data
        for o in 0..<outer {
            for i in 0..<inner {
                var best = px[o * n * inner + i], at = 0
                for k in 1..<n {
                    let v = px[(o * n + k) * inner + i]
                    if !best.isNaN && (v > best || v.isNaN) { best = v; at = k }  // NaN wins, as in NumPy
                }
                po[o * inner + i] = best
                pw[(o * n + at) * inner + i] = 1
            }
        }
        let inputShape = shape
        return Tensor.record("max", out, [self]) { g, _ in
            [g.reshaped(kept).broadcast(to: inputShape) * winners]
        }
    }

    /// log(softmax(x)) along `axis`, computed as x − max − log Σ exp(x − max): no overflow for large
    /// logits, no log(0) for very negative ones.
    public func logSoftmax(alongAxis axis: Int = -1) -> Tensor {
        let axis = checked { try normalizedAxis(axis, rank: rank) }
        let (outer, n, inner) = split(at: axis)
        let out = Tensor(uninitialized: shape)
        let px = data, po = out.data
        for o in 0..<outer {
            for i in 0..<inner {
                let base = o * n * inner + i
                var m = -Float.infinity
                for k in 0..<n { m = Swift.max(m, px[base + k * inner]) }
                var s: Float = 0
                for k in 0..<n { s += Foundation.exp(px[base + k * inner] - m) }
                let shift = m + Foundation.log(s)
                for k in 0..<n { po[base + k * inner] = px[base + k * inner] - shift }
            }
        }
        let y = out.storage
        return Tensor.record("logSoftmax", out, [self]) { g, _ in
            if GradMode.isEnabled {
                return [g - self.softmax(alongAxis: axis) * g.sum(alongAxis: axis, keepingDimensions: true)]
            }
            // dx = g − softmax · Σg, fused.
            let dx = Tensor(uninitialized: g.shape)
            let pg = g.data, pd = dx.data, py = y.pointer
            for o in 0..<outer {
                for i in 0..<inner {
                    let base = o * n * inner + i
                    var total: Float = 0
                    for k in 0..<n { total += pg[base + k * inner] }
                    for k in 0..<n {
                        pd[base + k * inner] = pg[base + k * inner] - Foundation.exp(py[base + k * inner]) * total
                    }
                }
            }
            return [dx]
        }
    }

    /// Softmax along `axis`: exp of the stable log-softmax.
    public func softmax(alongAxis axis: Int = -1) -> Tensor { logSoftmax(alongAxis: axis).exp() }
}

/// Σ p[0..<n] with eight independent accumulators.
@inline(__always)
func sumContiguous(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
    var acc = SIMD8<Float>(repeating: 0)
    var i = 0
    let raw = UnsafeRawPointer(p)
    while i + 8 <= n {
        acc += raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
        i += 8
    }
    var s = acc.sum()
    while i < n { s += p[i]; i += 1 }
    return s
}
