/* The Winograd F(2x2, 3x3) output transform and the weight gradient's output-gradient transform
 * (winograd.c; the input transform is winograd_image_avx2.c's) on AVX2 registers: 8 tiles of a tile row at a time (4 for rows of 5-7 tiles), the
 * row's last tiles as one more register that ends at its end and overlaps the one before (it
 * writes the same values again). Rows of exactly 4 tiles (7x7 and 8x8 maps) take two tile rows per
 * register, whose 8 transformed tiles are consecutive. Rows of fewer than 4 tiles go to the
 * portable loops. Additions and subtractions in the portable order: same bits. */
#if defined(__x86_64__)
#include "winograd_internal.h"
#include "winograd_avx2.h"

/* Tile rows a step of the transforms covers from tile row ty: two for rows of exactly 4 tiles
 * (one register holds both), else one. */
static inline long tile_rows_at(long tiles_h, long tiles_w, long ty) { return tiles_w == 4 && ty + 1 < tiles_h ? 2 : 1; }

/* 16 (or 8) consecutive floats into their even and odd ones, in order. */
AVX2 static inline void split8(const float *p, __m256 *even, __m256 *odd) {
    const __m256 x = _mm256_loadu_ps(p), y = _mm256_loadu_ps(p + 8);
    *even = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(x, y, 0x88)), 0xD8));
    *odd = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(x, y, 0xDD)), 0xD8));
}
AVX2 static inline void split4(const float *p, __m128 *even, __m128 *odd) {
    const __m128 x = _mm_loadu_ps(p), y = _mm_loadu_ps(p + 4);
    *even = _mm_shuffle_ps(x, y, 0x88);
    *odd = _mm_shuffle_ps(x, y, 0xDD);
}

/* A^T m A for 8 (or 4) tiles, written as two output rows of 2 values per tile. */
#define OUTPUT_STEP(V, LOAD, ADD, SUB, STORE_PAIRS, tx)                                                    \
    do {                                                                                                   \
        V s[2][4];                                                                                         \
        for (int j = 0; j < 4; j++) {                                                                      \
            const V m0 = LOAD(in + (0 * 4 + j) * xi_stride + (tx)), m1 = LOAD(in + (1 * 4 + j) * xi_stride + (tx)), \
                    m2 = LOAD(in + (2 * 4 + j) * xi_stride + (tx)), m3 = LOAD(in + (3 * 4 + j) * xi_stride + (tx)); \
            s[0][j] = ADD(ADD(m0, m1), m2);                                                                \
            s[1][j] = SUB(SUB(m1, m2), m3);                                                                \
        }                                                                                                  \
        for (int i = 0; i < 2; i++) {                                                                      \
            const V a = ADD(ADD(s[i][0], s[i][1]), s[i][2]), b = SUB(SUB(s[i][1], s[i][2]), s[i][3]);       \
            STORE_PAIRS(t0 + i * row + 2 * (tx), a, b);                                                    \
        }                                                                                                  \
    } while (0)

/* Stores a0 b0 a1 b1 a2 b2 a3 b3 at d and a4 b4 ... a7 b7 at d2: for rows of 4 tiles two tile rows
 * per register (the low half's pairs to one output row, the high half's to another). */
AVX2 static inline void pairs_two_rows(float *d, float *d2, __m256 a, __m256 b) {
    const __m256 lo = _mm256_unpacklo_ps(a, b), hi = _mm256_unpackhi_ps(a, b);
    _mm256_storeu_ps(d, _mm256_permute2f128_ps(lo, hi, 0x20));
    _mm256_storeu_ps(d2, _mm256_permute2f128_ps(lo, hi, 0x31));
}
/* Stores a0 b0 a1 b1 ... (16 or 8 floats). */
AVX2 static inline void pairs8(float *d, __m256 a, __m256 b) { pairs_two_rows(d, d + 8, a, b); }
AVX2 static inline void pairs4(float *d, __m128 a, __m128 b) {
    _mm_storeu_ps(d, _mm_unpacklo_ps(a, b));
    _mm_storeu_ps(d + 4, _mm_unpackhi_ps(a, b));
}

#define OUT8(tx) OUTPUT_STEP(__m256, _mm256_loadu_ps, _mm256_add_ps, _mm256_sub_ps, pairs8, tx)
#define OUT4(tx) OUTPUT_STEP(__m128, _mm_loadu_ps, _mm_add_ps, _mm_sub_ps, pairs4, tx)
#define PAIRS_ROW_PAIR(d, a, b) pairs_two_rows((d), (d) + 2 * row, (a), (b))
#define OUT_PAIR(tx) OUTPUT_STEP(__m256, _mm256_loadu_ps, _mm256_add_ps, _mm256_sub_ps, PAIRS_ROW_PAIR, tx)

AVX2 void fk_winograd_output_avx2(const float *m, long ldm, long xi_stride, long channels, long tiles_h, long tiles_w, float *t,
                             long plane, long row) {
    if (tiles_w < 4) { fk_winograd_output_portable(m, ldm, xi_stride, channels, tiles_h, tiles_w, t, plane, row); return; }
    for (long o = 0; o < channels; o++)
        for (long ty = 0, k; ty < tiles_h; ty += k) {
            const float *in = m + o * ldm + ty * tiles_w;
            float *t0 = t + o * plane + 2 * ty * row;
            k = tile_rows_at(tiles_h, tiles_w, ty);
            if (tiles_w >= 8) TILE_ROW(tiles_w, 8, OUT8);
            else if (k == 2) OUT_PAIR(0);
            else TILE_ROW(tiles_w, 4, OUT4);
        }
}
/* The output gradient's transform for 8 (or 4) tiles: each row's pairs deinterleaved into their
 * left (a, c) and right (b, d) values, then the portable version's additions in its order. */
#define GRADIENT_STEP(V, ADD, SUB, STORE, SPLIT, tx)                                                        \
    do {                                                                                                   \
        V a, b, cc, d;                                                                                     \
        SPLIT(r0 + 2 * (tx), &a, &b);                                                                      \
        SPLIT(r1 + 2 * (tx), &cc, &d);                                                                     \
        const V s = ADD(a, cc), t = ADD(b, d), u = SUB(a, cc), v = SUB(b, d);                              \
        const V q[16] = {a, ADD(a, b), SUB(a, b), b, s, ADD(s, t), SUB(s, t), t,                           \
                         u, ADD(u, v), SUB(u, v), v, cc, ADD(cc, d), SUB(cc, d), d};                        \
        for (int xi = 0; xi < 16; xi++) STORE(out + xi * xi_stride + (tx), q[xi]);                         \
    } while (0)

/* Rows of 4 tiles, two tile rows per register: 8 floats of a row (low half) and of the row `next`
 * floats on (high half). */
AVX2 static inline void split_two_rows(const float *p, long next, __m256 *even, __m256 *odd) {
    const __m256 x = _mm256_loadu2_m128(p + next, p), y = _mm256_loadu2_m128(p + next + 4, p + 4);
    *even = _mm256_shuffle_ps(x, y, 0x88);
    *odd = _mm256_shuffle_ps(x, y, 0xDD);
}

#define GRAD8(tx) GRADIENT_STEP(__m256, _mm256_add_ps, _mm256_sub_ps, _mm256_storeu_ps, split8, tx)
#define GRAD4(tx) GRADIENT_STEP(__m128, _mm_add_ps, _mm_sub_ps, _mm_storeu_ps, split4, tx)
#define SPLIT_ROW_PAIR(p, e, o) split_two_rows((p), 2 * row_stride, (e), (o))
#define GRAD_PAIR(tx) GRADIENT_STEP(__m256, _mm256_add_ps, _mm256_sub_ps, _mm256_storeu_ps, SPLIT_ROW_PAIR, tx)

AVX2 void fk_winograd_gradient_avx2(const float *dy, long plane, long row_stride, long channels, long tiles_h, long tiles_w, float *w,
                                   long ldw, long xi_stride) {
    if (tiles_w < 4) { fk_winograd_gradient_portable(dy, plane, row_stride, channels, tiles_h, tiles_w, w, ldw, xi_stride); return; }
    for (long c = 0; c < channels; c++)
        for (long ty = 0, k; ty < tiles_h; ty += k) {
            const float *r0 = dy + c * plane + 2 * ty * row_stride, *r1 = r0 + row_stride;
            float *out = w + c * ldw + ty * tiles_w;
            k = tile_rows_at(tiles_h, tiles_w, ty);
            if (tiles_w >= 8) TILE_ROW(tiles_w, 8, GRAD8);
            else if (k == 2) GRAD_PAIR(0);
            else TILE_ROW(tiles_w, 4, GRAD4);
        }
}
#endif
