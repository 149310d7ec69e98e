/*
 * AVX2 kernels for reductions of at most 32 lanes (resnet20's 1x1 shortcut convs: 16 or 32
 * input channels). A word then holds 16 or 32 real lanes and the rest is padding, so the plain
 * kernels would count mostly zeros. Here one 64-bit lane holds the weights of 4 rows (16-lane
 * fields) or 2 rows (32-lane fields), the pixel's activation word is repeated into every field
 * (one byte shuffle per register, shared by all rows), and the kind's per-byte counts (the same
 * step as the byte-lookup kernel) are summed per field with vpmaddubsw (and vpmaddwd). A register
 * then yields 16 or 8 outputs instead of 4.
 */
#if defined(__x86_64__)
#include "avx2_common.h"

#define ATTR TK_AVX2_ATTR

/* Per row r of the group, the 8 outputs of the column block: 16-bit fields, 4 rows. lo and hi hold
 * int16 sums at (pixel j, row r) = lane 4j + r, pixels 0-3 and 4-7. */
ATTR void store16(tk_kind kind, long kbits, int32_t *dst, long ldc, long rows, long count, __m256i lo, __m256i hi) {
    /* within each 128-bit half: dword r = (pixel 2i, row r), (pixel 2i+1, row r) */
    const __m256i group = _mm256_setr_epi8(0, 1, 8, 9, 2, 3, 10, 11, 4, 5, 12, 13, 6, 7, 14, 15,
                                           0, 1, 8, 9, 2, 3, 10, 11, 4, 5, 12, 13, 6, 7, 14, 15);
    const __m256i rowwise = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);   /* qword r = row r, 4 pixels */
    lo = _mm256_permutevar8x32_epi32(_mm256_shuffle_epi8(lo, group), rowwise);
    hi = _mm256_permutevar8x32_epi32(_mm256_shuffle_epi8(hi, group), rowwise);
    const __m256i even = _mm256_unpacklo_epi64(lo, hi), odd = _mm256_unpackhi_epi64(lo, hi);  /* rows 0, 2 | 1, 3 */
    const __m128i per_row[4] = {_mm256_castsi256_si128(even), _mm256_castsi256_si128(odd),
                                _mm256_extracti128_si256(even, 1), _mm256_extracti128_si256(odd, 1)};
    for (long r = 0; r < rows; r++) {
        __m256i v = _mm256_cvtepi16_epi32(per_row[r]);
        if (kind == TK_BINARY) v = _mm256_sub_epi32(_mm256_set1_epi32((int)kbits), _mm256_slli_epi32(v, 1));
        tk_avx2_store8(dst + r * ldc, v, count);
    }
}

/* The same for 32-bit fields, 2 rows: int32 sums at (pixel j, row r) = lane 2j + r. */
ATTR void store32(tk_kind kind, long kbits, int32_t *dst, long ldc, long rows, long count, __m256i lo, __m256i hi) {
    const __m256i split = _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7);      /* half r = row r */
    lo = _mm256_permutevar8x32_epi32(lo, split);
    hi = _mm256_permutevar8x32_epi32(hi, split);
    const __m256i per_row[2] = {_mm256_permute2x128_si256(lo, hi, 0x20), _mm256_permute2x128_si256(lo, hi, 0x31)};
    for (long r = 0; r < rows; r++) {
        __m256i v = per_row[r];
        if (kind == TK_BINARY) v = _mm256_sub_epi32(_mm256_set1_epi32((int)kbits), _mm256_slli_epi32(v, 1));
        tk_avx2_store8(dst + r * ldc, v, count);
    }
}

/* Rows m .. m+per-1 (those below m_count) packed into one word, `width` lanes each. */
ATTR uint64_t pack_rows(const uint64_t *w, long m, long m_count, int width) {
    const uint64_t mask = width == 64 ? ~0ull : (1ull << width) - 1;
    uint64_t p = 0;
    for (int r = 0; r * width < 64 && m + r < m_count; r++) p |= (w[m + r] & mask) << (r * width);
    return p;
}

/* Weight groups packed in advance, at most this many (resnet20 has 8 to 32). */
#define TK_FIELDS_MAX_GROUPS 256

ATTR void kernel(const tk_args *a, const tk_kind kind, const int width) {
    const tk_luts t = tk_avx2_luts();
    const int two = kind != TK_BINARY, per = 64 / width;
    const __m256i ones8 = _mm256_set1_epi8(1), ones16 = _mm256_set1_epi16(1);
    const __m256i repeat = width == 16
        ? _mm256_setr_epi8(0, 1, 0, 1, 0, 1, 0, 1, 8, 9, 8, 9, 8, 9, 8, 9, 0, 1, 0, 1, 0, 1, 0, 1, 8, 9, 8, 9, 8, 9, 8, 9)
        : _mm256_setr_epi8(0, 1, 2, 3, 0, 1, 2, 3, 8, 9, 10, 11, 8, 9, 10, 11, 0, 1, 2, 3, 0, 1, 2, 3, 8, 9, 10, 11, 8, 9, 10, 11);
    uint64_t packed0[TK_FIELDS_MAX_GROUPS], packed1[TK_FIELDS_MAX_GROUPS];
    for (long m = 0, g = 0; m < a->m_count; m += per, g++) {
        packed0[g] = pack_rows(a->w0, m, a->m_count, width);
        packed1[g] = two ? pack_rows(a->w1, m, a->m_count, width) : packed0[g];
    }
    for (long nb = a->nb_begin; nb < a->nb_end; nb++) {
        const tk_column_block blk = tk_block(a, nb);
        const __m256i x0lo = _mm256_shuffle_epi8(_mm256_loadu_si256((const __m256i *)blk.x0), repeat);
        const __m256i x0hi = _mm256_shuffle_epi8(_mm256_loadu_si256((const __m256i *)(blk.x0 + 4)), repeat);
        const __m256i x1lo = two ? _mm256_shuffle_epi8(_mm256_loadu_si256((const __m256i *)blk.x1), repeat) : x0lo;
        const __m256i x1hi = two ? _mm256_shuffle_epi8(_mm256_loadu_si256((const __m256i *)(blk.x1 + 4)), repeat) : x0hi;
        for (long m = 0, g = 0; m < a->m_count; m += per, g++) {
            const __m256i w0 = _mm256_set1_epi64x((long long)packed0[g]);
            const __m256i w1 = _mm256_set1_epi64x((long long)packed1[g]);
            __m256i lo = _mm256_maddubs_epi16(ones8, tk_avx2_step(kind, x0lo, x1lo, w0, w1, &t));
            __m256i hi = _mm256_maddubs_epi16(ones8, tk_avx2_step(kind, x0hi, x1hi, w0, w1, &t));
            const long rows = m + per <= a->m_count ? per : a->m_count - m;
            int32_t *dst = a->out + m * a->ldc + nb * TK_BLOCK;
            if (width == 16) {
                store16(kind, a->kbits, dst, a->ldc, rows, blk.valid, lo, hi);
            } else {
                lo = _mm256_madd_epi16(lo, ones16);
                hi = _mm256_madd_epi16(hi, ones16);
                store32(kind, a->kbits, dst, a->ldc, rows, blk.valid, lo, hi);
            }
        }
    }
}

/* The lanes the reduction uses: for the binary kind its kbits (its padded lanes are zero on both
 * sides, its weights' zero bits are not); for the others, the lanes where some row's weight is
 * nonzero (a lane with zero weights adds nothing whatever the activations). */
ATTR long used_lanes(const tk_args *a) {
    if (a->kind == TK_BINARY) return a->kbits;
    uint64_t any = 0;
    for (long m = 0; m < a->m_count; m++) any |= a->w0[m] | a->w1[m];
    return any >> 32 ? 64 : any >> 16 ? 32 : 16;
}

__attribute__((target("avx2,popcnt"))) int tk_gemm_avx2_fields(const tk_args *a) {
    if (a->kw != 1) return -1;
    const long lanes = used_lanes(a);
    if (lanes > 32) return -1;
    const int narrow = lanes <= 16;
    if ((a->m_count + (narrow ? 3 : 1)) / (narrow ? 4 : 2) > TK_FIELDS_MAX_GROUPS) return -1;
#define TK_FIELDS(kind) (narrow ? kernel(a, kind, 16) : kernel(a, kind, 32))
    switch (a->kind) {
    case TK_FATNN: TK_FIELDS(TK_FATNN); break;
    case TK_TNN4: TK_FIELDS(TK_TNN4); break;
    case TK_2BIT: TK_FIELDS(TK_2BIT); break;
    case TK_2BIT_SIGNED: TK_FIELDS(TK_2BIT_SIGNED); break;
    case TK_A2: TK_FIELDS(TK_A2); break;
    default: TK_FIELDS(TK_BINARY); break;
    }
    return 0;
}
#endif
