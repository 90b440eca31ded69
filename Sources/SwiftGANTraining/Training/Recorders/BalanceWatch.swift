/// The tutorials' balance signal: the share of fakes D calls real (G's "accuracy"), 0.5 when
/// neither network wins. Warns once, in the run's log, when it stays near 0 or near 1 for
/// ``TrainingRun/balanceWindow`` steps; the run report gives the same warnings from the history
/// with the same rule. Objectives without accuracies (critics) report none and get no warning.
final class BalanceWatch: TrainingObserver {
    /// The steps watched before warning, unless the run says otherwise.
    static let window = 500
    private var warned = false

    func stepDidEnd(_ run: TrainingRun, step n: Int, metrics: StepMetrics) {
        guard !warned, run.history.count >= run.balanceWindow else { return }
        let accuracies = run.history.suffix(run.balanceWindow).compactMap(\.metrics.generatorAccuracy)
        if let warning = Self.warning(generatorAccuracies: accuracies, step: n) {
            warned = true
            run.log(warning)
        }
    }

    /// The warnings a finished history gives, one window at a time (at most three).
    static func warnings(_ history: [HistoryRow], window: Int = window) -> [String] {
        stride(from: window, through: history.count, by: window).compactMap { end in
            warning(
                generatorAccuracies: history[(end - window)..<end].compactMap(\.metrics.generatorAccuracy),
                step: history[end - 1].step)
        }.prefix(3).map { $0 }
    }

    /// The warning for a stretch of generator accuracies whose mean is below 0.02 (D overpowers G:
    /// G gets no useful gradient) or above 0.98 (G overpowers D), or nil.
    static func warning(generatorAccuracies: [Float], step: Int) -> String? {
        guard !generatorAccuracies.isEmpty else { return nil }
        let mean = generatorAccuracies.reduce(0, +) / Float(generatorAccuracies.count)
        guard mean < 0.02 || mean > 0.98 else { return nil }
        let who =
            mean < 0.02
            ? "the discriminator is overpowering the generator (it calls almost every fake fake)"
            : "the generator is overpowering the discriminator (it calls almost every fake real)"
        return String(
            format: "warning: at step %d, %@: the share of fakes D calls real averaged %.3f over the last %d steps. "
                + "Try a lower learning rate, label smoothing (--label-smoothing 0.1), or more D dropout.",
            step, who, mean, generatorAccuracies.count)
    }
}

extension TrainingRun {
    /// The balance warning for a stretch of generator accuracies (``BalanceWatch``), or nil.
    public static func balanceWarning(generatorAccuracies: [Float], step: Int) -> String? {
        BalanceWatch.warning(generatorAccuracies: generatorAccuracies, step: step)
    }
}
