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
#include "CDNNL.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
int sg_dnnl_convolution(const sg_conv_shape *shape, int pass, float *input, float *weights, float *output) {
    (void)shape; (void)pass; (void)input; (void)weights; (void)output;
    return 1;
}
int sg_dnnl_supports(const sg_conv_shape *shape) { (void)shape; return 0; }
const char *sg_dnnl_implementation(const sg_conv_shape *shape, int pass) { (void)shape; (void)pass; return NULL; }

#else

#define SG_DNNL_FUNCTIONS(X) \
    X(dnnl_engine_create) X(dnnl_stream_create) X(dnnl_stream_wait) X(dnnl_version) \
    X(dnnl_memory_desc_init_by_tag) X(dnnl_memory_desc_equal) X(dnnl_memory_desc_get_size) \
    X(dnnl_memory_create) X(dnnl_memory_set_data_handle) \
    X(dnnl_convolution_forward_desc_init) X(dnnl_convolution_backward_data_desc_init) \
    X(dnnl_convolution_backward_weights_desc_init) X(dnnl_reorder_primitive_desc_create) \
    X(dnnl_primitive_desc_create) X(dnnl_primitive_desc_destroy) X(dnnl_primitive_desc_query) \
    X(dnnl_primitive_desc_query_md) X(dnnl_primitive_create) X(dnnl_primitive_execute)

#define SG_DECLARE(f) static __typeof__(f) *p_##f;
SG_DNNL_FUNCTIONS(SG_DECLARE)
#undef SG_DECLARE

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int load_state;  // 0 not tried, 1 loaded, -1 failed
static char description[256] = "oneDNN not loaded yet";
static dnnl_engine_t engine;
static dnnl_stream_t stream;

static int load_locked(void) {
    if (load_state != 0) return load_state == 1;
    load_state = -1;
    if (getenv("SWIFTGAN_NO_DNNL")) {
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
    const dnnl_version_t *v = p_dnnl_version();
    if (v->major != 2) {
        snprintf(description, sizeof description, "oneDNN %d.%d found; only 2.x is supported", v->major, v->minor);
        return 0;
    }
    if (p_dnnl_engine_create(&engine, dnnl_cpu, 0) != dnnl_success
        || p_dnnl_stream_create(&stream, engine, dnnl_stream_default_flags) != dnnl_success) {
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

/// One pass of one shape, ready to run: the convolution primitive, its user-layout memories and,
/// when oneDNN wants the kernel in another format, the reorder and the buffer between them.
typedef struct {
    sg_conv_shape shape;
    int pass;
    int usable;  // 0: oneDNN refused or has only a reference implementation
    char implementation[64];
    dnnl_primitive_t convolution, reorder;
    dnnl_memory_t input, output, user_weights, weights;  // weights == user_weights without reorder
    void *weights_buffer;
} entry;

static entry *entries;
static int entry_count, entry_capacity;

static int same_shape(const sg_conv_shape *a, const sg_conv_shape *b) { return memcmp(a, b, sizeof *a) == 0; }

#define CHECK(call) do { if ((call) != dnnl_success) return 0; } while (0)

static int build(entry *e) {
    const sg_conv_shape *s = &e->shape;
    dnnl_dims_t src_dims = {s->batch, s->in_channels, s->in_height, s->in_width};
    dnnl_dims_t dst_dims = {s->batch, s->out_channels, s->out_height, s->out_width};
    dnnl_dims_t weight_dims = {s->out_channels, s->in_channels, s->kernel_height, s->kernel_width};
    dnnl_dims_t strides = {s->stride, s->stride};
    dnnl_dims_t pad_l = {s->pad_top, s->pad_left};
    dnnl_dims_t pad_r = {(s->out_height - 1) * s->stride + s->kernel_height - s->in_height - s->pad_top,
                         (s->out_width - 1) * s->stride + s->kernel_width - s->in_width - s->pad_left};
    // Negative where a 'valid' window stops short of the edge: oneDNN takes that as cropping.

    dnnl_memory_desc_t src_md, dst_md, user_weight_md, any_weight_md;
    CHECK(p_dnnl_memory_desc_init_by_tag(&src_md, 4, src_dims, dnnl_f32, dnnl_nhwc));
    CHECK(p_dnnl_memory_desc_init_by_tag(&dst_md, 4, dst_dims, dnnl_f32, dnnl_nhwc));
    CHECK(p_dnnl_memory_desc_init_by_tag(&user_weight_md, 4, weight_dims, dnnl_f32, dnnl_hwio));
    CHECK(p_dnnl_memory_desc_init_by_tag(&any_weight_md, 4, weight_dims, dnnl_f32, dnnl_format_tag_any));

    dnnl_convolution_desc_t forward_desc, desc;
    CHECK(p_dnnl_convolution_forward_desc_init(&forward_desc, dnnl_forward_training, dnnl_convolution_direct,
                                               &src_md, &any_weight_md, NULL, &dst_md, strides, pad_l, pad_r));
    dnnl_primitive_desc_t forward_pd = NULL, pd = NULL;
    CHECK(p_dnnl_primitive_desc_create(&forward_pd, &forward_desc, NULL, engine, NULL));
    dnnl_status_t status = dnnl_success;
    dnnl_query_t weight_query = dnnl_query_weights_md;
    if (e->pass == SG_CONV_FORWARD) {
        pd = forward_pd;
        forward_pd = NULL;
    } else {
        if (e->pass == SG_CONV_BACKWARD_DATA) {
            status = p_dnnl_convolution_backward_data_desc_init(&desc, dnnl_convolution_direct, &src_md, &any_weight_md,
                                                                &dst_md, strides, pad_l, pad_r);
        } else {
            status = p_dnnl_convolution_backward_weights_desc_init(&desc, dnnl_convolution_direct, &src_md, &any_weight_md,
                                                                   NULL, &dst_md, strides, pad_l, pad_r);
            weight_query = dnnl_query_diff_weights_md;
        }
        if (status == dnnl_success) status = p_dnnl_primitive_desc_create(&pd, &desc, NULL, engine, forward_pd);
        p_dnnl_primitive_desc_destroy(forward_pd);
        if (status != dnnl_success) return 0;
    }
    const char *name = NULL;
    p_dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &name);
    snprintf(e->implementation, sizeof e->implementation, "%s", name ? name : "?");
    // oneDNN's reference kernels are plain loops, far slower than im2col + BLAS.
    int fast = name && strncmp(name, "ref", 3) != 0;

    // A copy: the descriptor the query returns lives inside `pd`, which is destroyed next.
    dnnl_memory_desc_t chosen_weight_md = *p_dnnl_primitive_desc_query_md(pd, weight_query, 0);
    const dnnl_memory_desc_t *weight_md = &chosen_weight_md;
    status = p_dnnl_primitive_create(&e->convolution, pd);
    p_dnnl_primitive_desc_destroy(pd);
    if (status != dnnl_success || !fast) return 0;

    CHECK(p_dnnl_memory_create(&e->input, &src_md, engine, DNNL_MEMORY_NONE));
    CHECK(p_dnnl_memory_create(&e->output, &dst_md, engine, DNNL_MEMORY_NONE));
    CHECK(p_dnnl_memory_create(&e->user_weights, &user_weight_md, engine, DNNL_MEMORY_NONE));
    if (p_dnnl_memory_desc_equal(weight_md, &user_weight_md)) {
        e->weights = e->user_weights;
        return 1;
    }
    size_t bytes = p_dnnl_memory_desc_get_size(weight_md);
    if (posix_memalign(&e->weights_buffer, 64, bytes ? bytes : 64) != 0) return 0;
    CHECK(p_dnnl_memory_create(&e->weights, weight_md, engine, e->weights_buffer));
    dnnl_primitive_desc_t reorder_pd;
    if (e->pass == SG_CONV_BACKWARD_WEIGHTS) {
        CHECK(p_dnnl_reorder_primitive_desc_create(&reorder_pd, weight_md, engine, &user_weight_md, engine, NULL));
    } else {
        CHECK(p_dnnl_reorder_primitive_desc_create(&reorder_pd, &user_weight_md, engine, weight_md, engine, NULL));
    }
    status = p_dnnl_primitive_create(&e->reorder, reorder_pd);
    p_dnnl_primitive_desc_destroy(reorder_pd);
    return status == dnnl_success;
}

static entry *find_locked(const sg_conv_shape *shape, int pass) {
    for (int i = 0; i < entry_count; i++) {
        if (entries[i].pass == pass && same_shape(&entries[i].shape, shape)) return &entries[i];
    }
    if (entry_count == entry_capacity) {
        int capacity = entry_capacity ? 2 * entry_capacity : 32;
        entry *grown = realloc(entries, (size_t)capacity * sizeof *grown);
        if (!grown) return NULL;
        entries = grown;
        entry_capacity = capacity;
    }
    entry *e = &entries[entry_count++];
    memset(e, 0, sizeof *e);
    e->shape = *shape;
    e->pass = pass;
    e->usable = build(e);
    return e;
}

static int run(dnnl_primitive_t primitive, int count, const dnnl_exec_arg_t *args) {
    return p_dnnl_primitive_execute(primitive, stream, count, args) == dnnl_success
        && p_dnnl_stream_wait(stream) == dnnl_success;
}

int sg_dnnl_convolution(const sg_conv_shape *shape, int pass, float *input, float *weights, float *output) {
    if (pass < SG_CONV_FORWARD || pass > SG_CONV_BACKWARD_WEIGHTS) return 1;
    pthread_mutex_lock(&lock);
    int ok = load_locked();
    entry *e = ok ? find_locked(shape, pass) : NULL;
    ok = e && e->usable;
    if (ok) {
        ok = p_dnnl_memory_set_data_handle(e->input, input) == dnnl_success
            && p_dnnl_memory_set_data_handle(e->output, output) == dnnl_success
            && p_dnnl_memory_set_data_handle(e->user_weights, weights) == dnnl_success;
        dnnl_exec_arg_t to_internal[2] = {{DNNL_ARG_FROM, e->user_weights}, {DNNL_ARG_TO, e->weights}};
        dnnl_exec_arg_t to_user[2] = {{DNNL_ARG_FROM, e->weights}, {DNNL_ARG_TO, e->user_weights}};
        if (ok && pass == SG_CONV_FORWARD) {
            if (e->reorder) ok = run(e->reorder, 2, to_internal);
            dnnl_exec_arg_t args[3] = {{DNNL_ARG_SRC, e->input}, {DNNL_ARG_WEIGHTS, e->weights}, {DNNL_ARG_DST, e->output}};
            ok = ok && run(e->convolution, 3, args);
        } else if (ok && pass == SG_CONV_BACKWARD_DATA) {
            if (e->reorder) ok = run(e->reorder, 2, to_internal);
            dnnl_exec_arg_t args[3] = {{DNNL_ARG_DIFF_SRC, e->input}, {DNNL_ARG_WEIGHTS, e->weights}, {DNNL_ARG_DIFF_DST, e->output}};
            ok = ok && run(e->convolution, 3, args);
        } else if (ok) {
            dnnl_exec_arg_t args[3] = {{DNNL_ARG_SRC, e->input}, {DNNL_ARG_DIFF_WEIGHTS, e->weights}, {DNNL_ARG_DIFF_DST, e->output}};
            ok = run(e->convolution, 3, args);
            if (ok && e->reorder) ok = run(e->reorder, 2, to_user);
        }
    }
    pthread_mutex_unlock(&lock);
    return ok ? 0 : 1;
}

int sg_dnnl_supports(const sg_conv_shape *shape) {
    pthread_mutex_lock(&lock);
    int ok = load_locked();
    for (int pass = SG_CONV_FORWARD; ok && pass <= SG_CONV_BACKWARD_WEIGHTS; pass++) {
        entry *e = find_locked(shape, pass);
        ok = e && e->usable;
    }
    pthread_mutex_unlock(&lock);
    return ok;
}

const char *sg_dnnl_implementation(const sg_conv_shape *shape, int pass) {
    static __thread char name[64];
    pthread_mutex_lock(&lock);
    entry *e = load_locked() && pass >= SG_CONV_FORWARD && pass <= SG_CONV_BACKWARD_WEIGHTS ? find_locked(shape, pass) : NULL;
    if (e && e->implementation[0]) snprintf(name, sizeof name, "%s", e->implementation);
    pthread_mutex_unlock(&lock);
    return e && e->implementation[0] ? name : NULL;
}

#endif
