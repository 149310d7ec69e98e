/* BatchNorm's input gradient, written straight into a convolution's wide rows (or densely): the
 * training backward's second pass, fused with the copy the convolution's backward makes anyway.
 * No contraction into fused multiply-adds: the values must equal, bit for bit, the ones the
 * engine's Swift code computed before (and computes where it does not fuse). */
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
