import SwiftGANTensors
import XCTest

/// Broadcasting arithmetic: forward against a naive broadcast loop, gradients against finite differences.
final class BinaryGradientTests: XCTestCase {
    /// Shape pairs covering equal shapes, scalars, row and column broadcasts, rank differences and
    /// stretching on both sides at once.
    let cases: [([Int], [Int])] = [
        ([2, 3], [2, 3]), ([2, 3], [3]), ([2, 3], [2, 1]), ([2, 3], []), ([], [2, 3]),
        ([4, 1, 3], [2, 1]), ([1, 3], [2, 1]), ([2, 3, 4], [3, 1]),
    ]

    func testGradientsWithBroadcasting() {
        for (sa, sb) in cases {
            let a = awayFromZero(sa, seed: 3), b = positive(sb, seed: 4)
            assertGradients([a, b]) { $0[0] + $0[1] }
            assertGradients([a, b]) { $0[0] - $0[1] }
            assertGradients([a, b]) { $0[0] * $0[1] }
            assertGradients([a, b]) { $0[0] / $0[1] }
        }
    }

    func testForwardAgainstNaiveBroadcast() throws {
        for (sa, sb) in cases {
            let a = awayFromZero(sa, seed: 5), b = positive(sb, seed: 6)
            let out = try broadcastShapes(sa, sb)
            let got = (a * b - a / b).scalars
            let count = out.reduce(1, *)
            var expected = [Float](repeating: 0, count: count)
            for flat in 0..<count {
                // Unflatten into the output index, then read each operand with its own broadcast.
                var rem = flat
                var index = [Int](repeating: 0, count: out.count)
                for d in stride(from: out.count - 1, through: 0, by: -1) { index[d] = rem % out[d]; rem /= out[d] }
                func read(_ t: Tensor, _ s: [Int]) -> Float {
                    var offset = 0
                    for (d, size) in s.enumerated() {
                        offset = offset * size + (size == 1 ? 0 : index[d + out.count - s.count])
                    }
                    return t.data[offset]
                }
                let x = read(a, sa), y = read(b, sb)
                expected[flat] = x * y - x / y
            }
            assertClose(got, expected)
        }
    }

    func testBroadcastAndSumToAreAdjoint() {
        let x = awayFromZero([3, 1])
        XCTAssertEqual(x.broadcast(to: [2, 3, 4]).shape, [2, 3, 4])
        assertGradients([x]) { $0[0].broadcast(to: [2, 3, 4]) }
        assertGradients([awayFromZero([2, 3, 4])]) { $0[0].sum(toShape: [3, 1]) }
    }

    func testLargeTensorsUseBothCoresAndAgreeWithOneCore() {
        let n = 1 << 20
        let a = Tensor.normal([n], using: RandomGenerator(seed: 1)),
            b = Tensor.normal([n], using: RandomGenerator(seed: 2))
        let saved = Parallel.workers
        Parallel.workers = 1
        let serial = ((a * b).tanh() + a).sum().scalar
        Parallel.workers = 2
        let parallel = ((a * b).tanh() + a).sum().scalar
        Parallel.workers = saved
        XCTAssertEqual(serial, parallel, "elementwise results must not depend on the thread count")
    }
}
