/* Winograd F(2x2, 3x3) for 3x3 stride-1 convolutions (Lavin and Gray, "Fast Algorithms for
 * Convolutional Neural Networks", 2016): each 2x2 block of outputs ("tile") from the 4x4 input
 * patch around it with 16 products per input and output channel pair instead of 36:
 *
 *   Y_tile = A^T [ sum_c (G g_oc G^T) ⊙ (B^T d_c B) ] A
 *
 * The sums over input channels are 16 matrix products, one per position ξ of the 4x4 transformed
 * tile, which run on fk_conv_taps (one tap); these functions are the transforms around them.
 *
 * The split layout of a padded image: channel c, padded row r (image row r - 1; rows 0 and
 * >= height + 1 are zeros) holds two runs of tiles_w + 1 values, its even columns E then its odd
 * ones O, where padded column j is image column j - 1 (zeros outside): E[m] = column 2m,
 * O[m] = column 2m + 1. Tile (ty, tx) reads padded rows 2ty..2ty+3 and columns 2tx..2tx+3 =
 * E[tx], O[tx], E[tx+1], O[tx+1]: a row of tiles reads contiguous runs, so the loops vectorize
 * (winograd_avx2.c). */
#include "winograd_internal.h"

void fk_winograd_split_portable(const float *x, long plane, long row_stride, long channels, long height, long width, long tiles_h,
                                long tiles_w, float *p) {
    const long rows = 2 * tiles_h + 2, half = tiles_w + 1;
    for (long c = 0; c < channels; c++)
        for (long r = 0; r < rows; r++) {
            float *e, *o;
            const float *s = fk_split_row(x, plane, row_stride, height, tiles_h, tiles_w, p, c, r, &e, &o);
            if (!s) continue;
            /* padded column 2m is image column 2m - 1; 2m + 1 is image column 2m */
            for (long m = 0; m < half; m++) {
                e[m] = m >= 1 && 2 * m - 1 < width ? s[2 * m - 1] : 0;
                o[m] = 2 * m < width ? s[2 * m] : 0;
            }
        }
}

void fk_winograd_input_portable(const float *p, long channels, long tiles_h, long tiles_w, float *v, long ldv, long xi_stride) {
    const long rows = 2 * tiles_h + 2, half = tiles_w + 1, row = 2 * half;
    for (long c = 0; c < channels; c++)
        for (long ty = 0; ty < tiles_h; ty++) {
            const float *base = p + (c * rows + 2 * ty) * row;
            float *out = v + c * ldv + ty * tiles_w;
            for (long tx = 0; tx < tiles_w; tx++) {
                float q[4][4];
                for (int i = 0; i < 4; i++) {  /* d B */
                    const float *e = base + i * row, *o = e + half;
                    const float d0 = e[tx], d1 = o[tx], d2 = e[tx + 1], d3 = o[tx + 1];
                    q[i][0] = d0 - d2;
                    q[i][1] = d1 + d2;
                    q[i][2] = d2 - d1;
                    q[i][3] = d1 - d3;
                }
                for (int j = 0; j < 4; j++) {  /* B^T (d B) */
                    out[(0 * 4 + j) * xi_stride + tx] = q[0][j] - q[2][j];
                    out[(1 * 4 + j) * xi_stride + tx] = q[1][j] + q[2][j];
                    out[(2 * 4 + j) * xi_stride + tx] = q[2][j] - q[1][j];
                    out[(3 * 4 + j) * xi_stride + tx] = q[1][j] - q[3][j];
                }
            }
        }
}

void fk_winograd_output_portable(const float *m, long ldm, long xi_stride, long channels, long tiles_h, long tiles_w, float *t,
                                 long plane, long row) {
    for (long o = 0; o < channels; o++)
        for (long ty = 0; ty < tiles_h; ty++) {
            const float *in = m + o * ldm + ty * tiles_w;
            float *t0 = t + o * plane + 2 * ty * row;
            for (long tx = 0; tx < tiles_w; tx++) {
                float s[2][4];
                for (int j = 0; j < 4; j++) {  /* A^T m */
                    const float m0 = in[(0 * 4 + j) * xi_stride + tx], m1 = in[(1 * 4 + j) * xi_stride + tx],
                                m2 = in[(2 * 4 + j) * xi_stride + tx], m3 = in[(3 * 4 + j) * xi_stride + tx];
                    s[0][j] = m0 + m1 + m2;
                    s[1][j] = m1 - m2 - m3;
                }
                for (int i = 0; i < 2; i++) {  /* (A^T m) A */
                    t0[i * row + 2 * tx] = s[i][0] + s[i][1] + s[i][2];
                    t0[i * row + 2 * tx + 1] = s[i][1] - s[i][2] - s[i][3];
                }
            }
        }
}

void fk_winograd_weights(const float *w, long cout, long cin, long ostride, long cstride, int flip, float *u) {
    /* U_ξ[o][c] = (G g G^T)[ξ], g[ky][kx] = w[o*ostride + c*cstride + 3·ky + kx] (flipped: w[… + 8 - (3·ky + kx)]). */
    for (long o = 0; o < cout; o++)
        for (long c = 0; c < cin; c++) {
            const float *s = w + o * ostride + c * cstride;
            float g[3][3], t[4][3];
            for (int i = 0; i < 9; i++) g[i / 3][i % 3] = flip ? s[8 - i] : s[i];
            for (int j = 0; j < 3; j++) {  /* t = G g */
                t[0][j] = g[0][j];
                t[1][j] = 0.5f * (g[0][j] + g[1][j] + g[2][j]);
                t[2][j] = 0.5f * (g[0][j] - g[1][j] + g[2][j]);
                t[3][j] = g[2][j];
            }
            for (int i = 0; i < 4; i++) {  /* (G g) G^T */
                const float r[4] = {t[i][0], 0.5f * (t[i][0] + t[i][1] + t[i][2]), 0.5f * (t[i][0] - t[i][1] + t[i][2]), t[i][2]};
                for (int j = 0; j < 4; j++) u[((i * 4 + j) * cout + o) * cin + c] = r[j];
            }
        }
}

/* The weight gradient (Winograd F(3x3, 2x2), the transpose of the forward): since
 * Y_tile = A^T [U ⊙ V] A with U = G g G^T, the gradient of g is G^T [V ⊙ (A dY_tile A^T)] G, summed
 * over tiles and images. So the 16 positions ξ are 16 products over the tiles,
 * M_ξ[o][c] = sum_tiles W_ξ[o][tile] · V_ξ[c][tile], with V the forward's input transform and W
 * the output gradient's 2x2 blocks transformed to 4x4 here; fk_winograd_weight_grad takes the sums
 * back to 3x3 once per run. W is stored with the signs of its positions FK_WG_NEGATED flipped (one
 * addition fewer per value there); fk_winograd_weight_grad flips them back. */
void fk_winograd_gradient_portable(const float *dy, long plane, long row_stride, long channels, long tiles_h, long tiles_w, float *w,
                                   long ldw, long xi_stride) {
    for (long c = 0; c < channels; c++)
        for (long ty = 0; ty < tiles_h; ty++) {
            const float *r0 = dy + c * plane + 2 * ty * row_stride, *r1 = r0 + row_stride;
            float *out = w + c * ldw + ty * tiles_w;
            for (long tx = 0; tx < tiles_w; tx++) {
                const float a = r0[2 * tx], b = r0[2 * tx + 1], cc = r1[2 * tx], d = r1[2 * tx + 1];
                const float s = a + cc, t = b + d, u = a - cc, v = b - d;
                const float q[16] = {a, a + b, a - b, b, s, s + t, s - t, t, u, u + v, u - v, v, cc, cc + d, cc - d, d};
                for (int xi = 0; xi < 16; xi++) out[xi * xi_stride + tx] = q[xi];
            }
        }
}

void fk_winograd_weight_grad(const float *m, long cout, long cin, float *dw) {
    for (long o = 0; o < cout; o++)
        for (long c = 0; c < cin; c++) {
            float x[4][4], z[3][4];
            for (int xi = 0; xi < 16; xi++) {
                const float value = m[(xi * cout + o) * cin + c];
                x[xi / 4][xi % 4] = (FK_WG_NEGATED >> xi) & 1 ? -value : value;
            }
            for (int j = 0; j < 4; j++) {  /* G^T x */
                z[0][j] = x[0][j] + 0.5f * (x[1][j] + x[2][j]);
                z[1][j] = 0.5f * (x[1][j] - x[2][j]);
                z[2][j] = 0.5f * (x[1][j] + x[2][j]) + x[3][j];
            }
            for (int i = 0; i < 3; i++) {  /* (G^T x) G, onto tap 3i + j */
                const float r[3] = {z[i][0] + 0.5f * (z[i][1] + z[i][2]), 0.5f * (z[i][1] - z[i][2]), 0.5f * (z[i][1] + z[i][2]) + z[i][3]};
                for (int j = 0; j < 3; j++) dw[((3 * i + j) * cout + o) * cin + c] += r[j];
            }
        }
}

#if defined(__x86_64__)
/* The AVX2 versions on any vector path (they give the portable versions' bits). */
static int use_avx2(fk_path path) { return path != FK_SCALAR && fk_path_supported(FK_AVX2); }
#endif

void fk_winograd_split(fk_path path, const float *x, long plane, long row_stride, long channels, long height, long width, long tiles_h,
                                long tiles_w, float *p) {
    (void)path;  /* the portable version on every path: the AVX2 one reads rows in place (fk_winograd_image) */
    fk_winograd_split_portable(x, plane, row_stride, channels, height, width, tiles_h, tiles_w, p);
}

void fk_winograd_input(fk_path path, const float *p, long channels, long tiles_h, long tiles_w, float *v, long ldv, long xi_stride) {
    (void)path;
    fk_winograd_input_portable(p, channels, tiles_h, tiles_w, v, ldv, xi_stride);
}

void fk_winograd_image(fk_path path, const float *x, long plane, long row_stride, long channels, long height, long width, long tiles_h,
                       long tiles_w, float *scratch, float *v, long ldv, long xi_stride) {
#if defined(__x86_64__)
    if (use_avx2(path) && tiles_w >= 4) {
        fk_winograd_image_avx2(x, plane, row_stride, channels, height, width, tiles_h, tiles_w, v, ldv, xi_stride);
        return;
    }
#endif
    fk_winograd_split(path, x, plane, row_stride, channels, height, width, tiles_h, tiles_w, scratch);
    fk_winograd_input(path, scratch, channels, tiles_h, tiles_w, v, ldv, xi_stride);
}

void fk_winograd_output(fk_path path, const float *m, long ldm, long xi_stride, long channels, long tiles_h, long tiles_w, float *t,
                        long plane, long row) {
#if defined(__x86_64__)
    if (use_avx2(path)) { fk_winograd_output_avx2(m, ldm, xi_stride, channels, tiles_h, tiles_w, t, plane, row); return; }
#endif
    fk_winograd_output_portable(m, ldm, xi_stride, channels, tiles_h, tiles_w, t, plane, row);
}

void fk_winograd_gradient(fk_path path, const float *dy, long plane, long row_stride, long channels, long tiles_h, long tiles_w, float *w,
                          long ldw, long xi_stride) {
#if defined(__x86_64__)
    if (use_avx2(path)) { fk_winograd_gradient_avx2(dy, plane, row_stride, channels, tiles_h, tiles_w, w, ldw, xi_stride); return; }
#endif
    fk_winograd_gradient_portable(dy, plane, row_stride, channels, tiles_h, tiles_w, w, ldw, xi_stride);
}
