// Broadcasting binary arithmetic (+ − × ÷ between tensors) and scalar affine maps, each with its
// backward rule. Gradients of a broadcast input are summed back to its shape.

/// Describes how one broadcast operand is laid out against the output: its stride per output dimension.
private func broadcastStrides(_ shape: [Int], to out: [Int]) -> [Int] {
    let offset = out.count - shape.count
    var strides = [Int](repeating: 0, count: out.count)
    var running = 1
    for i in stride(from: shape.count - 1, through: 0, by: -1) {
        strides[i + offset] = shape[i] == 1 ? 0 : running
        running *= shape[i]
    }
    return strides
}

/// Visits the output of a broadcast in rows of its last dimension, giving each row's start offset
/// into each operand. `body(row range in output, offsetA, offsetB)`.
@inline(__always)
private func forEachBroadcastRow(
    _ out: [Int], _ sa: [Int], _ sb: [Int],
    _ body: (_ outStart: Int, _ a: Int, _ b: Int) -> Void
) {
    let rank = out.count
    let inner = out[rank - 1]
    let rows = inner == 0 ? 0 : out.reduce(1, *) / inner
    var index = [Int](repeating: 0, count: rank)
    var offA = 0, offB = 0
    for row in 0..<rows {
        body(row * inner, offA, offB)
        // Odometer over the outer dimensions.
        var d = rank - 2
        while d >= 0 {
            index[d] += 1
            offA += sa[d]; offB += sb[d]
            if index[d] < out[d] { break }
            offA -= sa[d] * out[d]; offB -= sb[d] * out[d]
            index[d] = 0
            d -= 1
        }
    }
}

/// One of the arithmetic operations, as a type: generic code over it is specialized per operation,
/// so the operation inlines into each loop and the loop vectorizes. (A closure or an operator
/// passed as a value was called once per element in the loops that run on the worker threads:
/// 6 % of a dcgan step went to a function holding one `mulss`.)
protocol BinaryArithmetic {
    static func apply(_ a: Float, _ b: Float) -> Float
}

enum Addition: BinaryArithmetic {
    @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a + b }
}
enum Subtraction: BinaryArithmetic {
    @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a - b }
}
enum Multiplication: BinaryArithmetic {
    @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a * b }
}
enum Division: BinaryArithmetic {
    @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a / b }
}
/// The first operand: broadcasting a tensor is mapping it against a scalar with this.
enum FirstOperand: BinaryArithmetic {
    @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a }
}

/// Applies `Op` elementwise with NumPy broadcasting. Fast paths for equal shapes and scalars;
/// otherwise rows of the last dimension, each operand stepping by 1 or 0 along it.
func broadcastMap<Op: BinaryArithmetic>(_ a: Tensor, _ b: Tensor, _: Op.Type) -> Tensor {
    let shape = a.shape == b.shape ? a.shape : checked { try broadcastShapes(a.shape, b.shape) }
    let out = Tensor(uninitialized: shape)
    let pa = a.data, pb = b.data, po = out.data
    if a.shape == b.shape {
        Parallel.forEachChunk(out.count) { r in for i in r { po[i] = Op.apply(pa[i], pb[i]) } }
    } else if b.count == 1 {
        let s = pb[0]
        Parallel.forEachChunk(out.count) { r in for i in r { po[i] = Op.apply(pa[i], s) } }
    } else if a.count == 1 {
        let s = pa[0]
        Parallel.forEachChunk(out.count) { r in for i in r { po[i] = Op.apply(s, pb[i]) } }
    } else {
        stridedBroadcastMap(a, b, into: out, Op.self)
    }
    return out
}

/// The general broadcasting loop: rows of the output's last dimension, each operand stepping by
/// 1 or 0 along it.
private func stridedBroadcastMap<Op: BinaryArithmetic>(_ a: Tensor, _ b: Tensor, into out: Tensor, _: Op.Type) {
    guard out.count > 0, out.rank > 0 else {
        if out.count == 1 { out.data[0] = Op.apply(a.data[0], b.data[0]) }
        return
    }
    let shape = out.shape, pa = a.data, pb = b.data, po = out.data
    let sa = broadcastStrides(a.shape, to: shape), sb = broadcastStrides(b.shape, to: shape)
    let n = shape[shape.count - 1], ia = sa[shape.count - 1], ib = sb[shape.count - 1]
    forEachBroadcastRow(shape, sa, sb) { o, offA, offB in
        let ra = pa + offA, rb = pb + offB, ro = po + o
        switch (ia, ib) {
        case (1, 1): for j in 0..<n { ro[j] = Op.apply(ra[j], rb[j]) }
        case (1, 0): let s = rb[0]; for j in 0..<n { ro[j] = Op.apply(ra[j], s) }
        case (0, 1): let s = ra[0]; for j in 0..<n { ro[j] = Op.apply(s, rb[j]) }
        default: let v = Op.apply(ra[0], rb[0]); for j in 0..<n { ro[j] = v }
        }
    }
}

extension Tensor {
    /// Broadcasts to `shape` (NumPy rules), copying. The gradient is summed back.
    public func broadcast(to shape: [Int]) -> Tensor {
        if shape == self.shape { return self }
        let result = checked { try broadcastShapes(self.shape, shape) }
        require(result == shape, "SwiftGAN shape error: cannot broadcast \(describe(self.shape)) to \(describe(shape))")
        let out = Tensor(uninitialized: shape)
        stridedBroadcastMap(self, Tensor(scalar: 0), into: out, FirstOperand.self)
        let inputShape = self.shape
        return Tensor.record("broadcast", out, [self]) { g, _ in [g.sum(toShape: inputShape)] }
    }

    /// Sums over the dimensions that broadcasting to this tensor's shape added or stretched, so the
    /// result has `shape`. The adjoint of ``broadcast(to:)``.
    public func sum(toShape shape: [Int]) -> Tensor {
        if shape == self.shape { return self }
        let check = checked { try broadcastShapes(shape, self.shape) }
        require(
            check == self.shape, "SwiftGAN shape error: cannot sum \(describe(self.shape)) down to \(describe(shape))")
        let lead = rank - shape.count
        var axes = Array(0..<lead)
        for (i, d) in shape.enumerated() where d == 1 && self.shape[i + lead] != 1 { axes.append(i + lead) }
        return sum(alongAxes: axes, keepingDimensions: true).reshaped(shape)
    }
}

// MARK: Arithmetic between tensors

public func + (a: Tensor, b: Tensor) -> Tensor {
    let out = broadcastMap(a, b, Addition.self)
    return Tensor.record("add", out, [a, b]) { g, wanted in
        [wanted[0] ? g.sum(toShape: a.shape) : nil, wanted[1] ? g.sum(toShape: b.shape) : nil]
    }
}

public func - (a: Tensor, b: Tensor) -> Tensor {
    let out = broadcastMap(a, b, Subtraction.self)
    return Tensor.record("subtract", out, [a, b]) { g, wanted in
        [wanted[0] ? g.sum(toShape: a.shape) : nil, wanted[1] ? -g.sum(toShape: b.shape) : nil]
    }
}

public func * (a: Tensor, b: Tensor) -> Tensor {
    let out = broadcastMap(a, b, Multiplication.self)
    return Tensor.record("multiply", out, [a, b]) { g, wanted in
        [wanted[0] ? (g * b).sum(toShape: a.shape) : nil, wanted[1] ? (g * a).sum(toShape: b.shape) : nil]
    }
}

public func / (a: Tensor, b: Tensor) -> Tensor {
    let out = broadcastMap(a, b, Division.self)
    return Tensor.record("divide", out, [a, b]) { g, wanted in
        // d(a/b)/db = −a/b², written as −(g/b)·(a/b) to avoid squaring a small b.
        [
            wanted[0] ? (g / b).sum(toShape: a.shape) : nil,
            wanted[1] ? (-(g / b) * (a / b)).sum(toShape: b.shape) : nil,
        ]
    }
}

// MARK: Scalar affine maps: scale·x + shift

extension Tensor {
    /// `scale · self + shift` in one pass; every scalar operator below is one of these.
    public func affine(scale: Float, shift: Float) -> Tensor {
        let out = Tensor(uninitialized: shape)
        let px = data, po = out.data
        Parallel.forEachChunk(count) { r in for i in r { po[i] = scale * px[i] + shift } }
        return Tensor.record("affine", out, [self]) { g, _ in [g.affine(scale: scale, shift: 0)] }
    }
}

public prefix func - (x: Tensor) -> Tensor { x.affine(scale: -1, shift: 0) }
public func * (x: Tensor, s: Float) -> Tensor { x.affine(scale: s, shift: 0) }
public func * (s: Float, x: Tensor) -> Tensor { x.affine(scale: s, shift: 0) }
public func / (x: Tensor, s: Float) -> Tensor { x.affine(scale: 1 / s, shift: 0) }
public func + (x: Tensor, s: Float) -> Tensor { x.affine(scale: 1, shift: s) }
public func + (s: Float, x: Tensor) -> Tensor { x.affine(scale: 1, shift: s) }
public func - (x: Tensor, s: Float) -> Tensor { x.affine(scale: 1, shift: -s) }
public func - (s: Float, x: Tensor) -> Tensor { x.affine(scale: -1, shift: s) }
public func / (s: Float, x: Tensor) -> Tensor { x.pow(-1) * s }
