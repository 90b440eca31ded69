import SwiftGANNN
import SwiftGANTensors

/// An exponential moving average of G's weights (Karras et al. 2018; Yazıcı et al. 2019), used
/// for samples, evaluation and the saved generator (`--ema 0.999`):
///
///     θ̄ ← d·θ̄ + (1 − d)·θ   after every G update, with d = min(decay, (1 + t) / (10 + t))
///
/// t counts the updates. The warm-up term is TensorFlow's `ExponentialMovingAverage(num_updates=)`:
/// without it, a 3,000-step run at 0.999 would keep 5% of the random initial weights. BatchNorm's
/// running statistics are not averaged: the averaged G uses the live G's (StudioGAN's `Ema` copies
/// the buffers the same way).
public final class ParameterAverage {
    public let decay: Float
    /// The live parameters, and their averages.
    public let parameters: [Tensor]
    public let averages: [Tensor]
    public private(set) var updates = 0

    public init(parameters: [Tensor], decay: Float) {
        require((0..<1).contains(decay), "the EMA decay must lie in [0, 1), got \(decay)")
        self.decay = decay
        self.parameters = parameters
        averages = parameters.map { $0.copy() }
    }

    /// The decay the next update uses.
    public var currentDecay: Float { Swift.min(decay, Float(1 + updates) / Float(10 + updates)) }

    public func update() {
        let d = currentDecay
        updates += 1
        // In place: this runs after every G update.
        for (average, p) in zip(averages, parameters) {
            let (a, x) = (average.data, p.data)
            for i in 0..<average.count { a[i] = a[i] * d + x[i] * (1 - d) }
            average.markModified()
        }
    }

    /// Runs `body` with the averages in place of the live parameters, then puts those back.
    public func withAverages<T>(_ body: () throws -> T) rethrows -> T {
        let live = parameters.map { $0.copy() }
        for (p, a) in zip(parameters, averages) { p.assign(a) }
        defer { for (p, l) in zip(parameters, live) { p.assign(l) } }
        return try body()
    }

    /// Starts again from the live parameters, with no updates: for weights loaded into them after
    /// the average was made (`--init-from`), which the average would otherwise start far from.
    public func restart() {
        for (a, p) in zip(averages, parameters) { a.assign(p) }
        updates = 0
    }

    /// Restores a saved state: the averages and the update count.
    public func load(averages saved: [Tensor], updates: Int) throws {
        guard saved.count == averages.count, zip(saved, averages).allSatisfy({ $0.shape == $1.shape }), updates >= 0
        else {
            throw GANError("the saved weight averages do not fit this generator")
        }
        for (a, s) in zip(averages, saved) { a.assign(s) }
        self.updates = updates
    }
}
