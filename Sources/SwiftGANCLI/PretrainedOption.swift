import ArgumentParser
import SwiftGANTraining

/// `--checkpoint FILE` or `--pretrained NAME`, exactly one: where `sample`, `interpolate`,
/// `evaluate` and `export` read a network. A pretrained name stands for the generator that ships
/// under it (``Pretrained``).
enum PretrainedOption {
    static let help = ArgumentHelp(
        "A generator that ships with SwiftGAN, instead of --checkpoint: \(Pretrained.names.joined(separator: ", ")).")

    /// The checkpoint file to read: `--checkpoint`'s, or the generator of `--pretrained`'s model.
    static func checkpoint(_ checkpoint: String?, pretrained: String?) throws -> String {
        switch (checkpoint, pretrained) {
        case (let file?, nil): return file
        case (nil, let name?):
            do { return try Pretrained.files(named: name).generator.path } catch {
                throw ValidationError("--pretrained: \(error)")
            }
        case (nil, nil): throw ValidationError("give --checkpoint FILE or --pretrained NAME")
        default: throw ValidationError("give --checkpoint FILE or --pretrained NAME, not both")
        }
    }
}
