/* Winograd F(4x4, 3x3) (winograd4.c): the transforms' arithmetic, written once over the value
 * type's operations so that the portable (float) and AVX2 (__m256, 8 tiles) versions add in the
 * same order and give the same bits. ADD, SUB, MULC(c, a) (c·a for a float constant c),
 * MADDC(c, a, b) (c·a + b, one rounding) and NMADDC(c, a, b) (b - c·a, one rounding) are defined
 * by the includer; no other fused multiply-adds (FP_CONTRACT OFF where it could apply). Fusing
 * the constant multiplies moves half the transforms' additions onto the FMA units (on Zen 4 the
 * adders were the bottleneck). */
#ifndef FATNN_CFLOATKERNELS_WINOGRAD4_H
#define FATNN_CFLOATKERNELS_WINOGRAD4_H
#include "internal.h"

/* r = B^T d for 6 values (Lavin and Gray's B^T for F(4, 3)):
 *   4 0 -5 0 1 0 / 0 -4 -4 1 1 0 / 0 4 -4 -1 1 0 / 0 -2 -1 2 1 0 / 0 2 -1 -2 1 0 / 0 4 0 -5 0 1 */
#define W4_BT(d, r)                                                               \
    do {                                                                          \
        const W4_T a_ = NMADDC(4.0f, d[2], d[4]), b_ = NMADDC(4.0f, d[1], d[3]);  \
        const W4_T c_ = SUB(d[4], d[2]), e_ = SUB(d[3], d[1]);                    \
        r[0] = MADDC(4.0f, d[0], NMADDC(5.0f, d[2], d[4]));                       \
        r[1] = ADD(a_, b_);                                                       \
        r[2] = SUB(a_, b_);                                                       \
        r[3] = MADDC(2.0f, e_, c_);                                               \
        r[4] = NMADDC(2.0f, e_, c_);                                              \
        r[5] = MADDC(4.0f, d[1], NMADDC(5.0f, d[3], d[5]));                       \
    } while (0)

/* r = A^T m for 6 values: 1 1 1 1 1 0 / 0 1 -1 2 -2 0 / 0 1 1 4 4 0 / 0 1 -1 8 -8 1. */
#define W4_AT(m, r)                                                               \
    do {                                                                          \
        const W4_T s12_ = ADD(m[1], m[2]), d12_ = SUB(m[1], m[2]);                \
        const W4_T s34_ = ADD(m[3], m[4]), d34_ = SUB(m[3], m[4]);                \
        r[0] = ADD(ADD(m[0], s12_), s34_);                                        \
        r[1] = MADDC(2.0f, d34_, d12_);                                           \
        r[2] = MADDC(4.0f, s34_, s12_);                                           \
        r[3] = ADD(MADDC(8.0f, d34_, d12_), m[5]);                                \
    } while (0)

/* r = A y for 4 values (A = (A^T)^T, 6x4): the weight gradient's transform of an output-gradient
 * block, rows then columns (winograd4.c). */
#define W4_A(y, r)                                                                \
    do {                                                                          \
        const W4_T e_ = ADD(y[0], y[2]), o_ = ADD(y[1], y[3]);                    \
        const W4_T e2_ = MADDC(4.0f, y[2], y[0]), o2_ = MADDC(8.0f, y[3], MULC(2.0f, y[1])); \
        r[0] = y[0];                                                              \
        r[1] = ADD(e_, o_);                                                       \
        r[2] = SUB(e_, o_);                                                       \
        r[3] = ADD(e2_, o2_);                                                     \
        r[4] = SUB(e2_, o2_);                                                     \
        r[5] = y[3];                                                              \
    } while (0)

/* The split layout of F(4x4, 3x3): channel c, padded row r (image row r - 1; zeros outside),
 * four phases of tiles_w + 1 values, P_k[m] = padded column 4m + k = image column 4m + k - 1
 * (zeros outside). Tile (ty, tx) reads padded rows 4ty .. 4ty + 5 and columns 4tx .. 4tx + 5:
 * P_0..P_3[tx], P_0[tx + 1], P_1[tx + 1]. */
static inline long fk_w4_row(long tiles_w) { return 4 * (tiles_w + 1); }
static inline long fk_w4_rows(long tiles_h) { return 4 * tiles_h + 2; }

/* Value (c, y, col) of the image the transforms see: x (height x width; zeros outside), or with
 * x2 two images side by side, x, one zero column, x2 (width 2·width + 1). */
static inline float fk_w4_pixel(const float *x, const float *x2, long plane, long row_stride, long height, long width, long c, long y,
                                long col) {
    if (y < 0 || y >= height || col < 0) return 0;
    if (col < width) return x[c * plane + y * row_stride + col];
    col -= width + 1;
    return x2 && col >= 0 && col < width ? x2[c * plane + y * row_stride + col] : 0;
}

void fk_winograd4_split_portable(const float *x, const float *x2, long plane, long row_stride, long channels, long height, long width, long tiles_h,
                                 long tiles_w, float *p);
void fk_winograd4_input_portable(const float *p, long channels, long tiles_h, long tiles_w, float *v, long ldv, long xi_stride);
void fk_winograd4_output_portable(const float *m, long ldm, long xi_stride, long channels, long tiles_h, long tiles_w, float *t,
                                  long plane, long row, long height, long width);
void fk_winograd4_gradient_portable(const float *dy, const float *dy2, long plane, long row_stride, long channels, long height, long width, long tiles_h,
                                    long tiles_w, float *w, long ldw, long xi_stride);
#if defined(__x86_64__)
long fk_winograd4_avx2_scratch(long tiles_h, long tiles_w);
void fk_winograd4_image_avx2(const float *x, const float *x2, long plane, long row_stride, long channels, long height, long width, long tiles_h,
                             long tiles_w, float *v, long ldv, long xi_stride, float *scratch);
void fk_winograd4_output_avx2(const float *m, long ldm, long xi_stride, long channels, long tiles_h, long tiles_w, float *t,
                              long plane, long row, long height, long width);
void fk_winograd4_gradient_avx2(const float *dy, const float *dy2, long plane, long row_stride, long channels, long height, long width,
                                long tiles_h, long tiles_w, float *w, long ldw, long xi_stride, float *scratch);
#endif
#endif
