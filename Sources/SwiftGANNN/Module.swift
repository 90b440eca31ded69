import SwiftGANTensors

/// A piece of a network: named, ordered parameters and buffers, sub-modules, and a training mode.
///
/// Parameters are leaf tensors that require gradients. Names are dotted paths
/// (`"layers.0.weight"`), in declaration order, so optimizers and checkpoints see the same stable
/// list. Modules that behave differently in training and inference (``BatchNorm``, ``Dropout``)
/// follow ``setTraining(_:)``; containers pass it to their children.
///
/// A module's sub-modules are found by reflection over its stored properties (as mlx-swift's
/// `Module` finds them): a property holding a module, an optional module or an array of modules is
/// a child named after the property (`"blocks.0"` for an array's first element). So a module
/// cannot forget a child. Override ``children`` to rename them, to hide a reference that is not a
/// child, or for speed in a container that is walked often (``Sequential`` does).
///
/// What a module computes is up to it: a one-input layer conforms to ``UnaryLayer`` (and fits in
/// a ``Sequential``); a network of two inputs (an image and its labels) declares its own
/// `callAsFunction`.
///
/// ```swift
/// final class Block: UnaryLayer {
///     let conv: Conv2D, norm: BatchNorm            // found without listing them
///     init(_ c: Int, rng: RandomGenerator) {
///         conv = Conv2D(c, c, kernelSize: 3, padding: .same, rng: rng)
///         norm = BatchNorm(featureCount: c)
///     }
///     func callAsFunction(_ x: Tensor) -> Tensor { x + norm(conv(x)).relu() }
/// }
/// print(Block(8, rng: rng))   // the tree, with shapes and parameter counts
/// ```
public protocol Module: AnyObject, CustomStringConvertible {
    /// This module's own trainable parameters (not its children's).
    var ownParameters: [(name: String, tensor: Tensor)] { get }
    /// This module's own non-trainable state saved in checkpoints (e.g. running statistics).
    var ownBuffers: [(name: String, tensor: Tensor)] { get }
    /// Sub-modules, in order. The default finds them in the stored properties.
    var children: [(name: String, module: any Module)] { get }
    /// Switches training-only behaviour on or off. The default passes the flag to the children.
    func setTraining(_ training: Bool)
}

/// A module that maps one tensor to one tensor: every layer of ``Sequential``.
public protocol UnaryLayer: Module {
    func callAsFunction(_ input: Tensor) -> Tensor
}

extension Module {
    public var ownParameters: [(name: String, tensor: Tensor)] { [] }
    public var ownBuffers: [(name: String, tensor: Tensor)] { [] }
    public var children: [(name: String, module: any Module)] { reflectedChildren }
    public func setTraining(_ training: Bool) {
        for child in children { child.module.setTraining(training) }
    }

    /// The modules held in stored properties (the superclasses' first): a module, an optional
    /// module, or an array of modules, named after the property. Other values are ignored.
    public var reflectedChildren: [(name: String, module: any Module)] {
        var mirrors: [Mirror] = []
        var next: Mirror? = Mirror(reflecting: self)
        while let mirror = next {
            mirrors.insert(mirror, at: 0)
            next = mirror.superclassMirror
        }
        var found: [(name: String, module: any Module)] = []
        for mirror in mirrors {
            for case let (label?, value) in mirror.children {
                found += Self.modules(in: value, named: Self.propertyName(label))
            }
        }
        return found
    }

    /// `lazy var x` is stored as `$__lazy_storage_$_x`, a property wrapper's storage as `_x`.
    private static func propertyName(_ label: String) -> String {
        if label.hasPrefix("$__lazy_storage_$_") { return String(label.dropFirst("$__lazy_storage_$_".count)) }
        if label.hasPrefix("_") { return String(label.dropFirst()) }
        return label
    }

    private static func modules(in value: Any, named name: String) -> [(name: String, module: any Module)] {
        if let module = value as? any Module { return [(name, module)] }
        let mirror = Mirror(reflecting: value)
        switch mirror.displayStyle {
        case .optional:
            return mirror.children.first.map { modules(in: $0.value, named: name) } ?? []
        case .collection:
            return mirror.children.enumerated().flatMap { i, element in
                (element.value as? any Module).map { [(name: "\(name).\(i)", module: $0)] } ?? []
            }
        default:
            return []
        }
    }

    /// Every trainable parameter in the tree, with dotted names, in declaration order. A tensor
    /// reached twice (a module shared by two parents) is listed once, under its first name.
    public var namedParameters: [(name: String, tensor: Tensor)] {
        var seen = Set<ObjectIdentifier>()
        return walk(\.ownParameters).filter { seen.insert(ObjectIdentifier($0.tensor)).inserted }
    }

    /// Every buffer in the tree, with dotted names.
    public var namedBuffers: [(name: String, tensor: Tensor)] {
        var seen = Set<ObjectIdentifier>()
        return walk(\.ownBuffers).filter { seen.insert(ObjectIdentifier($0.tensor)).inserted }
    }

    private func walk(_ own: (any Module) -> [(name: String, tensor: Tensor)]) -> [(name: String, tensor: Tensor)] {
        own(self)
            + children.flatMap { child in
                child.module.walk(own).map { (name: child.name + "." + $0.name, tensor: $0.tensor) }
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

    /// Every module of the tree, this one first, depth first, with its dotted path ("" for this one).
    public var namedModules: [(name: String, module: any Module)] {
        [("", self)]
            + children.flatMap { child in
                child.module.namedModules.map {
                    (name: $0.name.isEmpty ? child.name : child.name + "." + $0.name, module: $0.module)
                }
            }
    }

    /// Training mode: batch statistics in BatchNorm, dropout active.
    public func train() { setTraining(true) }
    /// Inference mode: running statistics in BatchNorm, dropout off.
    public func eval() { setTraining(false) }

    /// The tree: each module's type, its own parameters and buffers with their shapes, and the
    /// parameter count of every module that has any (what `print(module)` shows).
    public var description: String { treeLines(name: nil, indent: "").joined(separator: "\n") }

    private func treeLines(name: String?, indent: String) -> [String] {
        let own =
            ownParameters.map { "\($0.name) \(describe($0.tensor.shape))" }
            + ownBuffers.map { "\($0.name) \(describe($0.tensor.shape)) (buffer)" }
        let count = parameterCount
        var head = indent + (name.map { "(\($0)): " } ?? "") + String(describing: type(of: self))
        if !own.isEmpty { head += "  " + own.joined(separator: ", ") }
        if count > 0 { head += "  — \(Self.grouped(count)) parameter\(count == 1 ? "" : "s")" }
        return [head] + children.flatMap { $0.module.treeLines(name: $0.name, indent: indent + "  ") }
    }

    private static func grouped(_ n: Int) -> String {
        let digits = Array(String(n))
        return String(digits.enumerated().flatMap { i, d in (i > 0 && (digits.count - i) % 3 == 0) ? [",", d] : [d] })
    }
}

/// Applies layers one after another.
///
/// ```swift
/// let g = Sequential([Dense(100, 256, rng: rng), LeakyReLU(0.2), Dense(256, 784, rng: rng), Tanh()])
/// ```
public final class Sequential: UnaryLayer {
    public let layers: [any UnaryLayer]
    public init(_ layers: [any UnaryLayer]) { self.layers = layers }
    public func callAsFunction(_ input: Tensor) -> Tensor { layers.reduce(input) { $1($0) } }
    public var children: [(name: String, module: any Module)] {
        layers.enumerated().map { (name: String($0.offset), module: $0.element) }
    }
}

/// A module of one tensor and the class labels that go with it, one per example: conditional
/// BatchNorm, a projection discriminator, any network that conditions inside rather than on a
/// concatenated input. `labels` is nil when the network is used unconditionally.
public protocol LabelledLayer: Module {
    func callAsFunction(_ input: Tensor, labels: [Int]?) -> Tensor
}

/// A module whose layers a model-wide rewrite can replace (spectral normalization of every
/// weight, say): ``Sequential``, and any container of one's own that rewrites should reach into.
/// Swift cannot assign stored properties found by reflection, so a container rebuilds itself.
public protocol LayerContainer: Module {
    /// A new container like this one whose child layers are `transform(child)`, in the order of
    /// ``Module/children``. Parameters and buffers of its own are shared, not copied.
    func mapLayers(_ transform: (any UnaryLayer) throws -> any UnaryLayer) rethrows -> Self
}

extension Sequential: LayerContainer {
    public func mapLayers(_ transform: (any UnaryLayer) throws -> any UnaryLayer) rethrows -> Self {
        Self(try layers.map(transform))
    }
}

extension Module {
    /// This module with every layer for which `replacement` returns a layer replaced by it,
    /// through every ``LayerContainer`` of the tree (a replaced layer is not entered). A module
    /// with children that is not a container is an error naming it: the rewrite would miss them.
    public func rewritingLayers(_ replacement: (any UnaryLayer) -> (any UnaryLayer)?) throws -> any Module {
        if let layer = self as? any UnaryLayer, let replaced = replacement(layer) { return replaced }
        if let container = self as? any LayerContainer {
            return try container.mapLayers { try $0.rewritingLayers(replacement) as! any UnaryLayer }
        }
        guard children.isEmpty else {
            throw StateError(
                "\(type(of: self)) holds layers (\(children.map(\.name).joined(separator: ", "))) that a model-wide "
                    + "rewrite cannot replace: make it a LayerContainer")
        }
        return self
    }
}
