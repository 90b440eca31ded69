#include "SwiftGANCKernels.h"

// __builtin_elementwise_sqrt is clang's square root without errno semantics: it lowers to one
// vector instruction (sqrtps on x86, fsqrt on arm64). Plain sqrtf keeps a per-lane libm fallback
// unless the build passes -fno-math-errno, which a package cannot do without unsafeFlags.
#if defined(__clang__) && __has_builtin(__builtin_elementwise_sqrt)
#define SG_SQRT(x) __builtin_elementwise_sqrt(x)
#else
#include <math.h>
#define SG_SQRT(x) sqrtf(x)
#endif

#if defined(__clang__)
// Never fuse a·b + c into one rounding: the wide builds must give the baseline build's bits.
#pragma clang fp contract(off)
#endif

// One loop, built for the baseline ISA and for AVX2 and AVX-512 (chosen at run time below): the
// package passes no ISA flags, so wider vectors come only through target attributes.
#define SG_ADAM_LOOP                                                        \
    const float a1 = 1.0f - beta1, a2 = 1.0f - beta2;                      \
    for (size_t i = 0; i < count; i++) {                                    \
        const float g = grad[i];                                            \
        const float mi = beta1 * m[i] + a1 * g;                             \
        const float vi = beta2 * v[i] + a2 * g * g;                         \
        m[i] = mi;                                                          \
        v[i] = vi;                                                          \
        param[i] -= lr_t * mi / (SG_SQRT(vi) + epsilon);                    \
    }

#define SG_ADAM_PARAMETERS                                                           \
    float *restrict param, float *restrict m, float *restrict v,                    \
    const float *restrict grad, size_t count, float lr_t, float beta1, float beta2, \
    float epsilon

static void adam_portable(SG_ADAM_PARAMETERS) { SG_ADAM_LOOP }

#if defined(__x86_64__) && defined(__clang__)
// No fused multiply-add in either: the update stays bit-identical to the portable build, so a
// run's numbers do not depend on the CPU it ran on.
__attribute__((target("avx2"))) static void adam_avx2(SG_ADAM_PARAMETERS) { SG_ADAM_LOOP }
__attribute__((target("avx512f"))) static void adam_avx512(SG_ADAM_PARAMETERS) { SG_ADAM_LOOP }
#endif

void sg_adam_update(float *restrict param, float *restrict m, float *restrict v,
                    const float *restrict grad, size_t count,
                    float lr_t, float beta1, float beta2, float epsilon) {
#if defined(__x86_64__) && defined(__clang__)
    if (__builtin_cpu_supports("avx512f")) {
        adam_avx512(param, m, v, grad, count, lr_t, beta1, beta2, epsilon);
        return;
    }
    if (__builtin_cpu_supports("avx2")) {
        adam_avx2(param, m, v, grad, count, lr_t, beta1, beta2, epsilon);
        return;
    }
#endif
    adam_portable(param, m, v, grad, count, lr_t, beta1, beta2, epsilon);
}
