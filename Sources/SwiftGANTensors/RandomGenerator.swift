import Foundation

/// The one seeded source of randomness: initialization, shuffling, noise and dropout all draw
/// from a generator handed to them explicitly, so one seed reproduces a whole run.
///
/// xoshiro256** (Blackman & Vigna) seeded through SplitMix64. Its state is four words, saved in
/// checkpoints through ``state``.
///
/// ```swift
/// let rng = RandomGenerator(seed: 42)
/// let noise = Tensor.normal([64, 100], using: rng)
/// ```
public final class RandomGenerator: RandomNumberGenerator {
    private var s: (UInt64, UInt64, UInt64, UInt64)

    public init(seed: UInt64) {
        var x = seed
        func splitMix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s = (splitMix(), splitMix(), splitMix(), splitMix())
    }

    /// The generator's full state, for checkpoints.
    public var state: [UInt64] {
        get { [s.0, s.1, s.2, s.3] }
        set {
            require(
                newValue.count == 4 && newValue.contains { $0 != 0 },
                "RandomGenerator state must be four words, not all zero")
            s = (newValue[0], newValue[1], newValue[2], newValue[3])
        }
    }

    public func next() -> UInt64 {
        let result = rotl(s.1 &* 5, 7) &* 9
        let t = s.1 << 17
        s.2 ^= s.0
        s.3 ^= s.1
        s.1 ^= s.2
        s.0 ^= s.3
        s.2 ^= t
        s.3 = rotl(s.3, 45)
        return result
    }

    @inline(__always) private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// Uniform in [0, 1), 24 random bits (every representable step of a Float in that range).
    @inline(__always) public func uniform() -> Float { Float(next() >> 40) * 0x1p-24 }

    /// Fills a buffer with `low + span·u`, u = ``uniform()``: the same values as that many calls,
    /// with the state held in locals for the loop (a class's stored state read and written per
    /// element is several times slower).
    func fillUniform(_ out: UnsafeMutablePointer<Float>, count: Int, low: Float, span: Float) {
        var (s0, s1, s2, s3) = s
        for i in 0..<count {
            let result = rotl(s1 &* 5, 7) &* 9
            let t = s1 << 17
            s2 ^= s0
            s3 ^= s1
            s1 ^= s2
            s0 ^= s3
            s2 ^= t
            s3 = rotl(s3, 45)
            out[i] = low + span * (Float(result >> 40) * 0x1p-24)
        }
        s = (s0, s1, s2, s3)
    }

    /// Uniform in [0, 1) with 53 random bits.
    @inline(__always) public func uniformDouble() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// Standard normal by Box–Muller, one value per call (no hidden cached second value, so the
    /// state is exactly ``state``).
    public func normal() -> Float {
        let u1 = 1 - uniformDouble()  // (0, 1]: log stays finite
        let u2 = uniformDouble()
        return Float((-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2))
    }

    /// Fills a buffer with standard normals, using both Box–Muller outputs of each pair.
    func fillNormal(_ out: UnsafeMutablePointer<Float>, count: Int, mean: Float, std: Float) {
        var i = 0
        while i < count {
            let u1 = 1 - uniformDouble(), u2 = uniformDouble()
            let r = (-2 * log(u1)).squareRoot(), theta = 2 * Double.pi * u2
            out[i] = mean + std * Float(r * cos(theta))
            if i + 1 < count { out[i + 1] = mean + std * Float(r * sin(theta)) }
            i += 2
        }
    }

    /// Uniform integer in `0..<bound`, without modulo bias (Lemire's method).
    public func integer(below bound: Int) -> Int {
        require(bound > 0, "integer(below:) needs a positive bound, got \(bound)")
        let b = UInt64(bound)
        var m = next().multipliedFullWidth(by: b)
        if m.low < b {
            let threshold = (0 &- b) % b
            while m.low < threshold { m = next().multipliedFullWidth(by: b) }
        }
        return Int(m.high)
    }

    /// Fisher–Yates, written out so the order depends only on this generator (not on the
    /// standard library's shuffle, which may change between Swift versions).
    public func shuffle<T>(_ array: inout [T]) {
        guard array.count > 1 else { return }
        for i in stride(from: array.count - 1, to: 0, by: -1) {
            array.swapAt(i, integer(below: i + 1))
        }
    }

    /// A random permutation of `0..<count`.
    public func permutation(_ count: Int) -> [Int] {
        var p = Array(0..<count)
        shuffle(&p)
        return p
    }
}
