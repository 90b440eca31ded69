import SwiftGANTensors

/// The real/fake targets the discriminator is trained towards, with the stabilising tricks of
/// Salimans et al. 2016 ("Improved Techniques for Training GANs") and the GAN-hacks list.
///
/// - `smoothing` s > 0, one-sided (the paper's recommendation): real targets 1 − s, fake targets 0.
/// - `twoSided`: fake targets s as well.
/// - `perExample`: each target drawn uniformly from [1 − s, 1] (real) and, if two-sided, [0, s]
///   (fake), as the ACGAN tutorial does with s = 0.2, instead of the fixed values.
/// - `flipProbability` p: each target is swapped (real ↔ fake) with probability p ("noisy labels").
///
/// The generator's own target is always 1: smoothing it would tell G to make D *less* sure.
///
/// ```swift
/// let targets = DiscriminatorTargets(smoothing: 0.1)              // real 0.9, fake 0
/// let acgan = DiscriminatorTargets(smoothing: 0.2, twoSided: true, perExample: true)
/// ```
public struct DiscriminatorTargets: Codable, Equatable {
    public var smoothing: Float = 0
    public var twoSided = false
    public var perExample = false
    public var flipProbability: Float = 0

    public init(smoothing: Float = 0, twoSided: Bool = false, perExample: Bool = false, flipProbability: Float = 0) {
        (self.smoothing, self.twoSided, self.perExample, self.flipProbability) = (
            smoothing, twoSided, perExample, flipProbability
        )
    }

    /// The targets in words: "real 1, fake 0", "real U(0.8, 1), fake U(0, 0.2)", "…, flipped with p 0.05".
    public var words: String {
        let (s, fakeTop) = (smoothing, twoSided ? smoothing : 0)
        func show(_ x: Float) -> String { x == x.rounded() ? "\(Int(x))" : "\(x)" }
        let real = perExample && s > 0 ? "U(\(show(1 - s)), 1)" : show(1 - s)
        let fake = perExample && fakeTop > 0 ? "U(0, \(show(fakeTop)))" : show(fakeTop)
        return "real \(real), fake \(fake)" + (flipProbability > 0 ? ", flipped with p \(show(flipProbability))" : "")
    }

    /// True when every call gives the same targets (no random draws): they can be cached.
    public var isFixed: Bool { !perExample && flipProbability == 0 }

    public func validate() throws {
        guard (0..<0.5).contains(smoothing) else {
            throw GANError("--label-smoothing must lie in [0, 0.5), got \(smoothing)")
        }
        guard (0..<0.5).contains(flipProbability) else {
            throw GANError("--label-flip must lie in [0, 0.5), got \(flipProbability)")
        }
    }

    /// Targets for `count` real and `count` fake examples, shape [count, 1] each.
    public func make(_ count: Int, using rng: RandomGenerator) -> (real: Tensor, fake: Tensor) {
        let real = Tensor.zeros([count, 1]), fake = Tensor.zeros([count, 1])
        let s = smoothing, fakeTop = twoSided ? s : 0
        for i in 0..<count {
            var r = perExample ? 1 - s * rng.uniform() : 1 - s
            var f = perExample ? fakeTop * rng.uniform() : fakeTop
            if flipProbability > 0 {
                if rng.uniform() < flipProbability { r = 1 - r }
                if rng.uniform() < flipProbability { f = 1 - f }
            }
            real.data[i] = r
            fake.data[i] = f
        }
        return (real, fake)
    }
}

/// Changes to a model's ``DiscriminatorTargets`` given for a run: each field that is set replaces
/// the model's, the others stay (`--label-flip 0.05` on acgan keeps its smoothed targets).
public struct TargetOptions: Codable, Equatable {
    public var smoothing: Float?
    public var twoSided: Bool?
    public var perExample: Bool?
    public var flipProbability: Float?

    public init(smoothing: Float? = nil, twoSided: Bool? = nil, perExample: Bool? = nil, flipProbability: Float? = nil)
    {
        (self.smoothing, self.twoSided, self.perExample, self.flipProbability) = (
            smoothing, twoSided, perExample, flipProbability
        )
    }

    public func applied(to base: DiscriminatorTargets) -> DiscriminatorTargets {
        DiscriminatorTargets(
            smoothing: smoothing ?? base.smoothing, twoSided: twoSided ?? base.twoSided,
            perExample: perExample ?? base.perExample, flipProbability: flipProbability ?? base.flipProbability)
    }
}
