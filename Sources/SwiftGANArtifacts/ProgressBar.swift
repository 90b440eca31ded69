import Foundation

/// A tqdm-like progress line on standard error.
///
/// On a terminal it redraws one line in place (at most ten times a second):
///
///     mlp-gan  1200/5000 [█████▌              ]  24%  85.3 step/s  ETA 0:44  D 0.612 (acc 0.67)  G 0.981 (acc 0.31)
///
/// The line is cut to the terminal's width (the bar goes first), so a narrow terminal does not
/// wrap it and gain a line at every redraw. When standard error is not a terminal (a log file,
/// CI), it prints a plain line every `plainInterval` seconds instead, so logs stay readable.
///
/// ```swift
/// let bar = ProgressBar(title: "mlp-gan", total: 5000)
/// bar.update(step: 1, values: [("D", 0.69)])
/// bar.finish()
/// ```
public final class ProgressBar {
    public let title: String
    public let total: Int
    public let isTerminal: Bool
    public var plainInterval: TimeInterval = 5
    private let start = Date()
    private var lastDraw = Date.distantPast
    private var lastStep = 0
    private var lastText = ""
    private let output: FileHandle

    /// The step the work starts after (a resumed run's saved step): the rate counts only new steps.
    public let initialStep: Int

    public init(
        title: String, total: Int, initialStep: Int = 0, output: FileHandle = .standardError, isTerminal: Bool? = nil
    ) {
        self.title = title
        self.total = max(total, 1)
        self.initialStep = initialStep
        self.lastStep = initialStep
        self.output = output
        self.isTerminal = isTerminal ?? (isatty(output.fileDescriptor) != 0)
    }

    /// Reports progress after `step` (1-based); `values` are shown as `name value` pairs and are
    /// only evaluated when the line is drawn (at most ten times a second), not at every step.
    public func update(step: Int, values: @autoclosure () -> [(String, String)]) {
        lastStep = step
        let now = Date()
        let interval = isTerminal ? 0.1 : plainInterval
        guard now.timeIntervalSince(lastDraw) >= interval || (step == total && isTerminal) else { return }
        lastDraw = now
        draw(step: step, values: values(), final: false)
    }

    /// Draws the final state and ends the line.
    public func finish(values: [(String, String)] = []) {
        draw(step: lastStep, values: values.isEmpty ? lastValues : values, final: true)
    }

    private var lastValues: [(String, String)] = []

    private func draw(step: Int, values: [(String, String)], final: Bool) {
        lastValues = values
        let elapsed = Date().timeIntervalSince(start)
        let rate = elapsed > 0 ? Double(step - initialStep) / elapsed : 0
        let remaining = rate > 0 ? Double(total - step) / rate : 0
        let fraction = Double(step) / Double(total)
        var parts = ["\(title)", "\(step)/\(total)", String(format: "%3.0f%%", fraction * 100)]
        parts.append(String(format: rate >= 10 ? "%.0f step/s" : "%.2f step/s", rate))
        parts.append(final ? "took \(Self.clock(elapsed))" : "ETA \(Self.clock(remaining))")
        parts += values.map { "\($0.0) \($0.1)" }
        let text =
            isTerminal
            ? Self.line(parts, bar: Self.bar(fraction, width: 20), columns: columns())
            : parts.joined(separator: "  ")
        if isTerminal {
            write("\r" + text + "\u{1B}[K" + (final ? "\n" : ""))
        } else if text != lastText {
            write(text + "\n")
        }
        lastText = text
    }

    private func write(_ s: String) { output.write(Data(s.utf8)) }

    /// The terminal's width in columns (80 when it cannot be asked).
    private func columns() -> Int {
        #if canImport(Darwin)
        let request: UInt = 0x4008_7468  // TIOCGWINSZ: a macro Swift cannot import there
        #else
        let request = UInt(TIOCGWINSZ)
        #endif
        var size = winsize()
        guard ioctl(output.fileDescriptor, request, &size) == 0, size.ws_col > 0 else { return 80 }
        return Int(size.ws_col)
    }

    /// The parts joined, the bar after the step count when it fits, cut to one character less
    /// than `columns` (a line filling the last column wraps on some terminals).
    static func line(_ parts: [String], bar: String, columns: Int) -> String {
        var withBar = parts
        withBar.insert("[" + bar + "]", at: min(2, parts.count))
        let full = withBar.joined(separator: "  ")
        if full.count < columns { return full }
        let plain = parts.joined(separator: "  ")
        return plain.count < columns ? plain : String(plain.prefix(max(columns - 2, 0))) + "…"
    }

    /// A bar of `width` cells with eighth-cell resolution.
    static func bar(_ fraction: Double, width: Int) -> String {
        let eighths = Int((min(max(fraction, 0), 1) * Double(width * 8)).rounded(.down))
        let partial = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"][eighths % 8]
        let full = String(repeating: "█", count: eighths / 8)
        return (full + partial).padding(toLength: width, withPad: " ", startingAt: 0)
    }

    /// h:mm:ss or m:ss.
    public static func clock(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "?" }
        // Past 10¹² s (30,000 years: an ETA of Int.max steps) hours would not fit an Int.
        guard abs(seconds) < 1e12 else { return String(format: "%.1e s", seconds) }
        let s = Int(seconds.rounded())
        return s >= 3600
            ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }
}
