import SwiftGANNN
import SwiftGANTensors

/// A GAN's generator or discriminator: any module that is a ``UnaryLayer`` (the zoo's
/// `Sequential`s, which get the labels joined to their input as ``Conditioning`` says) or a
/// ``LabelledLayer`` (which takes the labels itself: conditional BatchNorm, projection).
///
/// It is the module it wraps as far as names go: its parameters, buffers and children are the
/// wrapped module's, so checkpoints and optimizers see the same names either way.
public final class GANNetwork: Module {
    /// The network as the model's author built it.
    public let module: any Module
    private let unary: (any UnaryLayer)?
    private let labelled: (any LabelledLayer)?

    public init(_ module: any Module) {
        self.module = module
        unary = module as? any UnaryLayer
        labelled = module as? any LabelledLayer
        require(
            unary != nil || labelled != nil,
            "SwiftGAN: a GAN network must be a UnaryLayer or a LabelledLayer; \(type(of: module)) is neither")
    }

    /// Whether the network takes the labels itself.
    public var takesLabels: Bool { labelled != nil }

    /// The network on one input (a one-input network).
    public func callAsFunction(_ input: Tensor) -> Tensor {
        guard let unary else { return labelled!(input, labels: nil) }
        return unary(input)
    }

    /// The network on an input and its labels; a one-input network ignores them (the model
    /// joins them to its input first).
    public func callAsFunction(_ input: Tensor, labels: [Int]?) -> Tensor {
        guard let labelled else { return unary!(input) }
        return labelled(input, labels: labels)
    }

    public var ownParameters: [(name: String, tensor: Tensor)] { module.ownParameters }
    public var ownBuffers: [(name: String, tensor: Tensor)] { module.ownBuffers }
    public var children: [(name: String, module: any Module)] { module.children }
    public func setTraining(_ training: Bool) { module.setTraining(training) }
    public var description: String { module.description }
}
