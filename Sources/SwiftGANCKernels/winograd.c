// Winograd F(4×4, 5×5) for stride-1 5×5 convolutions (see sg_winograd.h).
//
// Per 8×8 input tile d and 5×5 kernel g (one channel pair), the 4×4 output tile is
//
//     y = Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A,
//
// and summing over input channels makes each of the 64 frequency points ξ one small matrix
// product [tiles × in]·[in × out]: 64 multiply-adds per tile and channel pair where the direct
// form needs 16·25 = 400. The two other passes are this map's transposes, with the same matrices:
//
//     backward data:    dx += B [(G g Gᵀ) ⊙ (A dy Aᵀ)] Bᵀ   scattered back over overlapping tiles
//     backward weights: dg  = Gᵀ [Σ_tiles (Bᵀ d B) ⊙ (A dy Aᵀ)] G
//
// Tiles go in blocks (8 to 16 for acgan's 80 channels, more with fewer channels): transform a
// block, run the 64 products with a register-blocked micro-kernel, transform back, so the
// transformed block stays in L2 instead of the whole batch's transform going through memory.
//
// One generic body, written with clang/GCC vector extensions (16 floats = one channel block),
// is compiled three times: with AVX-512, with AVX2 + FMA, and for the baseline CPU (SSE2 on
// x86-64, NEON on arm64), through function-level target attributes rather than package compiler
// flags, so the package stays usable as a dependency. The best one is chosen at run time.
//
// Reproducibility: every output value is computed by the same operations in the same order
// whatever range of images, groups or channels a call gets (a product's rows are independent;
// tiles scatter into an image in tile order; kernel gradients add per-group partials in group
// order), so results do not depend on the number of threads.
#include "sg_winograd.h"

#include <limits.h>
#include <stdint.h>
#include <string.h>

// ---------------------------------------------------------------------------------------------
// The transform matrices. Toom-Cook with the interpolation points 0, 1, −1, 2, −2, ½, −½, ∞
// (α = 4 + 5 − 1 = 8); derived and checked in exact rational arithmetic by
// scripts/winograd-matrices.py (row 0 of G and Bᵀ negated, which changes nothing, so both start
// with +1).
//
//  Aᵀ (4×8) = | 1  1  1  1  1   1    1   0 |      G (8×5) = |     1      0     0      0     0 |
//             | 0  1 −1  2 −2  1/2 −1/2  0 |                | −2/9   −2/9  −2/9   −2/9  −2/9 |
//             | 0  1  1  4  4  1/4  1/4  0 |                | −2/9    2/9  −2/9    2/9  −2/9 |
//             | 0  1 −1  8 −8  1/8 −1/8  1 |                |  1/90   1/45  2/45   4/45  8/45 |
//                                                           |  1/90  −1/45  2/45  −4/45  8/45 |
//  Bᵀ (8×8) = | 1    0  −21/4     0   21/4     0  −1  0 |   | 32/45  16/45  8/45   4/45  2/45 |
//             | 0    1      1 −17/4  −17/4     1   1  0 |   | 32/45 −16/45  8/45  −4/45  2/45 |
//             | 0   −1      1  17/4  −17/4    −1   1  0 |   |     0      0     0      0     1 |
//             | 0  1/2    1/4  −5/2   −5/4     2   1  0 |
//             | 0 −1/2    1/4   5/2   −5/4    −2   1  0 |
//             | 0    2      4  −5/2     −5   1/2   1  0 |
//             | 0   −2      4   5/2     −5  −1/2   1  0 |
//             | 0   −1      0  21/4      0 −21/4   0  1 |
//
// Bᵀ and Aᵀ run on every tile, so they are written out below with their even/odd symmetry
// (rows for ±p share the even and odd parts); G runs once per call and uses the table.
// In fp32 the result is within ≈1e-5 of max|y| of the exact convolution for 80 channels
// (the direct form: ≈2e-7); the ½ and 2 points' large entries (21/4, 8) cost the difference.
static const float G[8][5] = {
    {1.0f, 0.0f, 0.0f, 0.0f, 0.0f},
    {-2.0f / 9, -2.0f / 9, -2.0f / 9, -2.0f / 9, -2.0f / 9},
    {-2.0f / 9, 2.0f / 9, -2.0f / 9, 2.0f / 9, -2.0f / 9},
    {1.0f / 90, 1.0f / 45, 2.0f / 45, 4.0f / 45, 8.0f / 45},
    {1.0f / 90, -1.0f / 45, 2.0f / 45, -4.0f / 45, 8.0f / 45},
    {32.0f / 45, 16.0f / 45, 8.0f / 45, 4.0f / 45, 2.0f / 45},
    {32.0f / 45, -16.0f / 45, 8.0f / 45, -4.0f / 45, 2.0f / 45},
    {0.0f, 0.0f, 0.0f, 0.0f, 1.0f},
};

// Every helper taking or returning a vector is always inlined into a function compiled for one
// instruction set, so no vector ever crosses a real call and the ABI warning does not apply.
#if defined(__clang__)
#pragma clang diagnostic ignored "-Wpsabi"
#endif

/// Sixteen channels: one zmm, two ymm, four xmm or NEON registers.
typedef float v16 __attribute__((vector_size(64)));
#define LANES 16
#define SG_INLINE static inline __attribute__((always_inline))

SG_INLINE v16 load16(const float *p) {
    v16 v;
    memcpy(&v, p, sizeof v);
    return v;
}
SG_INLINE void store16(float *p, v16 v) { memcpy(p, &v, sizeof v); }
/// The first `n` ≤ 16 lanes from p, zeros after (the last block of a channel count).
SG_INLINE v16 load_n(const float *p, int n) {
    if (n == LANES) return load16(p);
    v16 v = {0};
    for (int i = 0; i < n; i++) v[i] = p[i];
    return v;
}
SG_INLINE void store_n(float *p, v16 v, int n) {
    if (n == LANES) {
        store16(p, v);
    } else {
        for (int i = 0; i < n; i++) p[i] = v[i];
    }
}
SG_INLINE void add_n(float *p, v16 v, int n) {
    if (n == LANES) {
        store16(p, load16(p) + v);
    } else {
        for (int i = 0; i < n; i++) p[i] += v[i];
    }
}
SG_INLINE int min_int(int a, int b) { return a < b ? a : b; }

// ---------------------------------------------------------------------------------------------
// One-dimensional transforms along one axis of a tile: element k of the input at in[k·is],
// of the output at out[k·os]. A 2-D transform is one along columns, then one along rows.

/// out = Bᵀ·in (8 → 8): the input tile's transform.
SG_INLINE void input_1d(v16 *out, int os, const v16 *in, int is) {
    const v16 d0 = in[0], d1 = in[is], d2 = in[2 * is], d3 = in[3 * is];
    const v16 d4 = in[4 * is], d5 = in[5 * is], d6 = in[6 * is], d7 = in[7 * is];
    out[0] = d0 - d6 + 5.25f * (d4 - d2);
    out[7 * os] = d7 - d1 + 5.25f * (d3 - d5);
    v16 even = d2 + d6 - 4.25f * d4, odd = d1 + d5 - 4.25f * d3;  // points ±1
    out[os] = even + odd;
    out[2 * os] = even - odd;
    even = 0.25f * d2 - 1.25f * d4 + d6;  // points ±2
    odd = 0.5f * d1 - 2.5f * d3 + 2.0f * d5;
    out[3 * os] = even + odd;
    out[4 * os] = even - odd;
    even = 4.0f * d2 - 5.0f * d4 + d6;  // points ±½
    odd = 2.0f * d1 - 2.5f * d3 + 0.5f * d5;
    out[5 * os] = even + odd;
    out[6 * os] = even - odd;
}

/// out = B·in (8 → 8): the transpose of input_1d, for the input gradient.
SG_INLINE void input_grad_1d(v16 *out, int os, const v16 *in, int is) {
    const v16 w0 = in[0], w7 = in[7 * is];
    const v16 s1 = in[is] + in[2 * is], d1 = in[is] - in[2 * is];  // points ±1
    const v16 s2 = in[3 * is] + in[4 * is], d2 = in[3 * is] - in[4 * is];  // points ±2
    const v16 s3 = in[5 * is] + in[6 * is], d3 = in[5 * is] - in[6 * is];  // points ±½
    out[0] = w0;
    out[os] = d1 + 0.5f * d2 + 2.0f * d3 - w7;
    out[2 * os] = s1 + 0.25f * s2 + 4.0f * s3 - 5.25f * w0;
    out[3 * os] = 5.25f * w7 - 4.25f * d1 - 2.5f * d2 - 2.5f * d3;
    out[4 * os] = 5.25f * w0 - 4.25f * s1 - 1.25f * s2 - 5.0f * s3;
    out[5 * os] = d1 + 2.0f * d2 + 0.5f * d3 - 5.25f * w7;
    out[6 * os] = s1 + s2 + s3 - w0;
    out[7 * os] = w7;
}

/// out = Aᵀ·in (8 → 4): back from the frequency points to a 4×4 output tile.
SG_INLINE void output_1d(v16 *out, int os, const v16 *in, int is) {
    const v16 s1 = in[is] + in[2 * is], d1 = in[is] - in[2 * is];
    const v16 s2 = in[3 * is] + in[4 * is], d2 = in[3 * is] - in[4 * is];
    const v16 s3 = in[5 * is] + in[6 * is], d3 = in[5 * is] - in[6 * is];
    out[0] = in[0] + s1 + s2 + s3;
    out[os] = d1 + 2.0f * d2 + 0.5f * d3;
    out[2 * os] = s1 + 4.0f * s2 + 0.25f * s3;
    out[3 * os] = d1 + 8.0f * d2 + 0.125f * d3 + in[7 * is];
}

/// out = A·in (4 → 8): the transpose of output_1d, for the output gradient.
SG_INLINE void output_grad_1d(v16 *out, int os, const v16 *in, int is) {
    const v16 y0 = in[0], y1 = in[is], y2 = in[2 * is], y3 = in[3 * is];
    out[0] = y0;
    v16 even = y0 + y2, odd = y1 + y3;  // points ±1
    out[os] = even + odd;
    out[2 * os] = even - odd;
    even = y0 + 4.0f * y2;  // points ±2
    odd = 2.0f * y1 + 8.0f * y3;
    out[3 * os] = even + odd;
    out[4 * os] = even - odd;
    even = y0 + 0.25f * y2;  // points ±½
    odd = 0.5f * y1 + 0.125f * y3;
    out[5 * os] = even + odd;
    out[6 * os] = even - odd;
    out[7 * os] = y3;
}

/// out = G·in (5 → 8): the kernel's transform.
SG_INLINE void kernel_1d(v16 *out, int os, const v16 *in, int is) {
    for (int a = 0; a < 8; a++) {
        v16 sum = {0};
        for (int k = 0; k < 5; k++) {
            if (G[a][k] != 0.0f) sum += G[a][k] * in[k * is];
        }
        out[a * os] = sum;
    }
}

/// out = Gᵀ·in (8 → 5): the transpose of kernel_1d, for the kernel gradient.
SG_INLINE void kernel_grad_1d(v16 *out, int os, const v16 *in, int is) {
    for (int k = 0; k < 5; k++) {
        v16 sum = {0};
        for (int a = 0; a < 8; a++) {
            if (G[a][k] != 0.0f) sum += G[a][k] * in[a * is];
        }
        out[k * os] = sum;
    }
}

// ---------------------------------------------------------------------------------------------
// Geometry.

typedef struct {
    int n, h, w, cin, oh, ow, cout, pt, pl;
    int tiles_y, tiles_x;  // 4×4 output tiles per column and row of an image
    int cinp, coutp;       // channels rounded up to whole vectors (transform-domain row lengths)
    int block;             // tiles per block
    size_t tiles_per_image;
} plan;

/// Tiles per block, per pass. A block's two transformed buffers hold 64·block·(cinp + coutp)
/// floats. Every block reads the whole transformed kernel (forward, backward data) or reads and
/// writes the whole partial kernel gradient, 64·cin·cout floats that live in L3, so larger blocks
/// cost less of that traffic per tile; but the buffers should stay in L2. Measured on one Zen 5
/// core (1 MB L2) for acgan's 80 → 80: 4–12 tiles within noise for forward and backward data
/// (8 chosen: 320 KB), 12–24 for the kernel gradient, whose traffic is twice as large (16: 640 KB),
/// and 32 or more 10–40 % slower.
static int block_tiles(int cinp, int coutp, int pass) {
    const long budget = pass == SG_WINOGRAD_BACKWARD_WEIGHTS ? 163840 : 81920;  // floats
    long tiles = budget / (64L * (cinp + coutp));
    if (tiles < 4) tiles = 4;
    if (tiles > 256) tiles = 256;
    return (int)tiles;
}

static int make_plan(const sg_winograd_shape *s, int pass, plan *p) {
    if (!s || pass < 0 || pass > 2) return 1;
    if (s->batch < 1 || s->in_height < 1 || s->in_width < 1 || s->in_channels < 1) return 1;
    if (s->out_height < 1 || s->out_width < 1 || s->out_channels < 1) return 1;
    if (s->pad_top < 0 || s->pad_left < 0 || s->pad_top > INT_MAX / 4 || s->pad_left > INT_MAX / 4) return 1;
    if (s->in_channels > INT_MAX - LANES || s->out_channels > INT_MAX - LANES) return 1;
    if (s->out_height > INT_MAX - 3 || s->out_width > INT_MAX - 3) return 1;
    p->n = s->batch, p->h = s->in_height, p->w = s->in_width, p->cin = s->in_channels;
    p->oh = s->out_height, p->ow = s->out_width, p->cout = s->out_channels;
    p->pt = s->pad_top, p->pl = s->pad_left;
    p->tiles_y = (p->oh + 3) / 4, p->tiles_x = (p->ow + 3) / 4;
    p->cinp = (p->cin + LANES - 1) / LANES * LANES, p->coutp = (p->cout + LANES - 1) / LANES * LANES;
    p->block = block_tiles(p->cinp, p->coutp, pass);
    p->tiles_per_image = (size_t)p->tiles_y * (size_t)p->tiles_x;
    // Every index below is formed in size_t; make sure the largest ones fit.
    size_t total;
    if (__builtin_mul_overflow(p->tiles_per_image, (size_t)p->n, &total)) return 1;
    if (total > (size_t)INT_MAX) return 1;
    return 0;
}

/// a·b·c·d + 16 (alignment slack), or 0 on overflow.
static size_t checked_floats(size_t a, size_t b, size_t c, size_t d) {
    size_t r;
    if (__builtin_mul_overflow(a, b, &r) || __builtin_mul_overflow(r, c, &r) || __builtin_mul_overflow(r, d, &r) ||
        __builtin_add_overflow(r, (size_t)LANES, &r))
        return 0;
    return r;
}

/// The buffers' first 64-byte boundary (their sizes include 16 floats of slack for it).
static float *align64(float *p) { return (float *)(((uintptr_t)p + 63) & ~(uintptr_t)63); }
static const float *align64c(const float *p) { return (const float *)(((uintptr_t)p + 63) & ~(uintptr_t)63); }

size_t sg_winograd_scratch_floats(const sg_winograd_shape *s, int pass) {
    plan p;
    if (make_plan(s, pass, &p)) return 0;
    return checked_floats(64, (size_t)p.block, (size_t)p.cinp + (size_t)p.coutp, 1);
}

size_t sg_winograd_kernel_floats(const sg_winograd_shape *s, int pass) {
    plan p;
    if (make_plan(s, pass, &p) || pass == SG_WINOGRAD_BACKWARD_WEIGHTS) return 0;
    return pass == SG_WINOGRAD_FORWARD ? checked_floats(64, (size_t)p.cin, (size_t)p.coutp, 1)
                                       : checked_floats(64, (size_t)p.cout, (size_t)p.cinp, 1);
}

/// Kernel-gradient groups: at least 64 tiles each (a group's partial, 64·cin·cout floats, should
/// be worth its memory), at most 8 of them (the partials' memory and the final sum's reading grow
/// with their number); a function of the shape only, never of the thread count.
static void weight_groups(const plan *p, int *groups, int *images_per_group) {
    size_t total = p->tiles_per_image * (size_t)p->n;
    size_t wanted = total / 64;
    if (wanted < 1) wanted = 1;
    if (wanted > 8) wanted = 8;
    int per = (int)(((size_t)p->n + wanted - 1) / wanted);
    *images_per_group = per;
    *groups = (p->n + per - 1) / per;
}

int sg_winograd_weight_groups(const sg_winograd_shape *s) {
    plan p;
    if (make_plan(s, SG_WINOGRAD_BACKWARD_WEIGHTS, &p)) return 0;
    int groups, per;
    weight_groups(&p, &groups, &per);
    return groups;
}

size_t sg_winograd_partials_floats(const sg_winograd_shape *s) {
    plan p;
    if (make_plan(s, SG_WINOGRAD_BACKWARD_WEIGHTS, &p)) return 0;
    int groups, per;
    weight_groups(&p, &groups, &per);
    return checked_floats((size_t)groups, 64, (size_t)p.cin, (size_t)p.coutp);
}

// ---------------------------------------------------------------------------------------------
// Tiles. Tile t is image t / tiles_per_image, row-major within the image; its output tile starts
// at (4·ty, 4·tx) and its input tile at (4·ty − pt, 4·tx − pl). Pixels outside the image read as
// zero and are not written; channels past the count likewise.

/// Bᵀ d B of tile t for all input channels: frequency point ξ of channel c goes to
/// dst[ξ·plane + c] (a row of the block's V matrices).
SG_INLINE void transform_input_tile(const plan *p, const float *x, size_t t, float *dst, size_t plane) {
    const size_t b = t / p->tiles_per_image, r = t % p->tiles_per_image;
    const int y0 = (int)(r / (size_t)p->tiles_x) * 4 - p->pt, x0 = (int)(r % (size_t)p->tiles_x) * 4 - p->pl;
    for (int c0 = 0; c0 < p->cin; c0 += LANES) {
        const int nc = min_int(LANES, p->cin - c0);
        v16 d[64], tmp[64];
        for (int i = 0; i < 8; i++) {
            const int iy = y0 + i;
            for (int j = 0; j < 8; j++) {
                const int ix = x0 + j;
                if (iy >= 0 && iy < p->h && ix >= 0 && ix < p->w) {
                    d[i * 8 + j] = load_n(x + ((b * (size_t)p->h + (size_t)iy) * (size_t)p->w + (size_t)ix) * (size_t)p->cin + (size_t)c0, nc);
                } else {
                    d[i * 8 + j] = (v16){0};
                }
            }
        }
        for (int j = 0; j < 8; j++) input_1d(tmp + j, 8, d + j, 8);
        for (int i = 0; i < 8; i++) input_1d(d + i * 8, 1, tmp + i * 8, 1);
        for (int xi = 0; xi < 64; xi++) store16(dst + (size_t)xi * plane + (size_t)c0, d[xi]);
    }
}

/// A dy Aᵀ of output tile t for all output channels, to dst[ξ·plane + o].
SG_INLINE void transform_output_grad_tile(const plan *p, const float *dy, size_t t, float *dst, size_t plane) {
    const size_t b = t / p->tiles_per_image, r = t % p->tiles_per_image;
    const int y0 = (int)(r / (size_t)p->tiles_x) * 4, x0 = (int)(r % (size_t)p->tiles_x) * 4;
    for (int o0 = 0; o0 < p->cout; o0 += LANES) {
        const int no = min_int(LANES, p->cout - o0);
        v16 g[16], tmp[32], z[64];
        for (int i = 0; i < 4; i++) {
            for (int j = 0; j < 4; j++) {
                const int oy = y0 + i, ox = x0 + j;
                g[i * 4 + j] = oy < p->oh && ox < p->ow
                                   ? load_n(dy + ((b * (size_t)p->oh + (size_t)oy) * (size_t)p->ow + (size_t)ox) * (size_t)p->cout + (size_t)o0, no)
                                   : (v16){0};
            }
        }
        for (int j = 0; j < 4; j++) output_grad_1d(tmp + j, 4, g + j, 4);      // 4×4 → 8×4
        for (int i = 0; i < 8; i++) output_grad_1d(z + i * 8, 1, tmp + i * 4, 1);  // 8×4 → 8×8
        for (int xi = 0; xi < 64; xi++) store16(dst + (size_t)xi * plane + (size_t)o0, z[xi]);
    }
}

/// y's tile t = Aᵀ M A, from src[ξ·plane + o].
SG_INLINE void inverse_output_tile(const plan *p, const float *src, size_t plane, size_t t, float *y) {
    const size_t b = t / p->tiles_per_image, r = t % p->tiles_per_image;
    const int y0 = (int)(r / (size_t)p->tiles_x) * 4, x0 = (int)(r % (size_t)p->tiles_x) * 4;
    for (int o0 = 0; o0 < p->cout; o0 += LANES) {
        const int no = min_int(LANES, p->cout - o0);
        v16 m[64], tmp[32], out[16];
        for (int xi = 0; xi < 64; xi++) m[xi] = load16(src + (size_t)xi * plane + (size_t)o0);
        for (int j = 0; j < 8; j++) output_1d(tmp + j, 8, m + j, 8);           // 8×8 → 4×8
        for (int i = 0; i < 4; i++) output_1d(out + i * 4, 1, tmp + i * 8, 1);  // 4×8 → 4×4
        for (int i = 0; i < 4 && y0 + i < p->oh; i++) {
            for (int j = 0; j < 4 && x0 + j < p->ow; j++) {
                store_n(y + ((b * (size_t)p->oh + (size_t)(y0 + i)) * (size_t)p->ow + (size_t)(x0 + j)) * (size_t)p->cout + (size_t)o0, out[i * 4 + j], no);
            }
        }
    }
}

/// dx's input tile t += B W Bᵀ, from src[ξ·plane + c]: the scatter the forward's gather is.
SG_INLINE void inverse_input_grad_tile(const plan *p, const float *src, size_t plane, size_t t, float *dx) {
    const size_t b = t / p->tiles_per_image, r = t % p->tiles_per_image;
    const int y0 = (int)(r / (size_t)p->tiles_x) * 4 - p->pt, x0 = (int)(r % (size_t)p->tiles_x) * 4 - p->pl;
    for (int c0 = 0; c0 < p->cin; c0 += LANES) {
        const int nc = min_int(LANES, p->cin - c0);
        v16 w[64], tmp[64];
        for (int xi = 0; xi < 64; xi++) w[xi] = load16(src + (size_t)xi * plane + (size_t)c0);
        for (int j = 0; j < 8; j++) input_grad_1d(tmp + j, 8, w + j, 8);
        for (int i = 0; i < 8; i++) input_grad_1d(w + i * 8, 1, tmp + i * 8, 1);
        for (int i = 0; i < 8; i++) {
            const int iy = y0 + i;
            if (iy < 0 || iy >= p->h) continue;
            for (int j = 0; j < 8; j++) {
                const int ix = x0 + j;
                if (ix < 0 || ix >= p->w) continue;
                add_n(dx + ((b * (size_t)p->h + (size_t)iy) * (size_t)p->w + (size_t)ix) * (size_t)p->cin + (size_t)c0, w[i * 8 + j], nc);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The products. C[i][·] (+)= Σ_k A[i·ai + k·ak] · B[k·ldb + ·] over 16·nvec columns: rows are
// tiles (forward, backward data) or input channels (kernel gradient, where k runs over tiles).
// Each C element is one fused multiply-add chain over k in order, whatever the register block
// it falls in, so the blocking never changes a result.

/// An R×NV register block: R rows of C, NV vectors of 16 columns each.
SG_INLINE void micro(const int R, const int NV, int depth, const float *a, size_t ai, size_t ak, const float *b,
                     size_t ldb, float *c, size_t ldc, int accumulate) {
    v16 acc[8][5];
    for (int r = 0; r < R; r++) {
        for (int v = 0; v < NV; v++) acc[r][v] = accumulate ? load16(c + (size_t)r * ldc + LANES * v) : (v16){0};
    }
    for (int k = 0; k < depth; k++) {
        const float *ak_row = a + (size_t)k * ak, *bk = b + (size_t)k * ldb;
        v16 bv[5];
        for (int v = 0; v < NV; v++) bv[v] = load16(bk + LANES * v);
        for (int r = 0; r < R; r++) {
            const float s = ak_row[(size_t)r * ai];
            for (int v = 0; v < NV; v++) acc[r][v] += s * bv[v];
        }
    }
    for (int r = 0; r < R; r++) {
        for (int v = 0; v < NV; v++) store16(c + (size_t)r * ldc + LANES * v, acc[r][v]);
    }
}

enum { PORTABLE, AVX2, AVX512 };

/// Register blocks per instruction set. AVX-512 has 32 vector registers: R·NV accumulators,
/// NV column vectors and a broadcast fit for NV ≤ 3 at R = 8, NV = 4 at R = 6, NV = 5 at R = 4
/// (80 channels are 5 vectors). AVX2 has 16 ymm, two per v16: 6 rows of one vector. The
/// baseline gets 4 rows of one vector (16 NEON registers of 32; SSE spills a few).
SG_INLINE int block_vectors(const int isa, int remaining) {
    if (isa != AVX512) return 1;
    if (remaining <= 5) return remaining;
    return remaining >= 10 ? 5 : (remaining + 1) / 2;
}
SG_INLINE int block_rows(const int isa, int nv) {
    if (isa == AVX512) return nv <= 3 ? 8 : nv == 4 ? 6 : 4;
    return isa == AVX2 ? 6 : 4;
}

#define SG_MICRO(R, NV)                                                                                        \
    case (R) * 8 + (NV):                                                                                       \
        micro(R, NV, depth, a + (size_t)i0 * ai, ai, ak, b + (size_t)(LANES * j0), ldb,                        \
              c + (size_t)i0 * ldc + (size_t)(LANES * j0), ldc, accumulate);                                    \
        break;
#define SG_MICRO_ROWS_1_TO_4(NV) SG_MICRO(1, NV) SG_MICRO(2, NV) SG_MICRO(3, NV) SG_MICRO(4, NV)

SG_INLINE void gemm_body(const int isa, int rows, int nvec, int depth, const float *a, size_t ai, size_t ak,
                         const float *b, size_t ldb, float *c, size_t ldc, int accumulate) {
    for (int j0 = 0; j0 < nvec;) {
        const int nv = block_vectors(isa, nvec - j0), rmax = block_rows(isa, nv);
        for (int i0 = 0; i0 < rows; i0 += rmax) {
            const int r = min_int(rmax, rows - i0);
            if (isa == AVX512) {
                switch (r * 8 + nv) {
                    SG_MICRO_ROWS_1_TO_4(1) SG_MICRO(5, 1) SG_MICRO(6, 1) SG_MICRO(7, 1) SG_MICRO(8, 1)
                    SG_MICRO_ROWS_1_TO_4(2) SG_MICRO(5, 2) SG_MICRO(6, 2) SG_MICRO(7, 2) SG_MICRO(8, 2)
                    SG_MICRO_ROWS_1_TO_4(3) SG_MICRO(5, 3) SG_MICRO(6, 3) SG_MICRO(7, 3) SG_MICRO(8, 3)
                    SG_MICRO_ROWS_1_TO_4(4) SG_MICRO(5, 4) SG_MICRO(6, 4)
                    SG_MICRO_ROWS_1_TO_4(5)
                }
            } else {
                switch (r * 8 + 1) {
                    SG_MICRO_ROWS_1_TO_4(1) SG_MICRO(5, 1) SG_MICRO(6, 1)
                }
            }
        }
        j0 += nv;
    }
}

typedef void gemm_fn(int rows, int nvec, int depth, const float *a, size_t ai, size_t ak, const float *b, size_t ldb,
                     float *c, size_t ldc, int accumulate);

// ---------------------------------------------------------------------------------------------
// The passes, over a range of images (forward, backward data), groups (kernel gradient) or rows
// of a kernel layout (transforms).

/// Forward-pass layout: u[ξ][c][o] (o padded to coutp). Backward-data layout: u[ξ][o][c]
/// (c padded to cinp), so that pass's product reads it the same way.
SG_INLINE void transform_kernel_body(const plan *p, int pass, const float *k, float *u, int r0, int r1) {
    for (int row = r0; row < r1; row++) {
        const int width = pass == SG_WINOGRAD_FORWARD ? p->cout : p->cin;
        const int padded = pass == SG_WINOGRAD_FORWARD ? p->coutp : p->cinp;
        const size_t plane = (size_t)(pass == SG_WINOGRAD_FORWARD ? p->cin : p->cout) * (size_t)padded;
        for (int l0 = 0; l0 < padded; l0 += LANES) {
            const int nl = min_int(LANES, width - l0);
            v16 g[25], tmp[40], out[64];
            for (int tap = 0; tap < 25; tap++) {
                const float *src = k + (size_t)tap * (size_t)p->cin * (size_t)p->cout;
                if (pass == SG_WINOGRAD_FORWARD) {
                    g[tap] = load_n(src + (size_t)row * (size_t)p->cout + (size_t)l0, nl);
                } else {
                    v16 v = {0};
                    for (int l = 0; l < nl; l++) v[l] = src[(size_t)(l0 + l) * (size_t)p->cout + (size_t)row];
                    g[tap] = v;
                }
            }
            for (int j = 0; j < 5; j++) kernel_1d(tmp + j, 5, g + j, 5);      // 5×5 → 8×5
            for (int i = 0; i < 8; i++) kernel_1d(out + i * 8, 1, tmp + i * 5, 1);  // 8×5 → 8×8
            for (int xi = 0; xi < 64; xi++) store16(u + (size_t)xi * plane + (size_t)row * (size_t)padded + (size_t)l0, out[xi]);
        }
    }
}

SG_INLINE void forward_body(gemm_fn *gemm, const plan *p, const float *x, const float *u, float *y, int b0, int b1,
                            float *scratch) {
    const size_t vplane = (size_t)p->block * (size_t)p->cinp, mplane = (size_t)p->block * (size_t)p->coutp;
    const size_t uplane = (size_t)p->cin * (size_t)p->coutp;
    float *v = scratch, *m = scratch + 64 * vplane;
    const size_t end = (size_t)b1 * p->tiles_per_image;
    for (size_t t = (size_t)b0 * p->tiles_per_image; t < end; t += (size_t)p->block) {
        const int count = (int)(end - t < (size_t)p->block ? end - t : (size_t)p->block);
        for (int i = 0; i < count; i++) transform_input_tile(p, x, t + (size_t)i, v + (size_t)i * (size_t)p->cinp, vplane);
        for (int xi = 0; xi < 64; xi++) {
            gemm(count, p->coutp / LANES, p->cin, v + (size_t)xi * vplane, (size_t)p->cinp, 1, u + (size_t)xi * uplane,
                 (size_t)p->coutp, m + (size_t)xi * mplane, (size_t)p->coutp, 0);
        }
        for (int i = 0; i < count; i++) inverse_output_tile(p, m + (size_t)i * (size_t)p->coutp, mplane, t + (size_t)i, y);
    }
}

SG_INLINE void backward_data_body(gemm_fn *gemm, const plan *p, const float *dy, const float *u, float *dx, int b0,
                                  int b1, float *scratch) {
    const size_t zplane = (size_t)p->block * (size_t)p->coutp, wplane = (size_t)p->block * (size_t)p->cinp;
    const size_t uplane = (size_t)p->cout * (size_t)p->cinp;
    float *z = scratch, *w = scratch + 64 * zplane;
    const size_t image = (size_t)p->h * (size_t)p->w * (size_t)p->cin;
    memset(dx + (size_t)b0 * image, 0, (size_t)(b1 - b0) * image * sizeof(float));
    const size_t end = (size_t)b1 * p->tiles_per_image;
    for (size_t t = (size_t)b0 * p->tiles_per_image; t < end; t += (size_t)p->block) {
        const int count = (int)(end - t < (size_t)p->block ? end - t : (size_t)p->block);
        for (int i = 0; i < count; i++) transform_output_grad_tile(p, dy, t + (size_t)i, z + (size_t)i * (size_t)p->coutp, zplane);
        for (int xi = 0; xi < 64; xi++) {
            gemm(count, p->cinp / LANES, p->cout, z + (size_t)xi * zplane, (size_t)p->coutp, 1, u + (size_t)xi * uplane,
                 (size_t)p->cinp, w + (size_t)xi * wplane, (size_t)p->cinp, 0);
        }
        // In tile order: a pixel's contributions from overlapping tiles add in the same order
        // however the images were split.
        for (int i = 0; i < count; i++) inverse_input_grad_tile(p, w + (size_t)i * (size_t)p->cinp, wplane, t + (size_t)i, dx);
    }
}

SG_INLINE void backward_weights_body(gemm_fn *gemm, const plan *p, const float *x, const float *dy, float *partials,
                                     int g0, int g1, float *scratch) {
    const size_t vplane = (size_t)p->block * (size_t)p->cinp, zplane = (size_t)p->block * (size_t)p->coutp;
    const size_t pplane = (size_t)p->cin * (size_t)p->coutp;
    float *v = scratch, *z = scratch + 64 * vplane;
    int groups, per;
    weight_groups(p, &groups, &per);
    for (int g = g0; g < g1; g++) {
        float *partial = partials + (size_t)g * 64 * pplane;
        const size_t start = (size_t)g * (size_t)per * p->tiles_per_image;
        const size_t end = (size_t)min_int(p->n, (g + 1) * per) * p->tiles_per_image;
        for (size_t t = start; t < end; t += (size_t)p->block) {
            const int count = (int)(end - t < (size_t)p->block ? end - t : (size_t)p->block);
            for (int i = 0; i < count; i++) {
                transform_input_tile(p, x, t + (size_t)i, v + (size_t)i * (size_t)p->cinp, vplane);
                transform_output_grad_tile(p, dy, t + (size_t)i, z + (size_t)i * (size_t)p->coutp, zplane);
            }
            // partial[ξ] (+)= V[ξ]ᵀ Z[ξ]: rows are input channels, the sum runs over the block's
            // tiles, continuing the previous block's chain (the group's tiles in order).
            for (int xi = 0; xi < 64; xi++) {
                gemm(p->cin, p->coutp / LANES, count, v + (size_t)xi * vplane, 1, (size_t)p->cinp, z + (size_t)xi * zplane,
                     (size_t)p->coutp, partial + (size_t)xi * pplane, (size_t)p->coutp, t != start);
            }
        }
    }
}

SG_INLINE void reduce_weights_body(const plan *p, const float *partials, float *dk, int c0, int c1) {
    int groups, per;
    weight_groups(p, &groups, &per);
    const size_t pplane = (size_t)p->cin * (size_t)p->coutp, group = 64 * pplane;
    for (int c = c0; c < c1; c++) {
        for (int o0 = 0; o0 < p->cout; o0 += LANES) {
            const int no = min_int(LANES, p->cout - o0);
            v16 s[64], tmp[40], out[25];
            const float *src = partials + (size_t)c * (size_t)p->coutp + (size_t)o0;
            for (int xi = 0; xi < 64; xi++) {
                v16 sum = load16(src + (size_t)xi * pplane);
                for (int g = 1; g < groups; g++) sum += load16(src + (size_t)g * group + (size_t)xi * pplane);
                s[xi] = sum;
            }
            for (int j = 0; j < 8; j++) kernel_grad_1d(tmp + j, 8, s + j, 8);        // 8×8 → 5×8
            for (int i = 0; i < 5; i++) kernel_grad_1d(out + i * 5, 1, tmp + i * 8, 1);  // 5×8 → 5×5
            for (int tap = 0; tap < 25; tap++) {
                store_n(dk + ((size_t)tap * (size_t)p->cin + (size_t)c) * (size_t)p->cout + (size_t)o0, out[tap], no);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The three builds of the bodies above.

typedef struct {
    const char *name;
    void (*transform_kernel)(const plan *, int, const float *, float *, int, int);
    void (*forward)(const plan *, const float *, const float *, float *, int, int, float *);
    void (*backward_data)(const plan *, const float *, const float *, float *, int, int, float *);
    void (*backward_weights)(const plan *, const float *, const float *, float *, int, int, float *);
    void (*reduce_weights)(const plan *, const float *, float *, int, int);
} variant;

#define SG_VARIANT(NAME, LABEL, ISA, ATTRIBUTES)                                                                    \
    ATTRIBUTES static void gemm_##NAME(int rows, int nvec, int depth, const float *a, size_t ai, size_t ak,    \
                                       const float *b, size_t ldb, float *c, size_t ldc, int accumulate) {     \
        gemm_body(ISA, rows, nvec, depth, a, ai, ak, b, ldb, c, ldc, accumulate);                              \
    }                                                                                                          \
    ATTRIBUTES static void transform_kernel_##NAME(const plan *p, int pass, const float *k, float *u, int r0,  \
                                                   int r1) {                                                   \
        transform_kernel_body(p, pass, k, u, r0, r1);                                                          \
    }                                                                                                          \
    ATTRIBUTES static void forward_##NAME(const plan *p, const float *x, const float *u, float *y, int b0,     \
                                          int b1, float *scratch) {                                            \
        forward_body(gemm_##NAME, p, x, u, y, b0, b1, scratch);                                                \
    }                                                                                                          \
    ATTRIBUTES static void backward_data_##NAME(const plan *p, const float *dy, const float *u, float *dx,     \
                                                int b0, int b1, float *scratch) {                              \
        backward_data_body(gemm_##NAME, p, dy, u, dx, b0, b1, scratch);                                        \
    }                                                                                                          \
    ATTRIBUTES static void backward_weights_##NAME(const plan *p, const float *x, const float *dy,             \
                                                   float *partials, int g0, int g1, float *scratch) {          \
        backward_weights_body(gemm_##NAME, p, x, dy, partials, g0, g1, scratch);                               \
    }                                                                                                          \
    ATTRIBUTES static void reduce_weights_##NAME(const plan *p, const float *partials, float *dk, int c0,      \
                                                 int c1) {                                                     \
        reduce_weights_body(p, partials, dk, c0, c1);                                                          \
    }                                                                                                          \
    static const variant variant_##NAME = {LABEL, transform_kernel_##NAME, forward_##NAME,                     \
                                           backward_data_##NAME, backward_weights_##NAME,                      \
                                           reduce_weights_##NAME};

SG_VARIANT(portable, "portable", PORTABLE, )
#if defined(__x86_64__)
SG_VARIANT(avx2, "avx2+fma", AVX2, __attribute__((target("avx2,fma"))))
SG_VARIANT(avx512, "avx512", AVX512, __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq"))))
#endif

static int forced_portable = 0;

static const variant *current_variant(void) {
    if (__atomic_load_n(&forced_portable, __ATOMIC_RELAXED)) return &variant_portable;
#if defined(__x86_64__)
    // __builtin_cpu_supports also checks that the OS saves the wide registers (XCR0).
    static int chosen = -1;  // a benign race: every thread computes the same value
    int isa = __atomic_load_n(&chosen, __ATOMIC_RELAXED);
    if (isa < 0) {
        __builtin_cpu_init();
        if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
            __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq")) {
            isa = AVX512;
        } else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
            isa = AVX2;
        } else {
            isa = PORTABLE;
        }
        __atomic_store_n(&chosen, isa, __ATOMIC_RELAXED);
    }
    if (isa == AVX512) return &variant_avx512;
    if (isa == AVX2) return &variant_avx2;
#endif
    return &variant_portable;
}

const char *sg_winograd_variant(void) { return current_variant()->name; }

void sg_winograd_force_portable(int portable) { __atomic_store_n(&forced_portable, portable != 0, __ATOMIC_RELAXED); }

// ---------------------------------------------------------------------------------------------
// Entry points: argument checks, then the chosen build.

static int image_range_ok(const plan *p, int first, int end) { return first >= 0 && first <= end && end <= p->n; }

int sg_winograd_transform_kernel(const sg_winograd_shape *s, int pass, const float *kernel, float *transformed,
                                 size_t transformed_floats, int first_row, int end_row) {
    plan p;
    if (make_plan(s, pass, &p) || pass == SG_WINOGRAD_BACKWARD_WEIGHTS || !kernel || !transformed) return 1;
    const size_t need = sg_winograd_kernel_floats(s, pass);
    const int rows = pass == SG_WINOGRAD_FORWARD ? p.cin : p.cout;
    if (need == 0 || transformed_floats < need || first_row < 0 || first_row > end_row || end_row > rows) return 1;
    current_variant()->transform_kernel(&p, pass, kernel, align64(transformed), first_row, end_row);
    return 0;
}

int sg_winograd_forward(const sg_winograd_shape *s, const float *x, const float *transformed,
                        size_t transformed_floats, float *y, int first_image, int end_image, float *scratch,
                        size_t scratch_floats) {
    plan p;
    if (make_plan(s, SG_WINOGRAD_FORWARD, &p) || !x || !transformed || !y || !scratch) return 1;
    const size_t kernel = sg_winograd_kernel_floats(s, SG_WINOGRAD_FORWARD);
    const size_t need = sg_winograd_scratch_floats(s, SG_WINOGRAD_FORWARD);
    if (!image_range_ok(&p, first_image, end_image) || kernel == 0 || transformed_floats < kernel || need == 0 ||
        scratch_floats < need)
        return 1;
    current_variant()->forward(&p, x, align64c(transformed), y, first_image, end_image, align64(scratch));
    return 0;
}

int sg_winograd_backward_data(const sg_winograd_shape *s, const float *dy, const float *transformed,
                              size_t transformed_floats, float *dx, int first_image, int end_image, float *scratch,
                              size_t scratch_floats) {
    plan p;
    if (make_plan(s, SG_WINOGRAD_BACKWARD_DATA, &p) || !dy || !transformed || !dx || !scratch) return 1;
    const size_t kernel = sg_winograd_kernel_floats(s, SG_WINOGRAD_BACKWARD_DATA);
    const size_t need = sg_winograd_scratch_floats(s, SG_WINOGRAD_BACKWARD_DATA);
    if (!image_range_ok(&p, first_image, end_image) || kernel == 0 || transformed_floats < kernel || need == 0 ||
        scratch_floats < need)
        return 1;
    current_variant()->backward_data(&p, dy, align64c(transformed), dx, first_image, end_image, align64(scratch));
    return 0;
}

int sg_winograd_backward_weights(const sg_winograd_shape *s, const float *x, const float *dy, float *partials,
                                 size_t partials_floats, int first_group, int end_group, float *scratch,
                                 size_t scratch_floats) {
    plan p;
    if (make_plan(s, SG_WINOGRAD_BACKWARD_WEIGHTS, &p) || !x || !dy || !partials || !scratch) return 1;
    const size_t need = sg_winograd_scratch_floats(s, SG_WINOGRAD_BACKWARD_WEIGHTS);
    const size_t total = sg_winograd_partials_floats(s);
    const int groups = sg_winograd_weight_groups(s);
    if (first_group < 0 || first_group > end_group || end_group > groups || need == 0 || scratch_floats < need ||
        total == 0 || partials_floats < total)
        return 1;
    current_variant()->backward_weights(&p, x, dy, align64(partials), first_group, end_group, align64(scratch));
    return 0;
}

int sg_winograd_reduce_weights(const sg_winograd_shape *s, const float *partials, size_t partials_floats,
                               float *dkernel, int first_channel, int end_channel) {
    plan p;
    if (make_plan(s, SG_WINOGRAD_BACKWARD_WEIGHTS, &p) || !partials || !dkernel) return 1;
    const size_t total = sg_winograd_partials_floats(s);
    if (total == 0 || partials_floats < total || first_channel < 0 || first_channel > end_channel ||
        end_channel > p.cin)
        return 1;
    current_variant()->reduce_weights(&p, align64c(partials), dkernel, first_channel, end_channel);
    return 0;
}
