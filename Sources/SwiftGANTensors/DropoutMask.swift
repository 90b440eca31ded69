import SwiftGANCKernels

extension Tensor {
    /// An inverted-dropout mask of `shape`: each element 0 with probability `rate`, else
    /// 1/(1 − rate). Element i's draw is a keyed hash of i (a counter-based generator, like
    /// PyTorch's Philox streams), so one `key` gives the same mask on every machine and thread
    /// count, built in parallel with vector instructions. `key` takes one draw of a seeded
    /// generator per mask.
    public static func dropoutMask(_ shape: [Int], rate: Float, key: UInt64) -> Tensor {
        require(rate >= 0 && rate < 1, "SwiftGAN: dropout rate must lie in [0, 1), got \(rate)")
        let mask = Tensor(uninitialized: shape)
        let (m, scale) = (mask.data, 1 / (1 - rate))
        Parallel.forEachChunk(mask.count) { r in
            sg_dropout_mask(m + r.lowerBound, r.count, key, UInt64(r.lowerBound), rate, scale)
        }
        return mask
    }

    /// leakyRelu(slope:) times `mask` (a dropout mask of this shape) in one pass each way: what
    /// a LeakyReLU followed by Dropout computes, value for value ((x > 0 ? x : s·x)·m) and gradient
    /// for gradient ((g·m)·(x > 0 ? 1 : s)), without writing and reading the activation between
    /// them. The mask is a constant: no gradient flows to it.
    public func leakyRelu(slope: Float, masked mask: Tensor) -> Tensor {
        require(
            mask.shape == shape,
            "SwiftGAN shape error: a dropout mask of \(describe(mask.shape)) for \(describe(shape))")
        let out = Tensor(uninitialized: shape)
        let (px, pm, po) = (data, mask.data, out.data)
        Parallel.forEachChunk(count) { r in
            for i in r { po[i] = (px[i] > 0 ? px[i] : slope * px[i]) * pm[i] }
        }
        let x = self
        return Tensor.record("leakyReluDropout", out, [x]) { g, _ in
            // The gate (1 or s) is a constant of x almost everywhere: gradients of gradients stay exact.
            if GradMode.isEnabled { return [g * mask * x.map { $0 > 0 ? 1 : slope }] }
            let dx = Tensor(uninitialized: g.shape)
            let (pg, px, pm, pd) = (g.data, x.data, mask.data, dx.data)
            Parallel.forEachChunk(dx.count) { r in
                for i in r { pd[i] = (pg[i] * pm[i]) * (px[i] > 0 ? 1 : slope) }
            }
            return [dx]
        }
    }
}
