import ArgumentParser
import Benchmarks
import Foundation

@main
struct SwiftGAN: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "swiftgan",
        abstract: "Train and sample generative adversarial networks on a CPU.",
        subcommands: [Bench.self]
    )
}

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure speed; prints one JSON object.",
        subcommands: [Engine.self]
    )

    struct Engine: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "sgemm GFLOP/s on GAN-shaped products and one 784-512-256-1 discriminator step (batch 64).",
            discussion: "Build with -c release for meaningful numbers. OPENBLAS_NUM_THREADS sets BLAS threads."
        )

        @Option(help: "Approximate seconds to spend per measurement.")
        var seconds: Double = 1

        func run() throws {
            print(jsonLine(EngineBenchmark(seconds: seconds).run()))
        }
    }
}
