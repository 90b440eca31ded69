import Foundation
import SwiftGANArtifacts
import SwiftGANDatasets
import SwiftGANNN
import SwiftGANTensors

/// The classifier whose feature space SwiftGAN's quality metrics are measured in: a small CNN
/// trained by SwiftGAN on a dataset's training split (Inception-v3, the network behind the usual
/// FID, was trained on 299×299 colour photographs and says little about 28×28 grayscale images).
///
///     x (28×28×1, in [0, 1]) → Conv 32, 3×3, same → ReLU
///       → Conv 64, 3×3, stride 2, same → ReLU        (14×14)
///       → Conv 64, 3×3, stride 2, same → ReLU        (7×7)
///       → Flatten → Dense 128 → ReLU                  ← features: 128 numbers per image
///       → Dropout(0.3) → Dense 10                      (class logits)
///
/// He-uniform kernels (ReLU network), zero biases. Trained with Adam(1e-3), batch 128,
/// categorical cross-entropy, each image shifted by up to 2 pixels at random.
///
/// ```swift
/// let evaluator = try Evaluator.shipped(for: "fashion-mnist")
/// let f = evaluator.features(images)          // [n, 128]
/// let p = evaluator.probabilities(images)     // [n, 10]
/// ```
public final class Evaluator: UnaryLayer {
    public let body: Sequential
    public let head: Sequential
    public static let featureSize = 128

    public init(classes: Int = 10, rng: RandomGenerator) {
        let he = Initializer.heUniform
        body = Sequential([
            Conv2D(1, 32, kernelSize: 3, padding: .same, kernelInitializer: he, rng: rng), ReLU(),
            Conv2D(32, 64, kernelSize: 3, stride: 2, padding: .same, kernelInitializer: he, rng: rng), ReLU(),
            Conv2D(64, 64, kernelSize: 3, stride: 2, padding: .same, kernelInitializer: he, rng: rng), ReLU(),
            Flatten(), Dense(7 * 7 * 64, Self.featureSize, weightInitializer: he, rng: rng), ReLU(),
        ])
        head = Sequential([Dropout(rate: 0.3, rng: rng), Dense(Self.featureSize, classes, rng: rng)])
    }

    public var classCount: Int { (head.layers[1] as! Dense).weight.shape[1] }

    public func callAsFunction(_ images: Tensor) -> Tensor { head(body(images)) }
    public var children: [(name: String, module: any Module)] { [("body", body), ("head", head)] }

    /// Penultimate features of images in [0, 1], [n, 28, 28, 1] → [n, 128], in inference mode,
    /// in chunks (bounded memory for any n).
    public func features(_ images: Tensor) -> Tensor { inference(images) { self.body($0) } }

    /// Class probabilities, [n, classes].
    public func probabilities(_ images: Tensor) -> Tensor { inference(images) { self($0).softmax(alongAxis: 1) } }

    /// Features and probabilities: the head runs on the features already computed.
    public func featuresAndProbabilities(_ images: Tensor) -> (features: Tensor, probabilities: Tensor) {
        let f = features(images)
        eval()
        defer { train() }
        return (f, Precision.inFP32 { withoutGrad { head(f).softmax(alongAxis: 1) } })
    }

    private func inference(_ images: Tensor, chunk: Int = 500, _ f: (Tensor) -> Tensor) -> Tensor {
        require(
            images.rank == 4 && Array(images.shape.dropFirst()) == [28, 28, 1],
            "SwiftGAN shape error: the evaluator takes [n, 28, 28, 1] images, got \(describe(images.shape))")
        eval()
        defer { train() }
        // In fp32 whatever the training run multiplies in (`--precision`): numbers compare across runs.
        return Precision.inFP32 {
            withoutGrad {
                let n = images.shape[0]
                let parts = stride(from: 0, to: n, by: chunk).map {
                    f(images.slice(alongAxis: 0, $0..<Swift.min(n, $0 + chunk)))
                }
                return parts.count == 1 ? parts[0] : Tensor.concatenate(parts, alongAxis: 0)
            }
        }
    }

}

// MARK: - Training

extension Evaluator {
    /// Trains a fresh evaluator on `train` for `epochs`, reporting after each epoch; returns it
    /// with its accuracy on `test`.
    public static func train(
        on train: ImageDataset, test: ImageDataset, epochs: Int, batchSize: Int = 128, seed: UInt64,
        log: (String) -> Void = { _ in }
    ) -> (evaluator: Evaluator, testAccuracy: Double) {
        let rng = RandomGenerator(seed: seed)
        let evaluator = Evaluator(classes: train.classNames.count, rng: rng)
        let optimizer = Adam(parameters: evaluator.parameters, learningRate: 1e-3)
        var sampler = BatchSampler(count: train.count, batchSize: batchSize, mode: .epochs, rng: rng)
        var accuracy = 0.0
        for epoch in 1...epochs {
            var seen = 0, loss = 0.0
            // The sampler counts an epoch as begun when its first batch is drawn, so each pass
            // here ends one batch into the next epoch (469 + 468 + 468 batches for 3 epochs of
            // Fashion-MNIST at 128); the shipped evaluator was trained this way.
            while sampler.epoch < epoch {
                let indices = sampler.next()
                let images = shifted(train.batch(indices, range: 0...1), by: 2, rng: rng)
                let targets = oneHot(indices.map { train.labels[$0] }, classes: evaluator.classCount)
                let l = categoricalCrossEntropy(logits: evaluator(images), targets: targets)
                optimizer.step(gradients(of: l, withRespectTo: optimizer.parameters))
                loss += Double(l.scalar)
                seen += 1
            }
            accuracy = evaluator.accuracy(on: test)
            log(
                String(
                    format: "epoch %d: training loss %.4f, test accuracy %.4f", epoch, loss / Double(max(seen, 1)),
                    accuracy))
        }
        return (evaluator, accuracy)
    }

    /// Share of `data` (or its first `limit` images) classified correctly.
    public func accuracy(on data: ImageDataset, limit: Int? = nil) -> Double {
        let n = Swift.min(limit ?? data.count, data.count)
        let p = probabilities(data.batch(Array(0..<n), range: 0...1))
        // The labels come from a validated dataset with the evaluator's classes.
        return try! conditionalAccuracy(probabilities: p, labels: Array(data.labels.prefix(n)))
    }

    /// Each image moved by up to `maxShift` pixels in x and y (uniform), empty space filled with 0.
    static func shifted(_ images: Tensor, by maxShift: Int, rng: RandomGenerator) -> Tensor {
        let (n, h, w) = (images.shape[0], images.shape[1], images.shape[2])
        let out = Tensor.zeros(images.shape)
        for i in 0..<n {
            let dy = rng.integer(below: 2 * maxShift + 1) - maxShift,
                dx = rng.integer(below: 2 * maxShift + 1) - maxShift
            let src = images.data + i * h * w, dst = out.data + i * h * w
            for y in Swift.max(0, dy)..<Swift.min(h, h + dy) {
                for x in Swift.max(0, dx)..<Swift.min(w, w + dx) { dst[y * w + x] = src[(y - dy) * w + (x - dx)] }
            }
        }
        return out
    }
}

// MARK: - Files

extension Evaluator {
    /// The most classes an evaluator file may name: its head is `featureSize` × classes weights,
    /// and a count from the file's metadata must not decide an allocation unchecked.
    public static let maxClasses = 10_000

    /// Saves the weights with what they are: dataset, test accuracy, and the command that made them.
    public func save(to url: URL, dataset: String, testAccuracy: Double, command: String) throws {
        try AtomicFile.write(try encoded(dataset: dataset, testAccuracy: testAccuracy, command: command), to: url)
    }

    /// The bytes ``save(to:dataset:testAccuracy:command:)`` writes: a safetensors file whose
    /// metadata says `format` = `swiftgan-evaluator`, `dataset`, `test_accuracy`, `classes` and `command`.
    public func encoded(dataset: String, testAccuracy: Double, command: String) throws -> Data {
        let tensors = namedState.map { (name: $0.name, shape: $0.tensor.shape, values: $0.tensor.scalars) }
        let metadata = [
            "format": "swiftgan-evaluator", "dataset": dataset, "test_accuracy": String(format: "%.4f", testAccuracy),
            "classes": String(classCount), "command": command,
        ]
        return try Safetensors.encode(tensors, metadata: metadata)
    }

    /// Loads weights saved by ``save(to:dataset:testAccuracy:command:)``.
    public static func load(from url: URL) throws -> (evaluator: Evaluator, dataset: String, testAccuracy: Double) {
        try make(from: try Checkpoint.read(url, what: "evaluator"), name: url.path)
    }

    /// An evaluator from a file's bytes, as ``load(from:)`` reads it (and the `evaluator` fuzz
    /// target); `name` appears in errors.
    public static func decode(
        _ data: Data, name: String
    ) throws -> (evaluator: Evaluator, dataset: String, testAccuracy: Double) {
        let file: (tensors: [String: (shape: [Int], values: [Float])], metadata: [String: String])
        do { file = try Safetensors.decode(data) } catch {
            throw GANError("\(name): not a readable evaluator (\(error))")
        }
        return try make(from: file, name: name)
    }

    /// Checks the metadata against bounds, and the class count against the head's weights in the
    /// file, before building anything: the count sizes an allocation, so it is never taken on trust.
    static func make(
        from file: (tensors: [String: (shape: [Int], values: [Float])], metadata: [String: String]), name: String
    ) throws -> (evaluator: Evaluator, dataset: String, testAccuracy: Double) {
        let meta = file.metadata
        guard meta["format"] == "swiftgan-evaluator", let dataset = meta["dataset"] else {
            throw GANError("\(name) is not a SwiftGAN evaluator")
        }
        // The dataset's name reaches messages ("the evaluator of X, not Y"): a short printable name only.
        guard !dataset.isEmpty, FormatError.printable(dataset, limit: 64) == dataset else {
            throw GANError(
                "\(name): the evaluator's dataset name \"\(FormatError.printable(dataset, limit: 64))\" is not a short printable name"
            )
        }
        guard let classes = meta["classes"].flatMap({ Int($0) }), (1...maxClasses).contains(classes) else {
            throw GANError(
                "\(name): the evaluator's class count \"\(FormatError.printable(meta["classes"] ?? "", limit: 32))\" "
                    + "is not a number in 1...\(maxClasses)")
        }
        let head = "head.1.weight"
        guard let weight = file.tensors[head], weight.shape == [featureSize, classes] else {
            throw GANError(
                "\(name): the metadata says \(classes) classes but \(head) has shape "
                    + "\(file.tensors[head].map { "\($0.shape)" } ?? "none") (expected [\(featureSize), \(classes)])")
        }
        let testAccuracy = meta["test_accuracy"].flatMap { Double($0) } ?? .nan
        guard testAccuracy.isNaN || (0...1).contains(testAccuracy) else {
            throw GANError("\(name): the evaluator's test accuracy \(testAccuracy) is outside 0...1")
        }
        if let bad = file.tensors.first(where: { !$0.value.values.allSatisfy(\.isFinite) }) {
            throw GANError("\(name): \(bad.key) holds NaN or infinite values (saved from a diverged run?)")
        }
        let evaluator = Evaluator(classes: classes, rng: RandomGenerator(seed: 0))
        do { try evaluator.loadState(file.tensors) } catch { throw GANError("\(name): \(error)") }
        return (evaluator, dataset, testAccuracy)
    }
}
