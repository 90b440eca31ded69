#ifndef SWIFTGAN_VARIANT_H
#define SWIFTGAN_VARIANT_H
// Private to SwiftGANCKernels: running the instruction-set variant of a kernel that a caller asks
// for. A kernel `k` comes as k_portable, and on x86-64 also k_avx2 and k_avx512 (one body compiled
// under target attributes); sg_activations_isa_supported says which can run here.
#include "sg_activations.h"

#if defined(__x86_64__)
#define SG_VECTOR_CASES(kernel, ...)                                 \
    case SG_ISA_AVX512: kernel##_avx512(__VA_ARGS__); break;         \
    case SG_ISA_AVX2: kernel##_avx2(__VA_ARGS__); break;
#else
#define SG_VECTOR_CASES(kernel, ...)
#endif

/// Runs `kernel`'s variant for `isa` on the arguments that follow and returns 1 from the calling
/// function, or returns 0, running nothing, where that variant cannot run here.
#define SG_RUN_VARIANT(isa, kernel, ...)                             \
    do {                                                             \
        if (!sg_activations_isa_supported(isa)) return 0;            \
        switch (isa) {                                               \
            SG_VECTOR_CASES(kernel, __VA_ARGS__)                     \
        default: kernel##_portable(__VA_ARGS__); break;              \
        }                                                            \
        return 1;                                                    \
    } while (0)

#endif
