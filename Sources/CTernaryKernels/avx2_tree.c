/*
 * AVX2 kernels, carry-save form. AVX2 has no vector popcount; instead of counting every word
 * with nibble lookups, the words of a reduction feed a tree of carry-save adders (Harley-Seal, as
 * in Muła, Kurz and Lemire, "Faster Population Counts Using AVX2 Instructions", 2018): bit-sliced
 * counters of weight 1, 2, 4 and 8 per lane, 5 logic instructions per word added, and a lookup
 * count only for the weight-16 carries and, once per output, for the four counters.
 *
 * Each kind's result is written as a sum of popcounts with positive weights 2^level plus a
 * constant of the weight row, so that its words enter the tree at their level:
 *   TK_FATNN   pc(T) - 2 pc(T & (Sx^Sw)) = pc(~Mx & Mw) + 2 pc(T & ~(Sx^Sw)) - pc(Mw)
 *              (per lane: Mw = 0 gives 0; Mx = 0 gives 1 - 1; a match 2 - 1; a mismatch 0 - 1);
 *   TK_TNN4    - pc(A & Wn) = pc(~A & Wn) - pc(Wn), for A = A0 and A1;
 *   TK_2BIT_SIGNED  the same for its two negative terms (-2 and -4 times pc(Wn));
 *   TK_2BIT, TK_A2, TK_BINARY  all terms positive already.
 * These are identities of pc, exact for any lanes, padded ones included. The row constant is
 * counted with scalar popcnt, on the integer units beside the vector work.
 */
#if defined(__x86_64__)
#include "avx2_common.h"
#include <stdlib.h>

#if defined(__OPTIMIZE__)
#define ATTR TK_AVX2_ATTR
#else
/* Unoptimized (debug) builds: plain calls. Forced inlining without optimization gives the kernel
 * a stack frame of 15 MB, one slot per inlined temporary. */
#define ATTR __attribute__((target("avx2,popcnt"))) static
#endif

/* The counters of one register of 4 pixels (one 64-bit lane each). */
typedef struct {
    __m256i acc[4];   /* bit-sliced counters of weight 1, 2, 4, 8 */
    __m256i pend[4];  /* a word at level L waiting for a partner (has[L]); known at compile time */
    int has[4];
    __m256i top;      /* per byte: counts of the weight-16 carries of the current block */
    __m256i total;    /* per lane: counts of all weight-16 carries so far */
} tree;

/* Full adder on 256 lanes: a + b + c = 2 carry + sum. */
ATTR void csa(__m256i *carry, __m256i *sum, __m256i a, __m256i b, __m256i c) {
    __m256i u = _mm256_xor_si256(a, b);
    *carry = _mm256_or_si256(_mm256_and_si256(a, b), _mm256_and_si256(u, c));
    *sum = _mm256_xor_si256(u, c);
}

ATTR void push4(tree *s, __m256i w, const tk_luts *t) { s->top = _mm256_add_epi8(s->top, tk_pc8(w, t->l1, t->low)); }

/* Adds word w of weight 2^L: it waits for a partner, then both go through a full adder with the
 * level's counter, whose carry goes one level up. */
#define TK_PUSH(L, NEXT) \
    ATTR void push##L(tree *s, __m256i w, const tk_luts *t) { \
        if (!s->has[L]) { s->pend[L] = w; s->has[L] = 1; return; } \
        __m256i carry; \
        csa(&carry, &s->acc[L], s->acc[L], s->pend[L], w); \
        s->has[L] = 0; \
        NEXT(s, carry, t); \
    }
TK_PUSH(3, push4)
TK_PUSH(2, push3)
TK_PUSH(1, push2)
TK_PUSH(0, push1)

ATTR void push(tree *s, int level, __m256i w, const tk_luts *t) {
    switch (level) {
    case 0: push0(s, w, t); break;
    case 1: push1(s, w, t); break;
    case 2: push2(s, w, t); break;
    case 3: push3(s, w, t); break;
    default: push4(s, w, t); break;
    }
}

/* Ends a block: a word still waiting joins its counter through a half adder, and the block's
 * weight-16 byte counts are widened to the lanes (at most 10 carries of 8 per byte: no overflow). */
ATTR void settle_level(tree *s, int level, const tk_luts *t) {
    if (!s->has[level]) return;
    __m256i carry = _mm256_and_si256(s->acc[level], s->pend[level]);
    s->acc[level] = _mm256_xor_si256(s->acc[level], s->pend[level]);
    s->has[level] = 0;
    push(s, level + 1, carry, t);
}

ATTR void settle(tree *s, const tk_luts *t) {
    settle_level(s, 0, t);   /* written out, not a loop: every flag must fold at -O2 */
    settle_level(s, 1, t);
    settle_level(s, 2, t);
    settle_level(s, 3, t);
    s->total = _mm256_add_epi64(s->total, _mm256_sad_epu8(s->top, _mm256_setzero_si256()));
    s->top = _mm256_setzero_si256();
}

#define AND _mm256_and_si256
#define ANDN _mm256_andnot_si256   /* ANDN(a, b) = ~a & b */
#define XOR _mm256_xor_si256

/* The words of one reduction word for 4 pixels, each at its level (see the top of the file). */
ATTR void words(tree *s, tk_kind kind, __m256i x0, __m256i x1, __m256i w0, __m256i w1, const tk_luts *t) {
    switch (kind) {
    case TK_FATNN:
        push(s, 0, ANDN(x0, w0), t);
        push(s, 1, ANDN(XOR(x1, w1), AND(x0, w0)), t);
        break;
    case TK_TNN4:
        push(s, 0, AND(x0, w0), t);
        push(s, 0, ANDN(x0, w1), t);
        push(s, 0, AND(x1, w0), t);
        push(s, 0, ANDN(x1, w1), t);
        break;
    case TK_2BIT:
        push(s, 0, AND(x0, w0), t);
        push(s, 1, AND(x1, w0), t);
        push(s, 1, AND(x0, w1), t);
        push(s, 2, AND(x1, w1), t);
        break;
    case TK_2BIT_SIGNED:
        push(s, 0, AND(x0, w0), t);
        push(s, 1, AND(x1, w0), t);
        push(s, 1, ANDN(x0, w1), t);
        push(s, 2, ANDN(x1, w1), t);
        break;
    case TK_A2:
        push(s, 0, ANDN(XOR(x0, w1), w0), t);
        push(s, 1, ANDN(XOR(x1, w1), w0), t);
        break;
    default:
        push(s, 0, XOR(x0, w0), t);
        break;
    }
}

/* The row's constant term (see the top of the file). */
ATTR long row_constant(tk_kind kind, const uint64_t *w0, const uint64_t *w1, long kw) {
    long s = 0;
    switch (kind) {
    case TK_FATNN: for (long k = 0; k < kw; k++) s -= __builtin_popcountll(w0[k]); break;
    case TK_TNN4: for (long k = 0; k < kw; k++) s -= 2 * __builtin_popcountll(w1[k]); break;
    case TK_2BIT_SIGNED: for (long k = 0; k < kw; k++) s -= 6 * __builtin_popcountll(w1[k]); break;
    default: break;
    }
    return s;
}

/* Words k .. k+n-1 of one register of 4 pixels against one expanded weight row (n a constant
 * after inlining, so the pending flags fold away). */
ATTR void block(tree *s, tk_kind kind, const uint64_t *x0, const uint64_t *x1, const __m256i *w0,
                const __m256i *w1, long k, const int n, const tk_luts *t) {
    const int two = kind != TK_BINARY;
#pragma clang loop unroll(full)
    for (int i = 0; i < n; i++) {
        __m256i a0 = _mm256_loadu_si256((const __m256i *)(x0 + (k + i) * TK_BLOCK));
        __m256i a1 = two ? _mm256_loadu_si256((const __m256i *)(x1 + (k + i) * TK_BLOCK)) : a0;
        __m256i b0 = _mm256_load_si256(w0 + k + i);
        __m256i b1 = two ? _mm256_load_si256(w1 + k + i) : b0;
        words(s, kind, a0, a1, b0, b1, t);
    }
    settle(s, t);
}

/* Per lane, the count of one tree: its counters' popcounts plus 16 times its carries'. */
ATTR __m256i count(const tree *s, const tk_luts *t) {
    /* per byte at most 8 (1 + 2 + 4 + 8) = 120 */
    __m256i bytes = _mm256_add_epi8(_mm256_add_epi8(tk_pc8(s->acc[0], t->l1, t->low), tk_pc8(s->acc[1], t->l2, t->low)),
                                    _mm256_add_epi8(tk_pc8(s->acc[2], t->l4, t->low), tk_pc8(s->acc[3], t->l8, t->low)));
    return _mm256_add_epi64(_mm256_sad_epu8(bytes, _mm256_setzero_si256()), _mm256_slli_epi64(s->total, 4));
}

/* One row against 4 pixels (x0, x1 at the pixels' first word): per lane, the sum of the kind's
 * weighted popcounts over all kw words. */
ATTR __m256i unit(tk_kind kind, const uint64_t *x0, const uint64_t *x1, const __m256i *w0,
                  const __m256i *w1, long kw, const tk_luts *t) {
    const __m256i z = _mm256_setzero_si256();
    tree s = {{z, z, z, z}, {z, z, z, z}, {0, 0, 0, 0}, z, z};
    long k = 0;
    for (; k + 16 <= kw; k += 16) block(&s, kind, x0, x1, w0, w1, k, 16, t);
    if (kw - k >= 8) { block(&s, kind, x0, x1, w0, w1, k, 8, t); k += 8; }
    if (kw - k >= 4) { block(&s, kind, x0, x1, w0, w1, k, 4, t); k += 4; }
    if (kw - k >= 2) { block(&s, kind, x0, x1, w0, w1, k, 2, t); k += 2; }
    if (kw - k >= 1) block(&s, kind, x0, x1, w0, w1, k, 1, t);
    return count(&s, t);
}

/* Weight rows are expanded in advance, each word broadcast to a whole register, so that the
 * inner loop reads them as plain loads: a broadcast there would cost a shuffle-unit operation
 * per word, and those units also run the lookups. The loops are tiled so that the activation
 * blocks of a column group stay in L2 and the expanded rows of a row group in L1. */
#define TK_AVX2_ROWS_BYTES (12 * 1024)
#define TK_AVX2_COLUMNS_BYTES (192 * 1024)

typedef struct {
    __m256i *rows;   /* row r, plane p, word k at rows[(r * planes + p) * kw + k] */
    long *constant;  /* row r's constant term */
    long count;      /* rows in a group */
} expanded;

ATTR void expand(expanded *e, const tk_args *a, tk_kind kind, long m0, long count) {
    const long kw = a->kw, planes = kind != TK_BINARY ? 2 : 1;
    for (long r = 0; r < count; r++) {
        const uint64_t *w0 = a->w0 + (m0 + r) * kw, *w1 = planes == 2 ? a->w1 + (m0 + r) * kw : w0;
        __m256i *row = e->rows + r * planes * kw;
        for (long k = 0; k < kw; k++) row[k] = _mm256_set1_epi64x((long long)w0[k]);
        if (planes == 2)
            for (long k = 0; k < kw; k++) row[kw + k] = _mm256_set1_epi64x((long long)w1[k]);
        e->constant[r] = row_constant(kind, w0, w1, kw);
    }
}

/* Returns 0, or -1 if the expanded rows cannot be allocated (the caller falls back). */
ATTR int kernel(const tk_args *a, const tk_kind kind) {
    const tk_luts t = tk_avx2_luts();
    const long kw = a->kw, planes = kind != TK_BINARY ? 2 : 1;
    const long row_bytes = kw * planes * (long)sizeof(__m256i);
    if (kw < 1) return -1;
    long group = TK_AVX2_ROWS_BYTES / row_bytes;
    if (group < 1) group = 1;
    if (group > a->m_count) group = a->m_count;
    long columns = TK_AVX2_COLUMNS_BYTES / (kw * planes * TK_BLOCK * (long)sizeof(uint64_t));
    if (columns < 1) columns = 1;
    expanded e = {0, 0, group};
    e.rows = aligned_alloc(sizeof(__m256i), (size_t)(group * row_bytes));
    e.constant = malloc((size_t)group * sizeof(long));
    if (!e.rows || !e.constant) {
        free(e.rows);
        free(e.constant);
        return -1;
    }
    for (long c0 = a->nb_begin; c0 < a->nb_end; c0 += columns) {
        const long c1 = c0 + columns < a->nb_end ? c0 + columns : a->nb_end;
        for (long m0 = 0; m0 < a->m_count; m0 += group) {
            const long rows = m0 + group < a->m_count ? group : a->m_count - m0;
            expand(&e, a, kind, m0, rows);
            for (long nb = c0; nb < c1; nb++) {
                const tk_column_block blk = tk_block(a, nb);
                for (long r = 0; r < rows; r++) {
                    const __m256i *w0 = e.rows + r * planes * kw, *w1 = planes == 2 ? w0 + kw : w0;
                    const __m256i c = _mm256_set1_epi64x(e.constant[r]);
                    __m256i out[2];
#pragma clang loop unroll(disable)
                    for (int h = 0; h < 2; h++)
                        out[h] = _mm256_add_epi64(unit(kind, blk.x0 + 4 * h, blk.x1 + 4 * h, w0, w1, kw, &t), c);
                    tk_avx2_store(kind, a->kbits, a->out + (m0 + r) * a->ldc + nb * TK_BLOCK, out[0], out[1], blk.valid);
                }
            }
        }
    }
    free(e.rows);
    free(e.constant);
    return 0;
}

__attribute__((target("avx2,popcnt"))) int tk_gemm_avx2_tree(const tk_args *a) {
    switch (a->kind) {
    case TK_FATNN: return kernel(a, TK_FATNN);
    case TK_TNN4: return kernel(a, TK_TNN4);
    case TK_2BIT: return kernel(a, TK_2BIT);
    case TK_2BIT_SIGNED: return kernel(a, TK_2BIT_SIGNED);
    case TK_A2: return kernel(a, TK_A2);
    default: return kernel(a, TK_BINARY);
    }
}
#endif
