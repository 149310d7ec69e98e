/* What the AVX2 Winograd transforms share (winograd_avx2.c, winograd_image_avx2.c,
 * winograd4_avx2.c): the row walk and masked row loads. x86-64 only. */
#ifndef FATNN_CFLOATKERNELS_WINOGRAD_AVX2_H
#define FATNN_CFLOATKERNELS_WINOGRAD_AVX2_H
#include <immintrin.h>
#include <stdint.h>

#define AVX2 __attribute__((target("avx2,fma")))

/* Runs STEP(tx) over a row of `tiles` tiles `lanes` at a time, the last step overlapping (it
 * writes the same values again). */
#define TILE_ROW(tiles, lanes, STEP)                                   \
    do {                                                               \
        long tx_ = 0;                                                  \
        for (; tx_ + (lanes) <= (tiles); tx_ += (lanes)) STEP(tx_);    \
        if (tx_ < (tiles)) STEP((tiles) - (lanes));                    \
    } while (0)

/* s + c0 without forming a pointer before the row in C's terms (c0 may be -1: a masked lane). */
static inline const float *column(const float *s, long c0) { return (const float *)((uintptr_t)s + (uintptr_t)(c0 * (long)sizeof(float))); }

/* Columns c0 .. c0 + 7 (or + 3) of row s, zeros outside [0, width) or for no row (s = 0). */
AVX2 static inline __m256 load8z(const float *s, long c0, long width) {
    if (!s) return _mm256_setzero_ps();
    if (c0 >= 0 && c0 + 8 <= width) return _mm256_loadu_ps(s + c0);
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256i in = _mm256_and_si256(_mm256_cmpgt_epi32(lane, _mm256_set1_epi32((int)(-c0 - 1))),
                                        _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(width - c0)), lane));
    return _mm256_maskload_ps(column(s, c0), in);
}
AVX2 static inline __m128 load4z(const float *s, long c0, long width) {
    if (!s) return _mm_setzero_ps();
    if (c0 >= 0 && c0 + 4 <= width) return _mm_loadu_ps(s + c0);
    const __m128i lane = _mm_setr_epi32(0, 1, 2, 3);
    const __m128i in = _mm_and_si128(_mm_cmpgt_epi32(lane, _mm_set1_epi32((int)(-c0 - 1))),
                                     _mm_cmpgt_epi32(_mm_set1_epi32((int)(width - c0)), lane));
    return _mm_maskload_ps(column(s, c0), in);
}

#endif
