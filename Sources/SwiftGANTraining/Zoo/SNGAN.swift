import SwiftGANNN
import SwiftGANTensors

/// SNGAN's residual networks with the conditioning of its conditional ImageNet model (Miyato &
/// Koyama 2018), sized for a CPU by `--width` w (default 32), NHWC, for 28×28, 32×32 or 64×64:
///
///     G: z(128) → Dense g·g·4w → Reshape (g: 7 for 28, 4 for 32 and 64)
///        → k UpBlocks (4w → … → w), each doubling the side      (k: 2 for 28, 3 for 32, 4 for 64)
///        → BatchNorm → ReLU → Conv C, 3×3, same → tanh
///     D: DownBlocks w → 2w → 4w … (the first without its leading ReLU), each halving the side
///        → ReLU → global sum pool φ(x) → ψ(φ) + ⟨embed(y), φ⟩          (projection; ψ alone without labels)
///
///     UpBlock:   cBN → ReLU → upsample ×2 → Conv 3×3 → cBN → ReLU → Conv 3×3, + upsample ×2 → Conv 1×1
///     DownBlock: ReLU → Conv 3×3 → ReLU → Conv 3×3 → avg-pool 2,               + Conv 1×1 → avg-pool 2
///
/// cBN is conditional BatchNorm: a per-class scale and shift after normalizing (plain BatchNorm
/// when unconditional). With C classes (a labelled dataset's, unless `--unconditional`) G and D
/// both take the labels; with none it is ResNet-GAN's design at these sizes. Its default recipe is
/// `hinge-sn`: hinge loss, spectral norm on every weight of D (the embedding included), TTUR Adam
/// and an EMA of G, as SNGAN trains. BatchNorm as PyTorch's (momentum 0.1 ≙ 0.9 here, ε 1e-5).
public enum SNGAN {
    public static let source = SourceSettings(learningRate: 2e-4, beta1: 0.0, batchSize: 64)

    /// The sides it makes, and the first grid and number of doublings for each.
    static let layouts: [Int: (grid: Int, blocks: Int)] = [28: (7, 2), 32: (4, 3), 64: (4, 4)]

    public static func make(options: ModelOptions, rng: RandomGenerator) -> GANModel {
        let w = options.width ?? 32, side = options.imageSize?.height ?? 28
        let imageChannels = options.channels ?? 1
        let classes = options.unconditional == true ? 0 : options.classes ?? 0
        let (grid, blocks) = layouts[side] ?? (7, 2)
        // Channels from 4w at the grid down to w at the last block (ResNet-GAN's 2w → w at 28).
        let widths = (0...blocks).map { i in w * Swift.max(1, 4 >> Swift.min(i, 2)) }
        let generator = SNGANGenerator(
            dense: Dense(128, grid * grid * widths[0], rng: rng), grid: [grid, grid, widths[0]],
            blocks: (0..<blocks).map { ConditionalUpBlock(widths[$0], widths[$0 + 1], classes: classes, rng: rng) },
            finalNorm: BatchNorm(featureCount: widths[blocks], momentum: 0.9, epsilon: 1e-5),
            output: Conv2D(widths[blocks], imageChannels, kernelSize: 3, padding: .same, rng: rng))
        let rate = source.dropout(options.discriminatorDropout)
        var layers: [any UnaryLayer] = []
        var channels = imageChannels
        for i in 0..<blocks {
            let out = w << Swift.min(i, 2)
            layers.append(ResidualBlock.down(channels, out, leadingActivation: i > 0, rng: rng))
            if rate > 0 { layers.append(Dropout(rate: rate, rng: rng)) }
            channels = out
        }
        layers += [ReLU(), GlobalSumPool()]
        let head: any Module =
            classes > 0
            ? ProjectionDiscriminatorHead(featureCount: channels, classCount: classes, rng: rng)
            : Dense(channels, 1, rng: rng)
        let discriminator = ProjectionDiscriminator(body: Sequential(layers), head: head)
        return GANModel(
            name: name, generator: generator, discriminator: discriminator, noiseSize: 128,
            sample: .images(height: side, width: side, channels: imageChannels), dataRange: -1...1, source: source,
            options: options, conditioning: classes > 0 ? .labels(classes: classes) : .none)
    }
}

/// G's residual block with conditional BatchNorm: [b, h, w, in] → [b, 2h, 2w, out].
public final class ConditionalUpBlock: LabelledLayer {
    public let norm1: any Module, conv1: Conv2D, norm2: any Module, conv2: Conv2D, shortcut: Conv2D

    public init(_ input: Int, _ output: Int, classes: Int, rng: RandomGenerator) {
        func norm(_ c: Int) -> any Module {
            classes > 0
                ? ConditionalBatchNorm(featureCount: c, classCount: classes, momentum: 0.9, epsilon: 1e-5)
                : BatchNorm(featureCount: c, momentum: 0.9, epsilon: 1e-5)
        }
        norm1 = norm(input)
        conv1 = Conv2D(input, output, kernelSize: 3, padding: .same, rng: rng)
        norm2 = norm(output)
        conv2 = Conv2D(output, output, kernelSize: 3, padding: .same, rng: rng)
        shortcut = Conv2D(input, output, kernelSize: 1, rng: rng)
    }

    static func normalize(_ norm: any Module, _ x: Tensor, _ labels: [Int]?) -> Tensor {
        if let conditional = norm as? ConditionalBatchNorm { return conditional(x, labels: labels) }
        return (norm as! BatchNorm)(x)
    }

    public func callAsFunction(_ x: Tensor, labels: [Int]?) -> Tensor {
        let up = Upsample(factor: 2)
        var h = up(Self.normalize(norm1, x, labels).relu())
        h = conv2(Self.normalize(norm2, conv1(h), labels).relu())
        return h + shortcut(up(x))
    }
}

/// SNGAN's generator: the dense layer, the conditional blocks, the last BatchNorm and convolution.
public final class SNGANGenerator: LabelledLayer {
    public let dense: Dense
    public let blocks: [ConditionalUpBlock]
    public let finalNorm: BatchNorm
    public let output: Conv2D
    let grid: [Int]

    init(dense: Dense, grid: [Int], blocks: [ConditionalUpBlock], finalNorm: BatchNorm, output: Conv2D) {
        (self.dense, self.grid, self.blocks, self.finalNorm, self.output) = (dense, grid, blocks, finalNorm, output)
    }

    public func callAsFunction(_ noise: Tensor, labels: [Int]?) -> Tensor {
        var h = dense(noise).reshaped([noise.shape[0]] + grid)
        for block in blocks { h = block(h, labels: labels) }
        return output(finalNorm(h).relu()).tanh()
    }
}

/// A discriminator of features and a head: projection (the labels' embedding against the
/// features) for a conditional model, a Dense layer otherwise. A container, so spectral norm
/// reaches every weight, the head's embedding included.
public final class ProjectionDiscriminator: LabelledLayer, LayerContainer {
    public let body: Sequential
    public let head: any Module

    public init(body: Sequential, head: any Module) { (self.body, self.head) = (body, head) }

    public func callAsFunction(_ images: Tensor, labels: [Int]?) -> Tensor {
        let features = body(images)
        if let projection = head as? ProjectionDiscriminatorHead { return projection(features, labels: labels) }
        return (head as! any UnaryLayer)(features)
    }

    public func mapLayers(_ transform: (any UnaryLayer) throws -> any UnaryLayer) rethrows -> Self {
        let newHead: any Module
        if let projection = head as? ProjectionDiscriminatorHead {
            newHead = try projection.mapLayers(transform)
        } else {
            newHead = try transform(head as! any UnaryLayer)
        }
        return Self(body: try body.mapLayers(transform), head: newHead)
    }
}

extension ConditionalUpBlock: ONNXLabelledExportable {
    /// The block as `callAsFunction(_:labels:)` computes it, each cBN given the labels.
    public func emitONNX(_ x: ONNXValue, labels: String?, into onnx: inout ONNXBuilder) throws -> ONNXValue {
        let up = Upsample(factor: 2)
        let normalized1 = try onnx.emit(norm1, x, labels: labels)
        let upsampled = try onnx.emit(up, onnx.activation("Relu", normalized1))
        let normalized2 = try onnx.emit(norm2, try onnx.emit(conv1, upsampled), labels: labels)
        let main = try onnx.emit(conv2, onnx.activation("Relu", normalized2))
        let skip = try onnx.emit(shortcut, try onnx.emit(up, x))
        return try onnx.sum(main, skip)
    }
}

extension SNGANGenerator: ONNXLabelledExportable {
    public func emitONNX(_ x: ONNXValue, labels: String?, into onnx: inout ONNXBuilder) throws -> ONNXValue {
        var h = try onnx.emit(Reshape(grid), try onnx.emit(dense, x))
        for block in blocks { h = try onnx.emit(block, h, labels: labels) }
        let features = try onnx.emit(finalNorm, h)
        let images = try onnx.emit(output, onnx.activation("Relu", features))
        return onnx.activation("Tanh", images)
    }
}

extension ProjectionDiscriminator: ONNXLabelledExportable {
    /// The body, then the head: the projection with the labels, or a Dense layer without.
    public func emitONNX(_ x: ONNXValue, labels: String?, into onnx: inout ONNXBuilder) throws -> ONNXValue {
        let features = try onnx.emit(body, x)
        return try onnx.emit(head, features, labels: labels)
    }
}

extension SNGAN: ZooModel {
    public static let name = "sngan"
    public static let summary =
        "SNGAN's residual networks with conditional BatchNorm in G and a projection D (Miyato & Koyama 2018), 28, 32 or 64"
    public static let options: [ModelOptions.Key] = [.width, .imageSize, .channels, .classes, .unconditional]
    public static let defaultRecipe = "hinge-sn"
    public static let conditionsOnlyOnLabelledData = true
    public static func validate(_ options: ModelOptions) throws {
        guard (1...256).contains(options.width ?? 32) else {
            throw GANError("--width must lie in 1...256, got \(options.width!)")
        }
        if let size = options.imageSize, !size.isSquare || layouts[size.height] == nil {
            throw GANError("sngan makes 28×28, 32×32 or 64×64 images, not \(size.height)×\(size.width)")
        }
        guard [nil, 1, 3].contains(options.channels) else {
            throw GANError("--channels is 1 (gray) or 3 (RGB), not \(options.channels!)")
        }
        if options.unconditional != true { try ModelZoo.validateClasses(options) }
    }
    public static func defaults(_ options: ModelOptions, forDataset dataset: String) -> ModelOptions {
        var options = options
        if dataset == "cifar10" {
            if options.imageSize == nil { options.imageSize = 32 }
            if options.channels == nil { options.channels = 3 }
        }
        if dataset == "folder" && options.channels == nil { options.channels = 3 }
        return options
    }
    public static func build(options: ModelOptions, rng: RandomGenerator) throws -> GANModel {
        make(options: options, rng: rng)
    }
}
