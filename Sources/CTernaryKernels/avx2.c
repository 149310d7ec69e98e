/*
 * AVX2 kernels, byte-lookup form: every word is counted with two nibble lookups and summed in
 * byte lanes for a few words at a time, then widened to the 64-bit lanes with vpsadbw. A register
 * holds one word of 4 pixels; a block of 8 pixels is two registers, and TK_AVX2_ROWS weight rows
 * share each activation load. Best for short reductions (few words), where a carry-save tree
 * (avx2_tree.c) cannot amortize its final counts. tk_gemm_avx2 picks between the two.
 */
#if defined(__x86_64__)
#include "avx2_common.h"

#define ATTR TK_AVX2_ATTR
#define TK_AVX2_ROWS 2

typedef tk_luts luts;
#define pc8 tk_pc8

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

/* Folded thresholds as the kernel's epilogue (tk_gemm_threshold): the codes of each column's
 * channels go into its word of the next conv's runs instead of raw sums into `out`. */
typedef struct {
    const int32_t *dir, *t1, *t2;
    long oh, ow, pad;
    uint64_t *m, *s;
} thresholds;

/* A reduction whose last word uses at most 16 or 32 lanes (3x3 convs over 16 channels: 144 lanes,
 * the third word a quarter full; over 32: 288 lanes, the fifth word half full) counts that word
 * for a whole block of 8 pixels in one register (fields of `tail` bits; 16-bit fields hold two
 * blocks, counted for every row before the two blocks' main loops): the pixels' used lanes side
 * by side (tail_words), each row's repeated over the register (TK_TAIL_ROWS rows at most, their
 * words prepared once per call), the kind's per-byte counts summed per pixel with vpmaddubsw (and
 * vpmaddwd) and added to the block's int32 results. */
#define TK_TAIL_ROWS 256

/* The first `width` (16 or 32) lanes of the 8 pixels' word at x (x[0..7]) as fields in pixel order. */
ATTR __m256i tail_words(const uint64_t *x, const int width) {
    const __m256i lo = _mm256_loadu_si256((const __m256i *)x), hi = _mm256_loadu_si256((const __m256i *)(x + 4));
    if (width == 32) {
        const __m256i order = _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7);   /* low dwords: pixels 0-3 | 4-7 */
        return _mm256_permute2x128_si256(_mm256_permutevar8x32_epi32(lo, order), _mm256_permutevar8x32_epi32(hi, order), 0x20);
    }
    const __m256i pick = _mm256_setr_epi8(0, 1, 8, 9, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
                                          0, 1, 8, 9, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1);
    const __m256i order = _mm256_setr_epi32(0, 4, 1, 1, 1, 1, 1, 1);   /* dwords 0, 1: pixels 0-1, 2-3 */
    __m256i a = _mm256_permutevar8x32_epi32(_mm256_shuffle_epi8(lo, pick), order);
    __m256i b = _mm256_permutevar8x32_epi32(_mm256_shuffle_epi8(hi, pick), order);
    return _mm256_zextsi128_si256(_mm_unpacklo_epi64(_mm256_castsi256_si128(a), _mm256_castsi256_si128(b)));
}

/* Per 16-bit field, the sum of its two per-byte counts. */
ATTR __m256i field_sums16(__m256i bytes) { return _mm256_maddubs_epi16(_mm256_set1_epi8(1), bytes); }

/* Per 32-bit field (int32, pixel order), the sum of its four per-byte counts. */
ATTR __m256i field_sums32(__m256i bytes) { return _mm256_madd_epi16(field_sums16(bytes), _mm256_set1_epi16(1)); }

/* tail: 0, or the lanes (16 or 32) of the last word, counted apart (see above). */
ATTR void kernel_kw(const tk_args *a, const tk_kind kind, const thresholds *th, const long kw_all, const int tail,
                    const uint64_t *rep0, const uint64_t *rep1) {
    const luts t = tk_avx2_luts();
    const long step_words = chunk(kind);
    const long kw = tail ? kw_all - 1 : kw_all;   /* words counted 4 pixels per register */
    const int two = kind != TK_BINARY;
    /* 16-lane fields: the last words of two blocks (16 pixels) fill one register, so they are
     * counted for every row before the blocks' main loops (pair[r]: row r's 16 pixel sums). */
    int16_t pair[TK_TAIL_ROWS * 16] __attribute__((aligned(32)));
    for (long nb = a->nb_begin; nb < a->nb_end; nb++) {
        const tk_column_block blk = tk_block(a, nb);
        const uint64_t *x0 = blk.x0, *x1 = blk.x1;
        const long valid = blk.valid;
        __m256i mw[2] = {_mm256_setzero_si256(), _mm256_setzero_si256()}, sw[2] = {mw[0], mw[0]};
        __m256i tx0 = mw[0], tx1 = mw[0];
        const long half = (nb - a->nb_begin) & 1;   /* tail 16: which block of the pair */
        if (tail == 16 && !half) {
            const long second = nb + 1 < a->nb_end;
            __m256i p0 = tail_words(x0 + kw * TK_BLOCK, 16), p1 = two ? tail_words(x1 + kw * TK_BLOCK, 16) : p0;
            if (second) {
                const tk_column_block next = tk_block(a, nb + 1);
                p0 = _mm256_inserti128_si256(p0, _mm256_castsi256_si128(tail_words(next.x0 + kw * TK_BLOCK, 16)), 1);
                p1 = two ? _mm256_inserti128_si256(p1, _mm256_castsi256_si128(tail_words(next.x1 + kw * TK_BLOCK, 16)), 1) : p0;
            }
            for (long r = 0; r < a->m_count; r++) {
                const __m256i tw0 = _mm256_set1_epi64x((long long)rep0[r]);
                const __m256i tw1 = two ? _mm256_set1_epi64x((long long)rep1[r]) : tw0;
                _mm256_store_si256((__m256i *)(pair + r * 16), field_sums16(tk_avx2_step(kind, p0, p1, tw0, tw1, &t)));
            }
        } else if (tail == 32) {
            tx0 = tail_words(x0 + kw * TK_BLOCK, 32);
            tx1 = two ? tail_words(x1 + kw * TK_BLOCK, 32) : tx0;
        }
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
                        b[r][0] = _mm256_add_epi8(b[r][0], tk_avx2_step(kind, x0lo, x1lo, ww0, ww1, &t));
                        b[r][1] = _mm256_add_epi8(b[r][1], tk_avx2_step(kind, x0hi, x1hi, ww0, ww1, &t));
                    }
                }
                for (int r = 0; r < TK_AVX2_ROWS; r++) {
                    sum[r][0] = _mm256_add_epi64(sum[r][0], widen(kind, b[r][0]));
                    sum[r][1] = _mm256_add_epi64(sum[r][1], widen(kind, b[r][1]));
                }
            }
            for (int r = 0; r < TK_AVX2_ROWS && m + r < a->m_count; r++) {
                __m256i v = tk_avx2_pack8(kind, a->kbits, sum[r][0], sum[r][1]);
                if (tail == 16) {
                    const __m128i sums = _mm_load_si128((const __m128i *)(pair + (m + r) * 16 + half * 8));
                    v = _mm256_add_epi32(v, _mm256_cvtepi16_epi32(sums));
                } else if (tail == 32) {   /* rows past m_count are never reached here, so rep[m + r] is a real row */
                    const __m256i tw0 = _mm256_set1_epi64x((long long)rep0[m + r]);
                    const __m256i tw1 = two ? _mm256_set1_epi64x((long long)rep1[m + r]) : tw0;
                    v = _mm256_add_epi32(v, field_sums32(tk_avx2_step(kind, tx0, tx1, tw0, tw1, &t)));
                }
                if (!th) {
                    tk_avx2_store8(a->out + (m + r) * a->ldc + nb * TK_BLOCK, v, valid);
                    continue;
                }
                const long c = m + r;   /* code = [d·r > t1] + [d·r > t2], as tk_runs_threshold */
                const __m256i d = _mm256_mullo_epi32(_mm256_set1_epi32(th->dir[c]), v);
                tk_avx2_code_bits(_mm256_cmpgt_epi32(d, _mm256_set1_epi32(th->t1[c])),
                                  _mm256_cmpgt_epi32(d, _mm256_set1_epi32(th->t2[c])), c, mw, sw);
            }
        }
        if (th) {
            const long n = nb * TK_BLOCK;
            tk_avx2_store_runs(th->m, th->s, mw, sw, n, a->n_count - n < TK_BLOCK ? a->n_count - n : TK_BLOCK, th->oh, th->ow,
                               th->pad);
        }
    }
}

/* 16 or 32 if the last word of every row uses only its first 16 or 32 lanes (for the kinds whose
 * padded lanes count nothing when the weights there are zero: all but binary), with each row's
 * lanes repeated over a word for both planes; else 0. */
ATTR int tail_width(const tk_args *a, uint64_t *rep0, uint64_t *rep1) {
    if (a->kind == TK_BINARY || a->kw < 2 || a->m_count > TK_TAIL_ROWS) return 0;
    const long last = a->kw - 1;
    uint64_t used = 0;
    for (long m = 0; m < a->m_count; m++) used |= a->w0[m * a->kw + last] | a->w1[m * a->kw + last];
    const int width = used >> 32 ? 0 : used >> 16 ? 32 : 16;
    const uint64_t repeat = width == 16 ? 0x0001000100010001ull : 0x0000000100000001ull;
    for (long m = 0; width && m < a->m_count; m++) {
        rep0[m] = a->w0[m * a->kw + last] * repeat;
        rep1[m] = a->w1[m * a->kw + last] * repeat;
    }
    return width;
}

/* The reductions of 3x3 convs over 16, 32 and 64 channels (3, 5 and 9 words) compiled with their
 * length known, so the word loop unrolls: 2-20% faster on those shapes (this file's fixed cost per
 * output matters most when reductions are short). */
ATTR void kernel(const tk_args *a, const tk_kind kind, const thresholds *th) {
    uint64_t rep0[TK_TAIL_ROWS], rep1[TK_TAIL_ROWS];
    const int tail = tail_width(a, rep0, rep1);
    if (tail == 16 && a->kw == 3) kernel_kw(a, kind, th, 3, 16, rep0, rep1);
    else if (tail == 32 && a->kw == 5) kernel_kw(a, kind, th, 5, 32, rep0, rep1);
    else if (tail == 16) kernel_kw(a, kind, th, a->kw, 16, rep0, rep1);
    else if (tail == 32) kernel_kw(a, kind, th, a->kw, 32, rep0, rep1);
    else if (a->kw == 3) kernel_kw(a, kind, th, 3, 0, 0, 0);
    else if (a->kw == 5) kernel_kw(a, kind, th, 5, 0, 0, 0);
    else if (a->kw == 9) kernel_kw(a, kind, th, 9, 0, 0, 0);
    else kernel_kw(a, kind, th, a->kw, 0, 0, 0);
}

__attribute__((target("avx2,popcnt"))) void tk_gemm_avx2_lookup(const tk_args *a) {
    switch (a->kind) {
    case TK_FATNN: kernel(a, TK_FATNN, 0); break;
    case TK_TNN4: kernel(a, TK_TNN4, 0); break;
    case TK_2BIT: kernel(a, TK_2BIT, 0); break;
    case TK_2BIT_SIGNED: kernel(a, TK_2BIT_SIGNED, 0); break;
    case TK_A2: kernel(a, TK_A2, 0); break;
    default: kernel(a, TK_BINARY, 0); break;
    }
}

/* tk_gemm_threshold on the AVX2 path (the byte-lookup kernel, any reduction length), kinds
 * TK_FATNN and TK_TNN4, m_count <= 64 (checked by the caller). */
__attribute__((target("avx2,popcnt"))) void tk_gemm_threshold_avx2(tk_kind kind, const uint64_t *w0, const uint64_t *w1,
                                                                 const uint64_t *x0, const uint64_t *x1, long m_count,
                                                                 long n_count, long kw, long nb_begin, long nb_end,
                                                                 const int32_t *dir, const int32_t *t1, const int32_t *t2,
                                                                 long oh, long ow, long pad, uint64_t *m_runs, uint64_t *s_runs) {
    const tk_args a = {kind, w0, w1, x0, x1, 0, n_count, m_count, n_count, kw, kw * 64, nb_begin, nb_end};
    const thresholds th = {dir, t1, t2, oh, ow, pad, m_runs, s_runs};
    if (kind == TK_TNN4) kernel(&a, TK_TNN4, &th);
    else kernel(&a, TK_FATNN, &th);
}

/* Reductions of at least this many words go to the carry-save tree kernel. Below it the tree's
 * fixed cost per output (four counter lookups, part blocks) outweighs its cheaper words: on a
 * Zen 4 running this path, resnet20's 3-9 word shapes ran 25-60% faster with lookups, and at 16
 * words and more the tree was ahead for the 4-popcount kinds and even for FATNN (docs/BENCHMARKS.md).
 * The kinds with the costliest words reach the tree sooner: the 4-popcount kind from 6 words
 * (6-12 words 9-32% faster than lookups, the C harness on a Zen 4, 2026-12-06), signed 2-bit
 * from 8 (8-12 words 8-11%; 6 words 4% slower). */
static long tree_min_words(tk_kind kind) {
    switch (kind) {
    case TK_TNN4: return 6;
    case TK_2BIT_SIGNED: return 8;
    default: return 16;
    }
}

void tk_gemm_avx2(const tk_args *a) {
    if (a->kw == 1 && tk_gemm_avx2_fields(a) == 0) return;
    if (a->kw >= tree_min_words(a->kind) && tk_gemm_avx2_tree(a) == 0) return;
    tk_gemm_avx2_lookup(a);
}
#endif
