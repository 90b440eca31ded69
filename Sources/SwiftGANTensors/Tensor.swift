/// An n-dimensional array of `Float` values, contiguous and row-major, that records the
/// operations applied to it so gradients can be computed (see ``gradients(of:withRespectTo:seed:createGraph:)``).
///
/// Tensors are references, like PyTorch's: operations return new tensors and never change their
/// inputs. The only in-place changes are the optimizers' updates to parameters, made outside
/// gradient recording.
///
/// ```swift
/// let rng = RandomGenerator(seed: 0)
/// let w = Tensor.normal([784, 10], std: 0.01, using: rng).requiringGradient()
/// let x = Tensor.uniform([64, 784], using: rng)
/// let loss = x.matmul(w).relu().mean()
/// let dw = gradients(of: loss, withRespectTo: [w])[0]
/// ```
public final class Tensor {
    /// The size of each dimension; `[]` for a scalar.
    public let shape: [Int]
    /// The number of elements: the product of `shape`.
    public let count: Int
    let storage: Storage
    /// Whether gradients with respect to this tensor can be asked for (parameters set it).
    public internal(set) var requiresGrad = false
    /// How this tensor was computed, when it was computed from tensors that need gradients.
    var gradNode: GradNode?

    /// A tensor of `shape` over a fresh, uninitialized buffer: the output of an operation, to be
    /// filled through ``data`` before anything reads it (see ``record(_:_:_:backward:)``).
    public init(uninitialized shape: [Int]) {
        require(shape.allSatisfy { $0 >= 0 }, "SwiftGAN shape error: negative dimension in \(describe(shape))")
        self.shape = shape
        self.count = shape.reduce(1, *)
        self.storage = Storage(count: count)
    }

    /// A tensor that views `storage` under another shape of the same count (reshape, detach).
    init(shape: [Int], sharing storage: Storage) {
        self.shape = shape
        self.count = shape.reduce(1, *)
        self.storage = storage
    }

    /// A tensor holding `scalars` in row-major order.
    public convenience init(_ scalars: [Float], shape: [Int]) {
        let expected = shape.reduce(1, *)
        require(
            scalars.count == expected,
            "SwiftGAN shape error: \(scalars.count) values cannot fill shape \(describe(shape)) (\(expected) elements)")
        self.init(uninitialized: shape)
        scalars.withUnsafeBufferPointer { data.update(from: $0.baseAddress!, count: count) }
    }

    /// A vector holding `scalars`.
    public convenience init(_ scalars: [Float]) { self.init(scalars, shape: [scalars.count]) }

    /// A rank-0 tensor.
    public convenience init(scalar: Float) { self.init([scalar], shape: []) }

    /// The buffer. Read it; write it only for a tensor you just created.
    @inline(__always) public var data: UnsafeMutablePointer<Float> { storage.pointer }

    public var rank: Int { shape.count }

    /// The values in row-major order.
    public var scalars: [Float] { Array(UnsafeBufferPointer(start: data, count: count)) }

    /// The single value of a one-element tensor.
    public var scalar: Float {
        require(count == 1, "SwiftGAN shape error: .scalar needs a one-element tensor, got shape \(describe(shape))")
        return data[0]
    }

    /// The element at a multi-dimensional index.
    public subscript(_ index: Int...) -> Float {
        require(
            index.count == rank,
            "SwiftGAN shape error: index of rank \(index.count) into a tensor of shape \(describe(shape))")
        var flat = 0
        for (i, d) in zip(index, shape) {
            require(i >= 0 && i < d, "index \(index) out of range for shape \(describe(shape))")
            flat = flat * d + i
        }
        return data[flat]
    }

    /// Whether every element is finite (no NaN, no infinity).
    public var isFinite: Bool {
        let p = data
        for i in 0..<count where !p[i].isFinite { return false }
        return true
    }

    // MARK: Creation

    public static func full(_ value: Float, shape: [Int]) -> Tensor {
        let t = Tensor(uninitialized: shape)
        t.data.initialize(repeating: value, count: t.count)
        return t
    }

    public static func zeros(_ shape: [Int]) -> Tensor { full(0, shape: shape) }
    public static func ones(_ shape: [Int]) -> Tensor { full(1, shape: shape) }

    /// Independent draws from U(low, high).
    public static func uniform(_ shape: [Int], low: Float = 0, high: Float = 1, using rng: RandomGenerator) -> Tensor {
        let t = Tensor(uninitialized: shape)
        rng.fillUniform(t.data, count: t.count, low: low, span: high - low)
        return t
    }

    /// Independent draws from N(mean, std²).
    public static func normal(_ shape: [Int], mean: Float = 0, std: Float = 1, using rng: RandomGenerator) -> Tensor {
        let t = Tensor(uninitialized: shape)
        rng.fillNormal(t.data, count: t.count, mean: mean, std: std)
        return t
    }

    /// The same values, cut from the graph: records nothing, needs no gradient, and shares this
    /// tensor's storage (a view, not a snapshot: use ``copy()`` to keep values that will change).
    public func detached() -> Tensor { Tensor(shape: shape, sharing: storage) }

    /// Marks this tensor as a leaf that gradients can be taken with respect to, and returns it.
    /// Only tensors not computed by recorded operations can be marked.
    @discardableResult
    public func requiringGradient(_ flag: Bool = true) -> Tensor {
        require(
            gradNode == nil, "requiringGradient() applies to leaf tensors; this one was computed by \(gradNode!.name)")
        requiresGrad = flag
        return self
    }

    /// Copies `other`'s values into this tensor in place (same shape); used by optimizers and checkpoint loading.
    public func assign(_ other: Tensor) {
        require(
            other.shape == shape, "SwiftGAN shape error: cannot assign \(describe(other.shape)) to \(describe(shape))")
        data.update(from: other.data, count: count)
        markModified()
    }

    /// Records an in-place change of this tensor's values (see `GradNode.checkInputsUnchanged`).
    public func markModified() { storage.version &+= 1 }

    /// A new tensor with the same values, recording nothing.
    public func copy() -> Tensor {
        let t = Tensor(uninitialized: shape)
        t.data.update(from: data, count: count)
        return t
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let shown = scalars.prefix(8).map { String($0) }.joined(separator: ", ")
        return "Tensor\(describe(shape))(\(shown)\(count > 8 ? ", …" : ""))"
    }
}
