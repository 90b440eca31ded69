import Foundation
import SwiftGANTensors
import XCTest

/// Finite-difference checks, first and second order, for every elementwise function.
final class UnaryGradientTests: XCTestCase {
    let x = awayFromZero([3, 4])
    let p = positive([3, 4])

    func testActivations() {
        assertGradients([x]) { $0[0].relu() }
        assertGradients([x]) { $0[0].leakyRelu(slope: 0.2) }
        assertGradients([x]) { $0[0].elu(alpha: 1.3) }
        assertGradients([x]) { $0[0].selu() }
        assertGradients([x * 3]) { $0[0].sigmoid() }
        assertGradients([x * 2]) { $0[0].tanh() }
        assertGradients([x * 3]) { $0[0].softplus() }
        assertGradients([x * 3]) { $0[0].logSigmoid() }
    }

    func testArithmeticFunctions() {
        assertGradients([x]) { $0[0].exp() }
        assertGradients([p]) { $0[0].log() }
        assertGradients([p]) { $0[0].sqrt() }
        assertGradients([x]) { $0[0].abs() }
        assertGradients([x]) { $0[0].clamped(min: -0.5, max: 0.6) }
        for e: Float in [2, 3, -1, 0.5, 1.5] {
            assertGradients([p]) { $0[0].pow(e) }
        }
    }

    func testScalarAffineOperators() {
        assertGradients([x]) { 2 * $0[0] + 1 }
        assertGradients([x]) { 1 - $0[0] / 4 }
        assertGradients([p]) { 3 / $0[0] }
        assertGradients([x]) { -$0[0] - 2 }
    }

    func testForwardValuesAgainstReferences() {
        let v: [Float] = [-30, -2, -0.5, 0, 0.5, 2, 30]
        let t = Tensor(v)
        assertClose(t.relu().scalars, v.map { max($0, 0) })
        assertClose(t.leakyRelu(slope: 0.2).scalars, v.map { $0 > 0 ? $0 : 0.2 * $0 })
        assertClose(t.sigmoid().scalars, v.map { Float(1 / (1 + Foundation.exp(-Double($0)))) })
        assertClose(t.softplus().scalars, v.map { Float(Foundation.log1p(Foundation.exp(Double($0)))) })
        assertClose(t.logSigmoid().scalars, v.map { Float(-Foundation.log1p(Foundation.exp(-Double($0)))) })
        assertClose(t.elu().scalars, v.map { $0 > 0 ? $0 : Float(Foundation.expm1(Double($0))) })
        // SELU constants from Klambauer et al.: selu(1) = λ, selu(−∞) → −λα ≈ −1.7581.
        XCTAssertEqual(Tensor([1]).selu().scalar, 1.050_700_9, accuracy: 1e-6)
        XCTAssertEqual(Tensor([-30]).selu().scalar, -1.758_099_3, accuracy: 1e-5)
        XCTAssertEqual(t.clamped(min: -1, max: 1).scalars, [-1, -1, -0.5, 0, 0.5, 1, 1])
    }

    func testStableFormsStayFinite() {
        let extreme = Tensor([-1000, 1000])
        XCTAssertEqual(extreme.softplus().scalars, [0, 1000])
        XCTAssertEqual(extreme.logSigmoid().scalars, [-1000, 0])
        XCTAssertEqual(extreme.sigmoid().scalars, [0, 1])
        XCTAssertTrue(extreme.logSoftmax().isFinite)
    }
}
