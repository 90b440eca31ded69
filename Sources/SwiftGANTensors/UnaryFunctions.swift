import Foundation
import SwiftGANCKernels

// Elementwise functions. Each is one small type: the value, its derivative as a scalar formula
// (the fast first-order backward, fused into one pass with the incoming gradient), and its
// derivative as tensor operations (used when the backward pass is itself recorded, so gradients
// of gradients are exact). Tests check both paths against finite differences.

protocol ElementwiseFunction {
    var name: String { get }
    func value(_ x: Float) -> Float
    /// dy/dx at x, where y = value(x).
    func derivative(x: Float, y: Float) -> Float
    /// dy/dx as differentiable tensor operations.
    func derivative(of x: Tensor) -> Tensor
}

/// An elementwise function whose value and first-order backward also run as kernels over whole
/// buffers (C, vectorized): `apply` calls these on each chunk instead of `value` and
/// `derivative(x:y:)` per element. For functions built on libm (expm1, exp, tanh), which Swift calls
/// once per element. `value` and `derivative(x:y:)` stay the scalar definitions the kernels follow.
protocol BufferElementwiseFunction: ElementwiseFunction {
    /// y[i] = value(x[i]) for i in 0..<count.
    func values(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int)
    /// dx[i] = g[i]·derivative(x: x[i], y: y[i]) for i in 0..<count.
    func gradients(
        _ g: UnsafePointer<Float>, x: UnsafePointer<Float>, y: UnsafePointer<Float>,
        into dx: UnsafeMutablePointer<Float>, count: Int)
}

extension Tensor {
    /// Applies `f` elementwise, without recording.
    @inline(__always)
    func map(_ f: (Float) -> Float) -> Tensor {
        let out = Tensor(uninitialized: shape)
        let px = data, po = out.data
        Parallel.forEachChunk(count) { r in for i in r { po[i] = f(px[i]) } }
        return out
    }

    @inline(__always)
    func apply<F: ElementwiseFunction>(_ f: F) -> Tensor {
        // The loop written here, not `map(f.value)`: through the generic parameter `f.value` inlines
        // into the loop the worker threads run; a function value passed along is called per element.
        let out = Tensor(uninitialized: shape)
        let px = data, po = out.data
        Parallel.forEachChunk(count) { r in for i in r { po[i] = f.value(px[i]) } }
        // The output's buffer, not the output: a closure holding the output would keep it alive forever.
        let y = out.storage
        return Tensor.record(f.name, out, [self]) { g, _ in
            if GradMode.isEnabled { return [g * f.derivative(of: self)] }
            let dx = Tensor(uninitialized: g.shape)
            let pg = g.data, px = self.data, py = y.pointer, pd = dx.data
            Parallel.forEachChunk(dx.count) { r in for i in r { pd[i] = pg[i] * f.derivative(x: px[i], y: py[i]) } }
            return [dx]
        }
    }

    /// `apply` for a function with buffer kernels: the same recording and the same higher-order
    /// path, with the forward and the first-order backward run by `f`'s kernels chunk by chunk
    /// (the chunks depend only on the count, and the kernels are elementwise, so the results do
    /// not depend on the thread count).
    @inline(__always)
    func apply<F: BufferElementwiseFunction>(_ f: F) -> Tensor {
        let out = Tensor(uninitialized: shape)
        let px = data, po = out.data
        Parallel.forEachChunk(count) { r in f.values(px + r.lowerBound, into: po + r.lowerBound, count: r.count) }
        // The output's buffer, not the output: a closure holding the output would keep it alive forever.
        let y = out.storage
        return Tensor.record(f.name, out, [self]) { g, _ in
            if GradMode.isEnabled { return [g * f.derivative(of: self)] }
            let dx = Tensor(uninitialized: g.shape)
            let pg = g.data, px = self.data, py = y.pointer, pd = dx.data
            Parallel.forEachChunk(dx.count) { r in
                let o = r.lowerBound
                f.gradients(pg + o, x: px + o, y: py + o, into: pd + o, count: r.count)
            }
            return [dx]
        }
    }
}

// MARK: Activations

struct ReLU: ElementwiseFunction {
    let name = "relu"
    func value(_ x: Float) -> Float { x < 0 ? 0 : x }  // NaN stays NaN
    func derivative(x: Float, y: Float) -> Float { x > 0 ? 1 : 0 }
    func derivative(of x: Tensor) -> Tensor { x.map { $0 > 0 ? 1 : 0 } }
}

struct LeakyReLU: ElementwiseFunction {
    let slope: Float
    let name = "leakyRelu"
    func value(_ x: Float) -> Float { x > 0 ? x : slope * x }
    func derivative(x: Float, y: Float) -> Float { x > 0 ? 1 : slope }
    func derivative(of x: Tensor) -> Tensor { x.map { $0 > 0 ? 1 : slope } }
}

/// s·(x for x > 0, α(eˣ − 1) otherwise): ELU with s = 1, SELU with its λ and α. The derivative is
/// s for x > 0 and s·α·eˣ = y + s·α otherwise. Forward and first-order backward run in C
/// (`sg_elu_forward`, `sg_elu_backward`: a vectorized expm1 within 0.85 ulp for x ≤ 0), since
/// Swift calls libm's expm1 once per element.
struct ELU: BufferElementwiseFunction {
    let alpha: Float
    var scale: Float = 1
    var name: String { scale == 1 ? "elu" : "selu" }
    func value(_ x: Float) -> Float { scale * (x > 0 ? x : alpha * expm1(x)) }  // NaN stays NaN
    func derivative(x: Float, y: Float) -> Float { x > 0 ? scale : y + scale * alpha }
    func derivative(of x: Tensor) -> Tensor {
        let positive = x.map { $0 > 0 ? 1 : 0 }
        let unscaled = positive + (1 - positive) * x.clamped(max: 0).exp() * alpha
        return scale == 1 ? unscaled : unscaled * scale
    }
    func values(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
        sg_elu_forward(x, y, count, alpha, scale)
    }
    func gradients(
        _ g: UnsafePointer<Float>, x: UnsafePointer<Float>, y: UnsafePointer<Float>,
        into dx: UnsafeMutablePointer<Float>, count: Int
    ) {
        sg_elu_backward(g, x, y, dx, count, alpha, scale)
    }
}

struct Sigmoid: ElementwiseFunction {
    let name = "sigmoid"
    func value(_ x: Float) -> Float { 1 / (1 + exp(-x)) }
    func derivative(x: Float, y: Float) -> Float { y * (1 - y) }
    func derivative(of x: Tensor) -> Tensor { let s = x.sigmoid(); return s * (1 - s) }
}

/// The forward runs in C (`sg_tanh_forward`: sign(x)·(−e/(e + 2)) with e = expm1(−2|x|), within
/// 2.5 ulp, ≈40× libm's tanhf per element on one Zen 5 core); the backward, 1 − y², needs no libm.
struct Tanh: BufferElementwiseFunction {
    let name = "tanh"
    func value(_ x: Float) -> Float { tanh(x) }
    func derivative(x: Float, y: Float) -> Float { 1 - y * y }
    func derivative(of x: Tensor) -> Tensor { 1 - x.tanh().pow(2) }
    func values(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
        sg_tanh_forward(x, y, count)
    }
    func gradients(
        _ g: UnsafePointer<Float>, x: UnsafePointer<Float>, y: UnsafePointer<Float>,
        into dx: UnsafeMutablePointer<Float>, count: Int
    ) {
        for i in 0..<count { dx[i] = g[i] * (1 - y[i] * y[i]) }
    }
}

/// log(1 + eˣ), computed as max(x, 0) + log1p(e^−|x|) so it never overflows.
struct Softplus: ElementwiseFunction {
    let name = "softplus"
    func value(_ x: Float) -> Float { max(x, 0) + log1p(exp(-abs(x))) }
    func derivative(x: Float, y: Float) -> Float { 1 / (1 + exp(-x)) }
    func derivative(of x: Tensor) -> Tensor { x.sigmoid() }
}

/// log σ(x) = min(x, 0) − log1p(e^−|x|): finite for every finite x.
struct LogSigmoid: ElementwiseFunction {
    let name = "logSigmoid"
    func value(_ x: Float) -> Float { min(x, 0) - log1p(exp(-abs(x))) }
    func derivative(x: Float, y: Float) -> Float { 1 / (1 + exp(x)) }
    func derivative(of x: Tensor) -> Tensor { (-x).sigmoid() }
}

// MARK: Arithmetic functions

struct Exp: ElementwiseFunction {
    let name = "exp"
    func value(_ x: Float) -> Float { exp(x) }
    func derivative(x: Float, y: Float) -> Float { y }
    func derivative(of x: Tensor) -> Tensor { x.exp() }
}

struct Log: ElementwiseFunction {
    let name = "log"
    func value(_ x: Float) -> Float { log(x) }
    func derivative(x: Float, y: Float) -> Float { 1 / x }
    func derivative(of x: Tensor) -> Tensor { x.pow(-1) }
}

struct Sqrt: ElementwiseFunction {
    let name = "sqrt"
    func value(_ x: Float) -> Float { x.squareRoot() }
    func derivative(x: Float, y: Float) -> Float { 0.5 / y }
    func derivative(of x: Tensor) -> Tensor { x.pow(-0.5) * 0.5 }
}

/// xᵖ for a constant exponent.
struct Power: ElementwiseFunction {
    let exponent: Float
    let name = "pow"
    func value(_ x: Float) -> Float {
        switch exponent {
        case 1: return x
        case 2: return x * x
        case -1: return 1 / x
        case 0.5: return x.squareRoot()
        default: return pow(x, exponent)
        }
    }
    func derivative(x: Float, y: Float) -> Float {
        switch exponent {
        case 0: return 0
        case 2: return 2 * x
        default: return exponent * Power(exponent: exponent - 1).value(x)
        }
    }
    func derivative(of x: Tensor) -> Tensor {
        switch exponent {
        case 0: return Tensor.zeros(x.shape)
        case 1: return Tensor.ones(x.shape)
        default: return x.pow(exponent - 1) * exponent
        }
    }
}

/// |x|, with derivative sign(x) and 0 at 0 (PyTorch's choice).
struct Abs: ElementwiseFunction {
    let name = "abs"
    func value(_ x: Float) -> Float { abs(x) }
    func derivative(x: Float, y: Float) -> Float { x > 0 ? 1 : (x < 0 ? -1 : 0) }
    func derivative(of x: Tensor) -> Tensor { x.map { $0 > 0 ? 1 : ($0 < 0 ? -1 : 0) } }
}

/// min(max(x, low), high). The gradient passes where low ≤ x ≤ high, boundaries included
/// (PyTorch's choice), and is 0 outside.
struct Clamp: ElementwiseFunction {
    let low: Float, high: Float
    let name = "clamp"
    func value(_ x: Float) -> Float { min(max(x, low), high) }
    func derivative(x: Float, y: Float) -> Float { x >= low && x <= high ? 1 : 0 }
    func derivative(of x: Tensor) -> Tensor { x.map { $0 >= low && $0 <= high ? 1 : 0 } }
}

extension Tensor {
    /// max(x, 0).
    public func relu() -> Tensor { apply(ReLU()) }
    /// x for x > 0, `slope`·x otherwise (Keras LeakyReLU's default `negative_slope` is 0.3, PyTorch's 0.01).
    public func leakyRelu(slope: Float) -> Tensor { apply(LeakyReLU(slope: slope)) }
    /// x for x > 0, α(eˣ − 1) otherwise.
    public func elu(alpha: Float = 1) -> Tensor { apply(ELU(alpha: alpha)) }
    /// λ·elu(x, α) with the self-normalizing constants of Klambauer et al. (2017), as Keras and
    /// PyTorch use; one pass (one recorded operation, "selu").
    public func selu() -> Tensor {
        apply(ELU(alpha: 1.6732632423543772848170429916717, scale: 1.0507009873554804934193349852946))
    }
    /// 1 / (1 + e⁻ˣ).
    public func sigmoid() -> Tensor { apply(Sigmoid()) }
    public func tanh() -> Tensor { apply(Tanh()) }
    /// log(1 + eˣ), overflow-free.
    public func softplus() -> Tensor { apply(Softplus()) }
    /// log σ(x), overflow-free: the building block of binary cross-entropy from logits.
    public func logSigmoid() -> Tensor { apply(LogSigmoid()) }
    public func exp() -> Tensor { apply(Exp()) }
    /// Natural logarithm; −inf at 0 and NaN below, as IEEE defines.
    public func log() -> Tensor { apply(Log()) }
    public func sqrt() -> Tensor { apply(Sqrt()) }
    /// xᵖ elementwise for a constant p.
    public func pow(_ exponent: Float) -> Tensor { apply(Power(exponent: exponent)) }
    public func abs() -> Tensor { apply(Abs()) }
    /// Limits values to [min, max]; either bound may be left out.
    public func clamped(min low: Float = -.infinity, max high: Float = .infinity) -> Tensor {
        require(low <= high, "clamped(min: \(low), max: \(high)): min exceeds max")
        return apply(Clamp(low: low, high: high))
    }
}
