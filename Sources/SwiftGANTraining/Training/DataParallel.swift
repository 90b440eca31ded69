import Foundation
import SwiftGANArtifacts
import SwiftGANTensors

/// What the ranks of a data-parallel run (`mpirun -n N swiftgan train …`) exchange besides the
/// gradients (``GANTrainingStep``): rank 0's training state when they start, one short vector
/// per step, and a check at each sample point.
///
/// - Start and resume: rank 0's state (both networks with their buffers, both optimizers, the
///   moving average, LeCam's and ADA's state, the random generator, the data order) and its
///   history go to every rank, after the ranks have checked that they read the same data.
/// - Every step: one all-reduce of the metrics (summed, then divided by N: each rank's are means
///   over its equal share, so these are the global batch's), rank 0's clock and its verdict on
///   the time budget, and whether any rank was asked to stop. Every rank then takes the same
///   branch, and the history holds the global means.
/// - Every sample point (and evaluation): whether any rank's weights are non-finite, and whether
///   the ranks still hold the same parameters (max and min of a checksum). They do when every
///   rank runs the same kernels; ranks whose CPUs round differently (one with AVX-512, one
///   without) drift apart by rounding, and then every rank takes rank 0's state again.
extension TrainingRun {
    /// This step as every rank saw it: the metrics averaged over the ranks, rank 0's clock, whether
    /// that clock has spent the time budget, and whether any rank was asked to stop. A NaN on any
    /// rank makes the averages NaN, so every rank sees the divergence.
    func agree(
        on local: StepMetrics, seconds: Double
    ) throws -> (metrics: StepMetrics, seconds: Double, budgetSpent: Bool, interrupted: Bool) {
        let rankZero = collective.rank == 0
        let budgetSpent = rankZero && (config.timeBudget.map { seconds >= $0 } ?? false)
        var values = [
            Double(local.discriminatorLoss), Double(local.generatorLoss), Double(local.discriminatorAccuracy ?? 0),
            Double(local.generatorAccuracy ?? 0),
        ]
        values += local.extras.map { Double($0.value) }
        values += [rankZero ? seconds : 0, budgetSpent ? 1 : 0, stopRequested() ? 1 : 0]
        try collective.allReduce(&values, .sum)
        let ranks = Double(collective.size)
        var metrics = local
        metrics.discriminatorLoss = Float(values[0] / ranks)
        metrics.generatorLoss = Float(values[1] / ranks)
        if local.discriminatorAccuracy != nil { metrics.discriminatorAccuracy = Float(values[2] / ranks) }
        if local.generatorAccuracy != nil { metrics.generatorAccuracy = Float(values[3] / ranks) }
        for i in metrics.extras.indices { metrics.extras[i].value = Float(values[4 + i] / ranks) }
        let flags = 4 + local.extras.count
        return (metrics, values[flags], values[flags + 1] > 0, values[flags + 2] > 0)
    }

    /// At a check of the weights: `local` (this rank's problem with its weights, or nil) joined
    /// with every rank's, in one all-reduce of three numbers that also compares the ranks'
    /// parameters; ranks that drifted apart take rank 0's state again.
    func agreeOnWeights(_ local: String?) throws -> String? {
        let mark = parameterChecksum()
        var values = [local == nil ? 0.0 : 1.0, mark, -mark]
        try collective.allReduce(&values, .max)
        if values[0] > 0 { return local ?? "the weights are no longer finite on another rank" }
        if values[1] != -values[2] {
            log(
                "note: the ranks' parameters differ by rounding (machines whose kernels round differently?); "
                    + "every rank takes rank 0's state again")
            try shareState(step: history.last?.step ?? startStep)
        }
        return nil
    }

    /// The sum of the bit patterns of both networks' parameters (in a Double: exact for up to 2²¹
    /// of them, and changed by any one bit beyond): equal on ranks that hold the same weights.
    func parameterChecksum() -> Double {
        var sum = 0.0
        for parameter in model.generator.parameters + model.discriminator.parameters {
            let values = parameter.data
            for i in 0..<parameter.count { sum += Double(values[i].bitPattern) }
        }
        return sum
    }

    /// Every rank takes rank 0's training state at step `n` and its history: the weights a new
    /// run starts from (rank 0's `--init-from` ones too), the state ``resume()`` read, or a
    /// resynchronization. First the ranks check that they read the same data (its fingerprint),
    /// since the data order names examples by index. Returns the state's step.
    @discardableResult
    func shareState(step n: Int) throws -> Int {
        let fingerprint = data.fingerprint
        var bounds = [fingerprint, -fingerprint]
        try collective.allReduce(&bounds, .max)
        let sameData = bounds[0] == -bounds[1]
        let state = try collective.fromRankZero { [UInt8](try stateData(step: n)) }
        let table = try collective.fromRankZero { Array(History.csv(history).utf8) }
        return try collective.agreeing {
            if collective.rank == 0 {
                guard sameData else {
                    throw GANError(
                        "the processes read different training data (\(data.name) differs between them): every "
                            + "machine needs the same copy of the dataset, as rank 0's data order names its examples by index"
                    )
                }
                return n
            }
            let file: (tensors: [String: (shape: [Int], values: [Float])], metadata: [String: String])
            do { file = try Safetensors.decode(Data(state)) } catch {
                throw GANError("rank 0's training state did not arrive whole: \(error)")
            }
            let saved = try applyState(file, source: "rank 0's training state")
            history = try History.parse(Data(table), url: folder.history)
            return saved
        }
    }
}

extension RealData {
    /// The dataset's name, for messages (synthetic curves for curve-gan).
    var name: String {
        if case .images(let dataset, _) = self { return dataset.name }
        return "the curves"
    }
}
