// oneDNN (the library behind PyTorch's CPU convolutions) for SwiftGAN's convolutions, opened at
// run time so that a machine without it still builds and runs: the header is optional at build
// time (__has_include) and the library optional at run time (dlopen). Only the oneDNN 2.x C API
// is used; on anything else (oneDNN 3, macOS) sg_dnnl_available() is 0 and the caller keeps its
// portable im2col + BLAS path.
//
// Activations stay NHWC and kernels in Keras's hwio layout on both sides of the call; inside, the
// kernel is reordered into the blocked format oneDNN prefers for the shape (`any`), which is what
// makes its direct kernels fast (a kernel reorder costs tens of microseconds; a plain-NHWC/hwio
// primitive falls back to im2col + GEMM and gains nothing).
#include "SwiftGANCDNNL.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#if defined(__linux__) && __has_include(<oneapi/dnnl/dnnl.h>)
#include <dlfcn.h>
#include <oneapi/dnnl/dnnl.h>
#if DNNL_VERSION_MAJOR == 2
#define SG_HAVE_DNNL 1
#endif
#endif

// MARK: f32 → bf16 (every build: the bf16 matrix products take their operands converted)

/// f32 → bf16 as vcvtneps2bf16 (behind oneDNN's reorders on these CPUs) does it: round to nearest
/// even, subnormals to a zero of their sign, NaN to a quiet NaN (not rounded into infinity).
/// Branch-free, so the loop below vectorizes.
static inline unsigned short to_bf16(float f) {
    unsigned u;
    memcpy(&u, &f, sizeof u);
    unsigned rounded = (u + 0x7fffu + ((u >> 16) & 1u)) >> 16;
    unsigned quiet_nan = (u >> 16) | 0x40u;
    unsigned signed_zero = (u >> 16) & 0x8000u;
    unsigned result = (u & 0x7f800000u) == 0 ? signed_zero : rounded;
    return (unsigned short)((u & 0x7fffffffu) > 0x7f800000u ? quiet_nan : result);
}

static void to_bf16_portable(const float *restrict x, unsigned short *restrict y, size_t count) {
    for (size_t i = 0; i < count; i++) y[i] = to_bf16(x[i]);
}

#if defined(__x86_64__)
// bf16 runs only where the CPU has AVX512_BF16 (or AMX), which come with AVX-512 F and BW: this
// 16-lane build of the same loop is the one used (the package passes no ISA flags).
__attribute__((target("avx512f,avx512bw,avx512vl")))
static void to_bf16_avx512(const float *restrict x, unsigned short *restrict y, size_t count) {
    for (size_t i = 0; i < count; i++) y[i] = to_bf16(x[i]);
}
#endif

void sg_bf16_from_float(const float *x, void *y, size_t count) {
#if defined(__x86_64__)
    if (__builtin_cpu_supports("avx512bw")) {
        to_bf16_avx512(x, y, count);
        return;
    }
#endif
    to_bf16_portable(x, y, count);
}

#ifndef SG_HAVE_DNNL

int sg_dnnl_available(void) { return 0; }
int sg_openmp_available(void) { return 0; }
int sg_openmp_parallel(int count, void (*body)(void *, int), void *context) {
    (void)count; (void)body; (void)context;
    return 1;
}
const char *sg_dnnl_description(void) { return "oneDNN 2.x not found at build time (Debian: libdnnl-dev)"; }
int sg_dnnl_bf16_available(void) { return 0; }
int sg_dnnl_convolution(const sg_conv_shape *shape, int pass, int bf16, float *input, float *weights, float *output, int threads) {
    (void)shape; (void)pass; (void)bf16; (void)input; (void)weights; (void)output; (void)threads;
    return 1;
}
int sg_dnnl_supports(const sg_conv_shape *shape, int bf16) { (void)shape; (void)bf16; return 0; }
int sg_dnnl_gemm_bf16(char transa, char transb, long m, long n, long k, const void *a, long lda,
                      const void *b, long ldb, float beta, float *c, long ldc) {
    (void)transa; (void)transb; (void)m; (void)n; (void)k; (void)a; (void)lda; (void)b; (void)ldb; (void)beta; (void)c; (void)ldc;
    return 1;
}
int sg_dnnl_sgemm(char transa, char transb, long m, long n, long k, const float *a, long lda,
                  const float *b, long ldb, float beta, float *c, long ldc) {
    (void)transa; (void)transb; (void)m; (void)n; (void)k; (void)a; (void)lda; (void)b; (void)ldb; (void)beta; (void)c; (void)ldc;
    return 1;
}

#else

#define SG_DNNL_FUNCTIONS(X) \
    X(dnnl_engine_create) X(dnnl_stream_create) X(dnnl_stream_wait) X(dnnl_version) \
    X(dnnl_memory_desc_init_by_tag) X(dnnl_memory_desc_equal) X(dnnl_memory_desc_get_size) \
    X(dnnl_memory_create) X(dnnl_memory_destroy) \
    X(dnnl_convolution_forward_desc_init) X(dnnl_convolution_backward_data_desc_init) \
    X(dnnl_convolution_backward_weights_desc_init) X(dnnl_reorder_primitive_desc_create) \
    X(dnnl_primitive_attr_create) X(dnnl_primitive_attr_destroy) X(dnnl_primitive_attr_set_scratchpad_mode) \
    X(dnnl_primitive_desc_create) X(dnnl_primitive_desc_destroy) X(dnnl_primitive_desc_query) \
    X(dnnl_primitive_desc_query_md) X(dnnl_primitive_create) X(dnnl_primitive_execute) X(dnnl_sgemm) X(dnnl_primitive_destroy) \
    X(dnnl_get_effective_cpu_isa) X(dnnl_memory_desc_init_by_strides) X(dnnl_matmul_desc_init) \
    X(dnnl_post_ops_create) X(dnnl_post_ops_append_sum) X(dnnl_post_ops_destroy) X(dnnl_primitive_attr_set_post_ops)

#define SG_DECLARE(f) static __typeof__(f) *p_##f;
SG_DNNL_FUNCTIONS(SG_DECLARE)
#undef SG_DECLARE
// OpenMP's per-thread team size (libgomp comes with Debian's oneDNN); optional.
static void (*p_omp_set_num_threads)(int);
// libgomp's entry points for a parallel region (the ABI GCC compiles `#pragma omp parallel` to),
// for the engine's own loops: see sg_openmp_parallel.
static void (*p_GOMP_parallel)(void (*)(void *), void *, unsigned, unsigned);
static int (*p_omp_get_thread_num)(void);
static int (*p_omp_get_num_threads)(void);

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int load_state;  // 0 not tried, 1 loaded, -1 failed
static char description[256] = "oneDNN not loaded yet";
static dnnl_engine_t engine;

// An environment switch: set and not empty, "0", "false", "no" or "off" (so SWIFTGAN_NO_DNNL=0
// keeps oneDNN, as it reads).
static int switched_on(const char *value) {
    if (!value || !*value) return 0;
    const char *off[] = {"0", "false", "no", "off"};
    for (size_t i = 0; i < sizeof off / sizeof *off; i++)
        if (strcasecmp(value, off[i]) == 0) return 0;
    return 1;
}

// The processes of this job on this machine, as the launcher says (Open MPI, MPICH/Hydra, Slurm's
// "2(x3)" form), or 1.
static int ranks_on_this_machine(void) {
    const char *names[] = {"OMPI_COMM_WORLD_LOCAL_SIZE", "MPI_LOCALNRANKS", "SLURM_TASKS_PER_NODE"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        const char *value = getenv(names[i]);
        if (value && atoi(value) > 1) return atoi(value);
    }
    return 1;
}

static int load_locked(void) {
    if (load_state != 0) return load_state == 1;
    load_state = -1;
    if (switched_on(getenv("SWIFTGAN_NO_DNNL"))) {
        snprintf(description, sizeof description, "oneDNN disabled by SWIFTGAN_NO_DNNL");
        return 0;
    }
    // Several ranks of a data-parallel run on one machine: their OpenMP threads would spin against
    // each other between parallel regions, so they sleep at once instead (read when OpenMP starts;
    // a policy the user set stays). One process keeps libgomp's brief spin, which its own next
    // region is quickest to pick up (see Parallel.runsOnOpenMP).
    if (ranks_on_this_machine() > 1) setenv("OMP_WAIT_POLICY", "PASSIVE", 0);
    void *library = dlopen("libdnnl.so.2", RTLD_NOW | RTLD_LOCAL);
    if (!library) {
        snprintf(description, sizeof description, "oneDNN not loaded: %s", dlerror());
        return 0;
    }
#define SG_RESOLVE(f) \
    if (!(p_##f = (__typeof__(f) *)dlsym(library, #f))) { \
        snprintf(description, sizeof description, "oneDNN lacks %s", #f); return 0; }
    SG_DNNL_FUNCTIONS(SG_RESOLVE)
#undef SG_RESOLVE
    p_omp_set_num_threads = (void (*)(int))dlsym(library, "omp_set_num_threads");
    p_GOMP_parallel = (void (*)(void (*)(void *), void *, unsigned, unsigned))dlsym(library, "GOMP_parallel");
    p_omp_get_thread_num = (int (*)(void))dlsym(library, "omp_get_thread_num");
    p_omp_get_num_threads = (int (*)(void))dlsym(library, "omp_get_num_threads");
    const dnnl_version_t *v = p_dnnl_version();
    if (v->major != 2) {
        snprintf(description, sizeof description, "oneDNN %d.%d found; only 2.x is supported", v->major, v->minor);
        return 0;
    }
    if (p_dnnl_engine_create(&engine, dnnl_cpu, 0) != dnnl_success) {
        snprintf(description, sizeof description, "oneDNN %d.%d: no CPU engine", v->major, v->minor);
        return 0;
    }
    snprintf(description, sizeof description, "oneDNN %d.%d.%d (%s)", v->major, v->minor, v->patch, v->cpu_runtime == DNNL_RUNTIME_OMP ? "OpenMP" : "threads");
    load_state = 1;
    return 1;
}

int sg_dnnl_available(void) {
    pthread_mutex_lock(&lock);
    int ok = load_locked();
    pthread_mutex_unlock(&lock);
    return ok;
}

static int openmp_state;  // 0 not asked yet, 1 available, -1 not

int sg_openmp_available(void) {
    // Decided once, after loading (the loader's lock is not taken again per parallel region).
    if (openmp_state == 0) {
        int ok = sg_dnnl_available() && p_dnnl_version()->cpu_runtime == DNNL_RUNTIME_OMP && p_GOMP_parallel
            && p_omp_get_thread_num && p_omp_get_num_threads;
        __atomic_store_n(&openmp_state, ok ? 1 : -1, __ATOMIC_RELEASE);
    }
    return __atomic_load_n(&openmp_state, __ATOMIC_ACQUIRE) == 1;
}

typedef struct {
    int count;
    void (*body)(void *, int);
    void *context;
} openmp_job;

// Each thread of the team takes the items t, t + n, t + 2n, … (one each when count ≤ n).
static void openmp_items(void *data) {
    const openmp_job *job = data;
    int n = p_omp_get_num_threads();
    for (int i = p_omp_get_thread_num(); i < job->count; i += n) job->body(job->context, i);
}

int sg_openmp_parallel(int count, void (*body)(void *, int), void *context) {
    if (count <= 0 || !sg_openmp_available()) return 1;
    openmp_job job = {count, body, context};
    p_GOMP_parallel(openmp_items, &job, (unsigned)count, 0);
    return 0;
}

const char *sg_dnnl_description(void) {
    sg_dnnl_available();
    return description;
}

// The effective ISA is the CPU's capped by DNNL_MAX_CPU_ISA; the flags nest (AMX includes
// AVX512_BF16), so one mask test covers both. Call with the lock held, oneDNN loaded.
static int bf16_locked(void) {
    unsigned isa = (unsigned)p_dnnl_get_effective_cpu_isa();
    return (isa & (unsigned)dnnl_cpu_isa_avx512_core_bf16) == (unsigned)dnnl_cpu_isa_avx512_core_bf16;
}

int sg_dnnl_bf16_available(void) {
    pthread_mutex_lock(&lock);
    int ok = load_locked() && bf16_locked();
    pthread_mutex_unlock(&lock);
    return ok;
}

/// One pass of one shape in one precision, ready to run. Immutable once built, so threads run it
/// concurrently; everything a run writes (reordered kernel, bf16 copies, scratchpad) lives in
/// per-thread buffers.
///
/// In bf16 the pass's two inputs are rounded to bf16 (the activations by `*_to_bf16` reorders,
/// the kernel by the weight reorder) and its output is f32, accumulated in f32: the caller's
/// tensors stay f32 on both sides, as with PyTorch's autocast and Keras's mixed_bfloat16.
typedef struct {
    sg_conv_shape shape;
    int pass, bf16;
    int usable;  // 0: oneDNN refused or has only a reference implementation
    dnnl_primitive_t convolution, reorder;  // reorder: NULL when oneDNN takes the kernel as it is
    dnnl_primitive_t input_to_bf16, output_to_bf16;  // bf16 only: the activation the pass reads
    dnnl_memory_desc_t input_md, output_md, user_weight_md, weight_md;
    dnnl_memory_desc_t input_bf16_md, output_bf16_md;
    size_t weight_bytes, scratchpad_bytes, input_bf16_bytes, output_bf16_bytes;
} entry;

static entry **entries;  // pointers, so an entry stays put when the table grows
static int entry_count, entry_capacity;

#define CHECK(call) do { if ((call) != dnnl_success) goto fail; } while (0)

static int make_reorder(dnnl_primitive_t *reorder, const dnnl_memory_desc_t *from, const dnnl_memory_desc_t *to) {
    dnnl_primitive_desc_t pd = NULL;
    int ok = p_dnnl_reorder_primitive_desc_create(&pd, from, engine, to, engine, NULL) == dnnl_success
        && p_dnnl_primitive_create(reorder, pd) == dnnl_success;
    if (pd) p_dnnl_primitive_desc_destroy(pd);
    return ok;
}

static int build(entry *e) {
    const sg_conv_shape *s = &e->shape;
    dnnl_dims_t src_dims = {s->batch, s->in_channels, s->in_height, s->in_width};
    dnnl_dims_t dst_dims = {s->batch, s->out_channels, s->out_height, s->out_width};
    dnnl_dims_t weight_dims = {s->out_channels, s->in_channels, s->kernel_height, s->kernel_width};
    dnnl_dims_t strides = {s->stride, s->stride};
    dnnl_dims_t pad_l = {s->pad_top, s->pad_left};
    // Negative where a 'valid' window stops short of the edge: oneDNN takes that as cropping.
    dnnl_dims_t pad_r = {(s->out_height - 1) * s->stride + s->kernel_height - s->in_height - s->pad_top,
                         (s->out_width - 1) * s->stride + s->kernel_width - s->in_width - s->pad_left};
    dnnl_primitive_attr_t attr = NULL;
    dnnl_primitive_desc_t forward_pd = NULL, pd = NULL;
    int ok = 0;
    const dnnl_data_type_t compute = e->bf16 ? dnnl_bf16 : dnnl_f32;

    dnnl_memory_desc_t any_weight_md, diff_weight_md;
    CHECK(p_dnnl_memory_desc_init_by_tag(&e->input_md, 4, src_dims, dnnl_f32, dnnl_nhwc));
    CHECK(p_dnnl_memory_desc_init_by_tag(&e->output_md, 4, dst_dims, dnnl_f32, dnnl_nhwc));
    CHECK(p_dnnl_memory_desc_init_by_tag(&e->input_bf16_md, 4, src_dims, compute, dnnl_nhwc));
    CHECK(p_dnnl_memory_desc_init_by_tag(&e->output_bf16_md, 4, dst_dims, compute, dnnl_nhwc));
    CHECK(p_dnnl_memory_desc_init_by_tag(&e->user_weight_md, 4, weight_dims, dnnl_f32, dnnl_hwio));
    CHECK(p_dnnl_memory_desc_init_by_tag(&any_weight_md, 4, weight_dims, compute, dnnl_format_tag_any));
    // Kernel gradients accumulate and come back in f32 in either precision.
    CHECK(p_dnnl_memory_desc_init_by_tag(&diff_weight_md, 4, weight_dims, dnnl_f32, dnnl_format_tag_any));
    // The descriptors each pass sees: its inputs in the compute type, its output in f32.
    const dnnl_memory_desc_t *src = e->pass == SG_CONV_BACKWARD_DATA ? &e->input_md : &e->input_bf16_md;
    const dnnl_memory_desc_t *dst = e->pass == SG_CONV_FORWARD ? &e->output_md : &e->output_bf16_md;
    // The caller passes the scratchpad (per thread), so concurrent runs of one primitive are safe.
    CHECK(p_dnnl_primitive_attr_create(&attr));
    CHECK(p_dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user));

    dnnl_convolution_desc_t forward_desc, desc;
    CHECK(p_dnnl_convolution_forward_desc_init(&forward_desc, dnnl_forward_training, dnnl_convolution_direct,
                                               &e->input_bf16_md, &any_weight_md, NULL, &e->output_md, strides, pad_l, pad_r));
    CHECK(p_dnnl_primitive_desc_create(&forward_pd, &forward_desc, attr, engine, NULL));
    dnnl_query_t weight_query = dnnl_query_weights_md;
    if (e->pass == SG_CONV_FORWARD) {
        pd = forward_pd;
        forward_pd = NULL;
    } else {
        if (e->pass == SG_CONV_BACKWARD_DATA) {
            CHECK(p_dnnl_convolution_backward_data_desc_init(&desc, dnnl_convolution_direct, src, &any_weight_md,
                                                             dst, strides, pad_l, pad_r));
        } else {
            CHECK(p_dnnl_convolution_backward_weights_desc_init(&desc, dnnl_convolution_direct, src, &diff_weight_md,
                                                                NULL, dst, strides, pad_l, pad_r));
            weight_query = dnnl_query_diff_weights_md;
        }
        CHECK(p_dnnl_primitive_desc_create(&pd, &desc, attr, engine, forward_pd));
    }
    const char *name = NULL;
    p_dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &name);
    // oneDNN's reference kernels are plain loops, far slower than im2col + BLAS.
    if (!name || strncmp(name, "ref", 3) == 0) goto fail;
    e->weight_md = *p_dnnl_primitive_desc_query_md(pd, weight_query, 0);  // a copy: pd goes away
    e->scratchpad_bytes = p_dnnl_memory_desc_get_size(p_dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0));
    CHECK(p_dnnl_primitive_create(&e->convolution, pd));
    if (!p_dnnl_memory_desc_equal(&e->weight_md, &e->user_weight_md)) {
        e->weight_bytes = p_dnnl_memory_desc_get_size(&e->weight_md);
        int ok_reorder = e->pass == SG_CONV_BACKWARD_WEIGHTS ? make_reorder(&e->reorder, &e->weight_md, &e->user_weight_md)
                                                             : make_reorder(&e->reorder, &e->user_weight_md, &e->weight_md);
        if (!ok_reorder) goto fail;
    }
    if (e->bf16) {
        if (e->pass != SG_CONV_BACKWARD_DATA) {
            e->input_bf16_bytes = p_dnnl_memory_desc_get_size(&e->input_bf16_md);
            if (!make_reorder(&e->input_to_bf16, &e->input_md, &e->input_bf16_md)) goto fail;
        }
        if (e->pass != SG_CONV_FORWARD) {
            e->output_bf16_bytes = p_dnnl_memory_desc_get_size(&e->output_bf16_md);
            if (!make_reorder(&e->output_to_bf16, &e->output_md, &e->output_bf16_md)) goto fail;
        }
    }
    ok = 1;
fail:
    if (!ok) {  // an unusable entry stays in the table: it keeps no primitives
        dnnl_primitive_t *made[] = {&e->convolution, &e->reorder, &e->input_to_bf16, &e->output_to_bf16};
        for (size_t i = 0; i < sizeof made / sizeof *made; i++) {
            if (*made[i]) p_dnnl_primitive_destroy(*made[i]);
            *made[i] = NULL;
        }
    }
    if (pd) p_dnnl_primitive_desc_destroy(pd);
    if (forward_pd) p_dnnl_primitive_desc_destroy(forward_pd);
    if (attr) p_dnnl_primitive_attr_destroy(attr);
    return ok;
}

static entry *find_locked(const sg_conv_shape *shape, int pass, int bf16) {
    for (int i = 0; i < entry_count; i++) {
        if (entries[i]->pass == pass && entries[i]->bf16 == bf16 && memcmp(&entries[i]->shape, shape, sizeof *shape) == 0)
            return entries[i];
    }
    if (entry_count == entry_capacity) {
        int capacity = entry_capacity ? 2 * entry_capacity : 32;
        entry **grown = realloc(entries, (size_t)capacity * sizeof *grown);
        if (!grown) return NULL;
        entries = grown;
        entry_capacity = capacity;
    }
    entry *e = calloc(1, sizeof *e);
    if (!e) return NULL;
    e->shape = *shape;
    e->pass = pass;
    e->bf16 = bf16;
    e->usable = (!bf16 || bf16_locked()) && build(e);
    entries[entry_count++] = e;
    return e;
}

static entry *find(const sg_conv_shape *shape, int pass, int bf16) {
    pthread_mutex_lock(&lock);
    entry *e = load_locked() ? find_locked(shape, pass, bf16 != 0) : NULL;
    pthread_mutex_unlock(&lock);
    return e;
}

/// A buffer of this thread's that grows to the largest size asked for and is kept: the step's
/// shapes repeat, so after the first step nothing is allocated.
typedef struct { void *data; size_t bytes; } thread_buffer;
static __thread thread_buffer weight_buffer, scratchpad_buffer, input_bf16_buffer, output_bf16_buffer;
static __thread dnnl_stream_t thread_stream;

static void *reserve(thread_buffer *b, size_t bytes) {
    if (bytes <= b->bytes && b->data) return b->data;
    void *data = NULL;
    if (posix_memalign(&data, 64, bytes ? bytes : 64) != 0) return NULL;
    free(b->data);
    b->data = data;
    b->bytes = bytes;
    return data;
}

static int execute(dnnl_stream_t stream, dnnl_primitive_t primitive, int count, const dnnl_exec_arg_t *args) {
    return p_dnnl_primitive_execute(primitive, stream, count, args) == dnnl_success
        && p_dnnl_stream_wait(stream) == dnnl_success;
}

static dnnl_stream_t this_thread_stream(void) {
    if (!thread_stream && p_dnnl_stream_create(&thread_stream, engine, dnnl_stream_default_flags) != dnnl_success)
        thread_stream = NULL;
    return thread_stream;
}

int sg_dnnl_convolution(const sg_conv_shape *shape, int pass, int bf16, float *input, float *weights, float *output, int threads) {
    if (pass < SG_CONV_FORWARD || pass > SG_CONV_BACKWARD_WEIGHTS) return 1;
    entry *e = find(shape, pass, bf16);
    if (!e || !e->usable) return 1;
    void *scratchpad = reserve(&scratchpad_buffer, e->scratchpad_bytes);
    void *internal = e->reorder ? reserve(&weight_buffer, e->weight_bytes) : weights;
    void *input_bf16 = e->input_to_bf16 ? reserve(&input_bf16_buffer, e->input_bf16_bytes) : input;
    void *output_bf16 = e->output_to_bf16 ? reserve(&output_bf16_buffer, e->output_bf16_bytes) : output;
    if (!scratchpad || !internal || !input_bf16 || !output_bf16) return 1;
    if (threads > 0 && p_omp_set_num_threads) p_omp_set_num_threads(threads);  // this thread's team size
    dnnl_stream_t stream = this_thread_stream();
    if (!stream) return 1;

    dnnl_memory_t in = NULL, out = NULL, in16 = NULL, out16 = NULL, user_w = NULL, w = NULL, pad = NULL;
    int ok = p_dnnl_memory_create(&in, &e->input_md, engine, input) == dnnl_success
        && p_dnnl_memory_create(&out, &e->output_md, engine, output) == dnnl_success
        && p_dnnl_memory_create(&in16, e->input_to_bf16 ? &e->input_bf16_md : &e->input_md, engine, input_bf16) == dnnl_success
        && p_dnnl_memory_create(&out16, e->output_to_bf16 ? &e->output_bf16_md : &e->output_md, engine, output_bf16) == dnnl_success
        && p_dnnl_memory_create(&user_w, &e->user_weight_md, engine, weights) == dnnl_success
        && p_dnnl_memory_create(&w, e->reorder ? &e->weight_md : &e->user_weight_md, engine, internal) == dnnl_success;
    dnnl_memory_desc_t pad_md;
    dnnl_dims_t pad_dims = {(dnnl_dim_t)(e->scratchpad_bytes ? e->scratchpad_bytes : 1)};
    ok = ok && p_dnnl_memory_desc_init_by_tag(&pad_md, 1, pad_dims, dnnl_u8, dnnl_a) == dnnl_success
        && p_dnnl_memory_create(&pad, &pad_md, engine, scratchpad) == dnnl_success;
    dnnl_exec_arg_t to_internal[2] = {{DNNL_ARG_FROM, user_w}, {DNNL_ARG_TO, w}};
    dnnl_exec_arg_t to_user[2] = {{DNNL_ARG_FROM, w}, {DNNL_ARG_TO, user_w}};
    dnnl_exec_arg_t input_down[2] = {{DNNL_ARG_FROM, in}, {DNNL_ARG_TO, in16}};
    dnnl_exec_arg_t output_down[2] = {{DNNL_ARG_FROM, out}, {DNNL_ARG_TO, out16}};
    if (ok && e->input_to_bf16) ok = execute(stream, e->input_to_bf16, 2, input_down);
    if (ok && e->output_to_bf16) ok = execute(stream, e->output_to_bf16, 2, output_down);
    if (ok && pass == SG_CONV_FORWARD) {
        if (e->reorder) ok = execute(stream, e->reorder, 2, to_internal);
        dnnl_exec_arg_t args[4] = {{DNNL_ARG_SRC, in16}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_DST, out}, {DNNL_ARG_SCRATCHPAD, pad}};
        ok = ok && execute(stream, e->convolution, 4, args);
    } else if (ok && pass == SG_CONV_BACKWARD_DATA) {
        if (e->reorder) ok = execute(stream, e->reorder, 2, to_internal);
        dnnl_exec_arg_t args[4] = {{DNNL_ARG_DIFF_SRC, in}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_DIFF_DST, out16}, {DNNL_ARG_SCRATCHPAD, pad}};
        ok = ok && execute(stream, e->convolution, 4, args);
    } else if (ok) {
        dnnl_exec_arg_t args[4] = {{DNNL_ARG_SRC, in16}, {DNNL_ARG_DIFF_WEIGHTS, w}, {DNNL_ARG_DIFF_DST, out16}, {DNNL_ARG_SCRATCHPAD, pad}};
        ok = execute(stream, e->convolution, 4, args);
        if (ok && e->reorder) ok = execute(stream, e->reorder, 2, to_user);
    }
    dnnl_memory_t memories[7] = {in, out, in16, out16, user_w, w, pad};
    for (int i = 0; i < 7; i++) if (memories[i]) p_dnnl_memory_destroy(memories[i]);
    return ok ? 0 : 1;
}

int sg_dnnl_sgemm(char transa, char transb, long m, long n, long k, const float *a, long lda,
                  const float *b, long ldb, float beta, float *c, long ldc) {
    if (!sg_dnnl_available()) return 1;
    return p_dnnl_sgemm(transa, transb, m, n, k, 1.0f, a, lda, b, ldb, beta, c, ldc) == dnnl_success ? 0 : 1;
}

int sg_dnnl_supports(const sg_conv_shape *shape, int bf16) {
    int ok = 1;
    for (int pass = SG_CONV_FORWARD; ok && pass <= SG_CONV_BACKWARD_WEIGHTS; pass++) {
        entry *e = find(shape, pass, bf16);
        ok = e && e->usable;
    }
    return ok;
}

// MARK: bf16 matrix products

/// A matrix product C = op(A)·op(B) (+ C) of one shape in bf16 with f32 accumulation and output.
typedef struct {
    char transa, transb;
    long m, n, k, lda, ldb, ldc;
    int accumulate;
    int usable;
    dnnl_primitive_t matmul;
    dnnl_memory_desc_t a_md, b_md, c_md;
    size_t scratchpad_bytes;
} gemm_entry;

static gemm_entry **gemms;
static int gemm_count, gemm_capacity;

static int build_gemm(gemm_entry *e) {
    // Row-major with leading dimensions; a transpose is only a swap of strides.
    dnnl_dims_t a_dims = {e->m, e->k}, b_dims = {e->k, e->n}, c_dims = {e->m, e->n};
    dnnl_dims_t a_strides = {e->transa == 'T' ? 1 : e->lda, e->transa == 'T' ? e->lda : 1};
    dnnl_dims_t b_strides = {e->transb == 'T' ? 1 : e->ldb, e->transb == 'T' ? e->ldb : 1};
    dnnl_dims_t c_strides = {e->ldc, 1};
    dnnl_primitive_attr_t attr = NULL;
    dnnl_post_ops_t post_ops = NULL;
    dnnl_primitive_desc_t pd = NULL;
    int ok = 0;
    dnnl_matmul_desc_t desc;
    CHECK(p_dnnl_memory_desc_init_by_strides(&e->a_md, 2, a_dims, dnnl_bf16, a_strides));
    CHECK(p_dnnl_memory_desc_init_by_strides(&e->b_md, 2, b_dims, dnnl_bf16, b_strides));
    CHECK(p_dnnl_memory_desc_init_by_strides(&e->c_md, 2, c_dims, dnnl_f32, c_strides));
    CHECK(p_dnnl_primitive_attr_create(&attr));
    CHECK(p_dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user));
    if (e->accumulate) {
        CHECK(p_dnnl_post_ops_create(&post_ops));
        CHECK(p_dnnl_post_ops_append_sum(post_ops, 1.0f));
        CHECK(p_dnnl_primitive_attr_set_post_ops(attr, post_ops));
    }
    CHECK(p_dnnl_matmul_desc_init(&desc, &e->a_md, &e->b_md, NULL, &e->c_md));
    CHECK(p_dnnl_primitive_desc_create(&pd, &desc, attr, engine, NULL));
    const char *name = NULL;
    p_dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &name);
    if (!name || strncmp(name, "ref", 3) == 0) goto fail;
    e->scratchpad_bytes = p_dnnl_memory_desc_get_size(p_dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0));
    CHECK(p_dnnl_primitive_create(&e->matmul, pd));
    ok = 1;
fail:
    if (pd) p_dnnl_primitive_desc_destroy(pd);
    if (post_ops) p_dnnl_post_ops_destroy(post_ops);
    if (attr) p_dnnl_primitive_attr_destroy(attr);
    return ok;
}

static gemm_entry *find_gemm(const gemm_entry *key) {
    pthread_mutex_lock(&lock);
    gemm_entry *found = NULL;
    if (load_locked() && bf16_locked()) {
        for (int i = 0; i < gemm_count && !found; i++) {
            gemm_entry *e = gemms[i];
            if (e->transa == key->transa && e->transb == key->transb && e->m == key->m && e->n == key->n
                && e->k == key->k && e->lda == key->lda && e->ldb == key->ldb && e->ldc == key->ldc
                && e->accumulate == key->accumulate)
                found = e;
        }
        if (!found && gemm_count == gemm_capacity) {
            int capacity = gemm_capacity ? 2 * gemm_capacity : 32;
            gemm_entry **grown = realloc(gemms, (size_t)capacity * sizeof *grown);
            if (grown) {
                gemms = grown;
                gemm_capacity = capacity;
            }
        }
        if (!found && gemm_count < gemm_capacity && (found = calloc(1, sizeof *found))) {
            *found = *key;
            found->usable = build_gemm(found);
            gemms[gemm_count++] = found;
        }
    }
    pthread_mutex_unlock(&lock);
    return found;
}

int sg_dnnl_gemm_bf16(char transa, char transb, long m, long n, long k, const void *a, long lda,
                      const void *b, long ldb, float beta, float *c, long ldc) {
    if (m <= 0 || n <= 0 || k <= 0 || (beta != 0.0f && beta != 1.0f)) return 1;
    gemm_entry key = {.transa = transa == 'T' ? 'T' : 'N', .transb = transb == 'T' ? 'T' : 'N', .m = m, .n = n,
                      .k = k, .lda = lda, .ldb = ldb, .ldc = ldc, .accumulate = beta != 0.0f};
    gemm_entry *e = find_gemm(&key);
    if (!e || !e->usable) return 1;
    void *scratchpad = reserve(&scratchpad_buffer, e->scratchpad_bytes);
    dnnl_stream_t stream = this_thread_stream();
    if (!a || !b || !scratchpad || !stream) return 1;
    dnnl_memory_t am = NULL, bm = NULL, cm = NULL, pad = NULL;
    dnnl_memory_desc_t pad_md;
    dnnl_dims_t pad_dims = {(dnnl_dim_t)(e->scratchpad_bytes ? e->scratchpad_bytes : 1)};
    // oneDNN's memory objects take non-const handles; the matmul only reads its sources.
    int ok = p_dnnl_memory_create(&am, &e->a_md, engine, (void *)a) == dnnl_success
        && p_dnnl_memory_create(&bm, &e->b_md, engine, (void *)b) == dnnl_success
        && p_dnnl_memory_create(&cm, &e->c_md, engine, c) == dnnl_success
        && p_dnnl_memory_desc_init_by_tag(&pad_md, 1, pad_dims, dnnl_u8, dnnl_a) == dnnl_success
        && p_dnnl_memory_create(&pad, &pad_md, engine, scratchpad) == dnnl_success;
    dnnl_exec_arg_t args[4] = {{DNNL_ARG_SRC, am}, {DNNL_ARG_WEIGHTS, bm}, {DNNL_ARG_DST, cm}, {DNNL_ARG_SCRATCHPAD, pad}};
    ok = ok && execute(stream, e->matmul, 4, args);
    dnnl_memory_t memories[4] = {am, bm, cm, pad};
    for (int i = 0; i < 4; i++) if (memories[i]) p_dnnl_memory_destroy(memories[i]);
    return ok ? 0 : 1;
}

#endif
