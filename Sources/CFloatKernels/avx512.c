/* The AVX-512 path: the vector kernels (vector_kernels.h) on 16-float registers, masks in k
 * registers. On Zen 4 a 512-bit FMA issues as two 256-bit halves (the same peak as AVX2, with
 * half the instructions); on cores with full-width units (Zen 5, Intel) the peak doubles. */
#if defined(__x86_64__)
#include "internal.h"
#include <immintrin.h>

typedef __m512 fk_vec;
typedef __mmask16 fk_mask;
#define FK_LANES 16
#define FK_ATTR __attribute__((target("avx512f"), always_inline)) static inline
#define FK_TARGET_ATTR __attribute__((target("avx512f")))
#define FK_NAME(base) base##_avx512

FK_ATTR fk_vec vzero(void) { return _mm512_setzero_ps(); }
FK_ATTR fk_vec vload(const float *p) { return _mm512_loadu_ps(p); }
FK_ATTR fk_vec vload_masked(const float *p, fk_mask m) { return _mm512_maskz_loadu_ps(m, p); }
FK_ATTR void vstore(float *p, fk_vec v) { _mm512_storeu_ps(p, v); }
FK_ATTR void vstore_masked(float *p, fk_vec v, fk_mask m) { _mm512_mask_storeu_ps(p, m, v); }
FK_ATTR fk_vec vbroadcast(const float *p) { return _mm512_set1_ps(*p); }
FK_ATTR fk_vec vfma(fk_vec a, fk_vec b, fk_vec c) { return _mm512_fmadd_ps(a, b, c); }
FK_ATTR fk_mask mask_all(void) { return (fk_mask)0xFFFF; }
FK_ATTR fk_mask mask_below(long m) {  /* lanes i < m (none for m <= 0) */
    return m <= 0 ? (fk_mask)0 : m >= 16 ? (fk_mask)0xFFFF : (fk_mask)((1u << m) - 1);
}
FK_ATTR float vsum(fk_vec s) { return _mm512_reduce_add_ps(s); }

/* d[0..3] += the lane sums of a, b, c, e. */
FK_ATTR void vsum4_add(float *d, fk_vec a, fk_vec b, fk_vec c, fk_vec e) {
    d[0] += _mm512_reduce_add_ps(a);
    d[1] += _mm512_reduce_add_ps(b);
    d[2] += _mm512_reduce_add_ps(c);
    d[3] += _mm512_reduce_add_ps(e);
}

#include "vector_kernels.h"
#endif
