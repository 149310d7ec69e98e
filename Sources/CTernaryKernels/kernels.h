/* Internal: the per-path kernels behind tk_gemm. Arguments are checked by tk_gemm. */
#ifndef FATNN_TK_KERNELS_H
#define FATNN_TK_KERNELS_H
#include "CTernaryKernels.h"

typedef struct {
    tk_kind kind;
    const uint64_t *w0, *w1, *x0, *x1;
    int32_t *out;
    long ldc, m_count, n_count, kw, kbits, nb_begin, nb_end;
} tk_args;

void tk_gemm_scalar(const tk_args *a);
#if defined(__x86_64__)
void tk_gemm_avx2(const tk_args *a);
void tk_gemm_avx512(const tk_args *a);
#endif

/* Stores the first `count` of `values` (count <= TK_BLOCK) at dst. */
static inline void tk_store_partial(int32_t *dst, const int32_t *values, long count) {
    for (long j = 0; j < count; j++) dst[j] = values[j];
}
#endif
