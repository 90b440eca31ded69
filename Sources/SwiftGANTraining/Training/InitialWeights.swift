import Foundation
import SwiftGANArtifacts
import SwiftGANNN

/// Trained weights a new run starts from instead of a fresh initialization: fine-tuning
/// (`swiftgan train --init-from SOURCE`, ``TrainConfig/initFrom``). SOURCE is
///
/// - a run folder: G and D from its `training-state.safetensors` (G's own weights, not their
///   moving average), or from its `generator.safetensors` and `discriminator.safetensors` where it
///   has no training state;
/// - a checkpoint file: the network its metadata names; the other network keeps its fresh,
///   seeded initialization, so a `generator.safetensors` alone starts only G;
/// - the name of a model SwiftGAN ships (``Pretrained/names``): its G and D.
///
/// A path that exists is read as a path before the names are looked at. The weights must be the
/// same zoo model's, every tensor present with the same shape: another model, or the same one
/// built with other options (`--width`, `--spectral-norm`), is refused with each difference
/// listed, as are NaN or infinite weights, and a refusal changes neither network. Only the weights
/// (with BatchNorm statistics and spectral-norm vectors) come from SOURCE: the run's folder, data
/// order, noise, optimizers (their moments at zero) and step count are its own.
///
/// ```swift
/// let weights = try InitialWeights.read("runs/fashion")   // or a checkpoint, or "fashion-dcgan"
/// try weights.load(into: model)
/// print("initialised \(weights.networks) from \(weights.origin)")
/// ```
public struct InitialWeights {
    public typealias Tensors = [String: (shape: [Int], values: [Float])]

    /// SOURCE, as given.
    public let source: String
    /// The zoo name of the model the weights belong to.
    public let model: String
    /// The options that model was built with, where SOURCE records them.
    public let options: ModelOptions?
    /// Each network's tensors by name; nil for a network SOURCE does not hold.
    public let generator: Tensors?
    public let discriminator: Tensors?
    /// The files read, in words: `runs/a/training-state.safetensors (step 40)`.
    public let origin: String

    /// The networks SOURCE holds, in words: `G and D`, `G` or `D`.
    public var networks: String { held("G", "D") }

    /// `generator` and `discriminator` as far as SOURCE holds them, joined by "and".
    private func held(_ generatorWord: String, _ discriminatorWord: String) -> String {
        [generator.map { _ in generatorWord }, discriminator.map { _ in discriminatorWord }].compactMap { $0 }
            .joined(separator: " and ")
    }

    /// The weights `source` names (a run folder, a checkpoint file or a pretrained model's name),
    /// read and checked as files, not yet against a model.
    public static func read(_ source: String) throws -> InitialWeights {
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: source, isDirectory: &isFolder) {
            if isFolder.boolValue { return try runFolder(source) }
            return try checkpoints([URL(fileURLWithPath: source)], source: source)
        }
        guard Pretrained.names.contains(source) else {
            throw GANError(
                "no run folder or checkpoint file of that name, nor a pretrained model (pretrained: "
                    + Pretrained.names.joined(separator: ", ") + ")")
        }
        let files = try Pretrained.files(named: source)
        return try checkpoints([files.generator] + (files.discriminator.map { [$0] } ?? []), source: source)
    }

    /// Both networks of a run folder: from its training state, else from its checkpoints.
    static func runFolder(_ source: String) throws -> InitialWeights {
        let folder = RunFolder(URL(fileURLWithPath: source))
        func exists(_ url: URL) -> Bool { FileManager.default.fileExists(atPath: url.path) }
        guard exists(folder.state) else {
            guard exists(folder.generator) else {
                throw GANError(
                    "\(folder.path) holds no training run (no training-state.safetensors, no generator.safetensors)")
            }
            return try checkpoints(
                [folder.generator] + (exists(folder.discriminator) ? [folder.discriminator] : []), source: source)
        }
        let file = try Checkpoint.read(folder.state, what: "training state")
        guard file.metadata["format"] == "swiftgan-training-state", let model = file.metadata["model"] else {
            throw GANError("\(folder.state.path) is not a SwiftGAN training state")
        }
        // The state is saved with the configuration it belongs to: the options are its model's.
        let config = try? TrainConfig.load(folder.config)
        func network(_ prefix: String) -> Tensors {
            Dictionary(
                uniqueKeysWithValues: file.tensors.filter { $0.key.hasPrefix(prefix + ".") }.map {
                    (String($0.key.dropFirst(prefix.count + 1)), $0.value)
                })
        }
        return InitialWeights(
            source: source, model: model, options: config?.model == model ? config?.options : nil,
            generator: network("generator"), discriminator: network("discriminator"),
            origin: "\(folder.state.path) (step \(Checkpoint.shown(file.metadata["step"] ?? "?")))")
    }

    /// The networks of checkpoint files (``Checkpoint/save(_:of:role:step:classNames:to:)``), at
    /// most one each, all of one model.
    static func checkpoints(_ urls: [URL], source: String) throws -> InitialWeights {
        var model: String?, options: ModelOptions?
        var networks: [String: Tensors] = [:], origins: [String] = []
        for url in urls {
            let file = try Checkpoint.read(url)
            let meta = file.metadata
            guard meta["format"] == "swiftgan", let name = meta["model"] else {
                throw GANError("\(url.path): a safetensors file, but not a SwiftGAN checkpoint (no swiftgan metadata)")
            }
            let role = meta["network"] ?? "unknown"
            guard role == "generator" || role == "discriminator" else {
                throw GANError(
                    "\(url.path): its metadata names the network '\(Checkpoint.shown(role))', neither generator nor discriminator"
                )
            }
            guard networks[role] == nil else {
                throw GANError("\(url.path) holds a \(role), as \(urls[0].path) does: one file per network")
            }
            if let model, model != name {
                throw GANError(
                    "\(url.path) holds a network of \(Checkpoint.shown(name)), \(urls[0].path) one of \(Checkpoint.shown(model))"
                )
            }
            if options == nil, let json = meta["options"] {
                do { options = try JSONDecoder().decode(ModelOptions.self, from: Data(json.utf8)) } catch {
                    throw GANError("\(url.path): the model options in its metadata are damaged (\(error))")
                }
            }
            model = name
            networks[role] = file.tensors
            origins.append("\(url.path) (step \(Checkpoint.shown(meta["step"] ?? "?")))")
        }
        guard let found = model else { throw GANError("no checkpoint file to read") }
        return InitialWeights(
            source: source, model: found, options: options, generator: networks["generator"],
            discriminator: networks["discriminator"], origin: origins.joined(separator: " and "))
    }

    /// Copies the weights into `model`'s networks (those SOURCE holds) after checking that they are
    /// the same zoo model's, that every tensor is there with its shape and nothing else is, and that
    /// all are finite. A refusal lists every difference and changes nothing.
    public func load(into model: GANModel) throws {
        let theirs = Checkpoint.shown(self.model)
        guard self.model == model.name else {
            throw GANError(
                "\(origin) holds the \(held("generator", "discriminator")) of \(theirs), not of \(model.name): fine-tuning starts from the "
                    + "model it was trained as (--model \(theirs), with the same options)")
        }
        let pairs: [(role: String, saved: Tensors?, network: GANNetwork)] = [
            ("generator", generator, model.generator), ("discriminator", discriminator, model.discriminator),
        ]
        var problems: [String] = []
        for pair in pairs {
            guard let saved = pair.saved else { continue }
            problems += pair.network.stateMismatches(saved).map { "\(pair.role): \($0)" }
        }
        guard problems.isEmpty else {
            let differing = optionDifferences(from: model)
            let shown = problems.prefix(64)
            throw GANError(
                "\(origin) holds \(theirs) built otherwise than this run's"
                    + (differing.isEmpty ? "" : " (" + differing.joined(separator: "; ") + ")")
                    + ", so its weights do not fit (\(problems.count) difference\(problems.count == 1 ? "" : "s")):\n  "
                    + shown.joined(separator: "\n  ")
                    + (problems.count > shown.count ? "\n  … and \(problems.count - shown.count) more" : ""))
        }
        for pair in pairs {
            guard let saved = pair.saved else { continue }
            if let bad = saved.first(where: { !$0.value.values.allSatisfy(\.isFinite) }) {
                throw GANError(
                    "\(origin): the \(pair.role)'s \(Checkpoint.shown(bad.key)) holds NaN or infinite values (saved from a diverged run?)"
                )
            }
        }
        for pair in pairs {
            guard let saved = pair.saved else { continue }
            try pair.network.loadState(saved)
        }
    }

    /// The model options SOURCE records that differ from `model`'s, in words
    /// (`--width 16 in the file, 32 here`); empty where they agree or SOURCE records none.
    public func optionDifferences(from model: GANModel) -> [String] {
        guard let options else { return [] }
        // Each option by name, in words; an unset one is absent.
        func values(_ options: ModelOptions) -> [String: String] {
            var fields: [String: String] = [:]
            for child in Mirror(reflecting: options).children {
                guard let label = child.label else { continue }
                let value = Mirror(reflecting: child.value)
                fields[label] =
                    value.displayStyle == .optional
                    ? value.children.first.map { Checkpoint.shown("\($0.value)") } : Checkpoint.shown("\(child.value)")
            }
            return fields
        }
        let (saved, own) = (values(options), values(model.options))
        return Set(saved.keys).union(own.keys).sorted().compactMap { key -> String? in
            guard saved[key] != own[key] else { return nil }
            let flag = TrainOptions.all.first { $0.key == "options." + key }?.flag ?? key
            return "\(flag) \(saved[key] ?? "unset") in the file, \(own[key] ?? "unset") here"
        }
    }
}
