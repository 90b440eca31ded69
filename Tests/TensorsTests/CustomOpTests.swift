import Foundation
import SwiftGANTensors  // not @testable: an op of one's own needs only the public API
import XCTest

/// An operation written outside the engine, as a user writes one: softplus(x) = log(1 + eˣ), with
/// a fast first-order backward over raw buffers and a recorded one made of tensor ops.
func softplus(_ x: Tensor) -> Tensor {
    let y = Tensor(uninitialized: x.shape)
    let px = x.data, py = y.data
    for i in 0..<x.count { py[i] = max(px[i], 0) + log1p(exp(-abs(px[i]))) }
    return Tensor.record("softplus", y, [x]) { g, _ in
        if GradMode.isEnabled { return [g * x.sigmoid()] }
        let dx = Tensor(uninitialized: g.shape)
        for i in 0..<g.count { dx.data[i] = g.data[i] / (1 + exp(-x.data[i])) }
        return [dx]
    }
}

/// Two inputs, one of them possibly not wanted: a·b², whose backward returns nil where not asked.
func scaledSquare(_ a: Tensor, _ b: Tensor) -> Tensor {
    let y = Tensor(uninitialized: a.shape)
    for i in 0..<a.count { y.data[i] = a.data[i] * b.data[i] * b.data[i] }
    return Tensor.record("scaledSquare", y, [a, b]) { g, wanted in
        [wanted[0] ? g * b * b : nil, wanted[1] ? g * a * b * 2 : nil]
    }
}

final class CustomOpTests: XCTestCase {
    func testValuesMatchTheFormula() {
        let x = Tensor([-30, -1, 0, 2, 40])
        let y = softplus(x).scalars
        for (xi, yi) in zip(x.scalars, y) { XCTAssertEqual(Double(yi), log1p(exp(Double(xi))), accuracy: 1e-5) }
        XCTAssertEqual(softplus(x.requiringGradient()).operationName, "softplus")
        XCTAssertNil(softplus(Tensor([1, 2])).operationName, "nothing differentiable in: nothing recorded")
    }

    func testFirstAndSecondOrderGradientsMatchFiniteDifferences() {
        let rng = RandomGenerator(seed: 1)
        let x = Tensor.normal([3, 4], std: 1.5, using: rng)
        let check = GradientCheck()
        XCTAssertEqual(check.check([x]) { softplus($0[0]) }.map(\.description), [])
        XCTAssertEqual(check.checkSecondOrder([x]) { softplus($0[0]) }.map(\.description), [])
        let a = Tensor.normal([5], using: rng), b = Tensor.normal([5], using: rng)
        XCTAssertEqual(check.check([a, b]) { scaledSquare($0[0], $0[1]) }.map(\.description), [])
        XCTAssertEqual(check.checkSecondOrder([a, b]) { scaledSquare($0[0], $0[1]) }.map(\.description), [])
    }

    func testAnInputNotWantedGetsNoGradientComputed() {
        let a = Tensor([1, 2]).requiringGradient(), b = Tensor([3, 4])
        let grads = gradients(of: scaledSquare(a, b).sum(), withRespectTo: [a])
        XCTAssertEqual(grads[0].scalars, [9, 16])
    }
}
