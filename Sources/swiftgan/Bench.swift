import ArgumentParser
import Benchmarks

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure speed; prints one JSON object. Build with -c release.",
        discussion: "OPENBLAS_NUM_THREADS sets BLAS threads. The machine's load matters: compare ratios measured back to back.",
        subcommands: [Engine.self, MLPGAN.self, CurveGAN.self]
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
        @Option(help: "Batch size.") var batchSize: Int = 64

        func run(_ model: String) throws {
            print(jsonLine(try ModelBenchmark(model: model, batchSize: batchSize, seconds: seconds).run()))
        }
    }

    struct MLPGAN: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "mlp-gan", abstract: "Training steps per second of mlp-gan (one D and one G update per step).")
        @OptionGroup var options: ModelOptions
        func run() throws { try options.run("mlp-gan") }
    }

    struct CurveGAN: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "curve-gan", abstract: "Training steps per second of curve-gan.")
        @OptionGroup var options: ModelOptions
        func run() throws { try options.run("curve-gan") }
    }
}
