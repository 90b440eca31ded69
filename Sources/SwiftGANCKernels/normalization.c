#include "sg_normalization.h"

#include "sg_activations.h"
#include "sg_variant.h"

// Batch normalization's elementwise passes: the Swift loops these replace did not vectorize once
// the LeakyReLU's gate joined them (acgan's BatchNorm backward went from 5.6 % to 10.6 % of a
// one-core step). Written once as plain C over one row and compiled per instruction set, as in
// activations.c; no multiply-add is fused, so every variant (and the Swift definitions they
// follow) rounds each operation the same way.
#pragma STDC FP_CONTRACT OFF

#define SG_INLINE static inline __attribute__((always_inline))

SG_INLINE void forward_rows(const float *x, float *restrict y, size_t rows, size_t c, const float *mean,
                            const float *inverse, const float *scale, const float *offset, float slope) {
    for (size_t i = 0; i < rows; i++) {
        const float *src = x + i * c;
        float *restrict dst = y + i * c;
        for (size_t j = 0; j < c; j++) {
            const float z = (src[j] - mean[j]) * inverse[j] * scale[j] + offset[j];
            dst[j] = z > 0.0f ? z : slope * z;
        }
    }
}

SG_INLINE void statistics_rows(const float *x, size_t rows, size_t c, const float *mean, float *restrict sums) {
    for (size_t i = 0; i < rows; i++) {
        const float *xr = x + i * c;
        if (mean) {
            for (size_t j = 0; j < c; j++) {
                const float d = xr[j] - mean[j];
                sums[j] += d * d;
            }
        } else {
            for (size_t j = 0; j < c; j++) sums[j] += xr[j];
        }
    }
}

SG_INLINE void sums_rows(const float *g, const float *x, size_t rows, size_t c, const float *mean,
                         const float *inverse, const float *scale, const float *offset, float slope,
                         float *restrict sums) {
    float *restrict sum_g = sums, *restrict sum_gx = sums + c;
    for (size_t i = 0; i < rows; i++) {
        const float *gr = g + i * c, *xr = x + i * c;
        for (size_t j = 0; j < c; j++) {
            const float d = xr[j] - mean[j];
            const float z = d * inverse[j] * scale[j] + offset[j];
            const float gated = z > 0.0f ? gr[j] : slope * gr[j];
            sum_g[j] += gated;
            sum_gx[j] += gated * d * inverse[j];
        }
    }
}

SG_INLINE void data_rows(const float *g, const float *x, float *restrict dx, size_t rows, size_t c,
                         const float *mean, const float *inverse, const float *scale, const float *offset,
                         float slope, const float *sum_g, const float *sum_gx, float n) {
    for (size_t i = 0; i < rows; i++) {
        const float *gr = g + i * c, *xr = x + i * c;
        float *restrict dr = dx + i * c;
        for (size_t j = 0; j < c; j++) {
            const float d = xr[j] - mean[j];
            const float z = d * inverse[j] * scale[j] + offset[j];
            const float gated = z > 0.0f ? gr[j] : slope * gr[j];
            const float xhat = d * inverse[j];
            dr[j] = scale[j] * inverse[j] * (gated - sum_g[j] / n - xhat * sum_gx[j] / n);
        }
    }
}

#define SG_BN_ARGUMENTS                                                                                     \
    int pass, const float *g, const float *x, float *out, size_t rows, size_t c, const float *mean,        \
        const float *inverse, const float *scale, const float *offset, float slope, const float *sum_g, \
        const float *sum_gx, float n

#define SG_BN_BODY                                                                                      \
    switch (pass) {                                                                                     \
    case 0: forward_rows(x, out, rows, c, mean, inverse, scale, offset, slope); break;                  \
    case 1: sums_rows(g, x, rows, c, mean, inverse, scale, offset, slope, out); break;                  \
    case 3: statistics_rows(x, rows, c, mean, out); break;                                              \
    default: data_rows(g, x, out, rows, c, mean, inverse, scale, offset, slope, sum_g, sum_gx, n); break; \
    }

static void batchnorm_portable(SG_BN_ARGUMENTS) { SG_BN_BODY }
#if defined(__x86_64__)
__attribute__((target("avx2"))) static void batchnorm_avx2(SG_BN_ARGUMENTS) { SG_BN_BODY }
__attribute__((target("avx512f"))) static void batchnorm_avx512(SG_BN_ARGUMENTS) { SG_BN_BODY }
#endif

int sg_batchnorm_isa(int isa, int pass, const float *g, const float *x, float *out, size_t rows, size_t c,
                     const float *mean, const float *inverse, const float *scale, const float *offset, float slope,
                     const float *sum_g, const float *sum_gx, float n) {
    SG_RUN_VARIANT(isa, batchnorm, pass, g, x, out, rows, c, mean, inverse, scale, offset, slope, sum_g, sum_gx, n);
}

void sg_batchnorm_forward(const float *x, float *y, size_t rows, size_t channels, const float *mean,
                          const float *inverse, const float *scale, const float *offset, float slope) {
    sg_batchnorm_isa(sg_activations_isa(), 0, NULL, x, y, rows, channels, mean, inverse, scale, offset, slope, NULL,
                     NULL, 1.0f);
}

void sg_batchnorm_statistics(const float *x, size_t rows, size_t channels, const float *mean, float *sums) {
    sg_batchnorm_isa(sg_activations_isa(), 3, NULL, x, sums, rows, channels, mean, NULL, NULL, NULL, 1.0f, NULL, NULL,
                     1.0f);
}

void sg_batchnorm_backward_sums(const float *g, const float *x, size_t rows, size_t channels, const float *mean,
                                const float *inverse, const float *scale, const float *offset, float slope,
                                float *sums) {
    sg_batchnorm_isa(sg_activations_isa(), 1, g, x, sums, rows, channels, mean, inverse, scale, offset, slope, NULL,
                     NULL, 1.0f);
}

void sg_batchnorm_backward_data(const float *g, const float *x, float *dx, size_t rows, size_t channels,
                                const float *mean, const float *inverse, const float *scale, const float *offset,
                                float slope, const float *sum_g, const float *sum_gx, float n) {
    sg_batchnorm_isa(sg_activations_isa(), 2, g, x, dx, rows, channels, mean, inverse, scale, offset, slope, sum_g,
                     sum_gx, n);
}
