/* BatchNorm's element-wise passes in C, evaluated in the engine's operation order without
 * contraction into fused multiply-adds (so that every caller gets the same values bit for bit):
 * the normalization (training and evaluation forward, and a convolution's evaluation epilogue
 * over wide rows), and the training input gradient, written straight into a convolution's wide
 * rows or densely. */
#include "include/CFloatKernels.h"

#pragma STDC FP_CONTRACT OFF

void fk_batchnorm_input_grad(const float *dy, const float *x, const float *keep, long channels, long rows, long width,
                             const float *k, const float *a, const float *b, const float *mean, const float *inv,
                             float count, float *dst, long dst_plane, long dst_row) {
    const long plane = rows * width;
    for (long c = 0; c < channels; c++) {
        const float kc = k[c], ac = a[c], bc = b[c], mc = mean[c], sc = inv[c];
        for (long r = 0; r < rows; r++) {
            const long o = c * plane + r * width;
            const float *restrict g = dy + o, *restrict xv = x + o;
            float *restrict d = dst + c * dst_plane + r * dst_row;
            if (keep) {
                const float *restrict y = keep + o;
                for (long i = 0; i < width; i++) {
                    const float gv = g[i], gi = y[i] > 0 ? gv : 0;  /* both loaded: the loop vectorizes as a select */
                    d[i] = kc * (count * gi - ac - (xv[i] - mc) * sc * bc);
                }
            } else {
                for (long i = 0; i < width; i++) d[i] = kc * (count * g[i] - ac - (xv[i] - mc) * sc * bc);
            }
        }
    }
}

void fk_batchnorm_rows(const float *src, long src_plane, long src_row, float *dst, long dst_plane, long dst_row,
                       long channels, long rows, long width, const float *mean, const float *inv, const float *gamma,
                       const float *beta, int relu) {
    for (long c = 0; c < channels; c++) {
        const float mc = mean[c], sc = inv[c], gc = gamma[c], bc = beta[c];
        for (long r = 0; r < rows; r++) {
            const float *s = src + c * src_plane + r * src_row;
            float *d = dst + c * dst_plane + r * dst_row;
            if (relu) {
                for (long i = 0; i < width; i++) {
                    const float v = (s[i] - mc) * sc * gc + bc;
                    d[i] = v > 0 ? v : 0;
                }
            } else {
                for (long i = 0; i < width; i++) d[i] = (s[i] - mc) * sc * gc + bc;
            }
        }
    }
}
