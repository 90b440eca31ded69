import SwiftGANNN
import SwiftGANTensors

/// The conditional DCGAN with an auxiliary classifier of the GAN-improvements tutorial (ACGAN,
/// Odena, Olah & Shlens 2017), NHWC, 28×28×1 in [0, 1]:
///
///     G: concat(z(100), one-hot label(C)) → Dense 7·7·40, N(0, 0.02) → BatchNorm → LeakyReLU(0.2)
///        → Reshape 7×7×40
///        → ConvTranspose 80, 5×5, stride 2, same → BatchNorm → LeakyReLU(0.2)         (14×14)
///        → 3 × [ConvTranspose 80, 5×5, stride 1, same → BatchNorm → LeakyReLU(0.2)]
///        → ConvTranspose 1, 5×5, stride 2, same → sigmoid                            (28×28×1)
///     D: Conv 17, 5×5, stride 2, same, N(0, 0.02) → LeakyReLU(0.2) → Dropout(0.2)     (14×14)
///        → Conv 35, 5×5, stride 2 → …, Conv 70, stride 2 (7×7, 4×4)
///        → Conv 140, 5×5, stride 1 → …, Conv 70, stride 1, each → LeakyReLU(0.2) → Dropout(0.2)
///        → Flatten → two heads: real/fake (Dense 1, sigmoid) and label (Dense C, softmax)
///
/// C classes: the data's (10 for Fashion-MNIST, as the tutorial). D's output is the two heads'
/// logits side by side, [batch, 1 + C]; the sigmoid and softmax are
/// folded into the losses. D's real/fake targets are drawn per example from U(0.8, 1) (real) and
/// U(0, 0.2) (fake); its class loss sees the real images' labels (fakes get an all-zero target, as
/// the source does — see ``GANTrainingStep``). Keras defaults elsewhere (Glorot-uniform kernels,
/// BatchNorm momentum 0.99, ε 1e-3). Adam(2e-4, β₁ 0.5), batch 128, each batch drawn at random,
/// 40 batches to an "epoch".
public enum ACGAN {
    /// The classes drawn without ``ModelOptions/classes``: Fashion-MNIST's and MNIST's ten.
    public static let defaultClasses = 10
    public static let source = SourceSettings(
        learningRate: 2e-4, beta1: 0.5, batchSize: 128, discriminatorDropout: 0.2, randomBatchesPerEpoch: 40,
        targets: DiscriminatorTargets(smoothing: 0.2, twoSided: true, perExample: true))

    public static func make(options: ModelOptions, rng: RandomGenerator) -> GANModel {
        let classes = options.classes ?? defaultClasses
        let init02 = Initializer.normal(std: 0.02)
        func up(_ input: Int, _ output: Int, stride: Int) -> [any UnaryLayer] {
            [
                ConvTranspose2D(input, output, kernelSize: 5, stride: stride, padding: .same, rng: rng),
                BatchNorm(featureCount: output), LeakyReLU(0.2),
            ]
        }
        let generator = Sequential(
            [
                Dense(100 + classes, 7 * 7 * 40, weightInitializer: init02, rng: rng),
                BatchNorm(featureCount: 7 * 7 * 40), LeakyReLU(0.2),
                Reshape([7, 7, 40]),
            ]
                + up(40, 80, stride: 2) + up(80, 80, stride: 1) + up(80, 80, stride: 1) + up(80, 80, stride: 1)
                + [ConvTranspose2D(80, 1, kernelSize: 5, stride: 2, padding: .same, rng: rng), Sigmoid()]
        )
        let dropout = source.dropout(options.discriminatorDropout)
        func down(
            _ input: Int, _ output: Int, stride: Int, initializer: Initializer = .glorotUniform
        ) -> [any UnaryLayer] {
            [
                Conv2D(
                    input, output, kernelSize: 5, stride: stride, padding: .same, kernelInitializer: initializer,
                    rng: rng),
                LeakyReLU(0.2), Dropout(rate: dropout, rng: rng),
            ]
        }
        let discriminator = Sequential(
            down(1, 17, stride: 2, initializer: init02) + down(17, 35, stride: 2) + down(35, 70, stride: 2)
                + down(70, 140, stride: 1) + down(140, 70, stride: 1)
                + [Flatten(), TwoHeads(Dense(4 * 4 * 70, 1, rng: rng), Dense(4 * 4 * 70, classes, rng: rng))]
        )
        return GANModel(
            name: "acgan", generator: generator, discriminator: discriminator, noiseSize: 100,
            sample: .grayscale28, dataRange: 0...1, source: source, options: options,
            conditioning: .auxiliaryClassifier(classes: classes))
    }
}

/// Two output layers on the same features, their outputs side by side: [batch, a + b]
/// (a Keras model with two outputs, as one tensor).
public final class TwoHeads: UnaryLayer, LayerContainer {
    public let first: any UnaryLayer, second: any UnaryLayer
    public init(_ first: any UnaryLayer, _ second: any UnaryLayer) { (self.first, self.second) = (first, second) }
    public func callAsFunction(_ x: Tensor) -> Tensor { Tensor.concatenate([first(x), second(x)], alongAxis: 1) }
    public var children: [(name: String, module: any Module)] { [("0", first), ("1", second)] }
    public func mapLayers(_ transform: (any UnaryLayer) throws -> any UnaryLayer) rethrows -> Self {
        Self(try transform(first), try transform(second))
    }
}

extension ACGAN: ZooModel {
    public static let name = "acgan"
    public static let summary =
        "the conditional DCGAN with an auxiliary classifier (Odena et al. 2017), 28×28 gray, the data's classes"
    public static let options: [ModelOptions.Key] = [.classes, .conditioning]
    public static let conditionings = ["auxiliary"]
    public static var defaultClassCount: Int? { defaultClasses }
    public static func validate(_ options: ModelOptions) throws { try ModelZoo.validateClasses(options) }
    public static func build(options: ModelOptions, rng: RandomGenerator) throws -> GANModel {
        make(options: options, rng: rng)
    }
}
