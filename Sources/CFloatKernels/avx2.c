/* The AVX2 + FMA path: the vector kernels (vector_kernels.h) on 8-float registers. */
#if defined(__x86_64__)
#include "internal.h"
#include <immintrin.h>

typedef __m256 fk_vec;
typedef __m256i fk_mask;
#define FK_LANES 8
#define FK_ATTR __attribute__((target("avx2,fma"), always_inline)) static inline
#define FK_TARGET_ATTR __attribute__((target("avx2,fma")))
#define FK_NAME(base) base##_avx2

FK_ATTR fk_vec vzero(void) { return _mm256_setzero_ps(); }
FK_ATTR fk_vec vload(const float *p) { return _mm256_loadu_ps(p); }
FK_ATTR fk_vec vload_masked(const float *p, fk_mask m) { return _mm256_maskload_ps(p, m); }
FK_ATTR void vstore(float *p, fk_vec v) { _mm256_storeu_ps(p, v); }
FK_ATTR void vstore_masked(float *p, fk_vec v, fk_mask m) { _mm256_maskstore_ps(p, m, v); }
FK_ATTR fk_vec vbroadcast(const float *p) { return _mm256_broadcast_ss(p); }
FK_ATTR fk_vec vfma(fk_vec a, fk_vec b, fk_vec c) { return _mm256_fmadd_ps(a, b, c); }
FK_ATTR fk_mask mask_all(void) { return _mm256_set1_epi32(-1); }
FK_ATTR fk_mask mask_below(long m) {  /* lanes i < m (none for m <= 0) */
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)m), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

FK_ATTR float vsum(fk_vec s) {
    __m128 h = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
    h = _mm_add_ps(h, _mm_movehl_ps(h, h));
    h = _mm_add_ss(h, _mm_movehdup_ps(h));
    return _mm_cvtss_f32(h);
}

/* d[0..3] += the lane sums of a, b, c, e. */
FK_ATTR void vsum4_add(float *d, fk_vec a, fk_vec b, fk_vec c, fk_vec e) {
    __m256 h = _mm256_hadd_ps(_mm256_hadd_ps(a, b), _mm256_hadd_ps(c, e));
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
    _mm_storeu_ps(d, _mm_add_ps(_mm_loadu_ps(d), s));
}

#include "vector_kernels.h"
#endif
