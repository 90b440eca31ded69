import Foundation

/// The seam between training and the processes it runs on: the few collective operations that
/// data-parallel training needs, with every rank holding a whole model and a share of each batch.
///
/// - ``SingleProcess``: rank 0 of 1; every call is a no-op. What a plain `swiftgan train` gets.
/// - ``MPICollective``: Open MPI across the processes `mpirun` or `srun` started (CPU buffers).
///
/// ``Collectives/fromEnvironment(_:)`` picks one from how the process was launched. A GPU
/// backend's collectives (NCCL, reducing device buffers) go behind this protocol later, as a
/// third implementation: training code only sees `Collective`.
///
/// Collectives match up by order: every rank makes the same calls, in the same order, with the
/// same counts, operations and roots, or the job hangs. After each call every rank holds the
/// same values:
///
///     allReduceSum(x):   x ← x₀ + x₁ + … + x_{size−1}   (x_r: rank r's buffer)
///     broadcast(b, from: root):   b ← b_root
///
/// ```swift
/// let collective = try Collectives.fromEnvironment()
/// try gradients.withUnsafeMutableBufferPointer { try collective.allReduceSum($0) }
/// // mean gradient: divide by collective.size
/// try collective.finalize()
/// ```
public protocol Collective: AnyObject {
    /// This process's index among the `size`, from 0; rank 0 writes the run folder.
    var rank: Int { get }
    /// How many processes take part.
    var size: Int { get }

    /// Replaces `values` on every rank with the element-wise sum over all ranks (in place).
    func allReduceSum(_ values: UnsafeMutableBufferPointer<Float>) throws
    /// Replaces `values` on every rank with the element-wise sum over all ranks (in place).
    func allReduceSum(_ values: UnsafeMutableBufferPointer<Double>) throws
    /// Replaces `values` with their element-wise `op` over all ranks: for small vectors of flags
    /// and counters (`.max` of "I saw a NaN", `.min` of "I have another batch").
    func allReduce(_ values: inout [Double], _ op: ReduceOperation) throws
    /// Copies rank `root`'s bytes over every other rank's; every rank passes a buffer of the same
    /// size. (`broadcast(_:from:)` on `[UInt8]` sends the size first.)
    func broadcast(_ bytes: UnsafeMutableRawBufferPointer, from root: Int) throws
    /// Returns once every rank has called it.
    func barrier() throws
    /// Ends the collectives; call it once, on every rank, before the process exits (under
    /// `mpirun`, a rank that exits without it fails the job). No collective may follow.
    func finalize() throws
    /// Ends every process of the job with `code`: for a failure that other ranks, waiting in a
    /// collective, would otherwise wait on forever.
    func abort(code: Int32) -> Never
}

extension Collective {
    /// Copies rank `root`'s bytes into `bytes` on every other rank, whatever their size there:
    /// the count goes first, then the bytes.
    public func broadcast(_ bytes: inout [UInt8], from root: Int) throws {
        var count = Int64(bytes.count)
        try withUnsafeMutableBytes(of: &count) { try broadcast($0, from: root) }
        if rank != root {
            guard count >= 0, count <= Int64(Int.max) else {
                throw CollectiveError(call: "broadcast", code: -1, message: "rank \(root) sent a size of \(count)")
            }
            bytes = [UInt8](repeating: 0, count: Int(count))
        }
        try bytes.withUnsafeMutableBytes { try broadcast($0, from: root) }
    }
}

/// The element-wise operation of ``Collective/allReduce(_:_:)``.
public enum ReduceOperation: Sendable {
    case sum, max, min
}

/// A collective operation that failed: the call, MPI's error code (0 is success; negative codes
/// are failures before MPI was reached, such as a library that did not load) and its message.
public struct CollectiveError: Error, CustomStringConvertible {
    /// The call that failed, e.g. `MPI_Allreduce`.
    public let call: String
    public let code: Int32
    public let message: String

    public init(call: String, code: Int32, message: String) {
        self.call = call
        self.code = code
        self.message = message
    }

    public var description: String {
        code < 0 ? "\(call): \(message)" : "\(call) failed with MPI error \(code): \(message)"
    }
}

/// One process alone: rank 0 of 1. Reductions and broadcasts leave the values as they are.
///
/// ```swift
/// let collective: any Collective = SingleProcess()
/// try collective.barrier()   // returns at once
/// ```
public final class SingleProcess: Collective {
    public let rank = 0
    public let size = 1

    public init() {}

    public func allReduceSum(_ values: UnsafeMutableBufferPointer<Float>) throws {}
    public func allReduceSum(_ values: UnsafeMutableBufferPointer<Double>) throws {}
    public func allReduce(_ values: inout [Double], _ op: ReduceOperation) throws {}

    public func broadcast(_ bytes: UnsafeMutableRawBufferPointer, from root: Int) throws {
        try checkRoot(root, size: size)
    }

    public func barrier() throws {}
    public func finalize() throws {}

    public func abort(code: Int32) -> Never {
        exit(code)
    }
}

/// A root rank outside the job is the caller's error, whichever implementation runs.
func checkRoot(_ root: Int, size: Int) throws {
    guard (0..<size).contains(root) else {
        throw CollectiveError(call: "broadcast", code: -2, message: "root \(root) is not a rank of 0..<\(size)")
    }
}

/// Picks the ``Collective`` for this process from how it was launched.
public enum Collectives {
    /// What the environment says about the launcher: the variable read and the number of
    /// processes it started (nil where the launcher does not say).
    public struct Launch: Equatable, Sendable {
        public let variable: String
        public let size: Int?

        public init(variable: String, size: Int?) {
            self.variable = variable
            self.size = size
        }
    }

    /// The variables read, in this order, each naming the number of processes started:
    /// `OMPI_COMM_WORLD_SIZE` (Open MPI's `mpirun`/`mpiexec`), `PMI_SIZE` (MPICH's Hydra and
    /// Intel MPI, whose ranks Open MPI's library cannot join: the size check below reports it),
    /// `SLURM_STEP_NUM_TASKS` (`srun`'s job step; `SLURM_NTASKS` is not read, because an `sbatch`
    /// script or `salloc` shell has it too while running one process). Without any of them,
    /// `PMIX_RANK` (a PMIx launcher such as `prterun` or `srun --mpi=pmix`) means MPI of a size
    /// MPI itself reports.
    public static let sizeVariables = ["OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "SLURM_STEP_NUM_TASKS"]

    /// The launcher this environment names, or nil for a process started on its own.
    public static func launch(in environment: [String: String]) -> Launch? {
        for variable in sizeVariables {
            if let value = environment[variable], let size = Int(value.trimmingCharacters(in: .whitespaces)) {
                return Launch(variable: variable, size: size)
            }
        }
        return environment["PMIX_RANK"] != nil ? Launch(variable: "PMIX_RANK", size: nil) : nil
    }

    /// ``MPICollective`` when a launcher started several processes (see ``sizeVariables``),
    /// else ``SingleProcess`` (no launcher, or one process). Throws when the environment names
    /// several processes but Open MPI's library does not load (install it: `apt-get install
    /// openmpi-bin libopenmpi3`, macOS `brew install open-mpi`), when MPI fails to start, or when
    /// MPI sees a different number of processes than the launcher started (another MPI's
    /// launcher: each process would train alone).
    ///
    /// ```swift
    /// // mpirun -n 4 swiftgan train …  →  MPICollective, rank 0…3 of 4
    /// // swiftgan train …              →  SingleProcess
    /// let collective = try Collectives.fromEnvironment()
    /// ```
    public static func fromEnvironment(
        _ environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> any Collective {
        guard let launcher = launch(in: environment), launcher.size.map({ $0 > 1 }) ?? true else {
            return SingleProcess()
        }
        let started = launcher.size.map { "\($0) processes" } ?? "several processes"
        guard MPICollective.isAvailable else {
            throw CollectiveError(
                call: "Collectives.fromEnvironment", code: -1,
                message: "\(launcher.variable) says \(started) were launched, but \(MPICollective.libraryDescription)."
                    + " \(MPICollective.installation)")
        }
        let mpi = try MPICollective()
        if let expected = launcher.size, mpi.size != expected {
            throw CollectiveError(
                call: "Collectives.fromEnvironment", code: -1,
                message: "\(launcher.variable) says \(expected) processes were launched, but MPI sees \(mpi.size)"
                    + " (\(MPICollective.libraryDescription)): launch with Open MPI's mpirun, or srun --mpi=pmix")
        }
        return mpi
    }
}
