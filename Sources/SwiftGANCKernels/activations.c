#include "sg_activations.h"
#include "sg_variant.h"

#include <stdint.h>

// Activations over whole buffers: Swift calls libm's expm1 and tanh once per element (5–8 ns each on a 2-core
// EPYC; SELU's 3.3 ms of a 77 ms dcgan step on one core), while these loops run 4, 8 or 16 lanes at a
// time (0.4 ns an element with AVX-512 there, in a standalone C loop). Each loop is written once, as plain C over one
// element, and compiled three times: under target("avx512f"), under target("avx2") and for the
// baseline (the compiler vectorizes each for its instruction set; no package compiler flags needed).
//
// No multiply-add is fused here (FP_CONTRACT OFF): the baseline x86-64 and every variant then
// round every operation the same way, so the variants agree bit for bit and a run's numbers do
// not depend on the machine it ran on.
#pragma STDC FP_CONTRACT OFF

#define SG_INLINE static inline __attribute__((always_inline))

// Type punning through a union, which C defines (and which compiles to a register move).
typedef union {
    float value;
    uint32_t bits;
} sg_float_bits;

SG_INLINE float sg_float_from_bits(uint32_t bits) { return (sg_float_bits){.bits = bits}.value; }

SG_INLINE uint32_t sg_bits_of_float(float value) { return (sg_float_bits){.value = value}.bits; }

/// expm1(x) in float, branch-free (selects only, so the loops around it vectorize).
///
/// Range reduction: x = j·ln2 + f with j = round(x/ln2), |f| ≤ ln2/2 (plus rounding), where
/// j·ln2 is subtracted in two parts (Cody–Waite: ln2_hi has 14 significant bits, so j·ln2_hi is
/// exact for |j| ≤ 2¹⁰). Then expm1(f) = f + f²·(1/2 + f·Q(f)), Q of degree 4 fitted (weighted
/// least squares iterated to minimax, Lawson's algorithm) to the relative error of expm1 on
/// [−0.354, 0.354]: 1.1e-9 in exact arithmetic with these float coefficients. Reconstruction:
///   expm1(x) = 2ʲ·(expm1(f) + 1) − 1 = 2ʲ·expm1(f) + (2ʲ − 1)
/// where 2ʲ·expm1(f) is exact and 2ʲ − 1 is exact for −24 ≤ j ≤ 24, so one rounding remains. For
/// |x| < ln2/2, j = 0 and the result is the polynomial itself: tiny |x| keeps its relative accuracy.
/// Measured against double expm1 over every float of [−100, 10]: at most 0.85 ulp for x ≤ 0, 1.45 ulp
/// for x > 0 (at x ≈ 0.35, where j = 1 and 2·expm1(f) + 1 cancels a little).
///
/// Special values: the clamps are comparisons, which a NaN fails, so NaN goes through the arithmetic
/// and comes out NaN. Below −87 (expm1 is −1 in float from −17.33 on) x is clamped to −87, so −inf
/// gives −1; above 89 to 89, which still overflows to +inf (expm1 exceeds FLT_MAX above 88.7228);
/// j = 128, whose 2ʲ is no float, is computed as 2·(2¹²⁷·(expm1(f) + 1)). ±0 gives ±0.
SG_INLINE float sg_expm1f_lane(float x) {
    const float shift = 0x1.8p23f;  // adding it rounds to an integer, held in the low mantissa bits
    const float inv_ln2 = 0x1.715476p+0f, ln2_hi = 0x1.62e4p-1f, ln2_lo = 0x1.7f7d1cp-20f;
    const float c1 = 0x1.555554p-3f, c2 = 0x1.5554eap-5f, c3 = 0x1.1111dap-7f, c4 = 0x1.6d4c7ep-10f,
                c5 = 0x1.9fba48p-13f;

    float xc = x < -87.0f ? -87.0f : x;
    xc = xc > 89.0f ? 89.0f : xc;
    const float z = xc * inv_ln2 + shift;
    const float j = z - shift;
    const float f = (xc - j * ln2_hi) - j * ln2_lo;

    const float q = c1 + f * (c2 + f * (c3 + f * (c4 + f * c5)));
    const float p = f + (f * f) * (0.5f + f * q);  // expm1(f)

    // j as an integer from z's bits (unsigned arithmetic: a NaN's bits are no integer, and must not
    // overflow a signed one; its result is NaN through p anyway).
    const int32_t k = (int32_t)(sg_bits_of_float(z) - sg_bits_of_float(shift));
    const int big = k > 127;
    const uint32_t exponent = (uint32_t)(big ? 127 : k) + 127u;
    const float t = sg_float_from_bits(exponent << 23);  // 2ʲ (2¹²⁷ when j = 128)
    const float small = p * t + (t - 1.0f);
    const float large = (p * t + t) * 2.0f;
    const float r = big ? large : small;
    return x == 0.0f ? x : r;  // expm1(−0) = −0 (the polynomial gives +0)
}

SG_INLINE float sg_elu_lane(float x, float alpha, float scale) {
    const float e = sg_expm1f_lane(x);
    const float v = x > 0.0f ? x : alpha * e;  // NaN fails x > 0 and gives alpha·NaN
    return scale * v;
}

/// tanh(x) = sign(x)·t with t = −e/(e + 2), e = expm1(−2|x|) ∈ (−1, 0]: −2|x| is exact, e keeps
/// its relative accuracy for tiny |x| (so t ≈ |x| there), and from |x| ≈ 9 on e rounds to −1 and t
/// to 1. The sign is copied from x bitwise: ±0 gives ±0, NaN gives NaN (|NaN| fails every clamp
/// inside expm1), ±inf gives ±1. Error: expm1's ≤ 0.85 ulp, then e + 2 and the division round.
SG_INLINE float sg_tanh_lane(float x) {
    const uint32_t sign = sg_bits_of_float(x) & 0x80000000u;
    const float magnitude = sg_float_from_bits(sg_bits_of_float(x) & 0x7fffffffu);
    const float e = sg_expm1f_lane(-2.0f * magnitude);
    const float t = -e / (e + 2.0f);
    return sg_float_from_bits(sg_bits_of_float(t) | sign);
}

// The loops, one element at a time; each variant below inlines them under its own target.
// No `restrict`: y may be x (the vectorizer checks for overlap at run time).

SG_INLINE void sg_expm1f_loop(const float *x, float *y, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] = sg_expm1f_lane(x[i]);
}

SG_INLINE void sg_tanh_loop(const float *x, float *y, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] = sg_tanh_lane(x[i]);
}

SG_INLINE void sg_elu_forward_loop(const float *x, float *y, size_t n, float alpha, float scale) {
    for (size_t i = 0; i < n; i++) y[i] = sg_elu_lane(x[i], alpha, scale);
}

SG_INLINE void sg_elu_backward_loop(const float *g, const float *x, const float *y, float *dx, size_t n,
                                    float alpha, float scale) {
    const float below = scale * alpha;
    for (size_t i = 0; i < n; i++) dx[i] = g[i] * (x[i] > 0.0f ? scale : y[i] + below);
}

#define SG_DEFINE_VARIANT(suffix, attributes)                                                              \
    attributes static void sg_expm1f_##suffix(const float *x, float *y, size_t n) {                        \
        sg_expm1f_loop(x, y, n);                                                                           \
    }                                                                                                      \
    attributes static void sg_tanh_##suffix(const float *x, float *y, size_t n) { sg_tanh_loop(x, y, n); } \
    attributes static void sg_elu_forward_##suffix(const float *x, float *y, size_t n, float alpha,        \
                                                   float scale) {                                          \
        sg_elu_forward_loop(x, y, n, alpha, scale);                                                        \
    }                                                                                                      \
    attributes static void sg_elu_backward_##suffix(const float *g, const float *x, const float *y,       \
                                                    float *dx, size_t n, float alpha, float scale) {       \
        sg_elu_backward_loop(g, x, y, dx, n, alpha, scale);                                                \
    }

SG_DEFINE_VARIANT(portable, )
#if defined(__x86_64__)
SG_DEFINE_VARIANT(avx2, __attribute__((target("avx2"))))
SG_DEFINE_VARIANT(avx512, __attribute__((target("avx512f"))))
#endif

int sg_activations_isa_supported(int isa) {
    switch (isa) {
    case SG_ISA_PORTABLE:
        return 1;
#if defined(__x86_64__)
    // Both check that the OS saves the wider registers too (XGETBV), not only the CPUID bits.
    case SG_ISA_AVX2:
        return __builtin_cpu_supports("avx2") != 0;
    case SG_ISA_AVX512:
        return __builtin_cpu_supports("avx512f") != 0;
#endif
    default:
        return 0;
    }
}

int sg_activations_isa(void) {
    if (sg_activations_isa_supported(SG_ISA_AVX512)) return SG_ISA_AVX512;
    if (sg_activations_isa_supported(SG_ISA_AVX2)) return SG_ISA_AVX2;
    return SG_ISA_PORTABLE;
}

int sg_expm1f_array_isa(int isa, const float *x, float *y, size_t n) { SG_RUN_VARIANT(isa, sg_expm1f, x, y, n); }

int sg_tanh_forward_isa(int isa, const float *x, float *y, size_t n) { SG_RUN_VARIANT(isa, sg_tanh, x, y, n); }

int sg_elu_forward_isa(int isa, const float *x, float *y, size_t n, float alpha, float scale) {
    SG_RUN_VARIANT(isa, sg_elu_forward, x, y, n, alpha, scale);
}

int sg_elu_backward_isa(int isa, const float *g, const float *x, const float *y, float *dx, size_t n,
                        float alpha, float scale) {
    SG_RUN_VARIANT(isa, sg_elu_backward, g, x, y, dx, n, alpha, scale);
}

void sg_expm1f_array(const float *x, float *y, size_t n) { sg_expm1f_array_isa(sg_activations_isa(), x, y, n); }

void sg_tanh_forward(const float *x, float *y, size_t n) { sg_tanh_forward_isa(sg_activations_isa(), x, y, n); }

void sg_elu_forward(const float *x, float *y, size_t n, float alpha, float scale) {
    sg_elu_forward_isa(sg_activations_isa(), x, y, n, alpha, scale);
}

void sg_elu_backward(const float *g, const float *x, const float *y, float *dx, size_t n, float alpha,
                     float scale) {
    sg_elu_backward_isa(sg_activations_isa(), g, x, y, dx, n, alpha, scale);
}
