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
/// cannot forget a child held that way. Reflection does not look into tuples, dictionaries,
/// property wrappers or closures, and a `lazy var` counts only once it is set: list such children
/// in ``children`` yourself. A reference to a module that is not a child belongs in a
/// ``ModuleReference``. Override ``children`` also to rename children, or for speed in a container
/// walked often (``Sequential`` does). A class meant to be subclassed declares ``children``,
/// ``ownParameters`` and ``setTraining(_:)`` itself, so a subclass can override them.
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
        namedModules.flatMap { path, module in
            own(module).map { (name: path.isEmpty ? $0.name : path + "." + $0.name, tensor: $0.tensor) }
        }
    }

    /// The trainable parameters, in the order of ``namedParameters``.
    public var parameters: [Tensor] { namedParameters.map(\.tensor) }

    /// The total number of trainable scalars.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.count } }

    /// Whether this module or any module below it satisfies `predicate`.
    public func contains(where predicate: (any Module) -> Bool) -> Bool {
        namedModules.contains { predicate($0.module) }
    }

    /// Every module of the tree, this one first, depth first, with its dotted path ("" for this
    /// one). A module that holds one of its own ancestors (a reference back to a parent found as a
    /// child) stops the program with a message: hold such a reference in a ``ModuleReference``.
    public var namedModules: [(name: String, module: any Module)] {
        var found: [(name: String, module: any Module)] = []
        collectModules(path: "", ancestors: [], into: &found)
        return found
    }

    private func collectModules(
        path: String, ancestors: [ObjectIdentifier], into found: inout [(name: String, module: any Module)]
    ) {
        found.append((path, self))
        let lineage = ancestors + [ObjectIdentifier(self)]
        for child in children {
            let childPath = path.isEmpty ? child.name : path + "." + child.name
            require(
                !lineage.contains(ObjectIdentifier(child.module)),
                "SwiftGAN: \(type(of: self))'s child '\(childPath)' is one of its own ancestors (\(type(of: child.module))): "
                    + "a reference that is not a child belongs in a ModuleReference, or leave it out of `children`")
            child.module.collectModules(path: childPath, ancestors: lineage, into: &found)
        }
    }

    /// Training mode: batch statistics in BatchNorm, dropout active.
    public func train() { setTraining(true) }
    /// Inference mode: running statistics in BatchNorm, dropout off.
    public func eval() { setTraining(false) }

    /// The tree: each module's type, its own parameters and buffers with their shapes, and the
    /// parameter count of every module that has any (what `print(module)` shows).
    public var description: String {
        _ = namedModules  // stops with a message on a cycle before the recursion below could loop
        return treeLines(name: nil, indent: "").joined(separator: "\n")
    }

    private func treeLines(name: String?, indent: String) -> [String] {
        [treeLine(name: name, indent: indent)]
            + children.flatMap { $0.module.treeLines(name: $0.name, indent: indent + "  ") }
    }

    /// One module's line of the tree: its type, its own tensors, and its parameter count.
    private func treeLine(name: String?, indent: String) -> String {
        let own =
            ownParameters.map { "\($0.name) \(describe($0.tensor.shape))" }
            + ownBuffers.map { "\($0.name) \(describe($0.tensor.shape)) (buffer)" }
        let count = parameterCount
        var line = indent + (name.map { "(\($0)): " } ?? "") + String(describing: type(of: self))
        if !own.isEmpty { line += "  " + own.joined(separator: ", ") }
        if count > 0 { line += "  — \(Self.grouped(count)) parameter\(count == 1 ? "" : "s")" }
        return line
    }

    private static func grouped(_ n: Int) -> String {
        let digits = Array(String(n))
        return String(digits.enumerated().flatMap { i, d in (i > 0 && (digits.count - i) % 3 == 0) ? [",", d] : [d] })
    }
}

/// Applies layers one after another.
///
/// A ``BatchNorm`` in training mode followed by a ``LeakyReLU`` with a slope ≥ 0 runs as one fused
/// operation (`batchNormLeakyRelu` on the tape), and so does a ``LeakyReLU`` followed by a
/// ``Dropout`` (`leakyReluDropout`): the same values and gradients as the two layers, with one pass
/// over the activations fewer each way.
///
/// ```swift
/// let g = Sequential([Dense(100, 256, rng: rng), LeakyReLU(0.2), Dense(256, 784, rng: rng), Tanh()])
/// ```
public final class Sequential: UnaryLayer {
    public let layers: [any UnaryLayer]
    public init(_ layers: [any UnaryLayer]) { self.layers = layers }
    public func callAsFunction(_ input: Tensor) -> Tensor {
        var x = input, i = layers.startIndex
        while i < layers.endIndex {
            // A BatchNorm followed by a LeakyReLU runs as one pass (acgan's generator has five):
            // the same values, one write and read of the activations fewer each way.
            if let norm = layers[i] as? BatchNorm, i + 1 < layers.endIndex,
                let activation = layers[i + 1] as? LeakyReLU,
                activation.slope >= 0
            {
                x = norm(x, thenLeakyReLU: activation.slope)
                i += 2
            } else if let activation = layers[i] as? LeakyReLU, i + 1 < layers.endIndex,
                let dropout = layers[i + 1] as? Dropout
            {
                // A LeakyReLU followed by a Dropout likewise (the discriminators of dcgan and acgan).
                x = dropout(x, afterLeakyReLU: activation.slope)
                i += 2
            } else {
                x = layers[i](x)
                i += 1
            }
        }
        return x
    }
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

/// A reference from one module to another that is not its child (a layer that reads its parent,
/// a generator that looks at the discriminator's features): reflection does not look inside it,
/// so the other module's parameters are neither listed, trained nor saved twice. Held weakly.
///
/// ```swift
/// final class FeatureMatching: UnaryLayer {
///     let head: Dense
///     let critic: ModuleReference<Sequential>     // not a child
///     …
/// }
/// ```
public struct ModuleReference<M: Module> {
    public private(set) weak var module: M?
    public init(_ module: M) { self.module = module }
}
