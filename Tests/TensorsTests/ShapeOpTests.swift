import SwiftGANTensors
import XCTest

final class ShapeOpTests: XCTestCase {
    let x = awayFromZero([2, 3, 4])

    func testReshapeSharesStorageAndDifferentiates() {
        let r = x.reshaped([4, -1])
        XCTAssertEqual(r.shape, [4, 6])
        XCTAssertEqual(r.scalars, x.scalars)
        assertGradients([x]) { $0[0].reshaped([6, 4]) * $0[0].reshaped([6, 4]) }
    }

    func testPermuteAgainstNaiveIndexing() {
        let p = x.permuted([2, 0, 1])
        XCTAssertEqual(p.shape, [4, 2, 3])
        for i in 0..<2 { for j in 0..<3 { for k in 0..<4 { XCTAssertEqual(p[k, i, j], x[i, j, k]) } } }
        let big = Tensor.uniform([37, 70], using: RandomGenerator(seed: 1))
        let t = big.transposed()
        for i in 0..<37 { for j in 0..<70 { XCTAssertEqual(t[j, i], big[i, j]) } }
        assertGradients([x]) { $0[0].permuted([2, 0, 1]) }
        assertGradients([x]) { $0[0].transposed(0, 2) }
    }

    func testConcatenateAndSlice() {
        let a = awayFromZero([2, 3], seed: 1), b = awayFromZero([2, 1], seed: 2)
        let c = Tensor.concatenate([a, b], alongAxis: 1)
        XCTAssertEqual(c.shape, [2, 4])
        XCTAssertEqual(c[1, 3], b[1, 0])
        XCTAssertEqual(c[0, 2], a[0, 2])
        assertGradients([a, b]) { Tensor.concatenate([$0[0], $0[1], $0[0]], alongAxis: 1) }
        assertGradients([x, x]) { Tensor.concatenate($0, alongAxis: 0) }
        let s = x.slice(alongAxis: 1, 1..<3)
        XCTAssertEqual(s.shape, [2, 2, 4])
        XCTAssertEqual(s[1, 0, 2], x[1, 1, 2])
        assertGradients([x]) { $0[0].slice(alongAxis: 2, 1..<3) }
        assertGradients([awayFromZero([2, 2])]) { $0[0].padded(into: [2, 5], alongAxis: 1, at: 2) }
    }

    func testGatherAndScatter() {
        let table = awayFromZero([5, 3])
        let g = table.gathering([4, 0, 4, 2])
        XCTAssertEqual(g.shape, [4, 3])
        XCTAssertEqual(g[2, 1], table[4, 1])
        assertGradients([table]) { $0[0].gathering([4, 0, 4, 2]) }
        assertGradients([x]) { $0[0].gathering([2, 2, 0], alongAxis: 1) }
        // Repeated indices accumulate.
        let leaf = Tensor.zeros([3, 2]).requiringGradient()
        let grad = gradients(of: leaf.gathering([1, 1, 2]).sum(), withRespectTo: [leaf])[0]
        XCTAssertEqual(grad.scalars, [0, 0, 2, 2, 1, 1])
        assertGradients([awayFromZero([3, 2])]) { $0[0].scatterAdding([1, 1, 0], alongAxis: 0, size: 4) }
    }
}
