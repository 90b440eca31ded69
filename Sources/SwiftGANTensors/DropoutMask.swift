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
}
