#ifndef SWIFTGAN_CKERNELS_H
#define SWIFTGAN_CKERNELS_H
#include <stddef.h>
#include <stdint.h>

/// One Adam step in Keras's form, fused over a whole parameter buffer:
///   m = b1*m + (1-b1)*g;  v = b2*v + (1-b2)*g*g;  p -= lr_t * m / (sqrt(v) + eps)
/// where lr_t already holds the bias correction lr*sqrt(1-b2^t)/(1-b1^t).
void sg_adam_update(float *param, float *m, float *v, const float *grad, size_t count,
                    float lr_t, float beta1, float beta2, float epsilon);

/// An inverted-dropout mask: mask[i] = 0 where draw(key, first + i) < rate, else scale, with
/// draw a keyed counter-based hash to [0, 1) (sg_dropout_draw): the same mask whatever the split
/// of [first, first + count) over threads or the CPU.
void sg_dropout_mask(float *mask, size_t count, uint64_t key, uint64_t first, float rate, float scale);

/// The uniform draw in [0, 1) (multiples of 2⁻²⁴) behind element `counter` of the mask keyed `key`.
float sg_dropout_draw(uint64_t key, uint64_t counter);

/// The CPUs this process may run on (Linux: its affinity mask, as `taskset` or a container's
/// cpuset leave it), or 0 where the system does not say (then use the machine's count).
int sg_available_cpus(void);

#include "sg_activations.h"
#include "sg_normalization.h"
#include "sg_winograd.h"

#endif
