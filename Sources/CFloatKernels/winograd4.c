/* Winograd F(4x4, 3x3) (Lavin and Gray, 2016) for 3x3 stride-1 convolutions with padding 1: each
 * 4x4 block of outputs from the 6x6 input patch around it with 36 products per channel pair
 * instead of 144 (F(2x2, 3x3): 16 for 4 outputs, 64 for 16). The 36 positions ξ of the
 * transformed tile are 36 matrix products on fk_conv_taps, as in winograd.c; the transforms'
 * arithmetic is in winograd4_internal.h, the split layout (four column phases) there too. Larger
 * tiles round more than F(2x2, 3x3) (constants up to 8 in A, 1/24 in G): float training only. */
#include "winograd4_internal.h"
#include <math.h>

#pragma STDC FP_CONTRACT OFF

#define W4_T float
#define ADD(a, b) ((a) + (b))
#define SUB(a, b) ((a) - (b))
#define MULC(c, a) ((c) * (a))
#define MADDC(c, a, b) fmaf((c), (a), (b))
#define NMADDC(c, a, b) fmaf(-(c), (a), (b))

/* G of F(4x4, 3x3) (6x3): the weight transform G g G^T and the weight gradient's G^T m G. */
static const float G[6][3] = {{0.25f, 0, 0},
                              {-1.0f / 6, -1.0f / 6, -1.0f / 6},
                              {-1.0f / 6, 1.0f / 6, -1.0f / 6},
                              {1.0f / 24, 1.0f / 12, 1.0f / 6},
                              {1.0f / 24, -1.0f / 12, 1.0f / 6},
                              {0, 0, 1}};

void fk_winograd4_weights(const float *w, long cout, long cin, long ostride, long cstride, int flip, float *u) {
    /* U_ξ[o][c] = (G g G^T)[ξ], g as in fk_winograd_weights; input channels a block at a time, so
     * that the 36 outputs of each are written along contiguous runs. */
    enum { BLOCK = 64 };
    const long size = cout * cin;
    for (long o = 0; o < cout; o++)
        for (long c0 = 0; c0 < cin; c0 += BLOCK) {
            const long n = cin - c0 < BLOCK ? cin - c0 : BLOCK;
            float g[9][BLOCK], t[6][3][BLOCK];
            for (long c = 0; c < n; c++) {
                const float *s = w + o * ostride + (c0 + c) * cstride;
                for (int i = 0; i < 9; i++) g[i][c] = flip ? s[8 - i] : s[i];
            }
            for (int i = 0; i < 6; i++)  /* t = G g */
                for (int j = 0; j < 3; j++)
                    for (long c = 0; c < n; c++) t[i][j][c] = G[i][0] * g[j][c] + G[i][1] * g[3 + j][c] + G[i][2] * g[6 + j][c];
            for (int i = 0; i < 6; i++)  /* (G g) G^T */
                for (int j = 0; j < 6; j++) {
                    float *d = u + (i * 6 + j) * size + o * cin + c0;
                    for (long c = 0; c < n; c++) d[c] = t[i][0][c] * G[j][0] + t[i][1][c] * G[j][1] + t[i][2][c] * G[j][2];
                }
        }
}

void fk_winograd4_split_portable(const float *x, const float *x2, long plane, long row_stride, long channels, long height, long width,
                                 long tiles_h, long tiles_w, float *p) {
    const long rows = fk_w4_rows(tiles_h), half = tiles_w + 1, row = fk_w4_row(tiles_w);
    for (long c = 0; c < channels; c++)
        for (long r = 0; r < rows; r++) {
            float *d = p + (c * rows + r) * row;
            for (int k = 0; k < 4; k++)
                for (long m = 0; m < half; m++) d[k * half + m] = fk_w4_pixel(x, x2, plane, row_stride, height, width, c, r - 1, 4 * m + k - 1);
        }
}

void fk_winograd4_input_portable(const float *p, long channels, long tiles_h, long tiles_w, float *v, long ldv, long xi_stride) {
    const long rows = fk_w4_rows(tiles_h), half = tiles_w + 1, row = fk_w4_row(tiles_w);
    for (long c = 0; c < channels; c++)
        for (long ty = 0; ty < tiles_h; ty++) {
            const float *base = p + (c * rows + 4 * ty) * row;
            float *out = v + c * ldv + ty * tiles_w;
            for (long tx = 0; tx < tiles_w; tx++) {
                float q[6][6];
                for (int i = 0; i < 6; i++) {  /* d B, row i */
                    const float *s = base + i * row;
                    const float d[6] = {s[tx], s[half + tx], s[2 * half + tx], s[3 * half + tx], s[tx + 1], s[half + tx + 1]};
                    W4_BT(d, q[i]);
                }
                for (int j = 0; j < 6; j++) {  /* B^T (d B), column j */
                    const float col[6] = {q[0][j], q[1][j], q[2][j], q[3][j], q[4][j], q[5][j]};
                    float r[6];
                    W4_BT(col, r);
                    for (int i = 0; i < 6; i++) out[(i * 6 + j) * xi_stride + tx] = r[i];
                }
            }
        }
}

void fk_winograd4_output_portable(const float *m, long ldm, long xi_stride, long channels, long tiles_h, long tiles_w, float *t,
                                  long plane, long row, long height, long width) {
    for (long o = 0; o < channels; o++)
        for (long ty = 0; ty < tiles_h; ty++) {
            const float *in = m + o * ldm + ty * tiles_w;
            float *t0 = t + o * plane + 4 * ty * row;
            for (long tx = 0; tx < tiles_w; tx++) {
                float s[4][6];
                for (int j = 0; j < 6; j++) {  /* A^T m, column j */
                    float col[6], r[4];
                    for (int i = 0; i < 6; i++) col[i] = in[(i * 6 + j) * xi_stride + tx];
                    W4_AT(col, r);
                    for (int i = 0; i < 4; i++) s[i][j] = r[i];
                }
                for (int i = 0; i < 4 && 4 * ty + i < height; i++) {  /* (A^T m) A, row i, inside the map */
                    float r[4];
                    W4_AT(s[i], r);
                    for (int j = 0; j < 4 && 4 * tx + j < width; j++) t0[i * row + 4 * tx + j] = r[j];
                }
            }
        }
}

/* The weight gradient (F(3x3, 4x4), the transpose of the forward, as winograd.c's F(3x3, 2x2)):
 * the gradient of g is G^T [V ⊙ (A dY A^T)] G summed over tiles, so the 36 positions are 36
 * products over the tiles of the forward's input transform V and W = A dY A^T here (no signs
 * flipped); fk_winograd4_weight_grad takes the sums back to 3x3. */
void fk_winograd4_gradient_portable(const float *dy, const float *dy2, long plane, long row_stride, long channels, long height, long width,
                                    long tiles_h, long tiles_w, float *w, long ldw, long xi_stride) {
    for (long c = 0; c < channels; c++)
        for (long ty = 0; ty < tiles_h; ty++) {
            float *out = w + c * ldw + ty * tiles_w;
            for (long tx = 0; tx < tiles_w; tx++) {
                float q[4][6];
                for (int i = 0; i < 4; i++) {  /* A y for row i of the block (zeros past the map) */
                    float v[4];
                    for (int j = 0; j < 4; j++) v[j] = fk_w4_pixel(dy, dy2, plane, row_stride, height, width, c, 4 * ty + i, 4 * tx + j);
                    W4_A(v, q[i]);
                }
                for (int j = 0; j < 6; j++) {  /* then A on each column */
                    const float col[4] = {q[0][j], q[1][j], q[2][j], q[3][j]};
                    float r[6];
                    W4_A(col, r);
                    for (int i = 0; i < 6; i++) out[(i * 6 + j) * xi_stride + tx] = r[i];
                }
            }
        }
}

void fk_winograd4_weight_grad(const float *m, long cout, long cin, float *dw) {
    enum { BLOCK = 64 };  /* input channels at a time: the inner loops run along contiguous sums */
    const long size = cout * cin;
    for (long o = 0; o < cout; o++)
        for (long c0 = 0; c0 < cin; c0 += BLOCK) {
            const long n = cin - c0 < BLOCK ? cin - c0 : BLOCK;
            const float *mo = m + o * cin + c0;
            float z[3][6][BLOCK];
            for (int i = 0; i < 3; i++)  /* G^T m */
                for (int j = 0; j < 6; j++) {
                    float *zc = z[i][j];
                    for (long c = 0; c < n; c++) zc[c] = 0;
                    for (int k = 0; k < 6; k++) {
                        const float gk = G[k][i], *mk = mo + (k * 6 + j) * size;
                        for (long c = 0; c < n; c++) zc[c] += gk * mk[c];
                    }
                }
            for (int i = 0; i < 3; i++)  /* (G^T m) G, onto tap 3i + j */
                for (int j = 0; j < 3; j++) {
                    float *d = dw + ((3 * i + j) * cout + o) * cin + c0, r[BLOCK];
                    for (long c = 0; c < n; c++) r[c] = 0;
                    for (int k = 0; k < 6; k++) {
                        const float gk = G[k][j], *zk = z[i][k];
                        for (long c = 0; c < n; c++) r[c] += zk[c] * gk;
                    }
                    for (long c = 0; c < n; c++) d[c] += r[c];
                }
        }
}

#if defined(__x86_64__)
static int use_avx2(fk_path path) { return path != FK_SCALAR && fk_path_supported(FK_AVX2); }
#endif

long fk_winograd4_scratch(long channels, long tiles_h, long tiles_w) {
    long split = channels * fk_w4_rows(tiles_h) * fk_w4_row(tiles_w);
#if defined(__x86_64__)
    const long plane = fk_winograd4_avx2_scratch(tiles_h, tiles_w);
    if (plane > split) split = plane;
#endif
    return split;
}

void fk_winograd4_image(fk_path path, const float *x, const float *x2, long plane, long row_stride, long channels, long height, long width,
                        long tiles_h, long tiles_w, float *scratch, float *v, long ldv, long xi_stride) {
#if defined(__x86_64__)
    if (use_avx2(path) && tiles_w >= 4) {
        fk_winograd4_image_avx2(x, x2, plane, row_stride, channels, height, width, tiles_h, tiles_w, v, ldv, xi_stride, scratch);
        return;
    }
#endif
    fk_winograd4_split_portable(x, x2, plane, row_stride, channels, height, width, tiles_h, tiles_w, scratch);
    fk_winograd4_input_portable(scratch, channels, tiles_h, tiles_w, v, ldv, xi_stride);
}

void fk_winograd4_output(fk_path path, const float *m, long ldm, long xi_stride, long channels, long tiles_h, long tiles_w, float *t,
                         long plane, long row, long height, long width) {
#if defined(__x86_64__)
    if (use_avx2(path) && tiles_w >= 4) {
        fk_winograd4_output_avx2(m, ldm, xi_stride, channels, tiles_h, tiles_w, t, plane, row, height, width);
        return;
    }
#endif
    fk_winograd4_output_portable(m, ldm, xi_stride, channels, tiles_h, tiles_w, t, plane, row, height, width);
}

void fk_winograd4_gradient(fk_path path, const float *dy, const float *dy2, long plane, long row_stride, long channels, long height,
                           long width, long tiles_h, long tiles_w, float *scratch, float *w, long ldw, long xi_stride) {
#if defined(__x86_64__)
    if (use_avx2(path) && tiles_w >= 4) {
        fk_winograd4_gradient_avx2(dy, dy2, plane, row_stride, channels, height, width, tiles_h, tiles_w, w, ldw, xi_stride, scratch);
        return;
    }
#endif
    (void)scratch;
    fk_winograd4_gradient_portable(dy, dy2, plane, row_stride, channels, height, width, tiles_h, tiles_w, w, ldw, xi_stride);
}
