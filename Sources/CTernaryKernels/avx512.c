/*
 * AVX-512 kernels with VPOPCNTDQ: one register holds one word of the 8 pixels of a block, so the
 * popcount is one instruction per 512 lanes. TK_AVX512_ROWS weight rows share each activation
 * load; each row keeps two 64-bit-lane accumulators that are combined once at the end.
 */
#if defined(__x86_64__)
#include "kernels.h"
#include <immintrin.h>

#define TARGET __attribute__((target("avx512f,avx512vpopcntdq")))
#define ATTR TARGET __attribute__((always_inline)) static inline
#define TK_AVX512_ROWS 4

ATTR __m512i pc(__m512i v) { return _mm512_popcnt_epi64(v); }
ATTR __m512i and_(__m512i a, __m512i b) { return _mm512_and_si512(a, b); }

/* Adds one word's contributions to the accumulators A and B (combined by `finish`). */
ATTR void step(tk_kind kind, __m512i x0, __m512i x1, __m512i w0, __m512i w1, __m512i *A, __m512i *B) {
    switch (kind) {
    case TK_FATNN: {
        __m512i m = and_(x0, w0);
        *A = _mm512_add_epi64(*A, pc(m));
        *B = _mm512_add_epi64(*B, pc(and_(m, _mm512_xor_si512(x1, w1))));
        break;
    }
    case TK_TNN4:
        *A = _mm512_add_epi64(*A, _mm512_add_epi64(pc(and_(x0, w0)), pc(and_(x1, w0))));
        *B = _mm512_add_epi64(*B, _mm512_add_epi64(pc(and_(x0, w1)), pc(and_(x1, w1))));
        break;
    case TK_2BIT: {
        __m512i hi = pc(and_(x1, w1));
        *A = _mm512_add_epi64(*A, pc(and_(x0, w0)));
        *B = _mm512_add_epi64(*B, _mm512_add_epi64(_mm512_add_epi64(pc(and_(x1, w0)), pc(and_(x0, w1))),
                                                   _mm512_add_epi64(hi, hi)));
        break;
    }
    case TK_2BIT_SIGNED: {
        __m512i q = pc(and_(x1, w0)), s = pc(and_(x1, w1));
        *A = _mm512_add_epi64(*A, _mm512_add_epi64(pc(and_(x0, w0)), _mm512_add_epi64(q, q)));
        *B = _mm512_add_epi64(*B, _mm512_add_epi64(pc(and_(x0, w1)), _mm512_add_epi64(s, s)));
        break;
    }
    case TK_A2:
        *A = _mm512_add_epi64(*A, pc(_mm512_andnot_si512(_mm512_xor_si512(x0, w1), w0)));
        *B = _mm512_add_epi64(*B, pc(_mm512_andnot_si512(_mm512_xor_si512(x1, w1), w0)));
        break;
    default:
        *A = _mm512_add_epi64(*A, pc(_mm512_xor_si512(x0, w0)));
        break;
    }
}

ATTR __m512i finish(tk_kind kind, long kbits, __m512i A, __m512i B) {
    switch (kind) {
    case TK_FATNN: return _mm512_sub_epi64(A, _mm512_slli_epi64(B, 1));
    case TK_TNN4: return _mm512_sub_epi64(A, B);
    case TK_2BIT: return _mm512_add_epi64(A, _mm512_slli_epi64(B, 1));
    case TK_2BIT_SIGNED: return _mm512_sub_epi64(A, _mm512_slli_epi64(B, 1));
    case TK_A2: return _mm512_add_epi64(A, _mm512_slli_epi64(B, 1));
    default: return _mm512_sub_epi64(_mm512_set1_epi64(kbits), _mm512_slli_epi64(A, 1));
    }
}

ATTR void kernel(const tk_args *a, const tk_kind kind) {
    const long kw = a->kw;
    const int two = kind != TK_BINARY;
    for (long nb = a->nb_begin; nb < a->nb_end; nb++) {
        const tk_column_block blk = tk_block(a, nb);
        const uint64_t *x0 = blk.x0, *x1 = blk.x1;
        const long valid = blk.valid;
        for (long m = 0; m < a->m_count; m += TK_AVX512_ROWS) {
            const uint64_t *w0[TK_AVX512_ROWS], *w1[TK_AVX512_ROWS];
            tk_row_block(a, m, TK_AVX512_ROWS, w0, w1);
            __m512i A[TK_AVX512_ROWS], B[TK_AVX512_ROWS];
            for (int r = 0; r < TK_AVX512_ROWS; r++) A[r] = B[r] = _mm512_setzero_si512();
            for (long k = 0; k < kw; k++) {
                __m512i xx0 = _mm512_loadu_si512((const void *)(x0 + k * TK_BLOCK));
                __m512i xx1 = two ? _mm512_loadu_si512((const void *)(x1 + k * TK_BLOCK)) : xx0;
                for (int r = 0; r < TK_AVX512_ROWS; r++) {
                    __m512i ww0 = _mm512_set1_epi64((long long)w0[r][k]);
                    __m512i ww1 = two ? _mm512_set1_epi64((long long)w1[r][k]) : ww0;
                    step(kind, xx0, xx1, ww0, ww1, &A[r], &B[r]);
                }
            }
            for (int r = 0; r < TK_AVX512_ROWS && m + r < a->m_count; r++) {
                __m256i v = _mm512_cvtepi64_epi32(finish(kind, a->kbits, A[r], B[r]));
                int32_t *dst = a->out + (m + r) * a->ldc + nb * TK_BLOCK;
                if (valid == TK_BLOCK) {
                    _mm256_storeu_si256((__m256i *)dst, v);
                } else {
                    int32_t tmp[TK_BLOCK];
                    _mm256_storeu_si256((__m256i *)tmp, v);
                    tk_store_partial(dst, tmp, valid);
                }
            }
        }
    }
}

TARGET void tk_gemm_avx512(const tk_args *a) {
    switch (a->kind) {
    case TK_FATNN: kernel(a, TK_FATNN); break;
    case TK_TNN4: kernel(a, TK_TNN4); break;
    case TK_2BIT: kernel(a, TK_2BIT); break;
    case TK_2BIT_SIGNED: kernel(a, TK_2BIT_SIGNED); break;
    case TK_A2: kernel(a, TK_A2); break;
    default: kernel(a, TK_BINARY); break;
    }
}

/*
 * The FATNN kernel with folded thresholds as its epilogue (cout <= 64): each block's 8 columns
 * keep their next-conv runs in two registers while every weight row is computed, each row's
 * accumulators r giving code = [d·r > t1] + [d·r > t2] straight into bit m of the runs; then the
 * 8 runs are stored at their pixels in the next conv's padded grid. No Int32 output is written.
 */
ATTR void gemm_threshold(tk_kind kind, const uint64_t *w0, const uint64_t *w1, const uint64_t *x0, const uint64_t *x1,
                         long m_count, long n_count, long kw, long nb_begin, long nb_end,
                         const int32_t *dir, const int32_t *t1, const int32_t *t2,
                         long oh, long ow, long pad, uint64_t *m_runs, uint64_t *s_runs) {
    for (long nb = nb_begin; nb < nb_end; nb++) {
        const uint64_t *xb0 = x0 + nb * kw * TK_BLOCK, *xb1 = x1 + nb * kw * TK_BLOCK;
        __m512i rm = _mm512_setzero_si512(), rs = rm;
        for (long m = 0; m < m_count; m += TK_AVX512_ROWS) {
            const uint64_t *wr0[TK_AVX512_ROWS], *wr1[TK_AVX512_ROWS];
            for (int r = 0; r < TK_AVX512_ROWS; r++) {
                long row = m + r < m_count ? m + r : m;
                wr0[r] = w0 + row * kw;
                wr1[r] = w1 + row * kw;
            }
            __m512i A[TK_AVX512_ROWS], B[TK_AVX512_ROWS];
            for (int r = 0; r < TK_AVX512_ROWS; r++) A[r] = B[r] = _mm512_setzero_si512();
            for (long k = 0; k < kw; k++) {
                __m512i xx0 = _mm512_loadu_si512((const void *)(xb0 + k * TK_BLOCK));
                __m512i xx1 = _mm512_loadu_si512((const void *)(xb1 + k * TK_BLOCK));
                for (int r = 0; r < TK_AVX512_ROWS; r++) {
                    step(kind, xx0, xx1, _mm512_set1_epi64((long long)wr0[r][k]), _mm512_set1_epi64((long long)wr1[r][k]),
                         &A[r], &B[r]);
                }
            }
            for (int r = 0; r < TK_AVX512_ROWS && m + r < m_count; r++) {
                long c = m + r;
                __m512i acc = finish(kind, 0, A[r], B[r]);
                if (dir[c] < 0) acc = _mm512_sub_epi64(_mm512_setzero_si512(), acc);
                __mmask8 k0 = _mm512_cmpgt_epi64_mask(acc, _mm512_set1_epi64(t1[c]));
                __mmask8 k1 = _mm512_cmpgt_epi64_mask(acc, _mm512_set1_epi64(t2[c]));
                __m512i bit = _mm512_set1_epi64((long long)(1ull << c));
                rm = _mm512_mask_or_epi64(rm, (__mmask8)~(k0 ^ k1), rm, bit);
                rs = _mm512_mask_or_epi64(rs, (__mmask8)~(k0 | k1), rs, bit);
            }
        }
        uint64_t mb[TK_BLOCK], sb[TK_BLOCK];
        _mm512_storeu_si512(mb, rm);
        _mm512_storeu_si512(sb, rs);
        const long n = nb * TK_BLOCK;
        tk_put_run_words(m_runs, s_runs, mb, sb, n, n_count - n < TK_BLOCK ? n_count - n : TK_BLOCK, oh, ow, pad);
    }
}
/* The epilogue kernel on FATNN's 2-popcount kernel or on the 4-popcount thermometer kernel (the
 * same thresholds on its raw output z; the runs it writes are FATNN's M and S either way). */
TARGET void tk_gemm_threshold_avx512(tk_kind kind, const uint64_t *w0, const uint64_t *w1, const uint64_t *x0, const uint64_t *x1,
                                     long m_count, long n_count, long kw, long nb_begin, long nb_end,
                                     const int32_t *dir, const int32_t *t1, const int32_t *t2,
                                     long oh, long ow, long pad, uint64_t *m_runs, uint64_t *s_runs) {
    if (kind == TK_TNN4)
        gemm_threshold(TK_TNN4, w0, w1, x0, x1, m_count, n_count, kw, nb_begin, nb_end, dir, t1, t2, oh, ow, pad, m_runs, s_runs);
    else
        gemm_threshold(TK_FATNN, w0, w1, x0, x1, m_count, n_count, kw, nb_begin, nb_end, dir, t1, t2, oh, ow, pad, m_runs, s_runs);
}
#endif
