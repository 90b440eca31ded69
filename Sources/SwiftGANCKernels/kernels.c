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

void sg_adam_update(float *restrict param, float *restrict m, float *restrict v,
                    const float *restrict grad, size_t count,
                    float lr_t, float beta1, float beta2, float epsilon) {
    const float a1 = 1.0f - beta1, a2 = 1.0f - beta2;
    for (size_t i = 0; i < count; i++) {
        const float g = grad[i];
        const float mi = beta1 * m[i] + a1 * g;
        const float vi = beta2 * v[i] + a2 * g * g;
        m[i] = mi;
        v[i] = vi;
        param[i] -= lr_t * mi / (SG_SQRT(vi) + epsilon);
    }
}
