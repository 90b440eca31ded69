import Foundation
import SwiftGANNN
import SwiftGANTensors
import XCTest

final class LossTests: XCTestCase {
    let logits = Tensor([-3, -0.5, 0.2, 2.5], shape: [4, 1])
    let targets = Tensor([0, 1, 1, 0.3], shape: [4, 1])

    func testBinaryCrossEntropyFromLogitsAgainstDoubleReference() {
        var expected = 0.0
        for i in 0..<4 {
            let p = 1 / (1 + Foundation.exp(-Double(logits.data[i]))), t = Double(targets.data[i])
            expected -= t * Foundation.log(p) + (1 - t) * Foundation.log(1 - p)
        }
        XCTAssertEqual(
            Double(binaryCrossEntropy(logits: logits, targets: targets).scalar), expected / 4, accuracy: 1e-6)
        // Extreme logits stay exact: softplus(100) − 0 = 100 for a confident wrong answer.
        XCTAssertEqual(
            binaryCrossEntropy(logits: Tensor([100], shape: [1, 1]), targets: Tensor([0], shape: [1, 1])).scalar, 100)
        XCTAssertEqual(
            binaryCrossEntropy(logits: Tensor([-100], shape: [1, 1]), targets: Tensor([0], shape: [1, 1])).scalar, 0,
            accuracy: 1e-30)
    }

    func testBinaryCrossEntropyFromProbabilitiesClipsLikeKeras() {
        let p = Tensor([0, 1, 0.25], shape: [3, 1]), t = Tensor([1, 1, 0], shape: [3, 1])
        // −log(1e-7) for the first, −log(1 − 1e-7) ≈ 0 for the second, −log(0.75) for the third.
        let expected = (-Foundation.log(1e-7) - Foundation.log(1 - Double(Float(1e-7))) - Foundation.log(0.75)) / 3
        XCTAssertEqual(Double(binaryCrossEntropy(probabilities: p, targets: t).scalar), expected, accuracy: 1e-4)
        // Agrees with the logits form away from the clip.
        XCTAssertEqual(
            binaryCrossEntropy(probabilities: logits.sigmoid(), targets: targets).scalar,
            binaryCrossEntropy(logits: logits, targets: targets).scalar, accuracy: 1e-5)
    }

    func testLabelSmoothingFollowsKeras() {
        // Binary: t ← t(1 − s) + s/2. Categorical: t ← t(1 − s) + s/K.
        let s: Float = 0.2
        XCTAssertEqual(
            binaryCrossEntropy(logits: logits, targets: targets, labelSmoothing: s).scalar,
            binaryCrossEntropy(logits: logits, targets: targets * (1 - s) + s / 2).scalar, accuracy: 1e-6)
        let z = Tensor([1, 2, 3, 0, 0, 5], shape: [2, 3]), t = oneHot([2, 0], classes: 3)
        XCTAssertEqual(
            categoricalCrossEntropy(logits: z, targets: t, labelSmoothing: 0.3).scalar,
            categoricalCrossEntropy(logits: z, targets: t * 0.7 + 0.1).scalar, accuracy: 1e-6)
    }

    func testCategoricalCrossEntropyAgainstDoubleReference() {
        let z = Tensor([1, 2, 3, 0, 0, 5], shape: [2, 3]), t = Tensor([0, 0.5, 0.5, 1, 0, 0], shape: [2, 3])
        var expected = 0.0
        for r in 0..<2 {
            let row = (0..<3).map { Double(z[r, $0]) }
            let lse = Foundation.log(row.map(Foundation.exp).reduce(0, +))
            for c in 0..<3 { expected -= Double(t[r, c]) * (row[c] - lse) }
        }
        XCTAssertEqual(Double(categoricalCrossEntropy(logits: z, targets: t).scalar), expected / 2, accuracy: 1e-5)
        XCTAssertEqual(categoricalAccuracy(logits: z, targets: oneHot([2, 1], classes: 3)), 0.5)
    }

    func testLossGradients() {
        let check = GradientCheck()
        XCTAssertTrue(check.check([logits, targets]) { binaryCrossEntropy(logits: $0[0], targets: $0[1]) }.isEmpty)
        XCTAssertTrue(
            check.check([logits.sigmoid(), targets]) { binaryCrossEntropy(probabilities: $0[0], targets: $0[1]) }
                .isEmpty)
        let z = Tensor([1, 2, 3, 0, 0.5, 2], shape: [2, 3])
        XCTAssertTrue(
            check.check([z]) {
                categoricalCrossEntropy(logits: $0[0], targets: oneHot([1, 2], classes: 3), labelSmoothing: 0.1)
            }.isEmpty)
        XCTAssertTrue(check.check([z, z * 0.5]) { meanSquaredError($0[0], $0[1]) }.isEmpty)
        XCTAssertTrue(
            check.checkSecondOrder([logits]) { binaryCrossEntropy(logits: $0[0], targets: self.targets) }.isEmpty)
    }

    func testNaNPropagatesAndAccuracy() {
        let bad = Tensor([.nan, 1], shape: [2, 1])
        XCTAssertTrue(
            binaryCrossEntropy(logits: bad, targets: Tensor.ones([2, 1])).scalar.isNaN, "documented: NaN in, NaN out")
        XCTAssertFalse(bad.isFinite)
        XCTAssertEqual(
            binaryAccuracy(logits: logits, targets: targets), 0.5, "predictions 0,0,1,1 against targets 0,1,1,0")
        XCTAssertEqual(meanSquaredError(Tensor([1, 2]), Tensor([2, 4])).scalar, 2.5)
    }
}
