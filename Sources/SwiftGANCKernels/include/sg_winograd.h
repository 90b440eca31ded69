#ifndef SWIFTGAN_WINOGRAD_H
#define SWIFTGAN_WINOGRAD_H
#include <stddef.h>

/// Winograd F(4×4, 5×5): stride-1 5×5 convolutions (cross-correlations) over NHWC activations
/// with a Keras kernel [5, 5, in, out] (hwio), in 8×8 input tiles that each give a 4×4 output
/// tile, with 64 multiplies per tile and channel pair where the direct form needs 400.
///
/// The shape is seen from the forward direction, as sg_conv_shape is: `in_*` is the side the
/// window slides over, `out_*` the side it produces; y[oh][ow] = Σ x[oh − pad_top + i]
/// [ow − pad_left + j]·k[i][j], zero outside the input. Any sizes ≥ 1 and paddings ≥ 0 work
/// ('valid' is pad 0, 'same' pad 2). A transposed convolution is the backward-data pass.
typedef struct {
    int batch;
    int in_height, in_width, in_channels;
    int out_height, out_width, out_channels;
    int pad_top, pad_left;
} sg_winograd_shape;

/// The three passes; each is the exact adjoint of the others (same transform matrices):
///   forward:          y  = conv(x, k)
///   backward data:    dx = the transpose of forward as a linear map of x, applied to dy
///   backward weights: dk = the transpose of forward as a linear map of k, applied to dy
#define SG_WINOGRAD_FORWARD 0
#define SG_WINOGRAD_BACKWARD_DATA 1
#define SG_WINOGRAD_BACKWARD_WEIGHTS 2

/// Every function below returns 0 on success and nonzero, having written nothing, when the shape,
/// a range or a buffer size is invalid. Results never depend on how a pass is split into ranges:
/// every output value is computed by the same operations in the same order whatever the split,
/// so callers can hand ranges to any number of threads.

/// Floats of scratch one call of `pass` needs (per concurrent call), or 0 for an invalid shape.
size_t sg_winograd_scratch_floats(const sg_winograd_shape *shape, int pass);

/// Floats of the transformed kernel the forward or backward-data pass reads (0 if invalid).
size_t sg_winograd_kernel_floats(const sg_winograd_shape *shape, int pass);

/// Transforms rows [first_row, end_row) of the kernel for `pass` (forward or backward data):
/// rows are input channels for the forward pass, output channels for the backward-data pass.
int sg_winograd_transform_kernel(const sg_winograd_shape *shape, int pass, const float *kernel,
                                 float *transformed, size_t transformed_floats, int first_row, int end_row);

/// y for images [first_image, end_image), from x and the forward-transformed kernel.
int sg_winograd_forward(const sg_winograd_shape *shape, const float *x, const float *transformed,
                        size_t transformed_floats, float *y, int first_image, int end_image,
                        float *scratch, size_t scratch_floats);

/// dx for images [first_image, end_image), from dy and the backward-data-transformed kernel.
int sg_winograd_backward_data(const sg_winograd_shape *shape, const float *dy, const float *transformed,
                              size_t transformed_floats, float *dx, int first_image, int end_image,
                              float *scratch, size_t scratch_floats);

/// The kernel gradient is summed over fixed groups of images (their number depends only on the
/// shape), each into its own partial sum in the transform domain; the partials are then added in
/// group order and transformed back. Both steps split over ranges: groups, then input channels.
int sg_winograd_weight_groups(const sg_winograd_shape *shape);
size_t sg_winograd_partials_floats(const sg_winograd_shape *shape);
int sg_winograd_backward_weights(const sg_winograd_shape *shape, const float *x, const float *dy,
                                 float *partials, size_t partials_floats, int first_group, int end_group,
                                 float *scratch, size_t scratch_floats);
/// dk[.., .., c, ..] for input channels [first_channel, end_channel) from all groups' partials.
int sg_winograd_reduce_weights(const sg_winograd_shape *shape, const float *partials, size_t partials_floats,
                               float *dkernel, int first_channel, int end_channel);

/// Which kernels run: "avx512", "avx2+fma" or "portable" (chosen once from the CPU).
const char *sg_winograd_variant(void);

/// Nonzero: use the portable kernels from now on (tests compare them with the vector ones);
/// zero: the CPU's best again. Call it between passes, not during one.
void sg_winograd_force_portable(int portable);

#endif
