import ArgumentParser
import Benchmarks

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure speed; prints one JSON object. Build with -c release.",
        discussion: "OPENBLAS_NUM_THREADS sets BLAS threads. The machine's load matters: compare ratios measured back to back.",
        subcommands: [Engine.self, MLPGAN.self, CurveGAN.self, DCGAN.self, DCGAN64.self]
    )

    struct Engine: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "sgemm GFLOP/s on GAN-shaped products and one 784-512-256-1 discriminator step (batch 64)."
        )
        @Option(help: "Approximate seconds per measurement.") var seconds: Double = 1
        func run() throws { print(jsonLine(EngineBenchmark(seconds: seconds).run())) }
    }

    /// Options shared by the model benchmarks.
    struct ModelOptions: ParsableArguments {
        @Option(help: "Seconds to measure, after a warm-up.") var seconds: Double = 5
        @Option(help: "Batch size (default: the model's).") var batchSize: Int?

        func run(_ model: String) throws {
            print(jsonLine(try ModelBenchmark(model: model, batchSize: batchSize, seconds: seconds).run()))
        }
    }

    struct MLPGAN: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "mlp-gan", abstract: "Training steps per second of mlp-gan (one D and one G update per step).")
        @OptionGroup var options: ModelOptions
        func run() throws { try options.run("mlp-gan") }
    }

    struct DCGAN: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "dcgan", abstract: "Training steps per second of dcgan (batch 32).")
        @OptionGroup var options: ModelOptions
        func run() throws { try options.run("dcgan") }
    }

    struct DCGAN64: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "dcgan64", abstract: "Training steps per second of dcgan64 (64×64×3, width 32, batch 64).")
        @OptionGroup var options: ModelOptions
        func run() throws { try options.run("dcgan64") }
    }

    struct CurveGAN: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "curve-gan", abstract: "Training steps per second of curve-gan.")
        @OptionGroup var options: ModelOptions
        func run() throws { try options.run("curve-gan") }
    }
}
