/*
 * AVX2 kernels. AVX2 has no vector popcount, so bytes are counted with two 16-entry table
 * lookups (vpshufb) and summed in byte lanes for a few words at a time, then widened to the
 * 64-bit lanes with vpsadbw. A register holds one word of 4 pixels; a block of 8 pixels is
 * two registers, and TK_AVX2_ROWS weight rows share each activation load.
 */
#if defined(__x86_64__)
#include "kernels.h"
#include <immintrin.h>

#define ATTR __attribute__((target("avx2"), always_inline)) static inline
#define TK_AVX2_ROWS 2

typedef struct { __m256i low, l1, l2, l4; } luts;

ATTR __m256i pc8(__m256i v, __m256i lut, __m256i low) {
    __m256i lo = _mm256_and_si256(v, low);
    __m256i hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), low);
    return _mm256_add_epi8(_mm256_shuffle_epi8(lut, lo), _mm256_shuffle_epi8(lut, hi));
}

/* One word of 4 pixels against one weight word: the per-byte contribution of each kind. */
ATTR __m256i step(tk_kind kind, __m256i x0, __m256i x1, __m256i w0, __m256i w1, const luts *t) {
    switch (kind) {
    case TK_FATNN: {
        __m256i m = _mm256_and_si256(x0, w0);
        __m256i d = _mm256_and_si256(m, _mm256_xor_si256(x1, w1));
        return _mm256_sub_epi8(pc8(m, t->l1, t->low), pc8(d, t->l2, t->low));   /* in [-8, 8] */
    }
    case TK_TNN4: {
        __m256i p = _mm256_add_epi8(pc8(_mm256_and_si256(x0, w0), t->l1, t->low),
                                    pc8(_mm256_and_si256(x1, w0), t->l1, t->low));
        __m256i n = _mm256_add_epi8(pc8(_mm256_and_si256(x0, w1), t->l1, t->low),
                                    pc8(_mm256_and_si256(x1, w1), t->l1, t->low));
        return _mm256_sub_epi8(p, n);                                          /* in [-16, 16] */
    }
    case TK_2BIT: {
        __m256i a = _mm256_add_epi8(pc8(_mm256_and_si256(x0, w0), t->l1, t->low),
                                    pc8(_mm256_and_si256(x1, w0), t->l2, t->low));
        __m256i b = _mm256_add_epi8(pc8(_mm256_and_si256(x0, w1), t->l2, t->low),
                                    pc8(_mm256_and_si256(x1, w1), t->l4, t->low));
        return _mm256_add_epi8(a, b);                                          /* in [0, 72] */
    }
    case TK_2BIT_SIGNED: {
        __m256i p = _mm256_add_epi8(pc8(_mm256_and_si256(x0, w0), t->l1, t->low),
                                    pc8(_mm256_and_si256(x1, w0), t->l2, t->low));
        __m256i n = _mm256_add_epi8(pc8(_mm256_and_si256(x0, w1), t->l2, t->low),
                                    pc8(_mm256_and_si256(x1, w1), t->l4, t->low));
        return _mm256_sub_epi8(p, n);                                          /* in [-48, 24] */
    }
    case TK_A2:
        return _mm256_add_epi8(pc8(_mm256_andnot_si256(_mm256_xor_si256(x0, w1), w0), t->l1, t->low),
                               pc8(_mm256_andnot_si256(_mm256_xor_si256(x1, w1), w0), t->l2, t->low));  /* in [0, 24] */
    default:
        return pc8(_mm256_xor_si256(x0, w0), t->l1, t->low);                  /* in [0, 8] */
    }
}

/* Words summed in bytes before widening, so that no byte lane overflows. */
ATTR long chunk(tk_kind kind) {
    switch (kind) {
    case TK_FATNN: return 15;
    case TK_TNN4: return 7;
    case TK_2BIT: return 3;
    case TK_2BIT_SIGNED: return 2;
    case TK_A2: return 10;
    default: return 31;
    }
}

/* Sums the byte lanes of b into the 64-bit lanes (signed bytes for the kinds that subtract). */
ATTR __m256i widen(tk_kind kind, __m256i b) {
    if (kind == TK_FATNN || kind == TK_TNN4 || kind == TK_2BIT_SIGNED) {
        __m256i biased = _mm256_xor_si256(b, _mm256_set1_epi8((char)0x80));
        return _mm256_sub_epi64(_mm256_sad_epu8(biased, _mm256_setzero_si256()), _mm256_set1_epi64x(8 * 128));
    }
    return _mm256_sad_epu8(b, _mm256_setzero_si256());
}

ATTR void store(tk_kind kind, long kbits, int32_t *dst, __m256i lo, __m256i hi, long count) {
    if (kind == TK_BINARY) {
        __m256i k = _mm256_set1_epi64x(kbits);
        lo = _mm256_sub_epi64(k, _mm256_slli_epi64(lo, 1));
        hi = _mm256_sub_epi64(k, _mm256_slli_epi64(hi, 1));
    }
    const __m256i even = _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7);
    __m128i l = _mm256_castsi256_si128(_mm256_permutevar8x32_epi32(lo, even));
    __m128i h = _mm256_castsi256_si128(_mm256_permutevar8x32_epi32(hi, even));
    __m256i v = _mm256_set_m128i(h, l);
    if (count == TK_BLOCK) {
        _mm256_storeu_si256((__m256i *)dst, v);
    } else {
        int32_t tmp[TK_BLOCK];
        _mm256_storeu_si256((__m256i *)tmp, v);
        tk_store_partial(dst, tmp, count);
    }
}

ATTR void kernel(const tk_args *a, const tk_kind kind) {
    const luts t = {
        _mm256_set1_epi8(0x0f),
        _mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4, 0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4),
        _mm256_setr_epi8(0, 2, 2, 4, 2, 4, 4, 6, 2, 4, 4, 6, 4, 6, 6, 8, 0, 2, 2, 4, 2, 4, 4, 6, 2, 4, 4, 6, 4, 6, 6, 8),
        _mm256_setr_epi8(0, 4, 4, 8, 4, 8, 8, 12, 4, 8, 8, 12, 8, 12, 12, 16, 0, 4, 4, 8, 4, 8, 8, 12, 4, 8, 8, 12, 8, 12, 12, 16),
    };
    const long kw = a->kw, step_words = chunk(kind);
    const int two = kind != TK_BINARY;
    for (long nb = a->nb_begin; nb < a->nb_end; nb++) {
        const tk_column_block blk = tk_block(a, nb);
        const uint64_t *x0 = blk.x0, *x1 = blk.x1;
        const long valid = blk.valid;
        for (long m = 0; m < a->m_count; m += TK_AVX2_ROWS) {
            const uint64_t *w0[TK_AVX2_ROWS], *w1[TK_AVX2_ROWS];
            tk_row_block(a, m, TK_AVX2_ROWS, w0, w1);
            __m256i sum[TK_AVX2_ROWS][2];
            for (int r = 0; r < TK_AVX2_ROWS; r++) sum[r][0] = sum[r][1] = _mm256_setzero_si256();
            for (long k0 = 0; k0 < kw; k0 += step_words) {
                long k1 = k0 + step_words < kw ? k0 + step_words : kw;
                __m256i b[TK_AVX2_ROWS][2];
                for (int r = 0; r < TK_AVX2_ROWS; r++) b[r][0] = b[r][1] = _mm256_setzero_si256();
                for (long k = k0; k < k1; k++) {
                    __m256i x0lo = _mm256_loadu_si256((const __m256i *)(x0 + k * TK_BLOCK));
                    __m256i x0hi = _mm256_loadu_si256((const __m256i *)(x0 + k * TK_BLOCK + 4));
                    __m256i x1lo = two ? _mm256_loadu_si256((const __m256i *)(x1 + k * TK_BLOCK)) : x0lo;
                    __m256i x1hi = two ? _mm256_loadu_si256((const __m256i *)(x1 + k * TK_BLOCK + 4)) : x0hi;
                    for (int r = 0; r < TK_AVX2_ROWS; r++) {
                        __m256i ww0 = _mm256_set1_epi64x((long long)w0[r][k]);
                        __m256i ww1 = two ? _mm256_set1_epi64x((long long)w1[r][k]) : ww0;
                        b[r][0] = _mm256_add_epi8(b[r][0], step(kind, x0lo, x1lo, ww0, ww1, &t));
                        b[r][1] = _mm256_add_epi8(b[r][1], step(kind, x0hi, x1hi, ww0, ww1, &t));
                    }
                }
                for (int r = 0; r < TK_AVX2_ROWS; r++) {
                    sum[r][0] = _mm256_add_epi64(sum[r][0], widen(kind, b[r][0]));
                    sum[r][1] = _mm256_add_epi64(sum[r][1], widen(kind, b[r][1]));
                }
            }
            for (int r = 0; r < TK_AVX2_ROWS && m + r < a->m_count; r++)
                store(kind, a->kbits, a->out + (m + r) * a->ldc + nb * TK_BLOCK, sum[r][0], sum[r][1], valid);
        }
    }
}

__attribute__((target("avx2"))) void tk_gemm_avx2(const tk_args *a) {
    switch (a->kind) {
    case TK_FATNN: kernel(a, TK_FATNN); break;
    case TK_TNN4: kernel(a, TK_TNN4); break;
    case TK_2BIT: kernel(a, TK_2BIT); break;
    case TK_2BIT_SIGNED: kernel(a, TK_2BIT_SIGNED); break;
    case TK_A2: kernel(a, TK_A2); break;
    default: kernel(a, TK_BINARY); break;
    }
}
#endif
