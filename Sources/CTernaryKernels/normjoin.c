/*
 * The float tail of a packed residual block: accumulators to z, BatchNorm (eval), the shortcut
 * added, the ReLU. The same IEEE single operations in the same order as the engine's layers
 * (z, times the conv's output scale where it has one, then ((· − mean)·inv)·gamma + beta, then
 * + residual, then x > 0 ? x : 0), so no multiply-add may be
 * contracted into an FMA here.
 */
#pragma clang fp contract(off)
#include "kernels.h"

/* Values j = from ..< plane of one channel of one image: a the raw sums, r the residual (or NULL),
 * d the output. The portable path, and the AVX2 path's tail. */
static inline void norm_row(const int32_t *a, const float *r, float *d, long from, long plane, int32_t s, const float *scale,
                            float mm, float sc, float gm, float bm, int relu) {
    for (long j = from; j < plane; j++) {
        float v = (float)(a[j] + s);
        if (scale) v = v * *scale;   /* the quantized conv's output scale, its own rounding */
        v = v - mm;
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

static void norm_join_portable(const int32_t *raw, long columns, long img_begin, long img_end, long cout, long plane,
                               const int32_t *sums, const float *scales, const float *mean, const float *inv,
                               const float *gamma, const float *beta, const float *residual, int relu, float *y) {
    for (long img = img_begin; img < img_end; img++)
        for (long m = 0; m < cout; m++)
            norm_row(raw + m * columns + img * plane, residual ? residual + (img * cout + m) * plane : 0,
                     y + (img * cout + m) * plane, 0, plane, sums[m], scales ? scales + m : 0, mean[m], inv[m], gamma[m],
                     beta[m], relu);
}

#if defined(__x86_64__)
#include <immintrin.h>
/* The same operations 8 values at a time (the compiler does not vectorize norm_row);
 * max(v, 0) is v > 0 ? v : 0, NaN and -0 included. tk_norm_join_runs_avx2 (normjoin_avx2.c) does
 * the same arithmetic with quantizer targets; calling it with none instead of this loop made the
 * packed networks 1-4% slower at batch 64 (`fatnn bench inference --paths avx2`, 3 alternating
 * rounds, 2026-12-05), so the plain loop stays for the tails that quantize nothing. */
__attribute__((target("avx2"))) static void norm_join_avx2(const int32_t *raw, long columns, long img_begin, long img_end,
                                                         long cout, long plane, const int32_t *sums, const float *scales,
                                                         const float *mean, const float *inv, const float *gamma,
                                                         const float *beta, const float *residual, int relu, float *y) {
    const __m256 zero = _mm256_setzero_ps();
    for (long img = img_begin; img < img_end; img++) {
        for (long m = 0; m < cout; m++) {
            const int32_t *a = raw + m * columns + img * plane;
            const float *r = residual ? residual + (img * cout + m) * plane : 0;
            float *d = y + (img * cout + m) * plane;
            const __m256i s = _mm256_set1_epi32(sums[m]);
            const __m256 sc = _mm256_set1_ps(scales ? scales[m] : 1), mm = _mm256_set1_ps(mean[m]), iv = _mm256_set1_ps(inv[m]);
            const __m256 gm = _mm256_set1_ps(gamma[m]), bm = _mm256_set1_ps(beta[m]);
            long j = 0;
            for (; j + 8 <= plane; j += 8) {
                __m256 v = _mm256_cvtepi32_ps(_mm256_add_epi32(_mm256_loadu_si256((const __m256i *)(a + j)), s));
                if (scales) v = _mm256_mul_ps(v, sc);
                v = _mm256_add_ps(_mm256_mul_ps(_mm256_mul_ps(_mm256_sub_ps(v, mm), iv), gm), bm);
                if (r) {
                    v = _mm256_add_ps(v, _mm256_loadu_ps(r + j));
                    if (relu) v = _mm256_max_ps(v, zero);
                }
                _mm256_storeu_ps(d + j, v);
            }
            norm_row(a, r, d, j, plane, sums[m], scales ? scales + m : 0, mean[m], inv[m], gamma[m], beta[m], relu);
        }
    }
}
#endif

int tk_norm_join(tk_path path, const int32_t *raw, long columns, long img_begin, long img_end, long cout, long plane,
                 const int32_t *sums, const float *scales, const float *mean, const float *inv, const float *gamma, const float *beta,
                 const float *residual, int relu, float *y) {
    if (!tk_path_supported(path) || cout <= 0 || plane <= 0 || columns < img_end * plane || (relu && !residual)) return -1;
#if defined(__x86_64__)
    if (path == TK_AVX512)
        return tk_norm_join_runs_avx512(raw, columns, img_begin, img_end, cout, 1, plane, sums, scales, mean, inv, gamma, beta, residual,
                                        relu, y, 0, 0);
    if (path == TK_AVX2) {
        norm_join_avx2(raw, columns, img_begin, img_end, cout, plane, sums, scales, mean, inv, gamma, beta, residual, relu, y);
        return 0;
    }
#endif
    norm_join_portable(raw, columns, img_begin, img_end, cout, plane, sums, scales, mean, inv, gamma, beta, residual, relu, y);
    return 0;
}

int tk_norm_join_runs(tk_path path, const int32_t *raw, long columns, long img_begin, long img_end, long cout, long oh,
                      long ow, const int32_t *sums, const float *mean, const float *inv, const float *gamma,
                      const float *beta, const float *residual, int relu, float *y,
                      const tk_quant_target *targets, long target_count) {
    if ((path != TK_AVX512 && path != TK_AVX2) || !tk_path_supported(path) || cout <= 0 || cout > 64 || oh <= 0 || ow <= 0 ||
        columns < img_end * oh * ow || (relu && !residual) || target_count < 0 || target_count > 2) return -1;
    for (long q = 0; q < target_count; q++)
        if (targets[q].pad < 0 || !targets[q].m || !targets[q].s) return -1;
#if defined(__x86_64__)
    if (path == TK_AVX2)
        return tk_norm_join_runs_avx2(raw, columns, img_begin, img_end, cout, oh, ow, sums, mean, inv, gamma, beta, residual, relu, y,
                                      targets, target_count);
    return tk_norm_join_runs_avx512(raw, columns, img_begin, img_end, cout, oh, ow, sums, 0, mean, inv, gamma, beta, residual, relu, y,
                                    targets, target_count);
#else
    (void)img_begin; (void)sums; (void)mean; (void)inv; (void)gamma; (void)beta; (void)y;
    return -1;
#endif
}
