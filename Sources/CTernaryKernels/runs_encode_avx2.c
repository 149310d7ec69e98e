/*
 * AVX2 form of tk_runs_quantize_codes and tk_norm_quantize_runs (runs_encode.c) for runs of one
 * word (at most 64 channels): each image's plane 8 pixels at a time, channel by channel, the codes
 * computed with the engine's single-precision operations in its order (no FMA contraction), their
 * two plane bits set in 32-bit half words per pixel, and the words scattered to the grid's
 * interior. The caller writes the borders.
 */
#pragma clang fp contract(off)
#if defined(__x86_64__)
#include "avx2_common.h"

#define ATTR __attribute__((target("avx2"), always_inline)) static inline

/* The values of channel c, pixels p0 .. p0+7 of image img (lanes past the plane: anything). */
ATTR __m256 values(const float *x, const tk_norm_source *ns, long img, long c, long cin, long plane, long p0, __m256i live,
                   int full) {
    if (x) {
        const float *at = x + (img * cin + c) * plane + p0;
        return full ? _mm256_loadu_ps(at) : _mm256_maskload_ps(at, live);
    }
    const int32_t *at = ns->raw + c * ns->columns + img * plane + p0;
    __m256i r = full ? _mm256_loadu_si256((const __m256i *)at) : _mm256_maskload_epi32(at, live);
    if (ns->negate) r = _mm256_sub_epi32(_mm256_setzero_si256(), r);
    __m256 u = _mm256_cvtepi32_ps(_mm256_add_epi32(_mm256_set1_epi32(ns->offsets ? ns->offsets[c] : 0), r));
    if (ns->scales) u = _mm256_mul_ps(u, _mm256_set1_ps(ns->scales[c]));
    u = _mm256_sub_ps(u, _mm256_set1_ps(ns->mean[c]));
    u = _mm256_mul_ps(u, _mm256_set1_ps(ns->inv[c]));
    u = _mm256_mul_ps(u, _mm256_set1_ps(ns->gamma[c]));
    u = _mm256_add_ps(u, _mm256_set1_ps(ns->beta[c]));
    if (ns->relu) u = _mm256_max_ps(u, _mm256_setzero_ps());   /* u > 0 ? u : 0, NaN and -0 included */
    return u;
}

/* The codes of v (int32 lanes), as runs_encode.c's quantize_code. */
ATTR __m256i codes(tk_quant_type type, const tk_code_quantizer *q, long c, __m256 v) {
    const __m256 zero = _mm256_setzero_ps();
    __m256i code = _mm256_setzero_si256();   /* counts down: each true comparison adds -1 */
    switch (type) {
    case TK_QUANT_LSQ: {
        __m256 u = _mm256_div_ps(v, _mm256_set1_ps(q->s));
        u = _mm256_blendv_ps(u, zero, _mm256_cmp_ps(u, zero, _CMP_LT_OQ));
        const __m256 qp = _mm256_set1_ps(q->qp);
        u = _mm256_blendv_ps(u, qp, _mm256_cmp_ps(u, qp, _CMP_GT_OQ));
        for (int k = 1; k <= 3 && k <= (int)q->qp; k++) {
            const __m256 t = _mm256_set1_ps((float)k - 0.5f);
            __m256 hit = _mm256_cmp_ps(u, t, _CMP_GT_OQ);
            if ((k & 1) == 0) hit = _mm256_or_ps(hit, _mm256_cmp_ps(u, t, _CMP_EQ_OQ));   /* ties to even */
            code = _mm256_add_epi32(code, _mm256_castps_si256(hit));
        }
        return _mm256_sub_epi32(_mm256_setzero_si256(), code);
    }
    case TK_QUANT_SIGN:   /* v >= 0 ? 1 : -1 */
        return _mm256_or_si256(_mm256_castps_si256(_mm256_cmp_ps(v, zero, _CMP_NGE_UQ)), _mm256_set1_epi32(1));
    default: {
        const long g = (q->per_channel ? c : 0) * q->steps;
        for (long k = 0; k < q->steps && k < 3; k++) {
            __m256 u = _mm256_mul_ps(_mm256_sub_ps(v, _mm256_set1_ps(q->o[g + k])), _mm256_set1_ps(q->a[g + k]));
            code = _mm256_add_epi32(code, _mm256_castps_si256(_mm256_cmp_ps(u, _mm256_set1_ps(0.5f), _CMP_GT_OQ)));
        }
        return _mm256_sub_epi32(_mm256_setzero_si256(), code);
    }
    }
}

/* Sets channel c's bit in the half words of the pixels whose b0 (b1) lane is all ones. */
ATTR void put_bits(__m256i b0, __m256i b1, long c, __m256i p0[2], __m256i p1[2]) {
    const __m256i bit = _mm256_set1_epi32((int)(1u << (c & 31)));
    const int h = c >= 32;
    p0[h] = _mm256_or_si256(p0[h], _mm256_and_si256(b0, bit));
    p1[h] = _mm256_or_si256(p1[h], _mm256_and_si256(b1, bit));
}

/* The kind's two plane bits of each code, as all-ones lanes (runs_encode.c's code_bits). */
ATTR void plane_bits(tk_kind kind, __m256i code, __m256i *b0, __m256i *b1) {
    const __m256i one = _mm256_set1_epi32(1), zero = _mm256_setzero_si256();
    switch (kind) {
    case TK_FATNN:
        *b0 = _mm256_xor_si256(_mm256_cmpeq_epi32(code, one), _mm256_set1_epi32(-1));
        *b1 = _mm256_cmpeq_epi32(code, zero);
        break;
    case TK_TNN4:
        *b0 = _mm256_cmpgt_epi32(code, zero);
        *b1 = _mm256_cmpgt_epi32(code, one);
        break;
    case TK_BINARY:
        *b0 = _mm256_cmpgt_epi32(zero, code);
        *b1 = zero;
        break;
    default:
        *b0 = _mm256_cmpeq_epi32(_mm256_and_si256(code, one), one);
        *b1 = _mm256_cmpeq_epi32(_mm256_and_si256(code, _mm256_set1_epi32(2)), _mm256_set1_epi32(2));
        break;
    }
}

ATTR void quantize(tk_kind kind, tk_quant_type type, const tk_code_quantizer *q, const float *x, const tk_norm_source *ns,
                   long img_begin, long img_end, long cin, long ih, long iw, long pad, uint64_t *g0, uint64_t *g1) {
    const long plane = ih * iw, grid = (ih + 2 * pad) * (iw + 2 * pad);
    for (long img = img_begin; img < img_end; img++) {
        for (long p0 = 0; p0 < plane; p0 += TK_BLOCK) {
            const long count = plane - p0 < TK_BLOCK ? plane - p0 : TK_BLOCK;
            const __m256i live = tk_avx2_live_lanes(count);
            __m256i w0[2] = {_mm256_setzero_si256(), _mm256_setzero_si256()}, w1[2] = {w0[0], w0[0]};
            for (long c = 0; c < cin; c++) {
                __m256i b0, b1;
                plane_bits(kind, codes(type, q, c, values(x, ns, img, c, cin, plane, p0, live, count == TK_BLOCK)), &b0, &b1);
                put_bits(b0, b1, c, w0, w1);
            }
            tk_avx2_store_runs(g0 + img * grid, g1 ? g1 + img * grid : 0, w0, w1, p0, count, ih, iw, pad);
        }
    }
}

__attribute__((target("avx2"))) int tk_quantize_runs_avx2(tk_kind kind, const tk_code_quantizer *q, const float *x,
                                                       const tk_norm_source *ns, long img_begin, long img_end, long cin,
                                                       long ih, long iw, long pad, uint64_t *p0, uint64_t *p1) {
    if (cin > 64) return -1;
    const tk_kind k = kind == TK_2BIT_SIGNED || kind == TK_A2 ? TK_2BIT : kind;   /* the same activation bits */
#define TK_Q(K, T) quantize(K, T, q, x, ns, img_begin, img_end, cin, ih, iw, pad, p0, p1)
    switch (q->type) {
    case TK_QUANT_LSQ:
        if (k == TK_FATNN) TK_Q(TK_FATNN, TK_QUANT_LSQ);
        else if (k == TK_TNN4) TK_Q(TK_TNN4, TK_QUANT_LSQ);
        else TK_Q(TK_2BIT, TK_QUANT_LSQ);
        return 0;
    case TK_QUANT_SIGN:
        TK_Q(TK_BINARY, TK_QUANT_SIGN);
        return 0;
    default:
        if (k == TK_FATNN) TK_Q(TK_FATNN, TK_QUANT_RAMPS);
        else if (k == TK_TNN4) TK_Q(TK_TNN4, TK_QUANT_RAMPS);
        else TK_Q(TK_2BIT, TK_QUANT_RAMPS);
        return 0;
    }
#undef TK_Q
}
#endif
