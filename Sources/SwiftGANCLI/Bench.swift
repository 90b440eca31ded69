import ArgumentParser
import SwiftGANArtifacts
import SwiftGANBenchmarks
import SwiftGANTraining

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure speed; prints one JSON object. Build with -c release.",
        discussion:
            "OPENBLAS_NUM_THREADS sets BLAS threads. The machine's load matters: compare ratios measured back to back.",
        subcommands: [Engine.self, Model.self],
        defaultSubcommand: Model.self
    )

    /// A measurement's length: long enough to mean something, short enough to end the same day.
    static func check(seconds: Double) throws {
        guard (0.01...3600).contains(seconds) else {
            throw ValidationError("--seconds must be in 0.01...3600, got \(seconds)")
        }
    }

    struct Engine: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "sgemm GFLOP/s on GAN-shaped products and one 784-512-256-1 discriminator step (batch 64)."
        )
        @Option(help: "Approximate seconds per measurement.") var seconds: Double = 1
        func validate() throws { try Bench.check(seconds: seconds) }
        func run() throws { print(jsonLine(EngineBenchmark(seconds: seconds).run())) }
    }

    /// `swiftgan bench dcgan`: the default subcommand, so a model name follows `bench` directly.
    struct Model: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "model",
            abstract:
                "Training steps per second of a zoo model: one D and one G update per step at the model's batch size.",
            discussion:
                "Models: \(ModelZoo.names.joined(separator: ", ")) (cgan: mlp body; dcgan64: 64×64×3, width 32)."
        )
        @Argument(help: "The zoo model to measure.") var name: String
        @Option(help: "Seconds to measure, after a warm-up.") var seconds: Double = 5
        @Option(help: "Batch size (default: the model's).") var batchSize: Int?

        func validate() throws {
            guard ModelZoo.names.contains(name) else {
                throw ValidationError(
                    "unknown model '\(FormatError.printable(name))' (known: \(ModelZoo.names.joined(separator: ", ")))")
            }
            try Bench.check(seconds: seconds)
            if let batchSize, !(2...TrainPlan.maximumBatchSize).contains(batchSize) {
                throw ValidationError("--batch-size must be in 2...\(TrainPlan.maximumBatchSize), got \(batchSize)")
            }
        }

        func run() throws {
            print(jsonLine(try ModelBenchmark(model: name, batchSize: batchSize, seconds: seconds).run()))
        }
    }
}
