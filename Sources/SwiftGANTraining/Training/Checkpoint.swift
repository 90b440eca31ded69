import Foundation
import SwiftGANArtifacts
import SwiftGANNN
import SwiftGANTensors

/// Saving and loading networks as safetensors files (readable by Python's `safetensors`), with
/// the model's identity in the metadata so a checkpoint rebuilds its own architecture and refuses
/// to load into another one.
///
/// Metadata keys: `format` = `swiftgan`, `version`, `model` (zoo name), `network`
/// (`generator` or `discriminator`), `options` (JSON of `ModelOptions`), `step`, and for models
/// trained on labelled data `classes` (JSON array of the class names, in label order).
public enum Checkpoint {
    public static let formatVersion = "1"

    public static func save(
        _ network: any Module, of model: GANModel, role: String, step: Int, classNames: [String]? = nil,
        to url: URL
    ) throws {
        // Sorted keys: the same model gives the same bytes in every process.
        let sortedEncoder = JSONEncoder()
        sortedEncoder.outputFormatting = .sortedKeys
        var metadata = [
            "format": "swiftgan", "version": formatVersion, "model": model.name, "network": role,
            "options": String(decoding: try sortedEncoder.encode(model.options), as: UTF8.self),
            "step": String(step),
        ]
        if let classNames {
            metadata["classes"] = String(decoding: try sortedEncoder.encode(classNames), as: UTF8.self)
        }
        try network.save(to: url, metadata: metadata)
    }

    /// A safetensors file's tensors and metadata, or an error that names the file.
    static func read(
        _ url: URL, what: String = "checkpoint"
    ) throws -> (tensors: [String: (shape: [Int], values: [Float])], metadata: [String: String]) {
        do {
            return try Safetensors.read(from: url)
        } catch {
            throw GANError("\(url.path): not a readable \(what) (\(error))")
        }
    }

    /// Loads a network saved by ``save(_:of:role:step:classNames:to:)`` into the same network of `model`,
    /// refusing a checkpoint of another model, another network, or another step than expected.
    public static func load(
        _ network: any Module, of model: GANModel, role: String, from url: URL, step expected: Int? = nil
    ) throws {
        let file = try read(url)
        let meta = file.metadata
        guard meta["format"] == "swiftgan", meta["model"] == model.name, meta["network"] == role else {
            throw GANError(
                "\(url.path) holds the \(shown(meta["network"] ?? "unknown network")) of \(shown(meta["model"] ?? "an unknown model")), not the \(role) of \(model.name)"
            )
        }
        if let expected, meta["step"] != String(expected) {
            throw GANError(
                "\(url.path) was saved at step \(shown(meta["step"] ?? "?")), the training state at step \(expected)")
        }
        // Checked in the file first: a refused checkpoint leaves the network as it was.
        if let bad = file.tensors.first(where: { !$0.value.values.allSatisfy(\.isFinite) }) {
            throw GANError("\(url.path): \(bad.key) holds NaN or infinite values (saved from a diverged run?)")
        }
        do { try network.loadState(file.tensors) } catch { throw GANError("\(url.path): \(error)") }
    }

    /// Refuses weights that are NaN or infinite: they would draw black pictures without a word.
    static func requireFinite(_ network: any Module, _ url: URL) throws {
        if let bad = network.namedState.first(where: { !$0.tensor.isFinite }) {
            throw GANError("\(url.path): \(bad.name) holds NaN or infinite values (saved from a diverged run?)")
        }
    }

    /// Rebuilds the model named in a generator checkpoint and loads the generator's weights.
    /// The discriminator is freshly initialized (it is not needed for sampling).
    public static func loadGenerator(from url: URL) throws -> (model: GANModel, step: Int, classNames: [String]?) {
        let loaded = try loadNetwork(from: url, expecting: "generator")
        return (loaded.model, loaded.step, loaded.classNames)
    }

    /// Rebuilds the model named in a checkpoint and loads the network the file holds (`role`:
    /// `generator` or `discriminator`) into it; the other network is freshly initialized.
    /// `expecting` refuses a file of the other network.
    public static func loadNetwork(
        from url: URL, expecting: String? = nil
    ) throws -> (model: GANModel, role: String, step: Int, classNames: [String]?) {
        let file = try read(url)
        let meta = file.metadata
        guard meta["format"] == "swiftgan", let zooName = meta["model"] else {
            throw GANError("\(url.path): a safetensors file, but not a SwiftGAN checkpoint (no swiftgan metadata)")
        }
        let name = shown(zooName), role = shown(meta["network"] ?? "unknown")
        if let expecting, role != expecting {
            throw GANError(
                "\(url.path) holds the \(role) of \(name), not its \(expecting); use \(expecting).safetensors")
        }
        guard role == "generator" || role == "discriminator" else {
            throw GANError("\(url.path): its metadata names the network '\(role)', neither generator nor discriminator")
        }
        let options: ModelOptions
        do {
            options =
                try meta["options"].map { try JSONDecoder().decode(ModelOptions.self, from: Data($0.utf8)) }
                ?? ModelOptions()
        } catch {
            throw GANError("\(url.path): the model options in its metadata are damaged (\(error))")
        }
        let model: GANModel
        do { model = try ModelZoo.make(zooName, options: options, rng: RandomGenerator(seed: 0)) } catch {
            throw GANError("\(url.path): \(error)")
        }
        let network = role == "generator" ? model.generator : model.discriminator
        do {
            try network.loadState(file.tensors)
        } catch {
            throw GANError("\(url.path): \(error)")
        }
        try requireFinite(network, url)
        let classNames = try meta["classes"].map { try self.classNames($0, of: model, in: url) }
        return (model, role, Int(meta["step"] ?? "") ?? 0, classNames)
    }

    /// The most class names a checkpoint may list.
    public static let maximumClassCount = 100_000

    /// The longest class name kept from a file's metadata: a name is a label in pictures and messages.
    public static let maximumClassNameLength = 40

    /// The class names of a checkpoint's metadata, one per class of the model, each made
    /// printable and cut to ``maximumClassNameLength`` (a file may hold anything there: escape
    /// sequences that retitle the terminal, or a 2 MB name that a picture would be drawn around).
    static func classNames(_ json: String, of model: GANModel, in url: URL) throws -> [String] {
        guard let names = try? JSONDecoder().decode([String].self, from: Data(json.utf8)) else {
            throw GANError("\(url.path): the class names in its metadata are damaged")
        }
        // An unconditional model keeps the names of the dataset it learned from, any number of them.
        guard model.classCount == 0 ? names.count <= maximumClassCount : names.count == model.classCount else {
            throw GANError(
                "\(url.path): its metadata names \(names.count) classes; its model, \(model.name), has \(model.classCount)"
            )
        }
        return names.map { FormatError.printable($0, limit: maximumClassNameLength) }
    }

    /// Text from a file's metadata, fit for a message.
    static func shown(_ text: String) -> String { FormatError.printable(text, limit: 60) }
}
