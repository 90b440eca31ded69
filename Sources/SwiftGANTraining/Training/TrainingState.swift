import Foundation
import SwiftGANArtifacts
import SwiftGANDatasets
import SwiftGANNN
import SwiftGANTensors

/// The whole training state in one file, `training-state.safetensors`: both networks (weights and
/// BatchNorm statistics), both optimizers' moments and step counts, the random generator, the batch
/// sampler and the clock, and what the recipe's tricks keep (G's moving average, LeCam's averages
/// of D's outputs, ADA's probability and sign counts). It is written last at every sample point,
/// atomically, so whatever interrupts a save, the file describes one consistent step;
/// `swiftgan train --resume DIR` continues from it and draws the same batches, noise and dropout
/// masks as an uninterrupted run.
/// (`generator.safetensors` and `discriminator.safetensors` are the exports for sampling.)
extension TrainingRun {
    func saveState(step n: Int) throws {
        try AtomicFile.write(try stateData(step: n), to: folder.state)
    }

    /// The training state at step `n` as `training-state.safetensors` holds it (what rank 0 sends
    /// the other ranks of a data-parallel run, too).
    func stateData(step n: Int) throws -> Data {
        var tensors: [(name: String, shape: [Int], values: [Float])] = []
        for (prefix, network) in [("discriminator", model.discriminator), ("generator", model.generator)] {
            tensors += network.namedState.map {
                (name: "\(prefix).\($0.name)", shape: $0.tensor.shape, values: $0.tensor.scalars)
            }
        }
        for (prefix, optimizer) in [
            ("discriminator_optimizer", step.discriminatorOptimizer), ("generator_optimizer", step.generatorOptimizer),
        ] {
            tensors += optimizer.state.map {
                (name: "\(prefix).\($0.name)", shape: $0.tensor.shape, values: $0.tensor.scalars)
            }
        }
        if let average = step.generatorAverage {
            tensors += average.averages.enumerated().map {
                (name: "generator_average.\($0.offset)", shape: $0.element.shape, values: $0.element.scalars)
            }
        }
        var metadata = [
            "format": "swiftgan-training-state", "version": Checkpoint.formatVersion, "model": model.name,
            "step": String(n),
            "rng": rng.state.map(String.init).joined(separator: ","),
            "seconds": String(history.last?.seconds ?? 0),
            "config_sha256": configDigest,
        ]
        for (key, value) in kernelSetting { metadata[key] = value }
        if let average = step.generatorAverage { metadata["generator_average.updates"] = String(average.updates) }
        // Scalars as text: a Float's description reads back to the same bits.
        if let lecam = step.lecam {
            metadata["lecam.real_average"] = String(lecam.realAverage)
            metadata["lecam.fake_average"] = String(lecam.fakeAverage)
            metadata["lecam.updates"] = String(lecam.updates)
        }
        if let ada = step.adaptiveAugment {
            metadata["ada.probability"] = String(ada.probability)
            if let r = ada.signMean { metadata["ada.sign_mean"] = String(r) }
            metadata["ada.sign_sum"] = String(ada.signSum)
            metadata["ada.images"] = String(ada.images)
            metadata["ada.updates"] = String(ada.updates)
        }
        if let sampler = sampler {
            // Indices below 2²⁴ are exact in Float32; datasets are far smaller.
            if !sampler.order.isEmpty {
                tensors.append(
                    (name: "sampler.order", shape: [sampler.order.count], values: sampler.order.map(Float.init)))
            }
            metadata["sampler.position"] = String(sampler.position)
            metadata["sampler.epoch"] = String(sampler.epoch)
        }
        return try Safetensors.encode(tensors, metadata: metadata)
    }

    /// What decides the bits of a step: the worker count, the backends and the precision (the order
    /// and rounding of the kernels' sums), how dropout masks are drawn and how tanh is computed. The state records them,
    /// and a resume under others says it is no longer byte-identical (`taskset -c 0` on a 2-core
    /// machine halves the workers).
    var kernelSetting: [String: String] {
        [
            "kernels.workers": String(Parallel.workers),
            "kernels.convolution": ConvolutionBackend.current.rawValue,
            "kernels.winograd": ConvolutionBackend.usesWinograd ? ConvolutionBackend.winogradVariant : "off",
            "kernels.matrix_product": MatrixProductBackend.current.rawValue,
            "kernels.precision": config.precision ?? Precision.fp32.rawValue,
            "kernels.dropout": "keyed-hash",
            "kernels.tanh": "expm1",
        ]
    }

    /// What a state saved before a setting was recorded ran with.
    static let settingBeforeItWasRecorded = [
        "kernels.winograd": "off", "kernels.precision": Precision.fp32.rawValue, "kernels.dropout": "sequential",
        "kernels.tanh": "libm",
    ]

    /// Loads the networks, optimizers, generator, sampler, history and sample frames saved in the
    /// run folder; returns the step they were saved at.
    func restoreState() throws -> Int {
        let url = folder.state
        let file: (tensors: [String: (shape: [Int], values: [Float])], metadata: [String: String])
        do {
            file = try Checkpoint.read(url, what: "training state")
        } catch {
            throw GANError("cannot resume from \(folder.path): \(error)")
        }
        let meta = file.metadata
        guard meta["format"] == "swiftgan-training-state", meta["model"] == model.name,
            let saved = Int(meta["step"] ?? "")
        else {
            throw GANError("\(url.path) is not the training state of a \(model.name) run")
        }
        // A state names the config.json it was saved with (states from before that name none).
        if let expected = meta["config_sha256"], !expected.isEmpty {
            let written = try? TrainConfig.load(folder.config).digest()
            guard written == expected else {
                throw GANError(
                    "\(folder.config.path) is not the configuration \(url.lastPathComponent) was saved with "
                        + "(it was replaced or edited); put the run's own config.json back, or start a new run")
            }
            try requireSavedConfiguration()
        }
        let savedSetting = { (key: String) in meta[key] ?? Self.settingBeforeItWasRecorded[key] }
        let changed = kernelSetting.filter { key, now in savedSetting(key).map { $0 != now } ?? false }
        if !changed.isEmpty {
            let what = changed.sorted { $0.key < $1.key }.map { key, now in
                "\(key) \(Checkpoint.shown(savedSetting(key) ?? "")) → \(now)"
            }
            log(
                "note: this run was saved with other kernel settings (\(what.joined(separator: ", "))); it resumes "
                    + "correctly, but its sums run in another order (or its masks are drawn otherwise), so it is no "
                    + "longer byte-identical to an uninterrupted run"
            )
        }
        try applyState(file, source: url.path)
        let historyFile = folder.history
        guard FileManager.default.fileExists(atPath: historyFile.path) else {
            throw GANError("cannot resume: \(historyFile.path) is missing")
        }
        history = try History.read(historyFile).filter { $0.step <= saved }
        guard history.last?.step == saved else {
            throw GANError(
                "\(historyFile.path) ends at step \(history.last?.step ?? 0), the training state at step \(saved)")
        }
        return saved
    }

    /// Loads the networks, optimizers, generator, sampler and the recipe's tricks from a training
    /// state (a file's, or the one rank 0 sent); `source` names it in errors. Returns its step.
    @discardableResult
    func applyState(
        _ file: (tensors: [String: (shape: [Int], values: [Float])], metadata: [String: String]), source: String
    ) throws -> Int {
        let meta = file.metadata
        guard meta["format"] == "swiftgan-training-state", meta["model"] == model.name,
            let saved = Int(meta["step"] ?? "")
        else {
            throw GANError("\(source) is not the training state of a \(model.name) run")
        }
        let words = (meta["rng"] ?? "").split(separator: ",").compactMap { UInt64($0) }
        guard words.count == 4, words.contains(where: { $0 != 0 }) else {
            throw GANError("\(source): the random generator's state is missing or damaged")
        }
        func entries(_ prefix: String) -> [String: (shape: [Int], values: [Float])] {
            Dictionary(
                uniqueKeysWithValues: file.tensors.filter { $0.key.hasPrefix(prefix + ".") }.map {
                    (String($0.key.dropFirst(prefix.count + 1)), $0.value)
                })
        }
        for (prefix, network) in [("discriminator", model.discriminator), ("generator", model.generator)] {
            do { try network.loadState(entries(prefix)) } catch { throw GANError("\(source): \(prefix): \(error)") }
        }
        for (prefix, optimizer) in [
            ("discriminator_optimizer", step.discriminatorOptimizer), ("generator_optimizer", step.generatorOptimizer),
        ] {
            let slots = entries(prefix).mapValues { Tensor($0.values, shape: $0.shape) }
            guard slots["step"].map({ $0.count == 1 && $0.scalars[0].isFinite && $0.scalars[0] >= 0 }) ?? false else {
                throw GANError("\(source): \(prefix) step count is missing or damaged")
            }
            do { try optimizer.load(state: slots) } catch { throw GANError("\(source): \(prefix): \(error)") }
        }
        if let average = step.generatorAverage {
            let saved = (0..<average.averages.count).compactMap { i in
                file.tensors["generator_average.\(i)"].map { Tensor($0.values, shape: $0.shape) }
            }
            guard let updates = Int(meta["generator_average.updates"] ?? "") else {
                throw GANError(
                    "\(source) holds no moving average of the generator's weights (was the run started without --ema?)"
                )
            }
            do { try average.load(averages: saved, updates: updates) } catch { throw GANError("\(source): \(error)") }
        }
        if let lecam = step.lecam {
            guard let real = Float(meta["lecam.real_average"] ?? ""),
                let fake = Float(meta["lecam.fake_average"] ?? ""),
                let updates = Int(meta["lecam.updates"] ?? "")
            else {
                throw GANError(
                    "\(source) holds no LeCam averages of D's outputs (was the run started without --lecam?)")
            }
            do { try lecam.load(realAverage: real, fakeAverage: fake, updates: updates) } catch {
                throw GANError("\(source): \(error)")
            }
        }
        if let ada = step.adaptiveAugment {
            guard let p = Float(meta["ada.probability"] ?? ""), let signSum = Int(meta["ada.sign_sum"] ?? ""),
                let images = Int(meta["ada.images"] ?? ""), let updates = Int(meta["ada.updates"] ?? "")
            else {
                throw GANError(
                    "\(source) holds no ADA augmentation probability (was the run started without --ada?)")
            }
            let signMean = meta["ada.sign_mean"].map { Float($0) ?? .nan }
            do {
                try ada.load(probability: p, signMean: signMean, signSum: signSum, images: images, updates: updates)
            } catch { throw GANError("\(source): \(error)") }
        }
        if let position = Int(meta["sampler.position"] ?? ""), let epoch = Int(meta["sampler.epoch"] ?? ""),
            case .images(let dataset, let current) = data
        {
            // Checked as floats first: a damaged file may hold NaN or 1e30, which no Int can be.
            let saved = file.tensors["sampler.order"]?.values ?? []
            let order =
                saved.allSatisfy({ $0 >= 0 && $0 < Float(dataset.count) && $0 == $0.rounded() })
                ? saved.map { Int($0) } : [-1]
            // Epochs: a position in the shuffled order. Random batches: the batch count within the "epoch".
            let limit = current.mode == .epochs ? order.count : current.batchesPerEpoch
            guard order.allSatisfy({ (0..<dataset.count).contains($0) }), position >= 0, position <= limit else {
                throw GANError(
                    "\(source): the saved data order does not fit the \(dataset.count) examples found now (did the data change?)"
                )
            }
            sampler = BatchSampler.State(order: order, position: position, epoch: epoch)
        }
        rng.state = words
        return saved
    }
}

/// `training-state.safetensors` at every sample point, after everything else is saved.
final class StateRecorder: TrainingObserver {
    func save(_ run: TrainingRun, step: Int) throws { try run.saveState(step: step) }
}
