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

ATTR void kernel_kw(const tk_args *a, const tk_kind kind, const thresholds *th, const long kw) {
    const luts t = tk_avx2_luts();
    const long step_words = chunk(kind);
    const int two = kind != TK_BINARY;
    for (long nb = a->nb_begin; nb < a->nb_end; nb++) {
        const tk_column_block blk = tk_block(a, nb);
        const uint64_t *x0 = blk.x0, *x1 = blk.x1;
        const long valid = blk.valid;
        __m256i mw[2] = {_mm256_setzero_si256(), _mm256_setzero_si256()}, sw[2] = {mw[0], mw[0]};
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
                const __m256i v = tk_avx2_pack8(kind, a->kbits, sum[r][0], sum[r][1]);
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

/* The reductions of 3x3 convs over 16, 32 and 64 channels (3, 5 and 9 words) compiled with their
 * length known, so the word loop unrolls: 2-20% faster on those shapes (this file's fixed cost per
 * output matters most when reductions are short). */
ATTR void kernel(const tk_args *a, const tk_kind kind, const thresholds *th) {
    switch (a->kw) {
    case 3: kernel_kw(a, kind, th, 3); break;
    case 5: kernel_kw(a, kind, th, 5); break;
    case 9: kernel_kw(a, kind, th, 9); break;
    default: kernel_kw(a, kind, th, a->kw); break;
    }
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
 * words and more the tree was ahead for the 4-popcount kinds and even for FATNN (docs/BENCHMARKS.md). */
#define TK_AVX2_TREE_MIN_WORDS 16

void tk_gemm_avx2(const tk_args *a) {
    if (a->kw == 1 && tk_gemm_avx2_fields(a) == 0) return;
    if (a->kw >= TK_AVX2_TREE_MIN_WORDS && tk_gemm_avx2_tree(a) == 0) return;
    tk_gemm_avx2_lookup(a);
}
#endif
