import SwiftGANTensors
import XCTest

final class MatMulTests: XCTestCase {
    /// Runs `body` on each matrix-product backend this machine has.
    func onEveryBackend(_ body: () -> Void) {
        for backend in MatrixProductBackend.allCases where backend == .blas || ConvolutionBackend.isOneDNNAvailable {
            MatrixProductBackend.with(backend, body)
        }
    }

    /// C[i][j] = Σ_p op(A)[i][p] · op(B)[p][j], written out plainly.
    func naive(_ a: Tensor, _ b: Tensor, _ ta: Bool, _ tb: Bool) -> [Float] {
        let m = ta ? a.shape[1] : a.shape[0], k = ta ? a.shape[0] : a.shape[1]
        let n = tb ? b.shape[0] : b.shape[1]
        var c = [Float](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var s: Double = 0
                for p in 0..<k {
                    s += Double(a.data[ta ? p * m + i : i * k + p]) * Double(b.data[tb ? j * k + p : p * n + j])
                }
                c[i * n + j] = Float(s)
            }
        }
        return c
    }

    func testAllTransposeCombinationsAgainstNaiveLoops() {
        onEveryBackend {
            for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
                let (m, n, k) = (5, 7, 3)
                let a = awayFromZero(ta ? [k, m] : [m, k], seed: 1), b = awayFromZero(tb ? [n, k] : [k, n], seed: 2)
                let c = a.matmul(b, transposeSelf: ta, transposeOther: tb)
                XCTAssertEqual(c.shape, [m, n])
                assertClose(c.scalars, naive(a, b, ta, tb))
                assertGradients([a, b]) { $0[0].matmul($0[1], transposeSelf: ta, transposeOther: tb) }
            }
        }
    }

    func testBatchedMatmul() {
        onEveryBackend {
            let a = awayFromZero([2, 3, 4], seed: 3), b = awayFromZero([2, 5, 4], seed: 4)
            let c = a.matmul(b, transposeOther: true)
            XCTAssertEqual(c.shape, [2, 3, 5])
            for batch in 0..<2 {
                let ai = a.slice(alongAxis: 0, batch..<(batch + 1)).reshaped([3, 4])
                let bi = b.slice(alongAxis: 0, batch..<(batch + 1)).reshaped([5, 4])
                assertClose(c.slice(alongAxis: 0, batch..<(batch + 1)).scalars, naive(ai, bi, false, true))
            }
            assertGradients([a, b]) { $0[0].matmul($0[1], transposeOther: true) }
            assertGradients([a, awayFromZero([2, 4, 2])]) { $0[0].matmul($0[1]) }
        }
    }

    func testLargerProductsMatchAcrossTheBLASPath() {
        onEveryBackend {
            let a = Tensor.normal([64, 300], using: RandomGenerator(seed: 5)),
                b = Tensor.normal([300, 40], using: RandomGenerator(seed: 6))
            assertClose(a.matmul(b).scalars, naive(a, b, false, false), tolerance: 1e-4)
        }
    }

    func testLinearIsMatmulPlusBias() {
        onEveryBackend {
            let x = awayFromZero([4, 3], seed: 7), w = awayFromZero([3, 5], seed: 8), b = awayFromZero([5], seed: 9)
            assertClose(x.linear(w, bias: b).scalars, (x.matmul(w) + b).scalars)
            assertGradients([x, w, b]) { $0[0].linear($0[1], bias: $0[2]) }
        }
    }

    func testEmptyInnerDimensionGivesZeros() {
        onEveryBackend {
            XCTAssertEqual(Tensor.zeros([2, 0]).matmul(Tensor.zeros([0, 3])).scalars, [Float](repeating: 0, count: 6))
        }
    }
}
