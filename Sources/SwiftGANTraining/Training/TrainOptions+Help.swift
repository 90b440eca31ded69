/// `swiftgan train --help`, written from the option table and the run folder's contents.
extension TrainOptions {
    /// `width` stays under swift-argument-parser's 80 columns, which would wrap the lines again.
    public static func help(width: Int = 79) -> String {
        let column = 26
        func entry(_ head: String, _ text: String) -> String {
            let lines = wrapped(text, width: width - column)
            let first =
                head.count + 2 < column
                ? "  " + head.padding(toLength: column - 2, withPad: " ", startingAt: 0) + lines[0]
                : "  " + head + "\n" + String(repeating: " ", count: column) + lines[0]
            return ([first] + lines.dropFirst().map { String(repeating: " ", count: column) + $0 }).joined(
                separator: "\n")
        }
        let folder = RunFolder.contents.map { entry($0.name, $0.what) }
        let starts = [
            entry(
                "--config FILE",
                "Start from a saved config.json; options given override it. The run goes to --out (default runs/<model>), not to the saved run's folder."
            ),
            entry(
                "--force",
                "A new run may replace the run already in its folder; the old files are moved aside and deleted once the new run has saved its first state. Without it, such a run is refused."
            ),
            entry(
                "--resume DIR",
                "Continue the run in DIR from its last sample point, as it was configured; only the options marked ↻ may change."
            ),
        ]
        let options = all.map { o in
            entry(
                o.flag + (o.valueName.map { " " + $0 } ?? "") + (o.resumable ? " ↻" : ""),
                o.help + (o.defaultValue.map { " Default: \($0)." } ?? ""))
        }
        return
            (["RUN FOLDER (--out):"] + folder + ["", "STARTING POINT:"] + starts + [
                "", "TRAINING OPTIONS (--name VALUE or --name=VALUE):",
            ] + options)
            .joined(separator: "\n")
    }

    /// `text` broken at spaces into lines of at most `width` characters (a longer word stands alone).
    static func wrapped(_ text: String, width: Int) -> [String] {
        var lines: [String] = [], line = ""
        for word in text.split(separator: " ") {
            if !line.isEmpty && line.count + 1 + word.count > width {
                lines.append(line)
                line = ""
            }
            line += (line.isEmpty ? "" : " ") + word
        }
        return lines + [line]
    }
}
