/*
 * AVX2 form of tk_norm_join_runs (runs_avx512.c has the AVX-512 one): a packed residual block's
 * float tail, 8 pixels of one channel at a time, with each output value also quantized for up to
 * two FATNN targets, so the next block's runs need no second pass over the floats. The float
 * operations are normjoin.c's (the engine's, in its order, no FMA contraction) and the quantizer's
 * are tk_runs_quantize's, so values and runs equal the two separate steps. The run bits build up
 * in 32-bit half words per pixel (channels 0-31 and 32-63) in a per-image scratch (in L1), joined
 * into the targets' grids at the end of each image.
 */
#pragma clang fp contract(off)
#if defined(__x86_64__)
#include "avx2_common.h"
#include <stdlib.h>
#include <string.h>

/* Scratch layout: scratch + ((q * 2 + b) * 2 + half) * padded holds target q's M (b = 0) or S (b = 1)
 * bits of channels 0-31 (half 0) or 32-63 (half 1), one 32-bit word per pixel. */
__attribute__((target("avx2"))) int tk_norm_join_runs_avx2(const int32_t *raw, long columns, long img_begin, long img_end,
                                                        long cout, long oh, long ow, const int32_t *sums, const float *mean,
                                                        const float *inv, const float *gamma, const float *beta,
                                                        const float *residual, int relu, float *y,
                                                        const tk_quant_target *targets, long target_count) {
    const __m256 zero = _mm256_setzero_ps(), half = _mm256_set1_ps(0.5f);
    const long plane = oh * ow, padded = (plane + TK_BLOCK - 1) / TK_BLOCK * TK_BLOCK;
    const size_t words = (size_t)(target_count * 2 * 2 * padded);
    uint32_t *scratch = words ? aligned_alloc(32, words * sizeof(uint32_t)) : 0;
    if (words && !scratch) return -1;
    for (long img = img_begin; img < img_end; img++) {
        if (scratch) memset(scratch, 0, words * sizeof(uint32_t));
        for (long m = 0; m < cout; m++) {
            const int32_t *a = raw + m * columns + img * plane;
            const float *r = residual ? residual + (img * cout + m) * plane : 0;
            float *d = y + (img * cout + m) * plane;
            const __m256i s = _mm256_set1_epi32(sums[m]), bit = _mm256_set1_epi32((int)(1u << (m & 31)));
            const __m256 mm = _mm256_set1_ps(mean[m]), iv = _mm256_set1_ps(inv[m]);
            const __m256 gm = _mm256_set1_ps(gamma[m]), bm = _mm256_set1_ps(beta[m]);
            __m256 qo0[2], qa0[2], qo1[2], qa1[2];
            for (long q = 0; q < target_count; q++) {
                const long g = targets[q].per_channel ? m : 0;
                qo0[q] = _mm256_set1_ps(targets[q].o0[g]);
                qa0[q] = _mm256_set1_ps(targets[q].a0[g]);
                qo1[q] = _mm256_set1_ps(targets[q].o1[g]);
                qa1[q] = _mm256_set1_ps(targets[q].a1[g]);
            }
            const long h = m >= 32;
            for (long j = 0; j < plane; j += TK_BLOCK) {
                const int full = plane - j >= TK_BLOCK;
                const __m256i live = tk_avx2_live_lanes(plane - j);
                __m256i acc = full ? _mm256_loadu_si256((const __m256i *)(a + j)) : _mm256_maskload_epi32(a + j, live);
                __m256 v = _mm256_cvtepi32_ps(_mm256_add_epi32(acc, s));
                v = _mm256_add_ps(_mm256_mul_ps(_mm256_mul_ps(_mm256_sub_ps(v, mm), iv), gm), bm);
                if (r) {
                    v = _mm256_add_ps(v, full ? _mm256_loadu_ps(r + j) : _mm256_maskload_ps(r + j, live));
                    if (relu) v = _mm256_max_ps(v, zero);   /* v > 0 ? v : 0, NaN and -0 included */
                }
                if (full) _mm256_storeu_ps(d + j, v); else _mm256_maskstore_ps(d + j, live, v);
                for (long q = 0; q < target_count; q++) {
                    const __m256 u0 = _mm256_mul_ps(_mm256_sub_ps(v, qo0[q]), qa0[q]);
                    const __m256 u1 = _mm256_mul_ps(_mm256_sub_ps(v, qo1[q]), qa1[q]);
                    const __m256i k0 = _mm256_castps_si256(_mm256_cmp_ps(u0, half, _CMP_GT_OQ));
                    const __m256i k1 = _mm256_castps_si256(_mm256_cmp_ps(u1, half, _CMP_GT_OQ));
                    /* code = k0 + k1: M = !(k0 ^ k1), S = !(k0 | k1). */
                    uint32_t *sm = scratch + ((q * 2) * 2 + h) * padded + j, *ss = scratch + ((q * 2 + 1) * 2 + h) * padded + j;
                    _mm256_store_si256((__m256i *)sm, _mm256_or_si256(_mm256_load_si256((const __m256i *)sm),
                                                                      _mm256_andnot_si256(_mm256_xor_si256(k0, k1), bit)));
                    _mm256_store_si256((__m256i *)ss, _mm256_or_si256(_mm256_load_si256((const __m256i *)ss),
                                                                      _mm256_andnot_si256(_mm256_or_si256(k0, k1), bit)));
                }
            }
        }
        for (long q = 0; q < target_count; q++) {
            const long pad = targets[q].pad, grid = (oh + 2 * pad) * (ow + 2 * pad);
            uint64_t *gm = targets[q].m + img * grid, *gs = targets[q].s + img * grid;
            const uint32_t *mh = scratch + (q * 2) * 2 * padded, *sh = scratch + (q * 2 + 1) * 2 * padded;
            tk_runs_prepare_grid(targets[q].m, targets[q].s, img, cout, oh, ow, pad, 0);
            for (long j = 0; j < plane; j += TK_BLOCK) {
                const __m256i mw[2] = {_mm256_load_si256((const __m256i *)(mh + j)), _mm256_load_si256((const __m256i *)(mh + padded + j))};
                const __m256i sw[2] = {_mm256_load_si256((const __m256i *)(sh + j)), _mm256_load_si256((const __m256i *)(sh + padded + j))};
                tk_avx2_store_runs(gm, gs, mw, sw, j, plane - j < TK_BLOCK ? plane - j : TK_BLOCK, oh, ow, pad);
            }
        }
    }
    free(scratch);
    return 0;
}
#endif
