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

#ifndef SG_HAVE_DNNL

int sg_dnnl_available(void) { return 0; }
const char *sg_dnnl_description(void) { return "oneDNN 2.x not found at build time (Debian: libdnnl-dev)"; }
int sg_dnnl_convolution(const sg_conv_shape *shape, int pass, float *input, float *weights, float *output, int threads) {
    (void)shape; (void)pass; (void)input; (void)weights; (void)output; (void)threads;
    return 1;
}
int sg_dnnl_supports(const sg_conv_shape *shape) { (void)shape; return 0; }
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
    X(dnnl_primitive_desc_query_md) X(dnnl_primitive_create) X(dnnl_primitive_execute) X(dnnl_sgemm)

#define SG_DECLARE(f) static __typeof__(f) *p_##f;
SG_DNNL_FUNCTIONS(SG_DECLARE)
#undef SG_DECLARE
// OpenMP's per-thread team size (libgomp comes with Debian's oneDNN); optional.
static void (*p_omp_set_num_threads)(int);

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

static int load_locked(void) {
    if (load_state != 0) return load_state == 1;
    load_state = -1;
    if (switched_on(getenv("SWIFTGAN_NO_DNNL"))) {
        snprintf(description, sizeof description, "oneDNN disabled by SWIFTGAN_NO_DNNL");
        return 0;
    }
    // Debian's oneDNN runs on OpenMP; idle OpenMP threads that spin steal the core the engine's
    // own threads and OpenBLAS need next. The policy is read when the runtime starts.
    setenv("OMP_WAIT_POLICY", "PASSIVE", 0);
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

const char *sg_dnnl_description(void) {
    sg_dnnl_available();
    return description;
}

/// One pass of one shape, ready to run. Immutable once built, so threads run it concurrently;
/// everything a run writes (the reordered kernel, the scratchpad) lives in per-thread buffers.
typedef struct {
    sg_conv_shape shape;
    int pass;
    int usable;  // 0: oneDNN refused or has only a reference implementation
    dnnl_primitive_t convolution, reorder;  // reorder: NULL when oneDNN takes the kernel as it is
    dnnl_memory_desc_t input_md, output_md, user_weight_md, weight_md;
    size_t weight_bytes, scratchpad_bytes;
} entry;

static entry **entries;  // pointers, so an entry stays put when the table grows
static int entry_count, entry_capacity;

#define CHECK(call) do { if ((call) != dnnl_success) goto fail; } while (0)

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
    dnnl_primitive_desc_t forward_pd = NULL, pd = NULL, reorder_pd = NULL;
    int ok = 0;

    dnnl_memory_desc_t any_weight_md;
    CHECK(p_dnnl_memory_desc_init_by_tag(&e->input_md, 4, src_dims, dnnl_f32, dnnl_nhwc));
    CHECK(p_dnnl_memory_desc_init_by_tag(&e->output_md, 4, dst_dims, dnnl_f32, dnnl_nhwc));
    CHECK(p_dnnl_memory_desc_init_by_tag(&e->user_weight_md, 4, weight_dims, dnnl_f32, dnnl_hwio));
    CHECK(p_dnnl_memory_desc_init_by_tag(&any_weight_md, 4, weight_dims, dnnl_f32, dnnl_format_tag_any));
    // The caller passes the scratchpad (per thread), so concurrent runs of one primitive are safe.
    CHECK(p_dnnl_primitive_attr_create(&attr));
    CHECK(p_dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user));

    dnnl_convolution_desc_t forward_desc, desc;
    CHECK(p_dnnl_convolution_forward_desc_init(&forward_desc, dnnl_forward_training, dnnl_convolution_direct,
                                               &e->input_md, &any_weight_md, NULL, &e->output_md, strides, pad_l, pad_r));
    CHECK(p_dnnl_primitive_desc_create(&forward_pd, &forward_desc, attr, engine, NULL));
    dnnl_query_t weight_query = dnnl_query_weights_md;
    if (e->pass == SG_CONV_FORWARD) {
        pd = forward_pd;
        forward_pd = NULL;
    } else {
        if (e->pass == SG_CONV_BACKWARD_DATA) {
            CHECK(p_dnnl_convolution_backward_data_desc_init(&desc, dnnl_convolution_direct, &e->input_md, &any_weight_md,
                                                             &e->output_md, strides, pad_l, pad_r));
        } else {
            CHECK(p_dnnl_convolution_backward_weights_desc_init(&desc, dnnl_convolution_direct, &e->input_md, &any_weight_md,
                                                                NULL, &e->output_md, strides, pad_l, pad_r));
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
        if (e->pass == SG_CONV_BACKWARD_WEIGHTS) {
            CHECK(p_dnnl_reorder_primitive_desc_create(&reorder_pd, &e->weight_md, engine, &e->user_weight_md, engine, NULL));
        } else {
            CHECK(p_dnnl_reorder_primitive_desc_create(&reorder_pd, &e->user_weight_md, engine, &e->weight_md, engine, NULL));
        }
        CHECK(p_dnnl_primitive_create(&e->reorder, reorder_pd));
    }
    ok = 1;
fail:
    if (reorder_pd) p_dnnl_primitive_desc_destroy(reorder_pd);
    if (pd) p_dnnl_primitive_desc_destroy(pd);
    if (forward_pd) p_dnnl_primitive_desc_destroy(forward_pd);
    if (attr) p_dnnl_primitive_attr_destroy(attr);
    return ok;
}

static entry *find_locked(const sg_conv_shape *shape, int pass) {
    for (int i = 0; i < entry_count; i++) {
        if (entries[i]->pass == pass && memcmp(&entries[i]->shape, shape, sizeof *shape) == 0) return entries[i];
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
    e->usable = build(e);
    entries[entry_count++] = e;
    return e;
}

static entry *find(const sg_conv_shape *shape, int pass) {
    pthread_mutex_lock(&lock);
    entry *e = load_locked() ? find_locked(shape, pass) : NULL;
    pthread_mutex_unlock(&lock);
    return e;
}

/// A buffer of this thread's that grows to the largest size asked for and is kept: the step's
/// shapes repeat, so after the first step nothing is allocated.
typedef struct { void *data; size_t bytes; } thread_buffer;
static __thread thread_buffer weight_buffer, scratchpad_buffer;
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

int sg_dnnl_convolution(const sg_conv_shape *shape, int pass, float *input, float *weights, float *output, int threads) {
    if (pass < SG_CONV_FORWARD || pass > SG_CONV_BACKWARD_WEIGHTS) return 1;
    entry *e = find(shape, pass);
    if (!e || !e->usable) return 1;
    void *scratchpad = reserve(&scratchpad_buffer, e->scratchpad_bytes);
    void *internal = e->reorder ? reserve(&weight_buffer, e->weight_bytes) : weights;
    if (!scratchpad || !internal) return 1;
    if (threads > 0 && p_omp_set_num_threads) p_omp_set_num_threads(threads);  // this thread's team size

    if (!thread_stream && p_dnnl_stream_create(&thread_stream, engine, dnnl_stream_default_flags) != dnnl_success) {
        thread_stream = NULL;
        return 1;
    }
    dnnl_stream_t stream = thread_stream;
    dnnl_memory_t in = NULL, out = NULL, user_w = NULL, w = NULL, pad = NULL;
    int ok = p_dnnl_memory_create(&in, &e->input_md, engine, input) == dnnl_success
        && p_dnnl_memory_create(&out, &e->output_md, engine, output) == dnnl_success
        && p_dnnl_memory_create(&user_w, &e->user_weight_md, engine, weights) == dnnl_success
        && p_dnnl_memory_create(&w, e->reorder ? &e->weight_md : &e->user_weight_md, engine, internal) == dnnl_success;
    dnnl_memory_desc_t pad_md;
    dnnl_dims_t pad_dims = {(dnnl_dim_t)(e->scratchpad_bytes ? e->scratchpad_bytes : 1)};
    ok = ok && p_dnnl_memory_desc_init_by_tag(&pad_md, 1, pad_dims, dnnl_u8, dnnl_a) == dnnl_success
        && p_dnnl_memory_create(&pad, &pad_md, engine, scratchpad) == dnnl_success;
    dnnl_exec_arg_t to_internal[2] = {{DNNL_ARG_FROM, user_w}, {DNNL_ARG_TO, w}};
    dnnl_exec_arg_t to_user[2] = {{DNNL_ARG_FROM, w}, {DNNL_ARG_TO, user_w}};
    if (ok && pass == SG_CONV_FORWARD) {
        if (e->reorder) ok = execute(stream, e->reorder, 2, to_internal);
        dnnl_exec_arg_t args[4] = {{DNNL_ARG_SRC, in}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_DST, out}, {DNNL_ARG_SCRATCHPAD, pad}};
        ok = ok && execute(stream, e->convolution, 4, args);
    } else if (ok && pass == SG_CONV_BACKWARD_DATA) {
        if (e->reorder) ok = execute(stream, e->reorder, 2, to_internal);
        dnnl_exec_arg_t args[4] = {{DNNL_ARG_DIFF_SRC, in}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_DIFF_DST, out}, {DNNL_ARG_SCRATCHPAD, pad}};
        ok = ok && execute(stream, e->convolution, 4, args);
    } else if (ok) {
        dnnl_exec_arg_t args[4] = {{DNNL_ARG_SRC, in}, {DNNL_ARG_DIFF_WEIGHTS, w}, {DNNL_ARG_DIFF_DST, out}, {DNNL_ARG_SCRATCHPAD, pad}};
        ok = execute(stream, e->convolution, 4, args);
        if (ok && e->reorder) ok = execute(stream, e->reorder, 2, to_user);
    }
    dnnl_memory_t memories[5] = {in, out, user_w, w, pad};
    for (int i = 0; i < 5; i++) if (memories[i]) p_dnnl_memory_destroy(memories[i]);
    return ok ? 0 : 1;
}

int sg_dnnl_sgemm(char transa, char transb, long m, long n, long k, const float *a, long lda,
                  const float *b, long ldb, float beta, float *c, long ldc) {
    if (!sg_dnnl_available()) return 1;
    return p_dnnl_sgemm(transa, transb, m, n, k, 1.0f, a, lda, b, ldb, beta, c, ldc) == dnnl_success ? 0 : 1;
}

int sg_dnnl_supports(const sg_conv_shape *shape) {
    int ok = 1;
    for (int pass = SG_CONV_FORWARD; ok && pass <= SG_CONV_BACKWARD_WEIGHTS; pass++) {
        entry *e = find(shape, pass);
        ok = e && e->usable;
    }
    return ok;
}


#endif
