import Foundation
import SwiftGANCMPI

/// ``Collective`` over Open MPI, across the processes `mpirun -n N` (or `srun`) started; every
/// call acts on `MPI_COMM_WORLD`.
///
/// Open MPI's `libmpi.so.40` (macOS: `libmpi.40.dylib`; `SWIFTGAN_MPI_LIBRARY` names another
/// file) is opened at run time, so SwiftGAN builds and runs without it; Debian/Ubuntu: `apt-get
/// install openmpi-bin libopenmpi3`, macOS: `brew install open-mpi`. MPI is initialized once per
/// process with `MPI_THREAD_FUNNELED`: make every call from the thread that created the first
/// `MPICollective` (the training loop's). Errors are returned, not fatal, and thrown as
/// ``CollectiveError``; other ranks may then be waiting in a collective, so a rank that cannot go
/// on calls ``abort(code:)``.
///
/// Reductions run in place (`MPI_IN_PLACE`); counts over `Int32.max` go in several calls.
///
/// ```swift
/// // mpirun -n 4 ./train
/// let mpi = try MPICollective()
/// try weights.withUnsafeMutableBytes { try mpi.broadcast($0, from: 0) }   // same start everywhere
/// try gradients.withUnsafeMutableBufferPointer { try mpi.allReduceSum($0) }
/// try mpi.finalize()
/// ```
public final class MPICollective: Collective {
    public let rank: Int
    public let size: Int

    /// Whether Open MPI's library loads (it is opened on the first question).
    public static var isAvailable: Bool { sg_mpi_available() != 0 }

    /// Which MPI library is in use (its version line and file), or why none is.
    public static var libraryDescription: String { String(cString: sg_mpi_description()) }

    /// What to do where the library does not load.
    static let installation =
        "Install Open MPI (Debian/Ubuntu: apt-get install openmpi-bin libopenmpi3; macOS: brew install open-mpi),"
        + " or set SWIFTGAN_MPI_LIBRARY to the path of its libmpi."

    /// Joins the job: initializes MPI (once per process) and reads this process's rank and the
    /// job's size. Throws when the library does not load or `MPI_Init_thread` fails.
    public init() throws {
        guard Self.isAvailable else {
            throw CollectiveError(
                call: "MPICollective", code: -1, message: "\(Self.libraryDescription). \(Self.installation)")
        }
        var rank: Int32 = 0
        var size: Int32 = 0
        try check(sg_mpi_init(&rank, &size), "MPI_Init_thread")
        self.rank = Int(rank)
        self.size = Int(size)
    }

    public func allReduceSum(_ values: UnsafeMutableBufferPointer<Float>) throws {
        try check(sg_mpi_allreduce_float(values.baseAddress, values.count, SG_MPI_SUM), "MPI_Allreduce")
    }

    public func allReduceSum(_ values: UnsafeMutableBufferPointer<Double>) throws {
        try check(sg_mpi_allreduce_double(values.baseAddress, values.count, SG_MPI_SUM), "MPI_Allreduce")
    }

    public func allReduce(_ values: inout [Double], _ op: ReduceOperation) throws {
        let code: Int32
        switch op {
        case .sum: code = SG_MPI_SUM
        case .max: code = SG_MPI_MAX
        case .min: code = SG_MPI_MIN
        }
        try values.withUnsafeMutableBufferPointer {
            try check(sg_mpi_allreduce_double($0.baseAddress, $0.count, code), "MPI_Allreduce")
        }
    }

    public func broadcast(_ bytes: UnsafeMutableRawBufferPointer, from root: Int) throws {
        try checkRoot(root, size: size)
        try check(sg_mpi_broadcast(bytes.baseAddress, bytes.count, Int32(root)), "MPI_Bcast")
    }

    public func barrier() throws {
        try check(sg_mpi_barrier(), "MPI_Barrier")
    }

    public func finalize() throws {
        try check(sg_mpi_finalize(), "MPI_Finalize")
    }

    public func abort(code: Int32) -> Never {
        sg_mpi_abort(code)
    }
}

/// Throws ``CollectiveError`` for a nonzero code of the C layer (MPI's, or its own negative ones).
private func check(_ code: Int32, _ call: String) throws {
    guard code != 0 else { return }
    throw CollectiveError(call: call, code: code, message: String(cString: sg_mpi_error_string(code)))
}
