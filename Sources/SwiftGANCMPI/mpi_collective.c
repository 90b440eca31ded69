// Open MPI for SwiftGAN's data-parallel training, opened at run time so that a machine without it
// still builds and runs: no MPI header is needed at build time (the few declarations used are
// written out below, from Open MPI 4.1's mpi.h) and the library is optional at run time (dlopen).
//
// The declarations are Open MPI's ABI, not the MPI standard's: handles (MPI_Comm, MPI_Datatype,
// MPI_Op, MPI_Errhandler) are pointers, and the predefined ones are macros over global objects
// of the library (MPI_COMM_WORLD is &ompi_mpi_comm_world, MPI_FLOAT &ompi_mpi_float, MPI_SUM
// &ompi_mpi_op_sum, ...), which dlsym finds by those names. MPICH's ABI (integer handles) is not
// supported; sg_mpi_available() is 0 where those symbols are missing.
#include "SwiftGANCMPI.h"

#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/// Open MPI's handles are pointers to its objects.
typedef void *sg_handle;

// From Open MPI 4.1's mpi.h: `enum { MPI_THREAD_SINGLE, MPI_THREAD_FUNNELED, ... }` and
// `#define MPI_IN_PLACE ((void *) 1)`; MPI_MAX_ERROR_STRING and MPI_MAX_LIBRARY_VERSION_STRING
// are 256.
#define OMPI_THREAD_FUNNELED 1
#define OMPI_IN_PLACE ((void *)1)
#define OMPI_MAX_STRING 256

#define SG_MPI_FUNCTIONS(X) \
    X(MPI_Initialized, (int *flag)) \
    X(MPI_Finalized, (int *flag)) \
    X(MPI_Init_thread, (int *argc, char ***argv, int required, int *provided)) \
    X(MPI_Comm_rank, (sg_handle comm, int *rank)) \
    X(MPI_Comm_size, (sg_handle comm, int *size)) \
    X(MPI_Comm_set_errhandler, (sg_handle comm, sg_handle errhandler)) \
    X(MPI_Allreduce, (const void *sendbuf, void *recvbuf, int count, sg_handle type, sg_handle op, sg_handle comm)) \
    X(MPI_Bcast, (void *buffer, int count, sg_handle type, int root, sg_handle comm)) \
    X(MPI_Barrier, (sg_handle comm)) \
    X(MPI_Abort, (sg_handle comm, int errorcode)) \
    X(MPI_Finalize, (void)) \
    X(MPI_Error_string, (int errorcode, char *string, int *length)) \
    X(MPI_Get_library_version, (char *version, int *length))

#define SG_MPI_OBJECTS(X) \
    X(ompi_mpi_comm_world) X(ompi_mpi_float) X(ompi_mpi_double) X(ompi_mpi_byte) \
    X(ompi_mpi_op_sum) X(ompi_mpi_op_max) X(ompi_mpi_op_min) X(ompi_mpi_errors_return)

#define SG_DECLARE_FUNCTION(name, parameters) static int (*p_##name) parameters;
SG_MPI_FUNCTIONS(SG_DECLARE_FUNCTION)
#undef SG_DECLARE_FUNCTION
#define SG_DECLARE_OBJECT(name) static sg_handle name;
SG_MPI_OBJECTS(SG_DECLARE_OBJECT)
#undef SG_DECLARE_OBJECT

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int load_state;  // 0 not tried, 1 loaded, -1 failed
static char description[512] = "MPI not loaded yet";
static int ready;       // initialized by sg_mpi_init and not finalized since
static long chunk_limit = INT_MAX;

static int load_locked(void) {
    if (load_state != 0) return load_state == 1;
    load_state = -1;
    const char *named = getenv("SWIFTGAN_MPI_LIBRARY");
#ifdef __APPLE__
    // Homebrew's open-mpi: /usr/local/lib (Intel) is on dlopen's fallback path, /opt/homebrew/lib not.
    const char *candidates[] = {"libmpi.40.dylib", "/opt/homebrew/lib/libmpi.40.dylib"};
#else
    const char *candidates[] = {"libmpi.so.40"};
#endif
    const char *path = NULL;
    void *library = NULL;
    char error[256] = "";
    if (named && *named) {
        path = named;
        library = dlopen(path, RTLD_NOW | RTLD_GLOBAL);
        if (!library) snprintf(error, sizeof error, "%s", dlerror());
    } else {
        for (size_t i = 0; i < sizeof candidates / sizeof *candidates && !library; i++) {
            path = candidates[i];
            // RTLD_GLOBAL: Open MPI's components, which it opens itself, use libmpi's symbols.
            library = dlopen(path, RTLD_NOW | RTLD_GLOBAL);
            if (!library && i == 0) snprintf(error, sizeof error, "%s", dlerror());
        }
    }
    if (!library) {
        snprintf(description, sizeof description, "Open MPI not loaded: %s", error);
        return 0;
    }
#define SG_RESOLVE_FUNCTION(name, parameters) \
    if (!(p_##name = (int (*) parameters)dlsym(library, #name))) { \
        snprintf(description, sizeof description, "%s lacks %s", path, #name); return 0; }
    SG_MPI_FUNCTIONS(SG_RESOLVE_FUNCTION)
#undef SG_RESOLVE_FUNCTION
#define SG_RESOLVE_OBJECT(name) \
    if (!(name = dlsym(library, #name))) { \
        snprintf(description, sizeof description, "%s lacks %s: not Open MPI's ABI", path, #name); return 0; }
    SG_MPI_OBJECTS(SG_RESOLVE_OBJECT)
#undef SG_RESOLVE_OBJECT
    // The version string may run over several lines; the first names the library and version.
    char version[OMPI_MAX_STRING + 1] = "";
    int length = 0;
    if (p_MPI_Get_library_version(version, &length) == 0 && length >= 0 && length <= OMPI_MAX_STRING) {
        version[length] = 0;
        version[strcspn(version, "\r\n,")] = 0;
    }
    snprintf(description, sizeof description, "%s (%s)", *version ? version : "MPI", path);
    load_state = 1;
    return 1;
}

int sg_mpi_available(void) {
    pthread_mutex_lock(&lock);
    int ok = load_locked();
    pthread_mutex_unlock(&lock);
    return ok;
}

const char *sg_mpi_description(void) {
    sg_mpi_available();
    return description;
}

int sg_mpi_init(int *rank, int *size) {
    if (!rank || !size) return SG_MPI_ERR_ARGUMENT;
    if (!sg_mpi_available()) return SG_MPI_ERR_UNAVAILABLE;
    pthread_mutex_lock(&lock);
    int rc = 0, initialized = 0, finalized = 0;
    if ((rc = p_MPI_Finalized(&finalized)) != 0) goto done;
    if (finalized) { rc = SG_MPI_ERR_STATE; goto done; }
    if ((rc = p_MPI_Initialized(&initialized)) != 0) goto done;
    if (!initialized) {
        int provided = 0;
        if ((rc = p_MPI_Init_thread(NULL, NULL, OMPI_THREAD_FUNNELED, &provided)) != 0) goto done;
    }
    // Errors come back to the caller, which names the call, instead of ending the job here.
    if ((rc = p_MPI_Comm_set_errhandler(ompi_mpi_comm_world, ompi_mpi_errors_return)) != 0) goto done;
    if ((rc = p_MPI_Comm_rank(ompi_mpi_comm_world, rank)) != 0) goto done;
    if ((rc = p_MPI_Comm_size(ompi_mpi_comm_world, size)) != 0) goto done;
    ready = 1;
done:
    pthread_mutex_unlock(&lock);
    return rc;
}

static sg_handle operation(int op) {
    switch (op) {
    case SG_MPI_SUM: return ompi_mpi_op_sum;
    case SG_MPI_MAX: return ompi_mpi_op_max;
    case SG_MPI_MIN: return ompi_mpi_op_min;
    default: return NULL;
    }
}

/// MPI_Allreduce in place over `count` elements of `width` bytes, at most chunk_limit per call.
static int allreduce(void *data, long count, size_t width, sg_handle type, int op) {
    sg_handle mpi_op = operation(op);
    if (!mpi_op || count < 0 || (count > 0 && !data)) return SG_MPI_ERR_ARGUMENT;
    if (!ready) return SG_MPI_ERR_STATE;
    char *p = data;
    while (count > 0) {
        int n = (int)(count < chunk_limit ? count : chunk_limit);
        int rc = p_MPI_Allreduce(OMPI_IN_PLACE, p, n, type, mpi_op, ompi_mpi_comm_world);
        if (rc != 0) return rc;
        p += (size_t)n * width;
        count -= n;
    }
    return 0;
}

int sg_mpi_allreduce_float(float *data, long count, int op) {
    return allreduce(data, count, sizeof(float), ompi_mpi_float, op);
}

int sg_mpi_allreduce_double(double *data, long count, int op) {
    return allreduce(data, count, sizeof(double), ompi_mpi_double, op);
}

int sg_mpi_broadcast(void *bytes, long count, int root) {
    if (count < 0 || (count > 0 && !bytes)) return SG_MPI_ERR_ARGUMENT;
    if (!ready) return SG_MPI_ERR_STATE;
    char *p = bytes;
    while (count > 0) {
        int n = (int)(count < chunk_limit ? count : chunk_limit);
        int rc = p_MPI_Bcast(p, n, ompi_mpi_byte, root, ompi_mpi_comm_world);
        if (rc != 0) return rc;
        p += n;
        count -= n;
    }
    return 0;
}

int sg_mpi_barrier(void) {
    if (!ready) return SG_MPI_ERR_STATE;
    return p_MPI_Barrier(ompi_mpi_comm_world);
}

void sg_mpi_abort(int code) {
    // MPI_Abort ends this process without exit handlers: what stdio still holds would be lost.
    fflush(NULL);
    if (ready) p_MPI_Abort(ompi_mpi_comm_world, code);
    _exit(code != 0 ? code : 1);
}

int sg_mpi_finalize(void) {
    pthread_mutex_lock(&lock);
    int rc = 0;
    if (ready) {
        ready = 0;
        rc = p_MPI_Finalize();
    }
    pthread_mutex_unlock(&lock);
    return rc;
}

const char *sg_mpi_error_string(int code) {
    static __thread char message[OMPI_MAX_STRING + 64];
    switch (code) {
    case SG_MPI_ERR_UNAVAILABLE: return description;
    case SG_MPI_ERR_ARGUMENT: return "invalid argument (an op code, a negative count or a NULL buffer)";
    case SG_MPI_ERR_STATE: return "MPI is not initialized (sg_mpi_init) or already finalized";
    default: break;
    }
    char text[OMPI_MAX_STRING + 1] = "";
    int length = 0;
    if (sg_mpi_available() && p_MPI_Error_string(code, text, &length) == 0 && length >= 0 && length <= OMPI_MAX_STRING) {
        text[length] = 0;
        snprintf(message, sizeof message, "%s", text);
    } else {
        snprintf(message, sizeof message, "MPI error %d", code);
    }
    return message;
}

void sg_mpi_set_chunk_limit(long elements) {
    chunk_limit = elements > 0 && elements < INT_MAX ? elements : INT_MAX;
}
