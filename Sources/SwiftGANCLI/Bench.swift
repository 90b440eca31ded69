import ArgumentParser
import SwiftGANArtifacts
import SwiftGANBenchmarks
import SwiftGANTensors
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
        func run() throws {
            try OneProcess.require("bench engine")
            print(jsonLine(EngineBenchmark(seconds: seconds).run()))
        }
    }

    /// `swiftgan bench dcgan`: the default subcommand, so a model name follows `bench` directly.
    struct Model: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "model",
            abstract:
                "Training steps per second of a zoo model: one D and one G update per step at the model's batch size.",
            discussion:
                "Models: \(ModelZoo.names.joined(separator: ", ")) (cgan: mlp body; dcgan64: 64×64×3, width 32; "
                + "sngan: conditional on 10 classes). Each trains with its default recipe, as `swiftgan train` "
                + "does (sngan, resnet-gan: hinge-sn, spectral norm in D), one D and one G update a step."
        )
        @Argument(help: "The zoo model to measure.") var name: String
        @Option(help: "Seconds to measure, after a warm-up.") var seconds: Double = 5
        @Option(help: "Batch size (default: the model's).") var batchSize: Int?
        @Option(help: "A recipe of `swiftgan train` (default: the model's; tutorial: its source's settings).")
        var recipe: String?
        @Option(
            help: ArgumentHelp(
                "fp32, or bf16: convolutions and matrix products multiply bf16 with fp32 accumulation (needs oneDNN and a CPU with AVX512_BF16 or AMX). Default: bf16 where the CPU has it, else fp32, as `swiftgan train`.",
                valueName: "fp32|bf16"))
        var precision: String?

        func validate() throws {
            if let precision, Precision(rawValue: precision) == nil {
                throw ValidationError("--precision must be fp32 or bf16, got '\(FormatError.printable(precision))'")
            }
            guard ModelZoo.names.contains(name) else {
                throw ValidationError(
                    "unknown model '\(FormatError.printable(name))' (known: \(ModelZoo.names.joined(separator: ", ")))")
            }
            try Bench.check(seconds: seconds)
            if let batchSize, !(2...TrainPlan.maximumBatchSize).contains(batchSize) {
                throw ValidationError("--batch-size must be in 2...\(TrainPlan.maximumBatchSize), got \(batchSize)")
            }
            if let recipe, !Recipes.names.contains(recipe) {
                let known = Recipes.names.joined(separator: ", ")
                throw ValidationError("unknown recipe '\(FormatError.printable(recipe))' (known: \(known))")
            }
        }

        func run() throws {
            try OneProcess.require("bench model")
            let benchmark = ModelBenchmark(
                model: name, recipe: recipe, batchSize: batchSize, seconds: seconds,
                precision: precision.flatMap(Precision.init(rawValue:)) ?? .preferred)
            print(jsonLine(try benchmark.run()))  // bf16 where it cannot run: its reason, exit 1
        }
    }
}
