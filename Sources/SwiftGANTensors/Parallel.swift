import Dispatch
import Foundation
import SwiftGANCDNNL
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
    /// instead of 8 ms with 2 threads under `taskset -c 0`. `OMP_NUM_THREADS` (a positive number,
    /// as PyTorch reads it) lowers it: data-parallel ranks sharing a machine take one thread each.
    nonisolated(unsafe) public static var workers = min(availableCores, threadsAskedFor ?? .max)

    /// `OMP_NUM_THREADS` where it is a positive number.
    static var threadsAskedFor: Int? {
        ProcessInfo.processInfo.environment["OMP_NUM_THREADS"].flatMap { Int($0) }.flatMap { $0 > 0 ? $0 : nil }
    }

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
        if runsOnOpenMP {
            // The closure does not escape: sg_openmp_parallel returns after every chunk ran.
            let ran = withoutActuallyEscaping(body) { body in
                var job = ChunkJob(count: count, chunks: chunks, body: body)
                return withUnsafeMutablePointer(to: &job) { sg_openmp_parallel(Int32(chunks), ChunkJob.run, $0) } == 0
            }
            if ran { return }
        }
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            body((c * count / chunks)..<((c + 1) * count / chunks))
        }
    }

    /// Whether the chunks run on oneDNN's OpenMP team (where oneDNN is loaded on OpenMP) rather
    /// than on Dispatch's worker threads. One pool for both: with two, the threads of one spin or
    /// sleep while the other's need the cores, and on two cores each hand-off between a
    /// convolution and the elementwise work around it cost a wake-up (mlp-gan: 146–169 steps/s
    /// with oneDNN's threads sleeping at once, 186–271 with them spinning; acgan, whose Winograd
    /// passes ran on Dispatch's threads, fell from 6.2 to 4.0 with them spinning).
    /// `SWIFTGAN_PARALLEL=dispatch` starts it off (for comparisons); setting it true where OpenMP
    /// is not loaded changes nothing. Set it from one thread, between steps.
    nonisolated(unsafe) public static var runsOnOpenMP: Bool =
        ProcessInfo.processInfo.environment["SWIFTGAN_PARALLEL"] != "dispatch" && sg_openmp_available() != 0
}

/// One `forEachChunk` call as the OpenMP team's threads see it: `run` does chunk `c` of it.
private struct ChunkJob {
    let count: Int, chunks: Int
    let body: (Range<Int>) -> Void

    static let run: @convention(c) (UnsafeMutableRawPointer?, Int32) -> Void = { context, c in
        let job = context!.assumingMemoryBound(to: ChunkJob.self).pointee
        let c = Int(c)
        job.body((c * job.count / job.chunks)..<((c + 1) * job.count / job.chunks))
    }
}
