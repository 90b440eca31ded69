import SwiftGANCDNNL

/// The number format convolutions and matrix products multiply in.
///
/// - `fp32`: everything in 32-bit floats (the default where bf16 does not run: ``preferred``).
/// - `bf16`: mixed precision, the recipe of PyTorch's `torch.autocast("cpu", dtype=torch.bfloat16)`
///   and Keras's `mixed_bfloat16` policy: the two inputs of each convolution pass and matrix
///   product that oneDNN runs are rounded to bfloat16 (8 significant bits) and multiplied at the
///   CPU's bf16 rate, accumulating and returning fp32. Weights, optimizer moments, BatchNorm,
///   activations, losses and every tensor a caller sees stay fp32. Needs oneDNN and a CPU with
///   AVX512_BF16 or AMX (``bf16Unavailability`` says why not). Winograd layers and tiny direct
///   loops stay fp32, and so do spectral norm's power iteration and the quality metrics
///   (``inFP32(_:)``); the portable backend's im2col GEMMs are matrix products, so bf16 too.
public enum Precision: String, CaseIterable, Codable, Sendable {
    case fp32, bf16

    /// The precision from now on. Set it with ``use(_:)``, from one thread, between steps.
    nonisolated(unsafe) public private(set) static var current: Precision = .fp32

    /// What a run multiplies in unless told: bf16 where it runs here (a CPU with AVX512_BF16 or
    /// AMX, and oneDNN), else fp32. bf16 is the default only where it runs at the CPU's bf16 rate:
    /// seeded runs measured its quality within fp32's seed-to-seed spread (dcgan and acgan, five
    /// seeds each; docs/benchmarks.md), as PyTorch's autocast and Keras's `mixed_bfloat16` are
    /// used for, and elsewhere it would only be an emulation slower than fp32.
    public static var preferred: Precision { bf16Unavailability == nil ? .bf16 : .fp32 }

    /// Nil where bf16 runs here, else a sentence saying why it does not.
    public static var bf16Unavailability: String? {
        guard ConvolutionBackend.isOneDNNAvailable else {
            return "bf16 needs oneDNN 2.x (Debian: libdnnl-dev): \(ConvolutionBackend.oneDNNDescription)"
        }
        guard sg_dnnl_bf16_available() != 0 else {
            return "this CPU has neither AVX512_BF16 nor AMX (\(ConvolutionBackend.oneDNNDescription)), so bf16 "
                + "would run slower than fp32; use --precision fp32"
        }
        return nil
    }

    /// Makes `precision` current; bf16 where it cannot run throws ``PrecisionError``.
    public static func use(_ precision: Precision) throws {
        if precision == .bf16, let reason = bf16Unavailability { throw PrecisionError(reason) }
        current = precision
    }

    /// Runs `body` in `precision`, restoring the previous one after.
    public static func with<T>(_ precision: Precision, _ body: () throws -> T) throws -> T {
        let saved = current
        try use(precision)
        defer { current = saved }
        return try body()
    }

    /// Runs `body` in fp32 (which runs everywhere), restoring the previous precision after:
    /// for measurements that must not depend on the training run's precision.
    public static func inFP32<T>(_ body: () throws -> T) rethrows -> T {
        let saved = current
        current = .fp32
        defer { current = saved }
        return try body()
    }

    /// bf16's unit roundoff, 2⁻⁸: rounding to 8 significant bits moves a value by at most this
    /// fraction of itself.
    public static let bf16UnitRoundoff: Float = 0x1p-8
}

/// bf16 was asked for where it cannot run.
public struct PrecisionError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

extension Float {
    /// This value rounded to bfloat16 as the CPU's `vcvtneps2bf16` does it (round to nearest, ties
    /// to even; a subnormal becomes a zero of its sign) and widened back: what a bf16 kernel
    /// multiplies. NaN stays NaN.
    public var bfloat16Rounded: Float {
        guard !isNaN else { return self }
        guard isNormal || isInfinite else { return Float(sign: sign, exponent: 0, significand: 0) }
        let bits = bitPattern
        let rounded = bits &+ 0x7fff &+ ((bits >> 16) & 1)
        return Float(bitPattern: rounded & 0xffff_0000)
    }
}

extension Tensor {
    /// Every element rounded to bfloat16 (``Float/bfloat16Rounded``): the emulation of what a bf16
    /// pass reads, for tests on any CPU. Not differentiable.
    public func bfloat16Rounded() -> Tensor {
        let out = Tensor(uninitialized: shape)
        let (src, dst) = (data, out.data)
        for i in 0..<count { dst[i] = src[i].bfloat16Rounded }
        return out
    }
}
