/* Internal: the pieces the two AVX2 kernels share (avx2.c: byte lookups per word; avx2_tree.c:
 * carry-save adder trees). AVX2 has no vector popcount, so a word's bytes are counted with two
 * 16-entry table lookups (vpshufb); vpsadbw sums byte lanes into the 64-bit lanes. */
#ifndef FATNN_TK_AVX2_COMMON_H
#define FATNN_TK_AVX2_COMMON_H
#if defined(__x86_64__)
#include "kernels.h"
#include <immintrin.h>

#define TK_AVX2_ATTR __attribute__((target("avx2,popcnt"), always_inline)) static inline

/* The nibble mask and the nibble popcount tables scaled by 1, 2, 4 and 8. */
typedef struct { __m256i low, l1, l2, l4, l8; } tk_luts;

TK_AVX2_ATTR tk_luts tk_avx2_luts(void) {
    const tk_luts t = {
        _mm256_set1_epi8(0x0f),
        _mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4, 0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4),
        _mm256_setr_epi8(0, 2, 2, 4, 2, 4, 4, 6, 2, 4, 4, 6, 4, 6, 6, 8, 0, 2, 2, 4, 2, 4, 4, 6, 2, 4, 4, 6, 4, 6, 6, 8),
        _mm256_setr_epi8(0, 4, 4, 8, 4, 8, 8, 12, 4, 8, 8, 12, 8, 12, 12, 16, 0, 4, 4, 8, 4, 8, 8, 12, 4, 8, 8, 12, 8, 12, 12, 16),
        _mm256_setr_epi8(0, 8, 8, 16, 8, 16, 16, 24, 8, 16, 16, 24, 16, 24, 24, 32,
                         0, 8, 8, 16, 8, 16, 16, 24, 8, 16, 16, 24, 16, 24, 24, 32),
    };
    return t;
}

/* Per byte: the popcount of v's byte, scaled by lut's factor. */
TK_AVX2_ATTR __m256i tk_pc8(__m256i v, __m256i lut, __m256i low) {
    __m256i lo = _mm256_and_si256(v, low);
    __m256i hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), low);
    return _mm256_add_epi8(_mm256_shuffle_epi8(lut, lo), _mm256_shuffle_epi8(lut, hi));
}

/* One word of 4 pixels against one weight word: the per-byte contribution of each kind (signed
 * bytes for the kinds that subtract). */
TK_AVX2_ATTR __m256i tk_avx2_step(tk_kind kind, __m256i x0, __m256i x1, __m256i w0, __m256i w1, const tk_luts *t) {
    switch (kind) {
    case TK_FATNN: {
        __m256i m = _mm256_and_si256(x0, w0);
        __m256i d = _mm256_and_si256(m, _mm256_xor_si256(x1, w1));
        return _mm256_sub_epi8(tk_pc8(m, t->l1, t->low), tk_pc8(d, t->l2, t->low));   /* in [-8, 8] */
    }
    case TK_TNN4: {
        __m256i p = _mm256_add_epi8(tk_pc8(_mm256_and_si256(x0, w0), t->l1, t->low),
                                    tk_pc8(_mm256_and_si256(x1, w0), t->l1, t->low));
        __m256i n = _mm256_add_epi8(tk_pc8(_mm256_and_si256(x0, w1), t->l1, t->low),
                                    tk_pc8(_mm256_and_si256(x1, w1), t->l1, t->low));
        return _mm256_sub_epi8(p, n);                                          /* in [-16, 16] */
    }
    case TK_2BIT: {
        __m256i a = _mm256_add_epi8(tk_pc8(_mm256_and_si256(x0, w0), t->l1, t->low),
                                    tk_pc8(_mm256_and_si256(x1, w0), t->l2, t->low));
        __m256i b = _mm256_add_epi8(tk_pc8(_mm256_and_si256(x0, w1), t->l2, t->low),
                                    tk_pc8(_mm256_and_si256(x1, w1), t->l4, t->low));
        return _mm256_add_epi8(a, b);                                          /* in [0, 72] */
    }
    case TK_2BIT_SIGNED: {
        __m256i p = _mm256_add_epi8(tk_pc8(_mm256_and_si256(x0, w0), t->l1, t->low),
                                    tk_pc8(_mm256_and_si256(x1, w0), t->l2, t->low));
        __m256i n = _mm256_add_epi8(tk_pc8(_mm256_and_si256(x0, w1), t->l2, t->low),
                                    tk_pc8(_mm256_and_si256(x1, w1), t->l4, t->low));
        return _mm256_sub_epi8(p, n);                                          /* in [-48, 24] */
    }
    case TK_A2:
        return _mm256_add_epi8(tk_pc8(_mm256_andnot_si256(_mm256_xor_si256(x0, w1), w0), t->l1, t->low),
                               tk_pc8(_mm256_andnot_si256(_mm256_xor_si256(x1, w1), w0), t->l2, t->low));  /* in [0, 24] */
    default:
        return tk_pc8(_mm256_xor_si256(x0, w0), t->l1, t->low);                  /* in [0, 8] */
    }
}

/* The 8 columns of a block as int32: lo holds columns 0-3, hi 4-7, one 64-bit sum each. The binary
 * kind turns its mismatch count c into kbits - 2c. */
TK_AVX2_ATTR __m256i tk_avx2_pack8(tk_kind kind, long kbits, __m256i lo, __m256i hi) {
    if (kind == TK_BINARY) {
        __m256i k = _mm256_set1_epi64x(kbits);
        lo = _mm256_sub_epi64(k, _mm256_slli_epi64(lo, 1));
        hi = _mm256_sub_epi64(k, _mm256_slli_epi64(hi, 1));
    }
    const __m256i even = _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7);
    __m128i l = _mm256_castsi256_si128(_mm256_permutevar8x32_epi32(lo, even));
    __m128i h = _mm256_castsi256_si128(_mm256_permutevar8x32_epi32(hi, even));
    return _mm256_set_m128i(h, l);
}

/* Stores the first `count` (<= 8) of 8 int32 values at dst. */
TK_AVX2_ATTR void tk_avx2_store8(int32_t *dst, __m256i v, long count) {
    if (count == TK_BLOCK) {
        _mm256_storeu_si256((__m256i *)dst, v);
    } else {
        int32_t tmp[TK_BLOCK];
        _mm256_storeu_si256((__m256i *)tmp, v);
        tk_store_partial(dst, tmp, count);
    }
}

TK_AVX2_ATTR void tk_avx2_store(tk_kind kind, long kbits, int32_t *dst, __m256i lo, __m256i hi, long count) {
    tk_avx2_store8(dst, tk_avx2_pack8(kind, kbits, lo, hi), count);
}

/* Channel c's FATNN run bits of 8 pixels, from the two step comparisons c1, c2 (all-ones lanes):
 * M = [code != 1] = ~(c1 ^ c2), S = [code = 0] = ~(c1 | c2), ORed into the pixels' 32-bit half
 * words (half 0: channels 0-31, half 1: 32-63). */
TK_AVX2_ATTR void tk_avx2_code_bits(__m256i c1, __m256i c2, long c, __m256i m[2], __m256i s[2]) {
    const __m256i bit = _mm256_set1_epi32((int)(1u << (c & 31)));
    const int h = c >= 32;
    m[h] = _mm256_or_si256(m[h], _mm256_andnot_si256(_mm256_xor_si256(c1, c2), bit));
    s[h] = _mm256_or_si256(s[h], _mm256_andnot_si256(_mm256_or_si256(c1, c2), bit));
}

/* Joins the half words of 8 pixels into their 64-bit words, dst[0..7]. */
TK_AVX2_ATTR void tk_avx2_join_words(uint64_t *dst, __m256i lo, __m256i hi) {
    __m256i a = _mm256_unpacklo_epi32(lo, hi), b = _mm256_unpackhi_epi32(lo, hi);   /* pixels 0,1,4,5 | 2,3,6,7 */
    _mm256_storeu_si256((__m256i *)dst, _mm256_permute2x128_si256(a, b, 0x20));
    _mm256_storeu_si256((__m256i *)(dst + 4), _mm256_permute2x128_si256(a, b, 0x31));
}

/* Joins the half words of 8 pixels' runs and writes the first `count` into their grid interiors
 * (tk_put_run_words: pixels n, n + 1, ... of h x w images, gs may be NULL). */
TK_AVX2_ATTR void tk_avx2_store_runs(uint64_t *gm, uint64_t *gs, const __m256i mw[2], const __m256i sw[2], long n, long count,
                                     long h, long w, long pad) {
    uint64_t mb[TK_BLOCK], sb[TK_BLOCK];
    tk_avx2_join_words(mb, mw[0], mw[1]);
    tk_avx2_join_words(sb, sw[0], sw[1]);
    tk_put_run_words(gm, gs, mb, sb, n, count, h, w, pad);
}

/* The int32 lanes below `count` (all ones), for masked loads of a plane's last pixels. */
TK_AVX2_ATTR __m256i tk_avx2_live_lanes(long count) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)count), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

void tk_gemm_avx2_lookup(const tk_args *a);
/* Returns -1 (nothing written) if its scratch memory cannot be allocated. */
int tk_gemm_avx2_tree(const tk_args *a);
/* Returns -1 (nothing written) unless every lane of the reduction is in its first 32. */
int tk_gemm_avx2_fields(const tk_args *a);
#endif
#endif
