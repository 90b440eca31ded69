import SwiftGANTensors

/// LeCam regularization (Tseng et al. 2021, "Regularizing Generative Adversarial Networks under
/// Limited Data"), `--lecam WEIGHT`: D's loss gains
///
///     λ · ( E[relu(D(x) − α_F)²] + E[relu(α_R − D(G(z)))²] )
///
/// where α_R and α_F are exponential moving averages of D's mean adversarial output on the real
/// and on the fake batches (as D saw them: augmented, with DiffAugment or ADA). It keeps D's
/// outputs on real data from rising above what it used to say of fakes, and vice versa, which
/// bounds how far D can overfit a small dataset (the paper: a LeCam-divergence bound).
///
/// As in the official code (google/lecam-gan, `lecam_reg` with `ema_losses`, decay 0.99), the
/// averages are updated in every D update from that update's detached outputs, before the penalty
/// is computed. The official averages start at iteration 1000 (until then they are the batch's
/// means and no penalty is added); here they start from the first update's means and warm up as
/// ``ParameterAverage`` does, and the penalty applies from the first update, so a short run has
/// it throughout:
///
///     α ← mean at update 0;   α ← d·α + (1 − d)·mean after,  d = min(0.99, (1 + t)/(10 + t))
///
/// t counts the updates. The averages are training state: the training state saves them, so a
/// resumed run continues exactly.
///
/// ```swift
/// let lecam = LeCamRegularizer(weight: 0.3)
/// lecam.update(real: dReal, fake: dFake)              // D's adversarial outputs, [n, 1]
/// loss = loss + lecam.penalty(real: dReal, fake: dFake)
/// ```
public final class LeCamRegularizer {
    public let weight: Float
    public let decay: Float
    /// α_R and α_F.
    public private(set) var realAverage: Float = 0, fakeAverage: Float = 0
    public private(set) var updates = 0

    public init(weight: Float, decay: Float = 0.99) {
        require(weight > 0 && weight.isFinite, "the LeCam weight must be positive and finite, got \(weight)")
        require((0..<1).contains(decay), "the LeCam decay must lie in [0, 1), got \(decay)")
        (self.weight, self.decay) = (weight, decay)
    }

    /// The column it is reported under in `history.csv` (weighted, as D's loss gains it).
    public var name: String { "lecam" }

    /// The decay the next update uses: 0 for the first (the averages start at its means).
    public var currentDecay: Float { updates == 0 ? 0 : Swift.min(decay, Float(1 + updates) / Float(10 + updates)) }

    /// Moves the averages towards the means of D's outputs on this update's real and fake batches
    /// (in data-parallel training, the global batch's: `globalMean()`, so every rank keeps the same
    /// averages).
    public func update(real: Tensor, fake: Tensor) {
        let (r, f) = withoutGrad { (real.globalMean().scalar, fake.globalMean().scalar) }
        let d = currentDecay
        realAverage = realAverage * d + r * (1 - d)
        fakeAverage = fakeAverage * d + f * (1 - d)
        updates += 1
    }

    /// λ·(E[relu(D(x) − α_F)²] + E[relu(α_R − D(G(z)))²]) with the current averages,
    /// differentiable in the outputs.
    public func penalty(real: Tensor, fake: Tensor) -> Tensor {
        Self.penalty(real: real, fake: fake, realAverage: realAverage, fakeAverage: fakeAverage) * weight
    }

    /// E[relu(D(x) − α_F)²] + E[relu(α_R − D(G(z)))²], unweighted.
    public static func penalty(real: Tensor, fake: Tensor, realAverage: Float, fakeAverage: Float) -> Tensor {
        let above = (real - fakeAverage).relu(), below = (realAverage - fake).relu()
        return (above * above).mean() + (below * below).mean()
    }

    /// Restores a saved state: the averages and the update count.
    public func load(realAverage: Float, fakeAverage: Float, updates: Int) throws {
        guard realAverage.isFinite, fakeAverage.isFinite, updates >= 0 else {
            throw GANError("the saved LeCam averages of D's outputs are damaged")
        }
        (self.realAverage, self.fakeAverage, self.updates) = (realAverage, fakeAverage, updates)
    }
}
