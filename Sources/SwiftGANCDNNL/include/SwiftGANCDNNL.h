#ifndef SWIFTGAN_CDNNL_H
#define SWIFTGAN_CDNNL_H
#include <stddef.h>

/// The shape of one 2-D convolution, NHWC activations and a Keras kernel [kh, kw, in, out]
/// (oneDNN's `hwio`), seen from its forward direction: `in_*` is the side the window slides
/// over, `out_*` the side it produces. A transposed convolution is the backward-data pass of the
/// convolution it is the adjoint of.
typedef struct {
    int batch;
    int in_height, in_width, in_channels;
    int out_height, out_width, out_channels;
    int kernel_height, kernel_width;
    int stride, pad_top, pad_left;
} sg_conv_shape;

/// output = conv(input, weights); input and weights are read.
#define SG_CONV_FORWARD 0
/// input = conv_backward_data(output, weights): the adjoint with respect to the input.
#define SG_CONV_BACKWARD_DATA 1
/// weights = conv_backward_weights(input, output): the adjoint with respect to the kernel.
#define SG_CONV_BACKWARD_WEIGHTS 2

/// 1 when oneDNN was found at build time (its header) and at run time (libdnnl.so.2, opened
/// with dlopen on first use), else 0. Never fails hard: without it, callers use their own path.
int sg_dnnl_available(void);

/// A line saying which oneDNN is in use, or why none is.
const char *sg_dnnl_description(void);

/// 1 when oneDNN is loaded and its effective ISA multiplies bf16 natively (AVX512_BF16 or AMX),
/// else 0: then every bf16 call below returns nonzero and computes nothing.
int sg_dnnl_bf16_available(void);

/// Runs one pass of the convolution `shape` through oneDNN: the pass writes the one of `input`,
/// `weights`, `output` that it computes (overwriting it) and reads the other two's data.
/// Returns 0 on success; nonzero when oneDNN is unavailable, has only its reference (slow)
/// implementation for this shape, or refuses it, in which case nothing was written.
/// `bf16` nonzero: the pass's two inputs are rounded to bf16 and multiplied in bf16 with f32
/// accumulation, its output is f32 (all three pointers stay f32).
/// `threads` (> 0) sets the calling thread's OpenMP team size first (0 leaves it).
/// Thread-safe and concurrent: primitives are created once per shape and pass, and each thread
/// runs them with its own kernel and scratchpad buffers.
int sg_dnnl_convolution(const sg_conv_shape *shape, int pass, int bf16,
                        float *input, float *weights, float *output, int threads);

/// 1 when oneDNN runs all three passes of `shape` with a fast (non-reference) kernel in the
/// precision asked for. Builds the three primitives on first use.
int sg_dnnl_supports(const sg_conv_shape *shape, int bf16);

/// Row-major C = op(A)·op(B) + beta·C through oneDNN's sgemm (its own JIT kernels, on the same
/// OpenMP threads as its convolutions). Returns 0 on success, nonzero without oneDNN.
int sg_dnnl_sgemm(char transa, char transb, long m, long n, long k, const float *a, long lda,
                  const float *b, long ldb, float beta, float *c, long ldc);

/// The same product from A and B already in bf16 (`sg_bf16_from_float`, same layout and leading
/// dimensions as the f32 matrices), multiplied with f32 accumulation into f32 C; beta is 0 or 1.
/// Returns nonzero (nothing written) without bf16 support, for other betas, or for a shape
/// oneDNN has only its reference kernel for.
int sg_dnnl_gemm_bf16(char transa, char transb, long m, long n, long k, const void *a, long lda,
                      const void *b, long ldb, float beta, float *c, long ldc);

/// 1 where oneDNN is loaded on OpenMP (Debian's build: libgomp), so that sg_openmp_parallel runs;
/// else 0.
int sg_openmp_available(void);

/// body(context, i) for i in 0..<count, in parallel on an OpenMP team of `count` threads (the
/// caller's thread is one; a team the runtime keeps between regions, the one oneDNN's primitives
/// use). Returns 0 when done, nonzero (nothing run) where OpenMP is not available.
int sg_openmp_parallel(int count, void (*body)(void *, int), void *context);

/// y[i] = x[i] rounded to bf16 (16-bit words) as vcvtneps2bf16 rounds: to nearest even,
/// subnormals to a zero of their sign, NaN to a quiet NaN. Any machine (AVX-512 where it has it);
/// the caller splits large arrays over threads.
void sg_bf16_from_float(const float *x, void *y, size_t count);

#endif
