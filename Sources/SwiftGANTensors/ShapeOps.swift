// Operations that move values without arithmetic: reshape, permute, concatenate, slice, gather.
// Each backward is another operation of this file, so all of them differentiate to any order.

extension Tensor {
    /// The same values under another shape (one dimension may be −1). Shares storage: no copy.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        let resolved = newShape == shape ? shape : checked { try reshapedDimensions(shape, to: newShape) }
        let out = Tensor(shape: resolved, sharing: storage)
        let inputShape = shape
        return Tensor.record("reshape", out, [self]) { g, _ in [g.reshaped(inputShape)] }
    }

    /// Flattens everything but the first dimension: [N, …] → [N, rest].
    public func flattenedBatch() -> Tensor { reshaped([shape.first ?? 1, -1]) }

    /// Reorders dimensions: result dimension i is input dimension `axes[i]`.
    public func permuted(_ axes: [Int]) -> Tensor {
        let axes = axes.map { a in checked { try normalizedAxis(a, rank: rank) } }
        require(
            axes.sorted() == Array(0..<rank),
            "SwiftGAN shape error: \(axes) is not a permutation of the axes of \(describe(shape))")
        if axes == Array(0..<rank) { return self }
        let outShape = axes.map { shape[$0] }
        let out = Tensor(uninitialized: outShape)
        var inStrides = [Int](repeating: 1, count: rank)
        for d in stride(from: rank - 2, through: 0, by: -1) { inStrides[d] = inStrides[d + 1] * shape[d + 1] }
        let strides = axes.map { inStrides[$0] }  // input stride of each output dimension
        let px = data, po = out.data
        if rank == 2 {
            // Blocked 2-D transpose: both sides stay in cache.
            let rows = outShape[0], cols = outShape[1], s0 = strides[0], s1 = strides[1], block = 32
            for r0 in stride(from: 0, to: rows, by: block) {
                for c0 in stride(from: 0, to: cols, by: block) {
                    for r in r0..<Swift.min(r0 + block, rows) {
                        for c in c0..<Swift.min(c0 + block, cols) { po[r * cols + c] = px[r * s0 + c * s1] }
                    }
                }
            }
        } else if out.count > 0 {
            var index = [Int](repeating: 0, count: rank)
            var offset = 0
            let last = rank - 1, n = outShape[last], sLast = strides[last]
            for row in 0..<(out.count / n) {
                let dst = po + row * n
                for j in 0..<n { dst[j] = px[offset + j * sLast] }
                var d = last - 1
                while d >= 0 {
                    index[d] += 1; offset += strides[d]
                    if index[d] < outShape[d] { break }
                    offset -= strides[d] * outShape[d]; index[d] = 0; d -= 1
                }
            }
        }
        var inverse = [Int](repeating: 0, count: rank)
        for (i, a) in axes.enumerated() { inverse[a] = i }
        return Tensor.record("permute", out, [self]) { g, _ in [g.permuted(inverse)] }
    }

    /// Swaps two dimensions (default: the last two).
    public func transposed(_ a: Int = -2, _ b: Int = -1) -> Tensor {
        let a = checked { try normalizedAxis(a, rank: rank) }, b = checked { try normalizedAxis(b, rank: rank) }
        var axes = Array(0..<rank)
        axes.swapAt(a, b)
        return permuted(axes)
    }

    /// Joins tensors along `axis`; all other dimensions must agree.
    public static func concatenate(_ tensors: [Tensor], alongAxis axis: Int) -> Tensor {
        require(!tensors.isEmpty, "SwiftGAN: concatenate needs at least one tensor")
        let first = tensors[0].shape
        let axis = checked { try normalizedAxis(axis, rank: first.count) }
        for t in tensors {
            var a = t.shape, b = first
            guard a.count == b.count else {
                shapeFailure(ShapeError("concatenate: ranks differ, \(describe(first)) vs \(describe(t.shape))"))
            }
            a[axis] = 0; b[axis] = 0
            guard a == b else {
                shapeFailure(
                    ShapeError(
                        "concatenate along axis \(axis): \(describe(first)) and \(describe(t.shape)) differ outside that axis"
                    ))
            }
        }
        var outShape = first
        outShape[axis] = tensors.reduce(0) { $0 + $1.shape[axis] }
        let out = Tensor(uninitialized: outShape)
        let (outer, total, inner) = out.split(at: axis)
        var start = 0
        for t in tensors {
            let n = t.shape[axis]
            for o in 0..<outer {
                (out.data + (o * total + start) * inner).update(from: t.data + o * n * inner, count: n * inner)
            }
            start += n
        }
        let sizes = tensors.map { $0.shape[axis] }
        return record("concatenate", out, tensors) { g, wanted in
            var offset = 0
            return sizes.enumerated().map { i, n in
                defer { offset += n }
                return wanted[i] ? g.slice(alongAxis: axis, offset..<(offset + n)) : nil
            }
        }
    }

    /// The elements whose index along `axis` lies in `range`.
    public func slice(alongAxis axis: Int, _ range: Range<Int>) -> Tensor {
        let axis = checked { try normalizedAxis(axis, rank: rank) }
        require(
            range.lowerBound >= 0 && range.upperBound <= shape[axis],
            "SwiftGAN shape error: slice \(range) out of bounds for axis \(axis) of \(describe(shape))")
        let (outer, n, inner) = split(at: axis)
        var outShape = shape
        outShape[axis] = range.count
        let out = Tensor(uninitialized: outShape)
        for o in 0..<outer {
            (out.data + o * range.count * inner).update(
                from: data + (o * n + range.lowerBound) * inner, count: range.count * inner)
        }
        let full = shape
        return Tensor.record("slice", out, [self]) { g, _ in
            [g.padded(into: full, alongAxis: axis, at: range.lowerBound)]
        }
    }

    /// Places this tensor inside zeros of `shape`, starting at `offset` along `axis`: the adjoint of slicing.
    public func padded(into shape: [Int], alongAxis axis: Int, at offset: Int) -> Tensor {
        let axis = checked { try normalizedAxis(axis, rank: rank) }
        var expected = shape
        expected[axis] = self.shape[axis]
        require(
            expected == self.shape && offset >= 0 && offset + self.shape[axis] <= shape[axis],
            "SwiftGAN shape error: cannot place \(describe(self.shape)) into \(describe(shape)) at \(offset) along axis \(axis)"
        )
        let out = Tensor.zeros(shape)
        let (outer, total, inner) = out.split(at: axis)
        let n = self.shape[axis]
        for o in 0..<outer {
            (out.data + (o * total + offset) * inner).update(from: data + o * n * inner, count: n * inner)
        }
        return Tensor.record("pad", out, [self]) { g, _ in [g.slice(alongAxis: axis, offset..<(offset + n))] }
    }

    /// Picks slices along `axis` by index: result slice i is input slice `indices[i]` (indices may repeat).
    public func gathering(_ indices: [Int], alongAxis axis: Int = 0) -> Tensor {
        let axis = checked { try normalizedAxis(axis, rank: rank) }
        let (outer, n, inner) = split(at: axis)
        for i in indices where i < 0 || i >= n {
            shapeFailure(ShapeError("gather index \(i) out of range 0..<\(n) along axis \(axis) of \(describe(shape))"))
        }
        var outShape = shape
        outShape[axis] = indices.count
        let out = Tensor(uninitialized: outShape)
        for o in 0..<outer {
            for (j, i) in indices.enumerated() {
                (out.data + (o * indices.count + j) * inner).update(from: data + (o * n + i) * inner, count: inner)
            }
        }
        return Tensor.record("gather", out, [self]) { g, _ in [g.scatterAdding(indices, alongAxis: axis, size: n)] }
    }

    /// The adjoint of gathering: a tensor with `size` slices along `axis`, where slice `indices[j]`
    /// accumulates this tensor's slice j.
    public func scatterAdding(_ indices: [Int], alongAxis axis: Int, size: Int) -> Tensor {
        let axis = checked { try normalizedAxis(axis, rank: rank) }
        require(
            shape[axis] == indices.count,
            "SwiftGAN shape error: scatter of \(describe(shape)) needs \(shape[axis]) indices, got \(indices.count)")
        var outShape = shape
        outShape[axis] = size
        let out = Tensor.zeros(outShape)
        let (outer, _, inner) = split(at: axis)
        for o in 0..<outer {
            for (j, i) in indices.enumerated() {
                require(i >= 0 && i < size, "scatter index \(i) out of range 0..<\(size)")
                let dst = out.data + (o * size + i) * inner, src = data + (o * indices.count + j) * inner
                for k in 0..<inner { dst[k] += src[k] }
            }
        }
        return Tensor.record("scatterAdd", out, [self]) { g, _ in [g.gathering(indices, alongAxis: axis)] }
    }
}

extension Tensor {
    /// Shifts each image of an NHWC batch by whole pixels, filling with zeros: output pixel (i, j)
    /// of image b is input pixel (i + rows[b], j + columns[b]), or 0 where that falls outside
    /// (DiffAugment's translation). Its adjoint is the opposite shift, so it differentiates to any order.
    public func translated(rows: [Int], columns: [Int]) -> Tensor {
        require(
            rank == 4 && rows.count == shape[0] && columns.count == shape[0],
            "SwiftGAN shape error: translated(rows:columns:) needs an NHWC batch and one shift per image; got \(describe(shape)), \(rows.count) and \(columns.count) shifts"
        )
        let (n, h, w, c) = (shape[0], shape[1], shape[2], shape[3])
        let out = Tensor.zeros(shape)
        let px = data, po = out.data
        for b in 0..<n {
            let dy = rows[b], dx = columns[b]
            // Output rows i with 0 ≤ i + dy < h, columns j with 0 ≤ j + dx < w.
            let i0 = Swift.max(0, -dy), i1 = Swift.min(h, h - dy), j0 = Swift.max(0, -dx), j1 = Swift.min(w, w - dx)
            guard i0 < i1 && j0 < j1 else { continue }
            for i in i0..<i1 {
                let src = px + ((b * h + i + dy) * w + j0 + dx) * c, dst = po + ((b * h + i) * w + j0) * c
                dst.update(from: src, count: (j1 - j0) * c)
            }
        }
        return Tensor.record("translate", out, [self]) { g, _ in
            [g.translated(rows: rows.map { -$0 }, columns: columns.map { -$0 })]
        }
    }
}
