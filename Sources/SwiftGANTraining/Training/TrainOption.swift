import Foundation

/// One option of `swiftgan train`, described once: its command-line name, its key in
/// `config.json`, its help and default, the values it accepts, and whether a resumed run may
/// change it. ``TrainOptions/all`` is the only list of options: the command line is parsed from it,
/// `--help` is printed from it, `config.json` is checked against it and `TrainConfig.validate()`
/// applies its checks, so none of them can drift from the others.
public struct TrainOption {
    /// `lr` for `--lr`.
    public let name: String
    /// What the value is, in the help (`RATE`); nil for a flag.
    public let valueName: String?
    /// Where it lives in `config.json`: `learningRate`, `options.width`, `targets.smoothing`.
    public let key: String
    public let help: String
    /// The default in words, when the help should state one (non-optional settings state their
    /// `TrainConfig()` value themselves).
    public let defaultValue: String?
    /// Whether `--resume` may change it (the length of the run, its pictures and measurements).
    public let resumable: Bool
    /// Whether it belongs to the model, so a saved configuration's value is dropped when `--model`
    /// names another one.
    public let followsModel: Bool
    /// Parses a command-line value into a configuration.
    let assign: (inout TrainConfig, String?) throws -> Void
    /// Puts the setting back to its default.
    let clear: (inout TrainConfig) -> Void
    /// Copies the setting from a preset (a recipe) when the configuration leaves it unset; settings
    /// that always have a value are never taken from a preset.
    let fill: (inout TrainConfig, TrainConfig) -> Void
    /// nil when the configuration's value is acceptable, else why not.
    let problem: (TrainConfig) -> String?

    public var flag: String { "--" + name }
    public var isFlag: Bool { valueName == nil }
}

/// A constraint on an option's value, in words for its error message.
public struct Requirement<T> {
    let holds: (T) -> Bool
    let words: String
    /// The whole message, where "FLAG must be WORDS, got VALUE" would read badly.
    var message: ((T) -> String)? = nil

    public static var any: Requirement { Requirement(holds: { _ in true }, words: "") }
    /// One of `values`; with `noun`, the message is "unknown NOUN 'x' (known: …)".
    public static func choice(_ values: [T], noun: String? = nil) -> Requirement where T == String {
        Requirement(
            holds: values.contains, words: "one of " + values.joined(separator: ", "),
            message: noun.map { noun in { "unknown \(noun) '\($0)' (known: \(values.joined(separator: ", ")))" } })
    }
    public static func atLeast(_ low: T) -> Requirement where T: Comparable {
        Requirement(holds: { $0 >= low }, words: "at least \(low)")
    }
    /// In `range`: counts that size an allocation or a loop have an upper bound too.
    public static func within(_ range: ClosedRange<T>) -> Requirement where T: Comparable {
        Requirement(holds: range.contains, words: "in \(range.lowerBound)...\(range.upperBound)")
    }
    public static func custom(_ words: String, _ holds: @escaping (T) -> Bool) -> Requirement {
        Requirement(holds: holds, words: words)
    }
}

extension Requirement where T: BinaryFloatingPoint {
    public static var positive: Requirement {
        Requirement(holds: { $0 > 0 && $0.isFinite }, words: "positive and finite")
    }
    public static var nonNegative: Requirement {
        Requirement(holds: { $0 >= 0 && $0.isFinite }, words: "≥ 0 and finite")
    }
    public static var fraction: Requirement { Requirement(holds: { $0 >= 0 && $0 < 1 }, words: "in [0, 1)") }
}

extension TrainOption {
    /// An optional setting: nil means the model's, the recipe's or the objective's choice.
    static func value<T: LosslessStringConvertible>(
        _ name: String, _ valueName: String, _ key: String, _ path: WritableKeyPath<TrainConfig, T?>, help: String,
        default defaultValue: String? = nil, must requirement: Requirement<T> = .any, resumable: Bool = false,
        followsModel: Bool = false, also: @escaping (inout TrainConfig) -> Void = { _ in }
    ) -> TrainOption {
        TrainOption(
            name: name, valueName: valueName, key: key, help: help, defaultValue: defaultValue, resumable: resumable,
            followsModel: followsModel,
            assign: { config, text in
                config[keyPath: path] = try parse(text, as: T.self, for: "--" + name); also(&config)
            },
            clear: { $0[keyPath: path] = nil },
            fill: { config, preset in if config[keyPath: path] == nil { config[keyPath: path] = preset[keyPath: path] }
            },
            problem: { config in config[keyPath: path].flatMap { problem($0, requirement, "--" + name) } })
    }

    /// A setting that always has a value; `TrainConfig()`'s is the default the help states.
    static func value<T: LosslessStringConvertible>(
        _ name: String, _ valueName: String, _ key: String, _ path: WritableKeyPath<TrainConfig, T>, help: String,
        default defaultValue: String? = nil, must requirement: Requirement<T> = .any, resumable: Bool = false,
        followsModel: Bool = false, also: @escaping (inout TrainConfig) -> Void = { _ in }
    ) -> TrainOption {
        TrainOption(
            name: name, valueName: valueName, key: key, help: help,
            defaultValue: defaultValue ?? "\(TrainConfig()[keyPath: path])",
            resumable: resumable, followsModel: followsModel,
            assign: { config, text in
                config[keyPath: path] = try parse(text, as: T.self, for: "--" + name); also(&config)
            },
            clear: { $0[keyPath: path] = TrainConfig()[keyPath: path] },
            fill: { _, _ in },
            problem: { config in problem(config[keyPath: path], requirement, "--" + name) })
    }

    /// A switch: given means on.
    static func flag(
        _ name: String, _ key: String, _ path: WritableKeyPath<TrainConfig, Bool?>, help: String,
        followsModel: Bool = false
    ) -> TrainOption {
        TrainOption(
            name: name, valueName: nil, key: key, help: help, defaultValue: nil, resumable: false,
            followsModel: followsModel,
            assign: { config, _ in config[keyPath: path] = true }, clear: { $0[keyPath: path] = nil },
            fill: { config, preset in if config[keyPath: path] == nil { config[keyPath: path] = preset[keyPath: path] }
            },
            problem: { _ in nil })
    }

    static func parse<T: LosslessStringConvertible>(_ text: String?, as type: T.Type, for flag: String) throws -> T {
        guard let text else { throw TrainOptionError("\(flag) needs a value") }
        guard let value = T(text) else {
            let kind =
                T.self == Int.self
                ? "an integer"
                : T.self == UInt64.self
                    ? "a whole number ≥ 0"
                    : T.self == Float.self || T.self == Double.self ? "a number" : "a value"
            throw TrainOptionError("\(flag) takes \(kind), not '\(text)'")
        }
        return value
    }

    static func problem<T>(_ value: T, _ requirement: Requirement<T>, _ flag: String) -> String? {
        requirement.holds(value)
            ? nil : requirement.message?(value) ?? "\(flag) must be \(requirement.words), got \(value)"
    }
}

/// A command line `swiftgan train` cannot take (an unknown option, a missing or malformed value):
/// a usage error, as opposed to a configuration that is well-formed but wrong.
public struct TrainOptionError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A `swiftgan train` command line, parsed against ``TrainOptions/all``.
public struct TrainRequest {
    /// The options given, with their values (nil for flags), in command-line order.
    public private(set) var given: [(option: TrainOption, value: String?)] = []
    /// `--config FILE`: start from a saved configuration. `--resume DIR`: continue that run.
    public private(set) var config: String?, resume: String?
    /// `--force`: a new run may replace the run in its folder (moved aside until it is safe).
    public private(set) var force = false

    public init(arguments: [String]) throws {
        var rest = arguments[...]
        while let argument = rest.popFirst() {
            guard argument.hasPrefix("--"), argument.count > 2 else {
                throw TrainOptionError(
                    "unexpected argument '\(argument)': every option of swiftgan train is named (--steps N)")
            }
            let parts = argument.dropFirst(2).split(separator: "=", maxSplits: 1)
            let name = String(parts[0])
            var value = parts.count > 1 ? String(parts[1]) : nil
            if name == "force" && value == nil { force = true; continue }
            if name == "config" || name == "resume" {
                // Values may start with "-" (a negative number, say), but not with "--".
                if value == nil, let next = rest.first, !next.hasPrefix("--") { value = rest.popFirst() }
                guard let value else { throw TrainOptionError("--\(name) needs a value") }
                if name == "config" { config = value } else { resume = value }
                continue
            }
            guard let option = TrainOptions.named(name) else { throw TrainOptionError(TrainOptions.unknown(name)) }
            if option.isFlag {
                guard value == nil else { throw TrainOptionError("\(option.flag) is a switch; it takes no value") }
            } else if value == nil, let next = rest.first, !next.hasPrefix("--") {
                value = rest.popFirst()
            }
            // Malformed values are usage errors, found here; acceptable ones are `validate()`'s.
            var scratch = TrainConfig()
            try option.assign(&scratch, value)
            given.removeAll { $0.option.name == option.name }
            given.append((option, value))
        }
        if resume != nil {
            let fixed =
                given.filter { !$0.option.resumable }.map(\.option.flag) + (config == nil ? [] : ["--config"])
                + (force ? ["--force"] : [])
            guard fixed.isEmpty else {
                throw TrainOptionError(
                    "--resume continues a run as it was configured; only "
                        + TrainOptions.all.filter(\.resumable).map(\.flag).joined(separator: ", ")
                        + " may change (got \(fixed.joined(separator: ", ")))")
            }
        }
        if isGiven("steps") && isGiven("epochs") { throw TrainOptionError("give --steps or --epochs, not both") }
    }

    public func isGiven(_ name: String) -> Bool { given.contains { $0.option.name == name } }

    /// The configuration to run: the saved one (`--resume`, `--config`) or the defaults, with the
    /// given options applied. A new run without a recipe gets the model's best measured one.
    public func resolve() throws -> TrainConfig {
        let saved = resume.map { $0 + "/config.json" } ?? config
        var c = try saved.map { try TrainConfig.load(URL(fileURLWithPath: $0)) } ?? TrainConfig()
        // A repeated run gets a folder of its own, not the one its configuration came from.
        if resume == nil && config != nil { c.out = nil }
        if let model = given.first(where: { $0.option.name == "model" })?.value, model != c.model {
            // Another model than the saved one: its own defaults for what belongs to a model.
            for option in TrainOptions.all where option.followsModel && !isGiven(option.name) { option.clear(&c) }
        }
        for (option, value) in given { try option.assign(&c, value) }
        if let model = try? ModelZoo.entry(c.model) { c.options = model.defaults(c.options, forDataset: c.dataset) }
        if saved == nil && c.recipe == nil { c.recipe = Recipes.commandLineDefault(for: c.model) }
        if let resume { c.out = resume }
        return c
    }
}
