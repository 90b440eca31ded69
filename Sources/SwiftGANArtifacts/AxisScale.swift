import Foundation

/// One chart axis: the range of values it spans and its ticks at "nice" values, multiples of 1, 2 or
/// 5 times a power of ten, with compact labels ("0", "500", "1k", "1.5k", "0.25", "2e-5").
struct AxisScale {
    let lower: Double
    let upper: Double
    let step: Double
    let ticks: [Double]

    /// An axis covering `lower...upper` with about `targetTickCount` ticks. With `extendToTicks`
    /// the range grows outward to the nearest ticks, so the data ends on a labelled line.
    init(lower: Double, upper: Double, targetTickCount: Int, extendToTicks: Bool) {
        // Extremes are limited so that the span, and everything computed from it, stays finite.
        var lower = min(max(lower, -1e300), 1e300), upper = min(max(upper, -1e300), 1e300)
        if !(lower < upper) {
            let pad = lower == 0 ? 1 : abs(lower) * 0.1
            (lower, upper) = (lower - pad, lower + pad)
        }
        let step = Self.niceStep(atLeast: (upper - lower) / Double(max(1, targetTickCount)))
        if extendToTicks {
            lower = (lower / step + 1e-9).rounded(.down) * step
            upper = (upper / step - 1e-9).rounded(.up) * step
        }
        let first = (lower / step - 1e-9).rounded(.up), last = (upper / step + 1e-9).rounded(.down)
        self.lower = lower
        self.upper = upper
        self.step = step
        ticks = first <= last ? (0...Int(min(last - first, 1000))).map { (first + Double($0)) * step } : []
    }

    /// The smallest of 1, 2, 5 × 10ᵏ that is at least `minimum`.
    static func niceStep(atLeast minimum: Double) -> Double {
        let magnitude = pow(10, log10(minimum).rounded(.down))
        for multiple in [1.0, 2, 5] where multiple * magnitude >= minimum * (1 - 1e-9) {
            return multiple * magnitude
        }
        return 10 * magnitude
    }

    /// A short label for a tick: as many decimals as the step needs, k/M/G from a thousand up,
    /// scientific notation for steps below 10⁻⁴.
    func label(_ value: Double) -> String {
        if abs(value) < step * 1e-6 { return "0" }
        if step < 1e-4 {
            let exponent = log10(abs(value)).rounded(.down)
            return Self.trimmed(String(format: "%.2f", value / pow(10, exponent))) + "e\(Int(exponent))"
        }
        for (size, suffix) in [(1e9, "G"), (1e6, "M"), (1e3, "k")] where abs(value) >= size {
            return Self.fixed(value / size, decimals: min(3, Self.decimals(for: step / size))) + suffix
        }
        return Self.fixed(value, decimals: Self.decimals(for: step))
    }

    /// Decimals that show every multiple of `step` exactly (step is 1, 2 or 5 × 10ᵏ).
    private static func decimals(for step: Double) -> Int {
        max(0, Int(-(log10(step) + 1e-9).rounded(.down)))
    }

    private static func fixed(_ value: Double, decimals: Int) -> String {
        trimmed(String(format: "%.\(decimals)f", value))
    }

    private static func trimmed(_ text: String) -> String {
        guard text.contains(".") else { return text }
        var text = Substring(text)
        while text.hasSuffix("0") { text = text.dropLast() }
        if text.hasSuffix(".") { text = text.dropLast() }
        return String(text)
    }
}
