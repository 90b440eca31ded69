#if canImport(Accelerate)
import Accelerate
/// LAPACK's integer: `__CLPK_integer` in Accelerate's CLAPACK interface (32-bit on 64-bit Macs).
typealias LAPACKInteger = __CLPK_integer
#else
import SwiftGANCOpenBLAS
/// LAPACK's integer: `int` in OpenBLAS's LP64 build (the shim declares `const int *`).
typealias LAPACKInteger = Int32
#endif

/// A LAPACK routine that reported failure; `info` is LAPACK's code (negative: argument `-info`
/// was illegal; positive: the algorithm did not converge).
public struct LinearAlgebraError: Error, CustomStringConvertible, Equatable {
    public let routine: String
    public let info: Int
    public var description: String {
        info < 0
            ? "\(routine): argument \(-info) had an illegal value"
            : "\(routine) failed to converge (info = \(info))"
    }
}

/// Eigenvalues and eigenvectors of a real symmetric n×n matrix: A = V·Λ·Vᵀ with V orthogonal.
///
/// `a` is row-major (only one triangle is read, so a matrix that is symmetric up to rounding is
/// fine; the result is that of its lower triangle mirrored). `values` come in ascending order; `vectors` is row-major
/// n×n and its column i is the unit eigenvector of `values[i]`: A·V[:, i] = values[i]·V[:, i].
/// Computed in double precision by LAPACK's divide-and-conquer `dsyevd` (OpenBLAS on Linux,
/// Accelerate on Apple platforms) after a workspace-size query.
///
/// ```swift
/// let (values, vectors) = try symmetricEigendecomposition([2, 1, 1, 2], n: 2)
/// // values == [1, 3]; vectors columns ±[1, -1]/√2 and ±[1, 1]/√2
/// ```
public func symmetricEigendecomposition(_ a: [Double], n: Int) throws -> (values: [Double], vectors: [Double]) {
    var columnMajorVectors = a
    let values = try dsyevd(&columnMajorVectors, n: n, computeVectors: true)
    // LAPACK leaves eigenvector i in Fortran column i, which is row i of the row-major array: transpose.
    let vectors = [Double](unsafeUninitializedCapacity: n * n) { rowMajor, initialized in
        columnMajorVectors.withUnsafeBufferPointer { columnMajor in
            for i in 0..<n { for r in 0..<n { rowMajor[r * n + i] = columnMajor[i * n + r] } }
        }
        initialized = n * n
    }
    return (values, vectors)
}

/// The eigenvalues of a real symmetric n×n matrix, ascending (`dsyevd` without vectors: several
/// times faster than ``symmetricEigendecomposition(_:n:)`` for large n).
public func symmetricEigenvalues(_ a: [Double], n: Int) throws -> [Double] {
    var scratch = a
    return try dsyevd(&scratch, n: n, computeVectors: false)
}

/// Calls `dsyevd` on `matrix` (overwritten with the eigenvectors when `computeVectors`), first
/// asking it for the workspace sizes.
private func dsyevd(_ matrix: inout [Double], n: Int, computeVectors: Bool) throws -> [Double] {
    require(
        n >= 0 && matrix.count == n * n,
        "symmetric eigendecomposition needs \(n)×\(n) = \(n * n) values, got \(matrix.count)")
    if n == 0 { return [] }
    // Every argument is a variable passed by address, so this compiles against both OpenBLAS's
    // `const` pointers and Accelerate's mutable ones (whose `int` result, like any imported C
    // result, may be dropped: `info` carries the outcome).
    var job = CChar(UInt8(ascii: computeVectors ? "V" : "N")), upper = CChar(UInt8(ascii: "U"))
    var order = LAPACKInteger(n), leading = LAPACKInteger(n), info: LAPACKInteger = 0
    var values = [Double](repeating: 0, count: n)
    var workSize = 0.0, iworkSize: LAPACKInteger = 0
    var query: LAPACKInteger = -1, iquery: LAPACKInteger = -1
    dsyevd_(&job, &upper, &order, &matrix, &leading, &values, &workSize, &query, &iworkSize, &iquery, &info)
    guard info == 0 else { throw LinearAlgebraError(routine: "dsyevd (workspace query)", info: Int(info)) }
    var lwork = LAPACKInteger(workSize.rounded(.up)), liwork = iworkSize
    var work = [Double](repeating: 0, count: Int(lwork))
    var iwork = [LAPACKInteger](repeating: 0, count: Int(liwork))
    dsyevd_(&job, &upper, &order, &matrix, &leading, &values, &work, &lwork, &iwork, &liwork, &info)
    guard info == 0 else { throw LinearAlgebraError(routine: "dsyevd", info: Int(info)) }
    return values
}
