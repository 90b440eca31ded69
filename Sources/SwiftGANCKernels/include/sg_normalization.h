#ifndef SWIFTGAN_NORMALIZATION_H
#define SWIFTGAN_NORMALIZATION_H
#include <stddef.h>

// Batch normalization's elementwise passes over rows of `channels` values (NHWC activations or
// [batch, features]), optionally fused with a LeakyReLU of slope s ≥ 0 (s = 1: no activation).
// Per element, with d = x − mean and z = d·inverse·scale + offset (that order):
//   forward:        y = z > 0 ? z : s·z
//   gated gradient: ĝ = z > 0 ? g : s·g
// Each has an AVX-512, an AVX2 and a portable variant (sg_activations_isa chooses) computing the
// same expressions in the same order without fused multiply-adds: the same bits everywhere.

/// The statistics' sums over rows [0, rows), row by row in order: sums[j] += x without `mean`
/// (NULL), sums[j] += (x − mean[j])² with it.
void sg_batchnorm_statistics(const float *x, size_t rows, size_t channels, const float *mean, float *sums);

/// y = the forward above, rows [0, rows). The outputs (y here, dx below) must not overlap the inputs.
void sg_batchnorm_forward(const float *x, float *y, size_t rows, size_t channels, const float *mean,
                          const float *inverse, const float *scale, const float *offset, float slope);

/// sums[j] += Σ ĝ and sums[channels + j] += Σ ĝ·d·inverse over rows [0, rows), row by row in order.
void sg_batchnorm_backward_sums(const float *g, const float *x, size_t rows, size_t channels, const float *mean,
                                const float *inverse, const float *scale, const float *offset, float slope,
                                float *sums);

/// dx = scale·inverse·(ĝ − sum_g/n − (d·inverse)·sum_gx/n), rows [0, rows).
void sg_batchnorm_backward_data(const float *g, const float *x, float *dx, size_t rows, size_t channels,
                                const float *mean, const float *inverse, const float *scale, const float *offset,
                                float slope, const float *sum_g, const float *sum_gx, float n);

/// The three with a chosen variant (SG_ISA_*; tests compare them): 0, writing nothing, when it
/// cannot run here, else 1. `pass`: 0 forward (g, sums unused), 1 sums, 2 data, 3 statistics (`mean`
/// NULL or not; `out` the sums).
int sg_batchnorm_isa(int isa, int pass, const float *g, const float *x, float *out, size_t rows, size_t channels,
                     const float *mean, const float *inverse, const float *scale, const float *offset, float slope,
                     const float *sum_g, const float *sum_gx, float n);

#endif
