/* Winograd F(4x4, 3x3)'s transforms on AVX2 (winograd4.c): 8 tiles per 256-bit register, as two
 * groups of 4 in its 128-bit halves, so that the 4x4 transposes that take a row's 4 column phases
 * apart (and put the tiles' 4 output columns back together) stay within a half. The groups are
 * tiles tx..tx+3 and tx+4..tx+7 of a tile row (rows of 8 or more tiles, the last step overlapping
 * the one before), tiles 0..3 and 4..7 of a row of 5-7 tiles, or the same 4 tiles of two tile rows
 * for rows of exactly 4. The input transforms store 8 consecutive tile slots: where a row has fewer
 * tiles, the extra lanes land in the slots of the next tile row or image, which are written after
 * (in slot order), or in the padding a run keeps past its last slot (8 floats at least). The output
 * transform stores only the outputs that exist (masked stores where the map's edge cuts a tile). The input transform reads one channel at a time from
 * a zero-padded copy of its plane (in L1; plain loads). Rows of fewer than 4 tiles go to the
 * portable loops. The arithmetic is winograd4_internal.h's, as in the portable version: the same
 * bits. */
#if defined(__x86_64__)
#include "winograd4_internal.h"
#include "winograd_avx2.h"

#define W4_T __m256
#define ADD(a, b) _mm256_add_ps((a), (b))
#define SUB(a, b) _mm256_sub_ps((a), (b))
#define MULC(c, a) _mm256_mul_ps(_mm256_set1_ps(c), (a))
#define MADDC(c, a, b) _mm256_fmadd_ps(_mm256_set1_ps(c), (a), (b))
#define NMADDC(c, a, b) _mm256_fnmadd_ps(_mm256_set1_ps(c), (a), (b))
#define UNROLL _Pragma("clang loop unroll(full)")

/* 4x4 transposes in both 128-bit halves (_MM_TRANSPOSE4_PS's moves). */
AVX2 static inline void transpose4x2(__m256 *a, __m256 *b, __m256 *c, __m256 *d) {
    const __m256 t0 = _mm256_unpacklo_ps(*a, *b), t1 = _mm256_unpacklo_ps(*c, *d);
    const __m256 t2 = _mm256_unpackhi_ps(*a, *b), t3 = _mm256_unpackhi_ps(*c, *d);
    *a = _mm256_shuffle_ps(t0, t1, 0x44);
    *b = _mm256_shuffle_ps(t0, t1, 0xEE);
    *c = _mm256_shuffle_ps(t2, t3, 0x44);
    *d = _mm256_shuffle_ps(t2, t3, 0xEE);
}

/* The two groups of 4 tiles a step covers, for tile row ty from tile tx: their tile rows and first
 * tiles, and how many of the second group exist. */
typedef struct { long ty_lo, tx_lo, ty_hi, tx_hi, hi_tiles; } w4_groups;

static inline w4_groups groups_at(long tiles_h, long tiles_w, long ty, long tx) {
    w4_groups g = {ty, tx, ty, tx + 4, tiles_w - tx - 4 < 4 ? tiles_w - tx - 4 : 4};
    if (tiles_w == 4) {  /* two tile rows, or the last one alone (its copy in the high half is not stored) */
        g.ty_hi = ty + 1 < tiles_h ? ty + 1 : ty;
        g.tx_hi = 0;
        g.hi_tiles = ty + 1 < tiles_h ? 4 : 0;
    }
    return g;
}

/* The tile rows a step covers: two for rows of exactly 4 tiles (while two are left), else one. */
static inline long step_rows(long tiles_h, long tiles_w, long ty) { return tiles_w == 4 && ty + 1 < tiles_h ? 2 : 1; }

/* Runs STEP(g, tx) over tile row ty: 8 tiles at a time for rows of 8 or more (the last step
 * overlapping), else one step from tile 0. */
#define STEPS(STEP)                                                                         \
    do {                                                                                    \
        if (tiles_w >= 8) {                                                                 \
            long tx_ = 0;                                                                   \
            for (; tx_ + 8 <= tiles_w; tx_ += 8) STEP(groups_at(tiles_h, tiles_w, ty, tx_), tx_); \
            if (tx_ < tiles_w) STEP(groups_at(tiles_h, tiles_w, ty, tiles_w - 8), tiles_w - 8);   \
        } else {                                                                            \
            STEP(groups_at(tiles_h, tiles_w, ty, 0), 0);                                    \
        }                                                                                   \
    } while (0)

/* The input transforms' second stage: TRANSFORM (W4_BT or W4_A) on column j of the row-transformed
 * q (ROWS values) gives positions ξ = 6i + j, 8 tile slots each, stored from `dst`. */
#define STORE_COLUMNS(q, ROWS, TRANSFORM, dst)                                                            \
    do {                                                                                                  \
        float *p_ = (dst);                                                                                \
        const long s6_ = 6 * xi_stride;                                                                   \
        UNROLL for (int j = 0; j < 6; j++, p_ += xi_stride) {                                             \
            __m256 col[ROWS], r[6];                                                                       \
            UNROLL for (int i = 0; i < ROWS; i++) col[i] = (q)[i][j];                                     \
            TRANSFORM(col, r);                                                                            \
            /* one pointer per column and one stride (36 addresses spilled and reloaded otherwise) */     \
            __asm__("" : "+r"(p_));                                                                       \
            UNROLL for (int i = 0; i < 6; i++) _mm256_storeu_ps(p_ + i * s6_, r[i]);                       \
        }                                                                                                 \
    } while (0)

/* Padded row i of both groups as d0..d5: the 16 padded columns from 4tx transposed are d0..d3;
 * lanes 0 and 1 of the 4 loads from 4tx + 4 on are d4 and d5. */
AVX2 static inline void row6(const float *lo, const float *hi, __m256 *d) {
    __m256 a = _mm256_loadu2_m128(hi, lo), b = _mm256_loadu2_m128(hi + 4, lo + 4), c = _mm256_loadu2_m128(hi + 8, lo + 8);
    __m256 e = _mm256_loadu2_m128(hi + 12, lo + 12);
    const __m256 f = _mm256_loadu2_m128(hi + 16, lo + 16), bc = _mm256_unpacklo_ps(b, c), ef = _mm256_unpacklo_ps(e, f);
    d[4] = _mm256_shuffle_ps(bc, ef, 0x44);
    d[5] = _mm256_shuffle_ps(bc, ef, 0xEE);
    transpose4x2(&a, &b, &c, &e);
    d[0] = a;
    d[1] = b;
    d[2] = c;
    d[3] = e;
}

#define IMAGE_STEP(g, tx)                                                                                 \
    do {                                                                                                  \
        const w4_groups g_ = (g);                                                                         \
        const float *lo = pad + 4 * g_.ty_lo * padded_row + 4 * g_.tx_lo;                                 \
        const float *hi = pad + 4 * g_.ty_hi * padded_row + 4 * g_.tx_hi;                                 \
        __m256 q[6][6];                                                                                   \
        UNROLL for (int i = 0; i < 6; i++) {                                                              \
            __m256 dv[6];                                                                                 \
            row6(lo + i * padded_row, hi + i * padded_row, dv);                                           \
            W4_BT(dv, q[i]);                                                                              \
        }                                                                                                 \
        STORE_COLUMNS(q, 6, W4_BT, out + (tx));                                                          \
    } while (0)

/* Floats per padded row, a multiple of 8: the last step's second group reads up to padded column
 * 4·(tx + 4) + 19, and the row copy writes 8 floats from each multiple of 8 below the width, + 1. */
static inline long padded_row_of(long tiles_w) { return (4 * (tiles_w > 8 ? tiles_w : 8) + 8 + 7) / 8 * 8; }

/* 16 floats more than the plane: room to align it (zeroed_plane). */
long fk_winograd4_avx2_scratch(long tiles_h, long tiles_w) { return fk_w4_rows(tiles_h) * padded_row_of(tiles_w) + 16; }

/* The plane of `rows` x `padded_row` floats in scratch whose element `lead` is 32-byte aligned
 * (lead 0 or 1), so that the row copies below store aligned (x2's, one column past x's row, only
 * where width % 8 is 7, as on 7x7 maps), zeroed: the padding once, each channel then rewrites the
 * same positions (the image's rows, and the zeros its last 8-float copy writes past them). */
AVX2 static float *zeroed_plane(float *scratch, long lead, long rows, long padded_row) {
    float *const p = (float *)(((uintptr_t)scratch + 31) & ~(uintptr_t)31) + (lead ? 7 : 0);
    for (long j = 0; j < rows * padded_row; j += 8) _mm256_storeu_ps(p + j, _mm256_setzero_ps());  /* padded_row: 8k */
    return p;
}

/* Copies one row of `width` floats to d, 8 at a time, the last 8 masked by `tail` (the lanes below
 * width % 8; zeros past the row); `full` = width / 8. */
AVX2 static inline void copy_row(float *d, const float *s, long full, long width, __m256i tail) {
    long i = 0;
    for (; i < 8 * full; i += 8) _mm256_storeu_ps(d + i, _mm256_loadu_ps(s + i));
    if (i < width) _mm256_storeu_ps(d + i, _mm256_maskload_ps(s + i, tail));
}

/* How far ahead the transforms fetch the rows they read or write: whole channel planes, at least
 * 8 KB (one plane where a plane is larger). The rows are rarely in cache (a batch's activations
 * are megabytes); fetched into L2 this far ahead, a cold image transformed as fast as a cached one
 * on a Zen 4, where fetching one plane ahead into L1 left it 2x slower. */
static inline long prefetch_distance(long plane) { return plane > 0 ? (2048 + plane - 1) / plane * plane : 2048; }

/* Fetches into L2 the `width` floats `ahead` floats past `row` (past a buffer's end only a hint:
 * prefetches do not fault). */
static inline void prefetch_row(const float *row, long ahead, long width) {
    for (long i = 0; i < width; i += 16) _mm_prefetch((const char *)column(row, ahead + i), _MM_HINT_T1);
}

/* Copies channel c of the image the transforms see (x, or x, a zero column and x2) into a plane
 * zeroed before: image row y at pad + (y + lead)·padded_row + lead, 8 floats per step (zeros past
 * each image's row, so x2's copy comes after x's). Each row copied fetches the row
 * prefetch_distance(plane) further (past the image's end, the next image's in a batch). */
AVX2 static void fill_plane(float *pad, long padded_row, long lead, const float *x, const float *x2, long c, long plane, long row_stride,
                            long height, long width) {
    const long full = width / 8, ahead = prefetch_distance(plane);
    const __m256i tail = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(width % 8)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    const float *s = x + c * plane, *s2 = x2 ? x2 + c * plane : 0;
    float *d = pad + lead * padded_row + lead;
    for (long y = 0; y < height; y++, s += row_stride, d += padded_row) {
        prefetch_row(s, ahead, width);
        copy_row(d, s, full, width, tail);
        if (!s2) continue;
        prefetch_row(s2, ahead, width);
        copy_row(d + width + 1, s2, full, width, tail);
        s2 += row_stride;
    }
}

AVX2 void fk_winograd4_image_avx2(const float *x, const float *x2, long plane, long row_stride, long channels, long height, long width,
                                  long tiles_h, long tiles_w, float *v, long ldv, long xi_stride, float *scratch) {
    const long padded_row = padded_row_of(tiles_w);
    float *const pad = zeroed_plane(scratch, 1, fk_w4_rows(tiles_h), padded_row);
    for (long c = 0; c < channels; c++) {
        /* padded (y + 1, i + 1) = image (y, i) */
        fill_plane(pad, padded_row, 1, x, x2, c, plane, row_stride, height, width);
        for (long ty = 0, k; ty < tiles_h; ty += k) {
            k = step_rows(tiles_h, tiles_w, ty);
            float *out = v + c * ldv + ty * tiles_w;
            STEPS(IMAGE_STEP);
        }
    }
}

/* Stores a transposed group's tiles (4 output columns each, from the low or high halves) whose
 * columns start at col: the columns below width only (a masked store for a tile the edge cuts). */
AVX2 static inline void store_tiles(float *d, const __m256 *r, int high, long tiles, long col, long width) {
    for (long m = 0; m < tiles; m++) {
        const __m128 v = high ? _mm256_extractf128_ps(r[m], 1) : _mm256_castps256_ps128(r[m]);
        const long left = width - col - 4 * m;
        if (left >= 4) {
            _mm_storeu_ps(d + 4 * m, v);
        } else if (left > 0) {
            _mm_maskstore_ps(d + 4 * m, _mm_cmpgt_epi32(_mm_set1_epi32((int)left), _mm_setr_epi32(0, 1, 2, 3)), v);
        }
    }
}

#define OUTPUT_STEP(g, tx)                                                                                \
    do {                                                                                                  \
        const w4_groups g_ = (g);                                                                         \
        const float *in = m + o * ldm + ty * tiles_w + (tx);                                              \
        __m256 s[4][6];                                                                                   \
        UNROLL for (int j = 0; j < 6; j++) {                                                              \
            __m256 col[6], r[4];                                                                          \
            UNROLL for (int i = 0; i < 6; i++) col[i] = _mm256_loadu_ps(in + (i * 6 + j) * xi_stride);     \
            W4_AT(col, r);                                                                                \
            UNROLL for (int i = 0; i < 4; i++) s[i][j] = r[i];                                            \
        }                                                                                                 \
        float *lo = t + o * plane + 4 * g_.ty_lo * row + 4 * g_.tx_lo;                                   \
        float *hi = t + o * plane + 4 * g_.ty_hi * row + 4 * g_.tx_hi;                                    \
        UNROLL for (int i = 0; i < 4; i++) {                                                              \
            __m256 r[4];                                                                                  \
            W4_AT(s[i], r);                                                                               \
            transpose4x2(&r[0], &r[1], &r[2], &r[3]); /* tile by tile, 4 columns each */                  \
            if (4 * g_.ty_lo + i < height) store_tiles(lo + i * row, r, 0, 4, 4 * g_.tx_lo, width);       \
            if (4 * g_.ty_hi + i < height) store_tiles(hi + i * row, r, 1, g_.hi_tiles, 4 * g_.tx_hi, width); \
        }                                                                                                 \
    } while (0)

AVX2 void fk_winograd4_output_avx2(const float *m, long ldm, long xi_stride, long channels, long tiles_h, long tiles_w, float *t,
                                   long plane, long row, long height, long width) {
    if (tiles_w < 4) {
        fk_winograd4_output_portable(m, ldm, xi_stride, channels, tiles_h, tiles_w, t, plane, row, height, width);
        return;
    }
    const long ahead = prefetch_distance(plane);
    for (long o = 0; o < channels; o++) {
        /* The rows about 8 KB on, fetched into L2 before they are written: a batch's outputs are rarely in cache, and
         * each first store to a line would wait for it (2x the time of stores to cached lines). */
        for (long y = 0; y < height; y++) prefetch_row(t + o * plane + y * row, ahead, width);
        for (long ty = 0, k; ty < tiles_h; ty += k) {
            k = step_rows(tiles_h, tiles_w, ty);
            STEPS(OUTPUT_STEP);
        }
    }
}

/* The output gradient's transform for both groups: each of a block's 4 rows as 16 floats per group
 * from the channel's plane (zeros past the map), transposed to the tiles' columns 0..3, then the
 * portable arithmetic. */
#define GRADIENT_STEP(g, tx)                                                                              \
    do {                                                                                                  \
        const w4_groups g_ = (g);                                                                         \
        const float *lo = gp + 4 * g_.ty_lo * padded_row + 4 * g_.tx_lo;                                  \
        const float *hi = gp + 4 * g_.ty_hi * padded_row + 4 * g_.tx_hi;                                  \
        __m256 q[4][6];                                                                                   \
        UNROLL for (int i = 0; i < 4; i++) {                                                              \
            __m256 y4[4];                                                                                 \
            UNROLL for (int j = 0; j < 4; j++)                                                            \
                y4[j] = _mm256_loadu2_m128(hi + i * padded_row + 4 * j, lo + i * padded_row + 4 * j);     \
            transpose4x2(&y4[0], &y4[1], &y4[2], &y4[3]);                                                 \
            W4_A(y4, q[i]);                                                                               \
        }                                                                                                 \
        STORE_COLUMNS(q, 4, W4_A, out + (tx));                                                           \
    } while (0)

AVX2 void fk_winograd4_gradient_avx2(const float *dy, const float *dy2, long plane, long row_stride, long channels, long height, long width,
                                     long tiles_h, long tiles_w, float *w, long ldw, long xi_stride, float *scratch) {
    if (tiles_w < 4) {
        fk_winograd4_gradient_portable(dy, dy2, plane, row_stride, channels, height, width, tiles_h, tiles_w, w, ldw, xi_stride);
        return;
    }
    /* One channel at a time as a plane of 4·tiles_h rows (no padding before: block (ty, tx) starts
     * at row 4ty, column 4tx), zeroed once: each channel rewrites the same positions. */
    const long padded_row = padded_row_of(tiles_w);
    float *const gp = zeroed_plane(scratch, 0, 4 * tiles_h, padded_row);
    for (long c = 0; c < channels; c++) {
        fill_plane(gp, padded_row, 0, dy, dy2, c, plane, row_stride, height, width);
        for (long ty = 0, k; ty < tiles_h; ty += k) {
            k = step_rows(tiles_h, tiles_w, ty);
            float *out = w + c * ldw + ty * tiles_w;
            STEPS(GRADIENT_STEP);
        }
    }
}
#endif
