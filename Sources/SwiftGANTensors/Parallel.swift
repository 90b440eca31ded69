import Dispatch
import Foundation
import SwiftGANCKernels

/// Splits `0..<count` into contiguous chunks and runs them on the machine's cores.
///
/// Small jobs run inline: handing work to another thread costs several microseconds, which pays
/// off only from roughly 256K elements of elementwise work (measured on 2 cores). Chunk
/// boundaries depend only on `count` and `Parallel.workers`, never on timing, so results that
/// combine per-chunk partials (sums) are the same on every run.
public enum Parallel {
    /// How many threads kernels use (oneDNN's OpenMP team too). Defaults to the cores this process
    /// may run on: its CPU affinity mask (`taskset`, a container's cpuset), not the machine's count.
    /// A team larger than that spins against itself: oneDNN's bf16 kernel-gradient pass took 1.3 s
    /// instead of 8 ms with 2 threads under `taskset -c 0`.
    nonisolated(unsafe) public static var workers = availableCores

    /// The cores this process may run on (its affinity mask where the system has one), at least 1.
    public static var availableCores: Int {
        let mask = Int(sg_available_cpus())
        return max(
            1,
            mask > 0
                ? min(mask, ProcessInfo.processInfo.activeProcessorCount) : ProcessInfo.processInfo.activeProcessorCount
        )
    }

    /// Elementwise work below this many elements stays on the calling thread.
    public static let elementwiseThreshold = 1 << 18

    @inline(__always)
    public static func forEachChunk(
        _ count: Int, minimumChunk: Int = elementwiseThreshold / 2,
        _ body: (Range<Int>) -> Void
    ) {
        let chunks = min(workers, count / max(minimumChunk, 1))
        if chunks <= 1 {
            if count > 0 { body(0..<count) }
            return
        }
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            body((c * count / chunks)..<((c + 1) * count / chunks))
        }
    }
}
