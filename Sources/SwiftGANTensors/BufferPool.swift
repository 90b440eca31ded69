import Foundation

/// A Float32 buffer shared by the tensors that view it. When the last one goes, the buffer goes
/// back to ``BufferPool``, not to the system allocator.
final class Storage {
    let pointer: UnsafeMutablePointer<Float>
    let capacity: Int
    /// Bumped by every in-place change (optimizer steps, `assign`), so the backward pass can
    /// refuse to use values that changed after the forward pass read them.
    var version = 0
    /// The values rounded to bf16 at `version` (bf16 matrix products: see `Tensor.bfloat16Operand`),
    /// in a pooled buffer of half as many floats that goes back to the pool with this one.
    var bfloat16: (version: Int, buffer: UnsafeMutablePointer<Float>, capacity: Int)?

    init(count: Int) {
        (pointer, capacity) = BufferPool.shared.take(count: count)
    }

    deinit {
        BufferPool.shared.give(pointer, capacity: capacity)
        if let copy = bfloat16 { BufferPool.shared.give(copy.buffer, capacity: copy.capacity) }
    }
}

/// Size-bucketed reuse of tensor buffers.
///
/// A training step creates the same few dozen intermediate tensors every time. Allocating them
/// afresh costs page faults (measured: ≈15,000 faults and 59–79 ms per step for a 66 MB step,
/// against 7 ms from a pool), so freed buffers wait here, bucketed by power-of-two capacity, for
/// the next tensor of a similar size. Buffers come back uninitialized: every kernel writes its
/// whole output.
public final class BufferPool: @unchecked Sendable {
    public static let shared = BufferPool()

    /// Counters for tests and benchmarks.
    public struct Statistics: Equatable, Sendable {
        /// Buffers taken from the system allocator.
        public var freshAllocations = 0
        /// Buffers served from the pool.
        public var reuses = 0
        /// Bytes currently held by idle buffers.
        public var idleBytes = 0
    }

    /// Idle bytes above which returned buffers are freed instead of kept.
    public var idleLimitBytes = 4 << 30

    private var idle: [[UnsafeMutablePointer<Float>]] = Array(repeating: [], count: 64)
    private var stats = Statistics()
    private let lock = NSLock()

    public var statistics: Statistics {
        lock.lock(); defer { lock.unlock() }
        return stats
    }

    /// Frees every idle buffer (for memory-constrained callers and tests).
    public func drain() {
        lock.lock(); defer { lock.unlock() }
        for bucket in idle.indices {
            for pointer in idle[bucket] { pointer.deallocate() }
            idle[bucket].removeAll()
        }
        stats.idleBytes = 0
    }

    private static let smallestBucket = 4  // 16 floats

    private static func bucket(for count: Int) -> Int {
        if count <= 1 << smallestBucket { return smallestBucket }
        return Int.bitWidth - (count - 1).leadingZeroBitCount
    }

    func take(count: Int) -> (UnsafeMutablePointer<Float>, Int) {
        require(count >= 0, "negative buffer size \(count)")
        let bucket = Self.bucket(for: count)
        let capacity = 1 << bucket
        lock.lock()
        if let pointer = idle[bucket].popLast() {
            stats.reuses += 1
            stats.idleBytes -= capacity * 4
            lock.unlock()
            return (pointer, capacity)
        }
        stats.freshAllocations += 1
        lock.unlock()
        let raw = UnsafeMutableRawPointer.allocate(byteCount: capacity * 4, alignment: 64)
        return (raw.bindMemory(to: Float.self, capacity: capacity), capacity)
    }

    func give(_ pointer: UnsafeMutablePointer<Float>, capacity: Int) {
        let bucket = Self.bucket(for: capacity)
        lock.lock()
        if stats.idleBytes + capacity * 4 <= idleLimitBytes {
            idle[bucket].append(pointer)
            stats.idleBytes += capacity * 4
            lock.unlock()
        } else {
            lock.unlock()
            pointer.deallocate()
        }
    }
}
