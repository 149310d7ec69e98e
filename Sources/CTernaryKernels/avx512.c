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
#define TK_AVX512_ROWS 6

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
    default: return _mm512_sub_epi64(_mm512_set1_epi64(kbits), _mm512_slli_epi64(A, 1));
    }
}

ATTR void kernel(const tk_args *a, const tk_kind kind) {
    const long kw = a->kw;
    const int two = kind != TK_BINARY;
    for (long nb = a->nb_begin; nb < a->nb_end; nb++) {
        const uint64_t *x0 = a->x0 + nb * kw * TK_BLOCK;
        const uint64_t *x1 = two ? a->x1 + nb * kw * TK_BLOCK : x0;
        long valid = a->n_count - nb * TK_BLOCK;
        if (valid > TK_BLOCK) valid = TK_BLOCK;
        for (long m = 0; m < a->m_count; m += TK_AVX512_ROWS) {
            const uint64_t *w0[TK_AVX512_ROWS], *w1[TK_AVX512_ROWS];
            for (int r = 0; r < TK_AVX512_ROWS; r++) {
                long row = m + r < a->m_count ? m + r : m;
                w0[r] = a->w0 + row * kw;
                w1[r] = two ? a->w1 + row * kw : w0[r];
            }
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
    default: kernel(a, TK_BINARY); break;
    }
}
#endif
