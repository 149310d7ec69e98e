/* The Winograd input transform straight from an image's rows (AVX2): the split layout
 * (winograd.c) is never written. For 8 tiles of a tile row, tile tx + m reads image columns
 * 2(tx+m) - 1 .. 2(tx+m) + 2: the even and odd floats of the 16 from column 2tx - 1 are d0 and d1,
 * those of the 16 from column 2tx + 1 are d2 and d3. Columns outside [0, width) and rows outside
 * [0, height) read as zeros (masked loads at a row's ends, which touch nothing outside it). The
 * steps are winograd_avx2.c's: 8 tiles per register (4 for rows of 5-7 tiles, the last step
 * overlapping), two tile rows per register for rows of exactly 4 tiles; rows of fewer than 4
 * tiles go through the portable split. Additions in the portable order: the same bits as
 * fk_winograd_split then fk_winograd_input. */
#if defined(__x86_64__)
#include "winograd_internal.h"
#include "winograd_avx2.h"


/* The even and odd floats of columns c0 .. c0 + 15 (or + 7), in order. */
AVX2 static inline void split16(const float *s, long c0, long width, __m256 *even, __m256 *odd) {
    const __m256 x = load8z(s, c0, width), y = load8z(s, c0 + 8, width);
    *even = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(x, y, 0x88)), 0xD8));
    *odd = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(x, y, 0xDD)), 0xD8));
}
AVX2 static inline void split8z(const float *s, long c0, long width, __m128 *even, __m128 *odd) {
    const __m128 x = load4z(s, c0, width), y = load4z(s, c0 + 4, width);
    *even = _mm_shuffle_ps(x, y, 0x88);
    *odd = _mm_shuffle_ps(x, y, 0xDD);
}
/* Rows of 4 tiles: columns c0 .. c0 + 7 of row lo (low half) and of row hi (high half). */
AVX2 static inline void split8_two_rows(const float *lo, const float *hi, long c0, long width, __m256 *even, __m256 *odd) {
    const __m256 x = _mm256_set_m128(load4z(hi, c0, width), load4z(lo, c0, width));
    const __m256 y = _mm256_set_m128(load4z(hi, c0 + 4, width), load4z(lo, c0 + 4, width));
    *even = _mm256_shuffle_ps(x, y, 0x88);
    *odd = _mm256_shuffle_ps(x, y, 0xDD);
}

/* B^T d B for the tiles at tx: row i's d0..d3 from SPLIT(i, column, &even, &odd). */
#define IMAGE_STEP(V, STORE, ADD, SUB, SPLIT, tx)                                                         \
    do {                                                                                                 \
        V q[4][4];                                                                                       \
        for (int i = 0; i < 4; i++) {                                                                    \
            V d0, d1, d2, d3;                                                                            \
            SPLIT(i, 2 * (tx) - 1, &d0, &d1);                                                            \
            SPLIT(i, 2 * (tx) + 1, &d2, &d3);                                                            \
            q[i][0] = SUB(d0, d2);                                                                       \
            q[i][1] = ADD(d1, d2);                                                                       \
            q[i][2] = SUB(d2, d1);                                                                       \
            q[i][3] = SUB(d1, d3);                                                                       \
        }                                                                                                \
        for (int j = 0; j < 4; j++) {                                                                    \
            STORE(out + (0 * 4 + j) * xi_stride + (tx), SUB(q[0][j], q[2][j]));                          \
            STORE(out + (1 * 4 + j) * xi_stride + (tx), ADD(q[1][j], q[2][j]));                          \
            STORE(out + (2 * 4 + j) * xi_stride + (tx), SUB(q[2][j], q[1][j]));                          \
            STORE(out + (3 * 4 + j) * xi_stride + (tx), SUB(q[1][j], q[3][j]));                          \
        }                                                                                                \
    } while (0)

#define ROW16(i, c0, e, o) split16(r[i], (c0), width, (e), (o))
#define ROW8(i, c0, e, o) split8z(r[i], (c0), width, (e), (o))
#define ROW_PAIR(i, c0, e, o) split8_two_rows(r[i], r[(i) + 2], (c0), width, (e), (o))
#define IMG8(tx) IMAGE_STEP(__m256, _mm256_storeu_ps, _mm256_add_ps, _mm256_sub_ps, ROW16, tx)
#define IMG4(tx) IMAGE_STEP(__m128, _mm_storeu_ps, _mm_add_ps, _mm_sub_ps, ROW8, tx)
#define IMG_PAIR(tx) IMAGE_STEP(__m256, _mm256_storeu_ps, _mm256_add_ps, _mm256_sub_ps, ROW_PAIR, tx)

AVX2 void fk_winograd_image_avx2(const float *x, long plane, long row_stride, long channels, long height, long width, long tiles_h,
                                 long tiles_w, float *v, long ldv, long xi_stride) {
    for (long c = 0; c < channels; c++)
        for (long ty = 0, k; ty < tiles_h; ty += k) {
            k = tiles_w == 4 && ty + 1 < tiles_h ? 2 : 1;  /* two tile rows per register for rows of 4 tiles */
            const float *r[6];  /* image rows 2ty - 1 .. 2ty + 4, 0 outside the image */
            for (int i = 0; i < 6; i++) {
                const long y = 2 * ty - 1 + i;
                r[i] = y >= 0 && y < height ? x + c * plane + y * row_stride : 0;
            }
            float *out = v + c * ldv + ty * tiles_w;
            if (tiles_w >= 8) TILE_ROW(tiles_w, 8, IMG8);
            else if (k == 2) IMG_PAIR(0);
            else TILE_ROW(tiles_w, 4, IMG4);
        }
}
#endif
