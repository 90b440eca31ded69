/// Compares reverse-mode gradients with central finite differences, like `torch.autograd.gradcheck`.
///
/// The function's output y is reduced to a scalar L = Σ wᵢ·yᵢ with fixed random weights w (so
/// no symmetry hides an error), and for every element x of every input
///
///     numeric = (L(x + h) − L(x − h)) / 2h,      accumulated in Double,
///
/// is compared with the analytic ∂L/∂x: a mismatch is |a − n| > absoluteTolerance +
/// relativeTolerance·max(|a|, |n|).
///
/// Tolerances: the engine computes in Float32 (unit roundoff u ≈ 6e-8). With h = 1e-2 on inputs of
/// order 1, the truncation error is O(h²·|f‴|) ≈ 1e-4 and the rounding error about
/// u·|L|/h ≈ 1e-5·|L|, so the defaults (1e-3 absolute + 1e-2 relative) are an order of magnitude
/// above both, yet far below any real mistake (a wrong sign or factor gives an O(1) relative error).
/// Keep inputs at least 2h away from kinks (relu at 0, clamp bounds), where differences are meaningless.
public struct GradientCheck {
    public struct Mismatch: CustomStringConvertible {
        public let input: Int, element: Int
        public let analytic: Double, numeric: Double
        public var description: String { "input \(input) element \(element): analytic \(analytic), numeric \(numeric)" }
    }

    public var step: Float = 1e-2
    public var absoluteTolerance: Double = 1e-3
    public var relativeTolerance: Double = 1e-2
    public var seed: UInt64 = 7

    public init(step: Float = 1e-2, absoluteTolerance: Double = 1e-3, relativeTolerance: Double = 1e-2) {
        self.step = step
        self.absoluteTolerance = absoluteTolerance
        self.relativeTolerance = relativeTolerance
    }

    /// First-order check of `f` at `inputs`. Returns the mismatches (empty when all agree).
    public func check(_ inputs: [Tensor], _ f: ([Tensor]) -> Tensor) -> [Mismatch] {
        let leaves = inputs.map { $0.copy().requiringGradient() }
        let probe = withoutGrad { f(leaves) }
        let weights = Tensor.uniform(probe.shape, low: 0.5, high: 1.5, using: RandomGenerator(seed: seed))
        let analytic = gradients(of: (f(leaves) * weights).sum(), withRespectTo: leaves)
        // Evaluated with recording on: `f` may itself take gradients (a gradient penalty).
        return compare(leaves, analytic) { weightedSum(f(leaves), weights) }
    }

    /// Second-order check: differentiates G(x) = Σ v ⊙ ∇ₓ(Σ w ⊙ f(x)), whose own evaluation uses
    /// the recorded backward pass (`createGraph: true`), and compares with finite differences of G
    /// evaluated through the fast first-order backward. This proves that gradients of gradients
    /// are right, and that the two backward implementations of every op agree.
    public func checkSecondOrder(_ inputs: [Tensor], _ f: ([Tensor]) -> Tensor) -> [Mismatch] {
        let leaves = inputs.map { $0.copy().requiringGradient() }
        let rng = RandomGenerator(seed: seed)
        let probe = withoutGrad { f(leaves) }
        let w = Tensor.uniform(probe.shape, low: 0.5, high: 1.5, using: rng)
        let v = leaves.map { Tensor.uniform($0.shape, low: 0.5, high: 1.5, using: rng) }
        func g(createGraph: Bool) -> Tensor {
            let firsts = gradients(of: (f(leaves) * w).sum(), withRespectTo: leaves, createGraph: createGraph)
            return zip(firsts, v).map { ($0 * $1).sum() }.reduce(Tensor(scalar: 0), +)
        }
        let analytic = gradients(of: g(createGraph: true), withRespectTo: leaves)
        return compare(leaves, analytic) { Double(g(createGraph: false).scalar) }
    }

    private func weightedSum(_ y: Tensor, _ w: Tensor) -> Double {
        var s = 0.0
        for i in 0..<y.count { s += Double(y.data[i]) * Double(w.data[i]) }
        return s
    }

    private func compare(_ leaves: [Tensor], _ analytic: [Tensor], _ evaluate: () -> Double) -> [Mismatch] {
        var mismatches: [Mismatch] = []
        for (i, x) in leaves.enumerated() {
            for j in 0..<x.count {
                // Each write is an in-place change: marked, so that copies kept per version (bf16
                // operands) see it.
                let saved = x.data[j]
                x.data[j] = saved + step
                x.markModified()
                let plus = evaluate()
                x.data[j] = saved - step
                x.markModified()
                let minus = evaluate()
                x.data[j] = saved
                x.markModified()
                // Use the step actually taken in Float32, not the nominal one.
                let h = Double(saved + step) - Double(saved - step)
                let numeric = (plus - minus) / h
                let a = Double(analytic[i].data[j])
                if Swift.abs(a - numeric) > absoluteTolerance + relativeTolerance
                    * Swift.max(Swift.abs(a), Swift.abs(numeric)) || !a.isFinite
                {
                    mismatches.append(Mismatch(input: i, element: j, analytic: a, numeric: numeric))
                }
            }
        }
        return mismatches
    }
}
