import SwiftGANNN
import SwiftGANTensors
import XCTest

final class SpectralNormTests: XCTestCase {
    /// The largest singular value of W viewed as [rest, out], from LAPACK: √ of the largest
    /// eigenvalue of MᵀM (dsyevd, double precision).
    func largestSingularValue(_ w: Tensor) throws -> Double {
        let out = w.shape.last!, rest = w.count / out
        var gram = [Double](repeating: 0, count: out * out)
        for i in 0..<out {
            for j in 0..<out {
                for r in 0..<rest { gram[i * out + j] += Double(w.data[r * out + i]) * Double(w.data[r * out + j]) }
            }
        }
        return try symmetricEigendecomposition(gram, n: out).values.last!.squareRoot()
    }

    /// After enough power iterations, σ is W's largest singular value, for a Dense weight and a
    /// convolution kernel, and the normalized weight's largest singular value is 1.
    func testEstimateConvergesToTheLargestSingularValue() throws {
        let rng = RandomGenerator(seed: 4)
        for layer in [Dense(7, 3, rng: rng), Conv2D(4, 5, kernelSize: 3, rng: rng)] as [any WeightedLayer] {
            let sn = SpectralNorm(layer, rng: rng)
            for _ in 0..<100 { sn.powerIteration() }
            let exact = try largestSingularValue(layer.weight)
            XCTAssertEqual(Double(sn.sigma.scalar), exact, accuracy: 1e-4 * exact, "\(type(of: layer))")
            XCTAssertEqual(try largestSingularValue(withoutGrad { layer.weight / sn.sigma }), 1, accuracy: 1e-4)
        }
    }

    /// One power iteration per training forward while `iterates` is on, none in inference mode;
    /// parameter names are the layer's, the vectors are buffers.
    func testIterationFollowsTheModeAndTheSwitch() {
        let rng = RandomGenerator(seed: 5)
        let sn = SpectralNorm(Dense(6, 4, rng: rng), rng: rng)
        let x = Tensor.normal([2, 6], using: rng)
        let u0 = sn.u.scalars
        _ = sn(x)
        let u1 = sn.u.scalars
        XCTAssertNotEqual(u0, u1)
        sn.eval()
        _ = sn(x)
        XCTAssertEqual(sn.u.scalars, u1)
        sn.train()
        Sequential([sn]).setSpectralIteration(false)
        _ = sn(x)
        XCTAssertEqual(sn.u.scalars, u1)
        XCTAssertEqual(sn.namedParameters.map(\.name), ["weight", "bias"])
        XCTAssertEqual(sn.namedBuffers.map(\.name), ["sn_u", "sn_v"])
    }

    /// The gradient through W/σ(W) (σ differentiated through W, u and v fixed) matches central
    /// finite differences of the layer's weighted output.
    func testGradientMatchesFiniteDifferences() {
        let rng = RandomGenerator(seed: 6)
        let conv = Conv2D(2, 3, kernelSize: 3, stride: 2, padding: .same, rng: rng)
        let sn = SpectralNorm(conv, rng: rng)
        for _ in 0..<3 { sn.powerIteration() }
        sn.iterates = false
        let x = Tensor.normal([2, 5, 5, 2], using: rng)
        let weights = Tensor.uniform([2, 3, 3, 3], low: 0.5, high: 1.5, using: rng)
        func loss() -> Tensor { (sn(x) * weights).sum() }
        let analytic = gradients(of: loss(), withRespectTo: [conv.kernel])[0]
        let w = conv.kernel, h: Float = 1e-2
        for j in 0..<w.count {
            let saved = w.data[j]
            w.data[j] = saved + h
            let plus = Double(withoutGrad { loss() }.scalar)
            w.data[j] = saved - h
            let minus = Double(withoutGrad { loss() }.scalar)
            w.data[j] = saved
            let numeric = (plus - minus) / Double(2 * h), a = Double(analytic.data[j])
            XCTAssertEqual(a, numeric, accuracy: 2e-3 + 2e-2 * abs(numeric), "element \(j)")
        }
    }
}
