#ifndef SWIFTGAN_CMPI_H
#define SWIFTGAN_CMPI_H

// Open MPI's collectives for data-parallel training, opened at run time (dlopen) so that nothing
// links to MPI and a machine without it builds and runs single-process. The handful of calls
// SwiftGAN needs are wrapped here; every one acts on MPI_COMM_WORLD. MPI is initialized with
// MPI_THREAD_FUNNELED: after sg_mpi_init, make every call from the thread that made it.

/// Op codes for the reductions.
#define SG_MPI_SUM 0
#define SG_MPI_MAX 1
#define SG_MPI_MIN 2

/// Returned for failures before MPI is reached (MPI's own error codes are 0 or positive).
#define SG_MPI_ERR_UNAVAILABLE (-1)  // the library did not load; sg_mpi_description() says why
#define SG_MPI_ERR_ARGUMENT (-2)     // an op code or count out of range, or a NULL buffer
#define SG_MPI_ERR_STATE (-3)        // not initialized yet, or already finalized

/// 1 when Open MPI's library loads (on first call: `libmpi.so.40`, on macOS `libmpi.40.dylib`,
/// or the file `SWIFTGAN_MPI_LIBRARY` names) and has every call used here, else 0.
int sg_mpi_available(void);

/// A line saying which MPI library is in use (its version string once loaded), or why none is.
const char *sg_mpi_description(void);

/// Initializes MPI once per process (MPI_Init_thread asking for MPI_THREAD_FUNNELED; a second
/// call, or a process whose MPI someone else initialized, only asks) and sets `*rank` and
/// `*size` in MPI_COMM_WORLD. Errors are returned from then on, not fatal (MPI_ERRORS_RETURN).
/// Returns 0, MPI's error code, or a negative SG_MPI_ERR_*.
int sg_mpi_init(int *rank, int *size);

/// Element-wise reduction of `data[0..<count]` across all ranks, in place: every rank ends with
/// the same result. `op` is SG_MPI_SUM, SG_MPI_MAX or SG_MPI_MIN. Counts over INT_MAX go in
/// chunks. Every rank must pass the same count and op.
int sg_mpi_allreduce_float(float *data, long count, int op);
int sg_mpi_allreduce_double(double *data, long count, int op);

/// Copies `count` bytes at `bytes` on rank `root` into `bytes` on every other rank (MPI_Bcast of
/// MPI_BYTE; counts over INT_MAX in chunks). Every rank must pass the same count and root.
int sg_mpi_broadcast(void *bytes, long count, int root);

/// Returns once every rank has called it.
int sg_mpi_barrier(void);

/// Ends every rank of the job (MPI_Abort with `code`); without MPI, ends this process.
void sg_mpi_abort(int code) __attribute__((noreturn));

/// Finalizes MPI (no collective may follow). 0 when MPI was never initialized or is already
/// finalized.
int sg_mpi_finalize(void);

/// MPI's message for an error code (or a line for a negative SG_MPI_ERR_*); valid until the
/// calling thread's next call.
const char *sg_mpi_error_string(int code);

/// For tests: the most elements (bytes for a broadcast) one MPI call gets, so that a small
/// buffer exercises the chunking of counts over INT_MAX. 0 or less restores INT_MAX.
void sg_mpi_set_chunk_limit(long elements);

#endif
