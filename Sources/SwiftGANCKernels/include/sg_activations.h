#ifndef SWIFTGAN_ACTIVATIONS_H
#define SWIFTGAN_ACTIVATIONS_H
#include <stddef.h>

// Activation kernels over whole buffers. Each has an AVX-512, an AVX2 and a portable variant (the
// x86 ones compiled under target attributes, chosen at run time from the CPU's features). The
// variants give bit-identical results: no variant fuses multiply-adds, so a model computes the same
// numbers on every machine and every thread count.

/// The portable C loop (every machine).
#define SG_ISA_PORTABLE 0
/// AVX2 (x86-64 with AVX2).
#define SG_ISA_AVX2 1
/// AVX-512 (x86-64 with AVX-512F).
#define SG_ISA_AVX512 2

/// The variant the kernels below use on this machine: the widest one its CPU (and OS) supports.
int sg_activations_isa(void);

/// 1 if `isa` (an SG_ISA_* value) can run on this machine, else 0.
int sg_activations_isa_supported(int isa);

/// Scaled ELU: y[i] = scale·(x[i] > 0 ? x[i] : alpha·expm1(x[i])), computed as scale·(alpha·expm1(x))
/// in that order (scale 1 is ELU; SELU is scale λ ≈ 1.0507, alpha α ≈ 1.6733). NaN gives NaN, −0
/// gives −0·alpha·scale, −inf gives −alpha·scale. expm1 is sg_expm1f_array's. `y` may be `x`.
void sg_elu_forward(const float *x, float *y, size_t n, float alpha, float scale);

/// The first-order backward of sg_elu_forward, from its input `x` and output `y`:
///   dx[i] = g[i]·(x[i] > 0 ? scale : y[i] + scale·alpha)
/// (the derivative scale·alpha·eˣ, which is y + scale·alpha below 0; NaN in x or y gives NaN).
void sg_elu_backward(const float *g, const float *x, const float *y, float *dx, size_t n, float alpha,
                     float scale);

/// sg_elu_forward with a chosen variant (for tests); returns 0, writing nothing, when `isa` cannot
/// run on this machine, else 1.
int sg_elu_forward_isa(int isa, const float *x, float *y, size_t n, float alpha, float scale);

/// sg_elu_backward with a chosen variant (for tests); returns 0, writing nothing, when `isa`
/// cannot run on this machine, else 1.
int sg_elu_backward_isa(int isa, const float *g, const float *x, const float *y, float *dx, size_t n,
                        float alpha, float scale);

/// y[i] = tanh(x[i]) (y may be x), as sign(x)·(−e/(e + 2)) with e = sg_expm1f(−2|x|). Error against
/// the exact value, measured over every float of [0, 10] (tanh is odd): at most 2.5 ulp (near
/// |x| = 4.5, where e + 2 rounds). ±0 gives ±0, ±inf ±1, NaN NaN.
void sg_tanh_forward(const float *x, float *y, size_t n);

/// sg_tanh_forward with a chosen variant; returns 0, writing nothing, when `isa` cannot run here.
int sg_tanh_forward_isa(int isa, const float *x, float *y, size_t n);

/// y[i] = expm1(x[i]) (y may be x): the function inside sg_elu_forward, for tests and for other
/// kernels. Error against the exact value, measured over every float of [−100, 10]: at most 0.85 ulp
/// for x ≤ 0 and 1.45 ulp for x > 0 (relative error ≤ 1.1e-7; tiny |x| keeps its relative accuracy).
/// −1 below −17.33, +inf above 88.72, NaN for NaN, ±0 for ±0.
void sg_expm1f_array(const float *x, float *y, size_t n);

/// sg_expm1f_array with a chosen variant; returns 0, writing nothing, when `isa` cannot run here.
int sg_expm1f_array_isa(int isa, const float *x, float *y, size_t n);

#endif
