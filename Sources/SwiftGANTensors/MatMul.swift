import Foundation
import SwiftGANCDNNL

#if canImport(Accelerate)
import Accelerate
#else
import SwiftGANCOpenBLAS
#endif

/// Which library runs matrix products: oneDNN's sgemm where oneDNN is loaded, so that its
/// convolutions and the products share one threading runtime (OpenMP, whose team also runs the
/// engine's own loops: `Parallel.runsOnOpenMP`), or the platform's BLAS (OpenBLAS or
/// Accelerate) otherwise and with `SWIFTGAN_GEMM=blas`. Two runtimes
/// fought on 2 cores: OpenBLAS's idle threads spin in `sched_yield` after every product, and in
/// a dcgan training run the kernel's share of the time fell from ≈25% to ≈3% with one runtime,
/// 300 steps taking 39 s instead of 41–48 s (mlp-gan: the same wall time, 15% less CPU).
public enum MatrixProductBackend: String, CaseIterable, Sendable {
    case blas, oneDNN = "onednn"

    nonisolated(unsafe) public static var current: MatrixProductBackend =
        ProcessInfo.processInfo.environment["SWIFTGAN_GEMM"] != "blas" && ConvolutionBackend.isOneDNNAvailable
        ? .oneDNN : .blas

    /// Runs `body` with `backend` as the current backend, restoring the previous one after.
    public static func with<T>(_ backend: MatrixProductBackend, _ body: () throws -> T) rethrows -> T {
        let saved = current
        current = backend
        defer { current = saved }
        return try body()
    }
}

/// C = op(A)·op(B) for row-major matrices through the platform's sgemm (OpenBLAS or Accelerate).
/// Transposes are flags to BLAS: nothing is copied. In bf16 precision `bf16` holds A's and B's
/// bf16 copies (same layout), which go to oneDNN's bf16 matmul whatever the fp32 backend is; a
/// shape it has no fast kernel for stays fp32.
@inline(__always)
func sgemm(
    _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>,
    m: Int, n: Int, k: Int, transposeA: Bool, transposeB: Bool, accumulate: Bool = false,
    bf16: (a: UnsafeRawPointer, b: UnsafeRawPointer)? = nil
) {
    if m == 0 || n == 0 { return }
    FLOPCounter.addMultiplyAdds(m * n * k)
    if k == 0 {
        if !accumulate { c.initialize(repeating: 0, count: m * n) }
        return
    }
    if let bf16,
        sg_dnnl_gemm_bf16(
            transposeA ? 84 : 78, transposeB ? 84 : 78, m, n, k, bf16.a, transposeA ? m : k, bf16.b,
            transposeB ? k : n, accumulate ? 1 : 0, c, n) == 0
    {
        return
    }
    if MatrixProductBackend.current == .oneDNN,
        sg_dnnl_sgemm(
            transposeA ? 84 : 78, transposeB ? 84 : 78, m, n, k, a, transposeA ? m : k, b, transposeB ? k : n,
            accumulate ? 1 : 0, c, n) == 0
    {  // 84 = "T", 78 = "N"
        return
    }
    cblas_sgemm(
        CblasRowMajor,
        transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
        Int32(m), Int32(n), Int32(k), 1,
        a, Int32(transposeA ? m : k), b, Int32(transposeB ? k : n),
        accumulate ? 1 : 0, c, Int32(n))
}

extension Tensor {
    /// Matrix product op(self)·op(other), where op transposes when asked.
    ///
    /// Rank 2: [m, k]·[k, n] → [m, n]. Rank 3: a batch of products with equal batch sizes,
    /// [b, m, k]·[b, k, n] → [b, m, n]. Transposes apply to the last two dimensions and cost nothing:
    /// they are passed to BLAS.
    ///
    /// Backward: for C = A·B, dA = dC·Bᵀ and dB = Aᵀ·dC; the transposed cases follow by the same
    /// rule and are again products with flags, so they differentiate to any order.
    public func matmul(_ other: Tensor, transposeSelf: Bool = false, transposeOther: Bool = false) -> Tensor {
        let a = self, b = other
        guard a.rank == b.rank, a.rank == 2 || a.rank == 3, a.rank == 2 || a.shape[0] == b.shape[0] else {
            shapeFailure(
                ShapeError(
                    "matmul needs two matrices or two equal-sized batches of matrices, got \(describe(a.shape)) and \(describe(b.shape))"
                ))
        }
        let batch = a.rank == 3 ? a.shape[0] : 1
        let (m, n, k) = checked {
            try matmulDimensions(
                Array(a.shape.suffix(2)), Array(b.shape.suffix(2)), transposeA: transposeSelf,
                transposeB: transposeOther)
        }
        let out = Tensor(uninitialized: a.rank == 3 ? [batch, m, n] : [m, n])
        let bf16 = Precision.current == .bf16 && m * n * k > 0 ? (a.bfloat16Operand, b.bfloat16Operand) : nil
        for i in 0..<batch {
            sgemm(
                a.data + i * m * k, b.data + i * k * n, out.data + i * m * n,
                m: m, n: n, k: k, transposeA: transposeSelf, transposeB: transposeOther,
                bf16: bf16.map { ($0.0 + 2 * i * m * k, $0.1 + 2 * i * k * n) })
        }
        return Tensor.record("matmul", out, [a, b]) { g, wanted in
            let da: Tensor?, db: Tensor?
            switch (transposeSelf, transposeOther) {
            case (false, false):
                da = wanted[0] ? g.matmul(b, transposeOther: true) : nil
                db = wanted[1] ? a.matmul(g, transposeSelf: true) : nil
            case (true, false):  // C = AᵀB: dA = B·dCᵀ, dB = A·dC
                da = wanted[0] ? b.matmul(g, transposeOther: true) : nil
                db = wanted[1] ? a.matmul(g) : nil
            case (false, true):  // C = ABᵀ: dA = dC·B, dB = dCᵀ·A
                da = wanted[0] ? g.matmul(b) : nil
                db = wanted[1] ? g.matmul(a, transposeSelf: true) : nil
            case (true, true):  // C = AᵀBᵀ: dA = Bᵀ·dCᵀ, dB = dCᵀ·Aᵀ
                da = wanted[0] ? b.matmul(g, transposeSelf: true, transposeOther: true) : nil
                db = wanted[1] ? g.matmul(a, transposeSelf: true, transposeOther: true) : nil
            }
            return [da, db]
        }
    }

    /// The affine map of a dense layer, self·weight + bias, for self [m, k], weight [k, n] and
    /// bias [n], in one pass: the output starts as copies of the bias and sgemm accumulates the
    /// product into it. Backward: dx = g·Wᵀ, dW = xᵀ·g, db = Σ_rows g.
    public func linear(_ weight: Tensor, bias: Tensor) -> Tensor {
        let x = self
        let (m, n, k) = checked { try matmulDimensions(x.shape, weight.shape, transposeA: false, transposeB: false) }
        require(
            bias.shape == [n],
            "SwiftGAN shape error: linear bias \(describe(bias.shape)) does not match weight \(describe(weight.shape))")
        let out = Tensor(uninitialized: [m, n])
        for row in 0..<m { (out.data + row * n).update(from: bias.data, count: n) }
        let bf16 = Precision.current == .bf16 && m * n * k > 0 ? (x.bfloat16Operand, weight.bfloat16Operand) : nil
        sgemm(
            x.data, weight.data, out.data, m: m, n: n, k: k, transposeA: false, transposeB: false, accumulate: true,
            bf16: bf16)
        return Tensor.record("linear", out, [x, weight, bias]) { g, wanted in
            [
                wanted[0] ? g.matmul(weight, transposeOther: true) : nil,
                wanted[1] ? x.matmul(g, transposeSelf: true) : nil,
                wanted[2] ? g.sum(alongAxis: 0) : nil,
            ]
        }
    }
}

extension Tensor {
    /// This tensor's values rounded to bf16 (`sg_bf16_from_float`, 2 bytes each, same layout), as
    /// bf16 matrix products read them. Converted once per version of the values and kept with the
    /// storage: a weight is read by the forward product and again by the input gradient's, an
    /// activation by the forward and the weight gradient's, the incoming gradient by both
    /// gradients' products, and each conversion is a pass over memory (mlp-gan's bf16 step spent
    /// 10 % of its time converting). In-place changes bump the version (``markModified()``), so
    /// a changed weight is converted again. Like the rest of a tensor's bookkeeping, the copy is
    /// not guarded against two threads computing with one tensor at once.
    var bfloat16Operand: UnsafeRawPointer {
        if let copy = storage.bfloat16, copy.version == storage.version { return UnsafeRawPointer(copy.buffer) }
        if let stale = storage.bfloat16 { BufferPool.shared.give(stale.buffer, capacity: stale.capacity) }
        let (buffer, capacity) = BufferPool.shared.take(count: (count + 1) / 2)
        let src = data, dst = UnsafeMutableRawPointer(buffer)
        Parallel.forEachChunk(count) { r in sg_bf16_from_float(src + r.lowerBound, dst + 2 * r.lowerBound, r.count) }
        storage.bfloat16 = (storage.version, buffer, capacity)
        return UnsafeRawPointer(buffer)
    }
}
