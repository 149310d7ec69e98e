/* The portable path: plain loops, the oracle the vector path is tested against. */
#include "internal.h"

void fk_conv_taps_scalar(const float *x, long ldx, long depth, const long *off, long taps,
                         const float *packed, long rows, float *y, long ldy, long n, int accumulate) {
    for (long r0 = 0; r0 < rows; r0 += FK_ROWS) {
        long h = fk_block_height(rows, r0);
        const float *block = packed + r0 * taps * depth;
        for (long r = 0; r < h; r++) {
            float *yr = y + (r0 + r) * ldy;
            if (!accumulate)
                for (long p = 0; p < n; p++) yr[p] = 0;
            for (long t = 0; t < taps; t++)
                for (long k = 0; k < depth; k++) {
                    float a = block[(t * depth + k) * h + r];
                    const float *xs = x + k * ldx + off[t];
                    for (long p = 0; p < n; p++) yr[p] += a * xs[p];
                }
        }
    }
}

void fk_conv_weight_grad_scalar(const float *x, long ldx, long depth, const long *off, long taps,
                                const float *dy, long ldy, long rows, float *dw, long n, long images, long ximage, long dyimage) {
    for (long t = 0; t < taps; t++)
        for (long r = 0; r < rows; r++)
            for (long k = 0; k < depth; k++) {
                float s = 0;
                for (long i = 0; i < images; i++) {
                    const float *xs = x + i * ximage + k * ldx + off[t], *g = dy + i * dyimage + r * ldy;
                    for (long p = 0; p < n; p++) s += g[p] * xs[p];
                }
                dw[(t * rows + r) * depth + k] += s;
            }
}
