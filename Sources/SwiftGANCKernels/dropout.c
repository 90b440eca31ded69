#include "SwiftGANCKernels.h"

// Dropout masks from a counter-based generator: element i's draw is a keyed hash of its index,
// so any split of the work over threads, any SIMD width and any machine give the same mask,
// and the loop vectorizes (no state carried from one element to the next). Two rounds of the
// "lowbias32" integer mixer (Wellons' hash-prospector: 0x7feb352d, 0x846ca68b), keyed by the
// 64 random bits the caller draws from its seeded generator once per mask. Both halves of the key
// enter the second round, after the first round's mixing: keyed only through the first round, two
// keys' masks would be the same draws with the indices XORed by a constant (neighbours swapped
// for keys that differ in low bits).

static inline uint32_t mix32(uint32_t x) {
    x ^= x >> 16;
    x *= 0x7feb352du;
    x ^= x >> 15;
    x *= 0x846ca68bu;
    x ^= x >> 16;
    return x;
}

static inline float draw(uint64_t key, uint64_t counter) {
    uint32_t h = mix32((uint32_t)counter ^ (uint32_t)key);
    h = mix32(h ^ (uint32_t)(counter >> 32) ^ (uint32_t)(key >> 32) ^ ((uint32_t)key * 0x9e3779b9u));
    return (float)(h >> 8) * 0x1p-24f;  // [0, 1) in steps of 2⁻²⁴, exact in a float
}

#define SG_DROPOUT_LOOP                                                     \
    for (size_t i = 0; i < count; i++)                                      \
        mask[i] = draw(key, first + i) < rate ? 0.0f : scale;

#define SG_DROPOUT_PARAMETERS \
    float *restrict mask, size_t count, uint64_t key, uint64_t first, float rate, float scale

static void dropout_portable(SG_DROPOUT_PARAMETERS) { SG_DROPOUT_LOOP }

#if defined(__x86_64__) && defined(__clang__)
__attribute__((target("avx2"))) static void dropout_avx2(SG_DROPOUT_PARAMETERS) { SG_DROPOUT_LOOP }
__attribute__((target("avx512f"))) static void dropout_avx512(SG_DROPOUT_PARAMETERS) { SG_DROPOUT_LOOP }
#endif

void sg_dropout_mask(float *mask, size_t count, uint64_t key, uint64_t first, float rate, float scale) {
#if defined(__x86_64__) && defined(__clang__)
    if (__builtin_cpu_supports("avx512f")) {
        dropout_avx512(mask, count, key, first, rate, scale);
        return;
    }
    if (__builtin_cpu_supports("avx2")) {
        dropout_avx2(mask, count, key, first, rate, scale);
        return;
    }
#endif
    dropout_portable(mask, count, key, first, rate, scale);
}

float sg_dropout_draw(uint64_t key, uint64_t counter) { return draw(key, counter); }
