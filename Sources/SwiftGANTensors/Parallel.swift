import Dispatch
import Foundation

/// Splits `0..<count` into contiguous chunks and runs them on the machine's cores.
///
/// Small jobs run inline: handing work to another thread costs several microseconds, which pays
/// off only from roughly 256K elements of elementwise work (measured on 2 cores). Chunk
/// boundaries depend only on `count` and `Parallel.workers`, never on timing, so results that
/// combine per-chunk partials (sums) are the same on every run.
public enum Parallel {
    /// How many threads kernels use. Defaults to the number of active cores.
    nonisolated(unsafe) public static var workers = max(1, ProcessInfo.processInfo.activeProcessorCount)

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
