import SwiftGANArtifacts
import SwiftGANNN
import SwiftGANTensors

/// SNGAN's residual networks with the conditioning of its conditional ImageNet model (Miyato &
/// Koyama 2018), sized for a CPU by `--width` w (default 16), NHWC, for 28×28, 32×32 or 64×64:
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
/// `ragan-sn`: the relativistic average loss, spectral norm on every weight of D (the embedding
/// included), Adam at 8e-4 with β (0, 0.99) for both networks and an EMA of G. SNGAN's own recipe
/// (`hinge-sn`: hinge loss, TTUR at 4e-4/1e-4) learns far more slowly at this budget: at 120 s on
/// two cores FID 121 against 48 (docs/recipes.md). BatchNorm as PyTorch's (momentum 0.1 ≙ 0.9
/// here, ε 1e-5).
///
/// Options, each off by default (the networks, their parameter order and their random draws are
/// then the ones above):
/// - `--attention RES`: a ``SelfAttention`` block (SAGAN in BigGAN's form) after G's up-block
///   that makes RES×RES maps and after D's down-block that makes them, as BigGAN places one in
///   each; RES is a side between the first grid and the image (28: 14; 32: 8, 16; 64: 8, 16, 32).
///   Spectral norm reaches its four convolutions in D.
/// - `--minibatch-stddev`: a ``MinibatchStandardDeviation`` (groups of 4, ProGAN's and StyleGAN's)
///   before D's last down-block, which takes one more input channel.
/// - `--conditioning auxiliary` (with classes): cBN in G as above, and D's head two Dense layers,
///   ψ (1) and a classifier (C), side by side: [batch, 1 + C] logits, trained as acgan's
///   (``Conditioning/auxiliaryClassifier(classes:)``). `projection`, the default, is the head above.
public enum SNGAN {
    public static let source = SourceSettings(learningRate: 2e-4, beta1: 0.0, batchSize: 64)

    /// `--width`'s default: at 16, a step takes about a third of the time it takes at 32, and in
    /// seven minutes on two cores that buys more than the wider networks do (docs/recipes.md).
    public static let defaultWidth = 16

    /// The sides it makes, and the first grid and number of doublings for each.
    static let layouts: [Int: (grid: Int, blocks: Int)] = [28: (7, 2), 32: (4, 3), 64: (4, 4)]

    /// G's channels: 4w at the grid down to w after the last block (ResNet-GAN's 2w → w at 28);
    /// up-block i takes `[i]` and makes `[i + 1]`.
    static func generatorWidths(_ w: Int, blocks: Int) -> [Int] {
        (0...blocks).map { i in w * Swift.max(1, 4 >> Swift.min(i, 2)) }
    }

    /// The channels down-block i of D makes: w, 2w, then 4w.
    static func discriminatorWidth(_ w: Int, block i: Int) -> Int { w << Swift.min(i, 2) }

    /// The sides `--attention` takes at `size`: those between the first grid and the image,
    /// which both G (growing) and D (shrinking) make (28: 14; 32: 8, 16; 64: 8, 16, 32).
    static func attentionSides(size: Int) -> [Int] {
        guard let layout = layouts[size] else { return [] }
        return (1..<layout.blocks).map { layout.grid << $0 }
    }

    /// The blocks `--attention side` follows at `size`: G's up-block that makes side×side maps
    /// and D's down-block that makes them; nil for a side not in ``attentionSides(size:)``.
    static func attentionBlocks(side: Int, size: Int) -> (generator: Int, discriminator: Int)? {
        guard let layout = layouts[size],
            let g = (0..<(layout.blocks - 1)).first(where: { layout.grid << ($0 + 1) == side }),
            let d = (0..<(layout.blocks - 1)).first(where: { size >> ($0 + 1) == side })
        else { return nil }
        return (g, d)
    }

    public static func make(options: ModelOptions, rng: RandomGenerator) -> GANModel {
        let w = options.width ?? defaultWidth, side = options.imageSize?.height ?? 28
        let imageChannels = options.channels ?? 1
        let classes = options.unconditional == true ? 0 : options.classes ?? 0
        let auxiliary = classes > 0 && options.conditioning == "auxiliary"
        let (grid, blocks) = layouts[side] ?? (7, 2)
        let attention = options.attention.flatMap { attentionBlocks(side: $0, size: side) }
        let widths = generatorWidths(w, blocks: blocks)
        // Arguments are evaluated in order: the dense layer, the blocks, the attention (when asked
        // for), the output convolution draw from `rng` in that order.
        let generator = SNGANGenerator(
            dense: Dense(128, grid * grid * widths[0], rng: rng), grid: [grid, grid, widths[0]],
            blocks: (0..<blocks).map { ConditionalUpBlock(widths[$0], widths[$0 + 1], classes: classes, rng: rng) },
            attention: attention.map {
                (block: $0.generator, layer: SelfAttention(channels: widths[$0.generator + 1], rng: rng))
            },
            finalNorm: BatchNorm(featureCount: widths[blocks], momentum: 0.9, epsilon: 1e-5),
            output: Conv2D(widths[blocks], imageChannels, kernelSize: 3, padding: .same, rng: rng))
        let rate = source.dropout(options.discriminatorDropout)
        var layers: [any UnaryLayer] = []
        var channels = imageChannels
        for i in 0..<blocks {
            let out = discriminatorWidth(w, block: i)
            // ProGAN's place for it: before the last block, which sees σ as one more channel.
            let last = i == blocks - 1, stddev = last && options.minibatchStddev == true
            if stddev { layers.append(MinibatchStandardDeviation()) }
            layers.append(ResidualBlock.down(channels + (stddev ? 1 : 0), out, leadingActivation: i > 0, rng: rng))
            if attention?.discriminator == i { layers.append(SelfAttention(channels: out, rng: rng)) }
            if rate > 0 { layers.append(Dropout(rate: rate, rng: rng)) }
            channels = out
        }
        layers += [ReLU(), GlobalSumPool()]
        let head: any Module
        if classes == 0 {
            head = Dense(channels, 1, rng: rng)
        } else if auxiliary {
            head = TwoHeads(Dense(channels, 1, rng: rng), Dense(channels, classes, rng: rng))
        } else {
            head = ProjectionDiscriminatorHead(featureCount: channels, classCount: classes, rng: rng)
        }
        let discriminator = ProjectionDiscriminator(body: Sequential(layers), head: head)
        let conditioning: Conditioning =
            classes == 0
            ? .none : auxiliary ? .auxiliaryClassifier(classes: classes) : .labels(classes: classes)
        return GANModel(
            name: name, generator: generator, discriminator: discriminator, noiseSize: 128,
            sample: .images(height: side, width: side, channels: imageChannels), dataRange: -1...1, source: source,
            options: options, conditioning: conditioning)
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

/// SNGAN's generator: the dense layer, the conditional blocks (with a self-attention block after
/// one of them, when asked for), the last BatchNorm and convolution.
public final class SNGANGenerator: LabelledLayer {
    public let dense: Dense
    public let blocks: [ConditionalUpBlock]
    /// The self-attention block (`--attention`), if any; nil adds no child, so the parameters
    /// of a model without it are named and ordered as before the option existed.
    public let attention: SelfAttention?
    public let finalNorm: BatchNorm
    public let output: Conv2D
    /// The index of the block the attention follows (nil without attention).
    public let attentionBlock: Int?
    let grid: [Int]

    init(
        dense: Dense, grid: [Int], blocks: [ConditionalUpBlock], attention: (block: Int, layer: SelfAttention)? = nil,
        finalNorm: BatchNorm, output: Conv2D
    ) {
        (self.dense, self.grid, self.blocks, self.finalNorm, self.output) = (dense, grid, blocks, finalNorm, output)
        (self.attentionBlock, self.attention) = (attention?.block, attention?.layer)
    }

    public func callAsFunction(_ noise: Tensor, labels: [Int]?) -> Tensor {
        var h = dense(noise).reshaped([noise.shape[0]] + grid)
        for (i, block) in blocks.enumerated() {
            h = block(h, labels: labels)
            if i == attentionBlock, let attention { h = attention(h) }
        }
        return output(finalNorm(h).relu()).tanh()
    }
}

/// A discriminator of features and a head: projection (the labels' embedding against the
/// features) for a conditional model; otherwise any one-input head, a Dense layer (one logit) or
/// an auxiliary classifier's ``TwoHeads`` (1 + C logits). A container, so spectral norm reaches
/// every weight, the head's included.
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
    public static let options: [ModelOptions.Key] = [
        .width, .imageSize, .channels, .classes, .unconditional, .conditioning, .attention, .minibatchStddev,
    ]
    public static let conditionings = ["projection", "auxiliary"]
    public static let defaultRecipe = "ragan-sn"
    public static let conditionsOnlyOnLabelledData = true
    public static func validate(_ options: ModelOptions) throws {
        guard (1...256).contains(options.width ?? defaultWidth) else {
            throw GANError("--width must lie in 1...256, got \(options.width!)")
        }
        if let size = options.imageSize, !size.isSquare || layouts[size.height] == nil {
            throw GANError("sngan makes 28×28, 32×32 or 64×64 images, not \(size.height)×\(size.width)")
        }
        guard [nil, 1, 3].contains(options.channels) else {
            throw GANError("--channels is 1 (gray) or 3 (RGB), not \(options.channels!)")
        }
        if options.unconditional != true { try ModelZoo.validateClasses(options) }
        if options.unconditional == true, let kind = options.conditioning {
            throw GANError(
                "--conditioning \(FormatError.printable(kind, limit: 40)) needs class labels, but this sngan is unconditional (--unconditional, or data without classes)"
            )
        }
        if let side = options.attention { try validateAttention(side, options) }
    }
    /// `--attention side`: a side both networks make inside, on channels SelfAttention can split
    /// into eighths.
    static func validateAttention(_ side: Int, _ options: ModelOptions) throws {
        let size = options.imageSize?.height ?? 28, w = options.width ?? defaultWidth
        guard let blocks = attentionBlocks(side: side, size: size) else {
            let each = layouts.keys.sorted().map { s in
                "\(s)×\(s): " + attentionSides(size: s).map { "\($0)" }.joined(separator: ", ")
            }
            throw GANError(
                "sngan's --attention is a side its blocks make between the first grid and the image, "
                    + "not \(side) at \(size)×\(size) (\(each.joined(separator: "; ")))")
        }
        let channels = (
            generator: generatorWidths(w, blocks: layouts[size]!.blocks)[blocks.generator + 1],
            discriminator: discriminatorWidth(w, block: blocks.discriminator)
        )
        guard channels.generator % 8 == 0 && channels.discriminator % 8 == 0 else {
            throw GANError(
                "--attention \(side) puts self-attention on G's \(channels.generator) and D's \(channels.discriminator) "
                    + "channels at \(side)×\(side) with --width \(w); each must be a multiple of 8 "
                    + "(its queries and keys are an eighth): a --width that is a multiple of 8 always works")
        }
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
