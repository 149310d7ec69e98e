/*
 * The float tail of a packed residual block: accumulators to z, BatchNorm (eval), the shortcut
 * added, the ReLU. The same IEEE single operations in the same order as the engine's layers
 * (((z − mean)·inv)·gamma + beta, then + residual, then x > 0 ? x : 0), so no multiply-add may be
 * contracted into an FMA here.
 */
#pragma clang fp contract(off)
#include "kernels.h"

int tk_norm_join(tk_path path, const int32_t *raw, long columns, long img_begin, long img_end, long cout, long plane,
                 const int32_t *sums, const float *mean, const float *inv, const float *gamma, const float *beta,
                 const float *residual, int relu, float *y) {
    if (!tk_path_supported(path) || cout <= 0 || plane <= 0 || columns < img_end * plane || (relu && !residual)) return -1;
#if defined(__x86_64__)
    if (path == TK_AVX512) {
        tk_norm_join_avx512(raw, columns, img_begin, img_end, cout, plane, sums, mean, inv, gamma, beta, residual, relu, y);
        return 0;
    }
#endif
    for (long img = img_begin; img < img_end; img++) {
        for (long m = 0; m < cout; m++) {
            const int32_t *a = raw + m * columns + img * plane;
            const float *r = residual ? residual + (img * cout + m) * plane : 0;
            float *d = y + (img * cout + m) * plane;
            int32_t s = sums[m];
            float mm = mean[m], sc = inv[m], gm = gamma[m], bm = beta[m];
            for (long j = 0; j < plane; j++) {
                float v = (float)(a[j] + s) - mm;
                v = v * sc;
                v = v * gm;
                v = v + bm;
                if (r) {
                    v = v + r[j];
                    if (relu) v = v > 0 ? v : 0;
                }
                d[j] = v;
            }
        }
    }
    return 0;
}
