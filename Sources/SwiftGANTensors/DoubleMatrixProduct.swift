#if canImport(Accelerate)
import Accelerate
#else
import SwiftGANCOpenBLAS
#endif

/// C = op(A)·op(B) (or C += op(A)·op(B) when `accumulate`) for row-major double-precision
/// matrices, through the platform's `dgemm`: op(A) is m×k, op(B) is k×n, C is m×n.
///
/// The float kernels use ``Tensor/matmul(_:transposeSelf:transposeOther:)``; this is for the
/// statistics that need double precision (feature covariances, matrix square roots).
///
/// ```swift
/// var c = [Double](repeating: 0, count: 4)
/// multiplyDoubleMatrices([1, 2, 3, 4], [1, 0, 0, 1], into: &c, m: 2, n: 2, k: 2)  // c == [1, 2, 3, 4]
/// ```
public func multiplyDoubleMatrices(
    _ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, into c: UnsafeMutablePointer<Double>,
    m: Int, n: Int, k: Int,
    transposeA: Bool = false, transposeB: Bool = false, accumulate: Bool = false
) {
    if m == 0 || n == 0 { return }
    if k == 0 {
        if !accumulate { c.update(repeating: 0, count: m * n) }
        return
    }
    cblas_dgemm(
        CblasRowMajor,
        transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
        Int32(m), Int32(n), Int32(k), 1,
        a, Int32(transposeA ? m : k), b, Int32(transposeB ? k : n),
        accumulate ? 1 : 0, c, Int32(n))
}
