#ifndef SWIFTGAN_CKERNELS_H
#define SWIFTGAN_CKERNELS_H
#include <stddef.h>

/// One Adam step in Keras's form, fused over a whole parameter buffer:
///   m = b1*m + (1-b1)*g;  v = b2*v + (1-b2)*g*g;  p -= lr_t * m / (sqrt(v) + eps)
/// where lr_t already holds the bias correction lr*sqrt(1-b2^t)/(1-b1^t).
void sg_adam_update(float *param, float *m, float *v, const float *grad, size_t count,
                    float lr_t, float beta1, float beta2, float epsilon);

#include "sg_winograd.h"

#endif
