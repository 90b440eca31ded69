import ArgumentParser
import Foundation

@main
struct SwiftGAN: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "swiftgan",
        abstract: "Train and sample generative adversarial networks on a CPU.",
        discussion: """
            Start with:  swiftgan train            (mlp-gan on Fashion-MNIST, pictures in runs/mlp-gan)
                         swiftgan train --model curve-gan --steps 3000
            """,
        version: "swiftgan \(versionNumber)",
        subcommands: [
            Train.self, Sample.self, Interpolate.self, Export.self, Evaluate.self, Report.self, TrainEvaluator.self,
            Bench.self,
        ]
    )

    static let versionNumber = "0.1.0"

    static func main() {
        // A write past the file-size limit (ulimit -f) then fails with EFBIG, and is reported
        // like a full disk, naming the file, instead of killing the process.
        signal(SIGXFSZ, SIG_IGN)
        main(Array(CommandLine.arguments.dropFirst()))
    }
}
