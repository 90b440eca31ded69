import ArgumentParser
import Foundation
import SwiftGANArtifacts
import SwiftGANDatasets
import SwiftGANTraining

struct TrainEvaluator: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train-evaluator",
        abstract: "Train the classifier whose features the quality metrics (FID, KID, precision/recall) use.",
        discussion: """
            SwiftGAN ships the evaluator it trained for Fashion-MNIST; this command reproduces it (or trains one for \
            MNIST) from the dataset's training split and records its test accuracy in the file.
            """
    )

    @Option(help: "fashion-mnist or mnist.") var dataset = "fashion-mnist"
    @Option(help: "Folder holding the dataset's files (skips the cache, system and download).") var dataDir: String?
    @Option(help: "Passes over the training split.") var epochs = 3
    @Option(help: "Seed for initialization, data order, shifts and dropout.") var seed: UInt64 = 0
    @Option(help: "Where to write the weights (safetensors).") var out: String

    func validate() throws {
        guard (1...1000).contains(epochs) else { throw ValidationError("--epochs must be in 1...1000, got \(epochs)") }
        if let problem = OutputFile.problem(with: out, option: "--out", extension: "safetensors", inputs: []) {
            throw ValidationError(problem)
        }
    }

    func run() throws {
        try OneProcess.require("train-evaluator")
        StopCleanly.install()
        let log: (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
        var locator = DatasetLocator(explicitFolder: dataDir.map { URL(fileURLWithPath: $0) })
        locator.log = log
        let spec = try DatasetSpec.named(dataset)
        let train = try locator.load(spec, train: true).dataset, test = try locator.load(spec, train: false).dataset
        log("training the \(dataset) evaluator: \(train.count) training images, \(epochs) epochs, seed \(seed)")
        let (evaluator, accuracy) = Evaluator.train(on: train, test: test, epochs: epochs, seed: seed, log: log)
        let command = "swiftgan train-evaluator --dataset \(dataset) --epochs \(epochs) --seed \(seed) --out FILE"
        try evaluator.save(to: URL(fileURLWithPath: out), dataset: dataset, testAccuracy: accuracy, command: command)
        print(String(format: "wrote %@ (test accuracy %.4f on %d images)", out, accuracy, test.count))
    }
}
