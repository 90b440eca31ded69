import Tensors

/// A piece of a network: a function of one tensor with named, ordered parameters.
///
/// Parameters are leaf tensors that require gradients. Names are dotted paths
/// (`"layers.0.weight"`), in declaration order, so optimizers and checkpoints see the same stable
/// list. Modules that behave differently in training and inference (``BatchNorm``, ``Dropout``)
/// follow ``setTraining(_:)``; containers pass it to their children.
///
/// ```swift
/// let d = Sequential([Dense(784, 512, rng: rng), LeakyReLU(0.2), Dense(512, 1, rng: rng)])
/// let logits = d(x)
/// let grads = gradients(of: loss, withRespectTo: d.parameters)
/// ```
public protocol Module: AnyObject {
    func callAsFunction(_ input: Tensor) -> Tensor
    /// This module's own trainable parameters (not its children's).
    var ownParameters: [(name: String, tensor: Tensor)] { get }
    /// This module's own non-trainable state saved in checkpoints (e.g. running statistics).
    var ownBuffers: [(name: String, tensor: Tensor)] { get }
    /// Sub-modules, in order.
    var children: [(name: String, module: any Module)] { get }
    /// Switches training-only behaviour on or off. The default passes the flag to the children.
    func setTraining(_ training: Bool)
}

extension Module {
    public var ownParameters: [(name: String, tensor: Tensor)] { [] }
    public var ownBuffers: [(name: String, tensor: Tensor)] { [] }
    public var children: [(name: String, module: any Module)] { [] }
    public func setTraining(_ training: Bool) {
        for child in children { child.module.setTraining(training) }
    }

    /// Every trainable parameter in the tree, with dotted names, in declaration order.
    public var namedParameters: [(name: String, tensor: Tensor)] {
        ownParameters + children.flatMap { child in
            child.module.namedParameters.map { (name: child.name + "." + $0.name, tensor: $0.tensor) }
        }
    }

    /// Every buffer in the tree, with dotted names.
    public var namedBuffers: [(name: String, tensor: Tensor)] {
        ownBuffers + children.flatMap { child in
            child.module.namedBuffers.map { (name: child.name + "." + $0.name, tensor: $0.tensor) }
        }
    }

    /// The trainable parameters, in the order of ``namedParameters``.
    public var parameters: [Tensor] { namedParameters.map(\.tensor) }

    /// The total number of trainable scalars.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.count } }

    /// Whether this module or any module below it satisfies `predicate`.
    public func contains(where predicate: (any Module) -> Bool) -> Bool {
        predicate(self) || children.contains { $0.module.contains(where: predicate) }
    }

    /// Training mode: batch statistics in BatchNorm, dropout active.
    public func train() { setTraining(true) }
    /// Inference mode: running statistics in BatchNorm, dropout off.
    public func eval() { setTraining(false) }
}

/// Applies modules one after another.
///
/// ```swift
/// let g = Sequential([Dense(100, 256, rng: rng), LeakyReLU(0.2), Dense(256, 784, rng: rng), Tanh()])
/// ```
public final class Sequential: Module {
    public let layers: [any Module]
    public init(_ layers: [any Module]) { self.layers = layers }
    public func callAsFunction(_ input: Tensor) -> Tensor { layers.reduce(input) { $1($0) } }
    public var children: [(name: String, module: any Module)] {
        layers.enumerated().map { (name: String($0.offset), module: $0.element) }
    }
}
