import Artifacts
import Datasets
import Foundation
import NN
import Tensors

/// The part of a run's state that is not in the network checkpoints: both optimizers' moments and
/// step counts, the random generator, the batch sampler and the clock. Saved beside the
/// checkpoints as `training-state.safetensors`, so `swiftgan train --resume DIR` continues a run
/// exactly where its last sample point left it: the resumed run draws the same batches, noise and
/// dropout masks as an uninterrupted one.
extension TrainingRun {
    static let stateFile = "training-state.safetensors"

    func saveState(step n: Int) throws {
        var tensors: [(name: String, shape: [Int], values: [Float])] = []
        for (prefix, optimizer) in [("discriminator", step.discriminatorOptimizer), ("generator", step.generatorOptimizer)] {
            tensors += optimizer.state.map { (name: "\(prefix).\($0.name)", shape: $0.tensor.shape, values: $0.tensor.scalars) }
        }
        var metadata = [
            "format": "swiftgan-training-state", "version": Checkpoint.formatVersion, "model": model.name, "step": String(n),
            "rng": rng.state.map(String.init).joined(separator: ","),
            "seconds": String(history.last?.seconds ?? 0),
        ]
        if let sampler = sampler {
            // Indices below 2²⁴ are exact in Float32; datasets are far smaller.
            if !sampler.order.isEmpty {
                tensors.append((name: "sampler.order", shape: [sampler.order.count], values: sampler.order.map(Float.init)))
            }
            metadata["sampler.position"] = String(sampler.position)
            metadata["sampler.epoch"] = String(sampler.epoch)
        }
        try AtomicFile.write(try Safetensors.encode(tensors, metadata: metadata), to: folder.appendingPathComponent(Self.stateFile))
    }

    /// Loads the networks, optimizers, generator, sampler, history and sample frames saved in the
    /// run folder; returns the step they were saved at.
    func restoreState() throws -> Int {
        let url = folder.appendingPathComponent(Self.stateFile)
        let file: (tensors: [String: (shape: [Int], values: [Float])], metadata: [String: String])
        do {
            file = try Checkpoint.read(url, what: "training state")
        } catch {
            throw GANError("cannot resume from \(folder.path): \(error)")
        }
        let meta = file.metadata
        guard meta["format"] == "swiftgan-training-state", meta["model"] == model.name, let saved = Int(meta["step"] ?? "") else {
            throw GANError("\(url.path) is not the training state of a \(model.name) run")
        }
        let words = (meta["rng"] ?? "").split(separator: ",").compactMap { UInt64($0) }
        guard words.count == 4 else { throw GANError("\(url.path): the random generator's state is missing") }
        try Checkpoint.load(model.generator, of: model, role: "generator", from: folder.appendingPathComponent("generator.safetensors"), step: saved)
        try Checkpoint.load(model.discriminator, of: model, role: "discriminator", from: folder.appendingPathComponent("discriminator.safetensors"), step: saved)
        for (prefix, optimizer) in [("discriminator", step.discriminatorOptimizer), ("generator", step.generatorOptimizer)] {
            var slots: [String: Tensor] = [:]
            for (name, value) in file.tensors where name.hasPrefix(prefix + ".") {
                slots[String(name.dropFirst(prefix.count + 1))] = Tensor(value.values, shape: value.shape)
            }
            do { try optimizer.load(state: slots) } catch { throw GANError("\(url.path): \(prefix) optimizer: \(error)") }
        }
        rng.state = words
        if let position = Int(meta["sampler.position"] ?? ""), let epoch = Int(meta["sampler.epoch"] ?? "") {
            sampler = BatchSampler.State(order: file.tensors["sampler.order"]?.values.map { Int($0) } ?? [], position: position, epoch: epoch)
        }
        history = try Self.readHistory(folder.appendingPathComponent("history.csv")).filter { $0.step <= saved }
        frames = try (0...saved).filter { $0 == 0 || $0 % config.sampleEvery == 0 || $0 == saved }.compactMap { n in
            let png = folder.appendingPathComponent("samples").appendingPathComponent(String(format: "step-%06d.png", n))
            return FileManager.default.fileExists(atPath: png.path) ? try PNG.read(from: png) : nil
        }
        return saved
    }

    static func readHistory(_ url: URL) throws -> [HistoryRow] {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return [] }
        return try text.split(separator: "\n").dropFirst().map { line in
            let f = line.split(separator: ",").map(String.init)
            guard f.count == 7, let step = Int(f[0]), let epoch = Int(f[1]), let values = Optional(f[2...5].compactMap(Float.init)),
                  values.count == 4, let seconds = Double(f[6]) else {
                throw GANError("\(url.path): unreadable history line '\(line)'")
            }
            return HistoryRow(step: step, epoch: epoch,
                              metrics: StepMetrics(discriminatorLoss: values[0], discriminatorAccuracy: values[1],
                                                   generatorLoss: values[2], generatorAccuracy: values[3]),
                              seconds: seconds)
        }
    }
}
