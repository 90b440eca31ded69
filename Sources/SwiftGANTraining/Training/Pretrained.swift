import Foundation
import SwiftGANArtifacts

/// The trained models that ship with SwiftGAN, as package resources of this module: each is a
/// folder `Pretrained/<name>/` holding `generator.safetensors`, `discriminator.safetensors` (both
/// ``Checkpoint`` files, the model's name and options in their metadata) and `config.json`, the
/// configuration of the run that trained it. `swiftgan sample --pretrained NAME` (and
/// `interpolate`, `evaluate`, `export`) reads its generator; `swiftgan train --init-from NAME`
/// fine-tunes both networks (``InitialWeights``). The project README gives each model's command,
/// steps, training time and FID.
///
/// ```swift
/// let files = try Pretrained.files(named: "fashion-dcgan")
/// let (model, step, _) = try Checkpoint.loadGenerator(from: files.generator)
/// let grid = model.generate(model.noise(16, using: RandomGenerator(seed: 0)))
/// ```
public enum Pretrained {
    /// The shipped models: the name, and what it was trained as.
    public static let models: [(name: String, summary: String)] = [
        ("fashion-dcgan", "dcgan trained on Fashion-MNIST"),
        ("fashion-acgan", "acgan trained on Fashion-MNIST's ten classes"),
    ]

    /// The names `--pretrained` and `--init-from` take.
    public static let names: [String] = models.map { $0.name }

    /// The files of the shipped model `name`: its generator, and its discriminator and the
    /// configuration it was trained with where the build has them. Throws for a name SwiftGAN
    /// does not ship (the error lists the known ones), and for a model whose generator is
    /// missing from this build's resources.
    public static func files(named name: String) throws -> (generator: URL, discriminator: URL?, config: URL?) {
        guard names.contains(name) else {
            throw GANError(
                "unknown pretrained model '\(FormatError.printable(name, limit: 60))' (known: \(names.joined(separator: ", ")))"
            )
        }
        let folder = "Pretrained/" + name
        guard let generator = resource("generator", "safetensors", in: folder) else {
            throw GANError(
                "the pretrained model \(name) is missing from this build: SwiftGANTraining's resources have no "
                    + "\(folder)/generator.safetensors")
        }
        return (generator, resource("discriminator", "safetensors", in: folder), resource("config", "json", in: folder))
    }

    /// A file of this module's resources in a folder of them, or nil where the build has none.
    static func resource(_ name: String, _ ext: String, in folder: String) -> URL? {
        if let url = Bundle.module.url(forResource: name, withExtension: ext, subdirectory: folder) { return url }
        // The same file found by path, should a Foundation not search a nested subdirectory.
        guard let root = Bundle.module.resourceURL else { return nil }
        let url = root.appendingPathComponent(folder).appendingPathComponent(name + "." + ext)
        return FileManager.default.fileExists(atPath: url.path) ? url : nil
    }
}
