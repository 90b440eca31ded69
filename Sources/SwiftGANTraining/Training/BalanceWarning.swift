/// The tutorials' balance signal: the share of fakes D calls real (G's "accuracy"), 0.5 when
/// neither network wins. Objectives without accuracies (critics) report none and get no warning.
extension TrainingRun {
    /// Warns once when the share of fakes D calls real stays near 0 or near 1 for `balanceWindow` steps.
    func checkBalance(step n: Int) {
        guard !balanceWarned, history.count >= balanceWindow else { return }
        if let warning = Self.balanceWarning(generatorAccuracies: history.suffix(balanceWindow).compactMap(\.metrics.generatorAccuracy), step: n) {
            balanceWarned = true
            log(warning)
        }
    }

    /// The warning for a stretch of generator accuracies whose mean is below 0.02 (D overpowers G:
    /// G gets no useful gradient) or above 0.98 (G overpowers D), or nil.
    public static func balanceWarning(generatorAccuracies: [Float], step: Int) -> String? {
        guard !generatorAccuracies.isEmpty else { return nil }
        let mean = generatorAccuracies.reduce(0, +) / Float(generatorAccuracies.count)
        guard mean < 0.02 || mean > 0.98 else { return nil }
        let who = mean < 0.02 ? "the discriminator is overpowering the generator (it calls almost every fake fake)"
                              : "the generator is overpowering the discriminator (it calls almost every fake real)"
        return String(format: "warning: at step %d, %@: the share of fakes D calls real averaged %.3f over the last %d steps. "
                      + "Try a lower learning rate, label smoothing (--label-smoothing 0.1), or more D dropout.",
                      step, who, mean, generatorAccuracies.count)
    }
}
