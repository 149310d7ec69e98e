/*
 * AVX-512 producers of activation runs for cin <= 64 (one word per pixel): 16 pixels of a plane at
 * a time, every channel's codes compared into two 16-bit masks that set the channel's bit in 16
 * runs held in registers; the runs are then stored at their grid positions. The same arithmetic
 * as the portable loops in runs.c (IEEE single sub, mul and ordered compare; int32 multiply and
 * compare), so the runs are identical.
 */
#if defined(__x86_64__)
#pragma clang fp contract(off)
#include "kernels.h"
#include <immintrin.h>
#include <stdlib.h>
#include <string.h>

#define TARGET __attribute__((target("avx512f")))
#define INLINE __attribute__((target("avx512f"), always_inline)) static inline

/* Sets bit `bit` of the runs whose lane is set in the 16-bit mask k (low 8 in lo, high 8 in hi). */
TARGET static inline void set_bits(__m512i *lo, __m512i *hi, __mmask16 k, __m512i bit) {
    *lo = _mm512_mask_or_epi64(*lo, (__mmask8)(k & 0xFF), *lo, bit);
    *hi = _mm512_mask_or_epi64(*hi, (__mmask8)(k >> 8), *hi, bit);
}

/* Stores `count` runs of pixels p0, p0 + 1, ... of an ih x iw plane into the interior of a grid
 * padded by `pad`. */
TARGET static inline void store_runs(uint64_t *gm, uint64_t *gs, __m512i mlo, __m512i mhi, __m512i slo, __m512i shi,
                                     long p0, long count, long iw, long ih, long pad) {
    uint64_t mb[16], sb[16];
    _mm512_storeu_si512(mb, mlo);
    _mm512_storeu_si512(mb + 8, mhi);
    _mm512_storeu_si512(sb, slo);
    _mm512_storeu_si512(sb + 8, shi);
    tk_put_run_words(gm, gs, mb, sb, p0, count, ih, iw, pad);
}

TARGET void tk_runs_quantize_avx512(const float *x, long img_begin, long img_end, long cin, long ih, long iw, long pad,
                                    const float *o0, const float *a0, const float *o1, const float *a1, long per_channel,
                                    uint64_t *m, uint64_t *s) {
    long plane = ih * iw, grid = (ih + 2 * pad) * (iw + 2 * pad);
    const __m512 half = _mm512_set1_ps(0.5f);
    for (long img = img_begin; img < img_end; img++) {
        tk_runs_prepare_grid(m, s, img, cin, ih, iw, pad, 0);
        const float *src = x + img * cin * plane;
        for (long p0 = 0; p0 < plane; p0 += 16) {
            long count = plane - p0 < 16 ? plane - p0 : 16;
            __mmask16 live = (__mmask16)((1u << count) - 1);
            __m512i mlo = _mm512_setzero_si512(), mhi = mlo, slo = mlo, shi = mlo;
            for (long c = 0; c < cin; c++) {
                long g = per_channel ? c : 0;
                _mm_prefetch((const char *)(src + c * plane + p0 + 4 * 16), _MM_HINT_T0);
                __m512 v = _mm512_maskz_loadu_ps(live, src + c * plane + p0);
                __m512 u0 = _mm512_mul_ps(_mm512_sub_ps(v, _mm512_set1_ps(o0[g])), _mm512_set1_ps(a0[g]));
                __m512 u1 = _mm512_mul_ps(_mm512_sub_ps(v, _mm512_set1_ps(o1[g])), _mm512_set1_ps(a1[g]));
                __mmask16 k0 = _mm512_cmp_ps_mask(u0, half, _CMP_GT_OQ), k1 = _mm512_cmp_ps_mask(u1, half, _CMP_GT_OQ);
                __m512i bit = _mm512_set1_epi64((long long)(1ull << c));
                /* code = k0 + k1: M = [code != 1] = !(k0 ^ k1), S = [code = 0] = !(k0 | k1). */
                set_bits(&mlo, &mhi, (__mmask16)~(k0 ^ k1), bit);
                set_bits(&slo, &shi, (__mmask16)~(k0 | k1), bit);
            }
            store_runs(m + img * grid, s + img * grid, mlo, mhi, slo, shi, p0, count, iw, ih, pad);
        }
    }
}

TARGET void tk_runs_threshold_avx512(const int32_t *raw, long columns, long img_begin, long img_end, long cout, long oh,
                                     long ow, long pad, const int32_t *dir, const int32_t *t1, const int32_t *t2,
                                     uint64_t *m, uint64_t *s) {
    long plane = oh * ow, grid = (oh + 2 * pad) * (ow + 2 * pad);
    for (long img = img_begin; img < img_end; img++) {
        tk_runs_prepare_grid(m, s, img, cout, oh, ow, pad, 0);
        for (long p0 = 0; p0 < plane; p0 += 16) {
            long count = plane - p0 < 16 ? plane - p0 : 16;
            __mmask16 live = (__mmask16)((1u << count) - 1);
            __m512i mlo = _mm512_setzero_si512(), mhi = mlo, slo = mlo, shi = mlo;
            for (long c = 0; c < cout; c++) {
                __m512i v = _mm512_maskz_loadu_epi32(live, raw + c * columns + img * plane + p0);
                __m512i r = _mm512_mullo_epi32(v, _mm512_set1_epi32(dir[c]));
                __mmask16 k0 = _mm512_cmpgt_epi32_mask(r, _mm512_set1_epi32(t1[c]));
                __mmask16 k1 = _mm512_cmpgt_epi32_mask(r, _mm512_set1_epi32(t2[c]));
                __m512i bit = _mm512_set1_epi64((long long)(1ull << c));
                set_bits(&mlo, &mhi, (__mmask16)~(k0 ^ k1), bit);
                set_bits(&slo, &shi, (__mmask16)~(k0 | k1), bit);
            }
            store_runs(m + img * grid, s + img * grid, mlo, mhi, slo, shi, p0, count, ow, oh, pad);
        }
    }
}
/* How the 8 columns of a block lie in the grid: one row's consecutive pixels (ROW), the end of
 * one row and the start of the next at stride 1 (TWO_ROWS: `split` lanes from `row`, the rest
 * from `row2`), or anything else (GATHER). */
enum { ROW, TWO_ROWS, GATHER };

/* The runs at index idx[j] + off of the 8 columns of a block: one load for a row (stride 1), two
 * loads and a permute for a row at stride 2, two masked loads for two rows, else a gather. */
INLINE __m512i block_runs(const uint64_t *r, int layout, long row, long row2, long split, long stride,
                                        __m512i idx, long off) {
    if (layout == ROW) {
        if (stride == 1) return _mm512_loadu_si512(r + row + off);
        const __m512i even = _mm512_setr_epi64(0, 2, 4, 6, 8, 10, 12, 14);
        return _mm512_permutex2var_epi64(_mm512_loadu_si512(r + row + off), even, _mm512_loadu_si512(r + row + off + 8));
    }
    if (layout == TWO_ROWS) {
        __mmask8 first = (__mmask8)((1u << split) - 1);
        __m512i v = _mm512_maskz_loadu_epi64(first, r + row + off);
        return _mm512_mask_loadu_epi64(v, (__mmask8)~first, r + row2 + off - split);
    }
    return _mm512_i64gather_epi64(_mm512_add_epi64(idx, _mm512_set1_epi64(off)), (const long long *)r, 8);
}

/* One block's words: word k ORs taps k·per ... k·per + per − 1, each shifted to its lanes; words
 * past the taps are zero. The layout, `per` and kk are constants after inlining (block_runs's
 * branches fold, the tap loops unroll). */
INLINE void pack_block(const uint64_t *m, const uint64_t *s, int layout, long row, long row2, long split, long stride,
                       __m512i idx, const long *offsets, long cin, long kw, __mmask8 live, uint64_t *d0, uint64_t *d1,
                       const long per, const long kk) {
    long k = 0;
    for (long t0 = 0; t0 < kk; t0 += per, k++) {
        __m512i am = _mm512_setzero_si512(), as = am;
        for (long i = 0; i < per && t0 + i < kk; i++) {
            const long off = offsets[t0 + i];
            const unsigned sh = (unsigned)(i * cin);
            am = _mm512_or_si512(am, _mm512_slli_epi64(block_runs(m, layout, row, row2, split, stride, idx, off), sh));
            /* One-plane runs (binary): s and d1 are NULL, and the second plane is skipped. */
            if (d1) as = _mm512_or_si512(as, _mm512_slli_epi64(block_runs(s, layout, row, row2, split, stride, idx, off), sh));
        }
        _mm512_storeu_si512(d0 + k * TK_BLOCK, _mm512_maskz_mov_epi64(live, am));
        if (d1) _mm512_storeu_si512(d1 + k * TK_BLOCK, _mm512_maskz_mov_epi64(live, as));
    }
    for (; k < kw; k++) {
        _mm512_storeu_si512(d0 + k * TK_BLOCK, _mm512_setzero_si512());
        if (d1) _mm512_storeu_si512(d1 + k * TK_BLOCK, _mm512_setzero_si512());
    }
}

/* Window columns, one block of 8 columns per register: each tap's run of the 8 columns loaded
 * (or gathered) from the grid, shifted to its lanes and ORed into its word; whole words stored at
 * once. */
INLINE void pack(const uint64_t *m, const uint64_t *s, long nb_begin, long nb_end, long images, long cin, long gh, long gw,
                 long kernel, long stride, long oh, long ow, long kw, uint64_t *x0, uint64_t *x1, const long per, const long kk) {
    const long plane = oh * ow, columns = images * plane, grid = gh * gw;
    long offsets[64];   /* kk <= 64: tk_runs_pack takes the portable path for larger kernels */
    for (long t = 0; t < kk && t < 64; t++) offsets[t] = (t / kernel) * gw + t % kernel;
    /* The column the walk is at, as (image, output row, output column): divided out once, then
     * stepped (divisions per column would cost more than the packing). */
    long n = nb_begin * TK_BLOCK, img = n / plane, oy = n % plane / ow, ox = n % ow;
    const __m512i none = _mm512_setzero_si512();
    for (long nb = nb_begin; nb < nb_end; nb++) {
        const long first_ox = ox, n0 = nb * TK_BLOCK, split = ow - first_ox;
        uint64_t *d0 = x0 + nb * kw * TK_BLOCK, *d1 = x1 ? x1 + nb * kw * TK_BLOCK : 0;
        /* A row when the block's 8 columns are one row's consecutive pixels (stride 2 reads 16
         * words per tap, so only where they stay inside the grid's row): the walk steps along it. */
        if (n0 + TK_BLOCK <= columns && split >= TK_BLOCK &&
            (stride == 1 || (stride == 2 && (first_ox + TK_BLOCK) * 2 + (kernel - 1) <= gw))) {
            const long row = img * grid + oy * stride * gw + ox * stride;
            tk_block_step_row(&n, &img, &oy, &ox, oh, ow);
            if (stride == 1) pack_block(m, s, ROW, row, 0, 0, 1, none, offsets, cin, kw, 0xFF, d0, d1, per, kk);
            else pack_block(m, s, ROW, row, 0, 0, 2, none, offsets, cin, kw, 0xFF, d0, d1, per, kk);
            continue;
        }
        long base[TK_BLOCK];
        tk_block_bases(base, &n, &img, &oy, &ox, columns, oh, ow, stride, gw, grid);
        /* Columns past the end get zero words, as in the portable path. */
        __mmask8 live = n0 + TK_BLOCK <= columns ? (__mmask8)0xFF : (__mmask8)((1u << (columns - n0)) - 1);
        /* Two rows at stride 1 when the rest fits the next row (which may start the next image). */
        if (n0 + TK_BLOCK <= columns && stride == 1 && TK_BLOCK - split <= ow)
            pack_block(m, s, TWO_ROWS, base[0], base[split], split, 1, none, offsets, cin, kw, live, d0, d1, per, kk);
        else
            pack_block(m, s, GATHER, 0, 0, 0, stride, _mm512_loadu_si512(base), offsets, cin, kw, live, d0, d1, per, kk);
    }
}

TARGET void tk_runs_pack_avx512(const uint64_t *m, const uint64_t *s, long nb_begin, long nb_end, long images, long cin,
                                long gh, long gw, long kernel, long stride, long oh, long ow, long kw,
                                uint64_t *x0, uint64_t *x1) {
#define TK_PACK(per, kk) pack(m, s, nb_begin, nb_end, images, cin, gh, gw, kernel, stride, oh, ow, kw, x0, x1, per, kk)
    TK_PACK_SHAPES(TK_PACK, cin, kernel);
#undef TK_PACK
}
/* tk_norm_join_runs (and, with no targets, tk_norm_join): channel by channel (each channel's
 * values are contiguous, so they stream), 16 pixels at a time, the engine's single-precision
 * operations in its order, each output value also quantized for up to two targets whose runs build up
 * in a per-image scratch grid (in L1) and are then copied into the targets' padded grids. Returns
 * 0, or -1 (nothing written) if the scratch cannot be allocated. */
TARGET int tk_norm_join_runs_avx512(const int32_t *raw, long columns, long img_begin, long img_end, long cout, long oh,
                                     long ow, const int32_t *sums, const float *scales, const float *mean, const float *inv,
                                     const float *gamma, const float *beta, const float *residual, int relu, float *y,
                                     const tk_quant_target *targets, long target_count) {
    const __m512 zero = _mm512_setzero_ps(), half = _mm512_set1_ps(0.5f);
    long plane = oh * ow, padded = (plane + 15) / 16 * 16;
    /* scratch[q][plane]: M runs then S runs of target q, `padded` words each (none without targets). */
    uint64_t *scratch = target_count > 0 ? aligned_alloc(64, (size_t)(2 * 2 * padded) * sizeof(uint64_t)) : 0;
    if (target_count > 0 && !scratch) return -1;
    for (long img = img_begin; img < img_end; img++) {
        if (scratch) memset(scratch, 0, (size_t)(2 * 2 * padded) * sizeof(uint64_t));
        for (long m = 0; m < cout; m++) {
            const int32_t *a = raw + m * columns + img * plane;
            const float *r = residual ? residual + (img * cout + m) * plane : 0;
            float *d = y + (img * cout + m) * plane;
            __m512i s = _mm512_set1_epi32(sums[m]), bit = _mm512_set1_epi64((long long)(1ull << m));
            __m512 mm = _mm512_set1_ps(mean[m]), sc = _mm512_set1_ps(inv[m]), gm = _mm512_set1_ps(gamma[m]);
            __m512 bm = _mm512_set1_ps(beta[m]), cs = _mm512_set1_ps(scales ? scales[m] : 1);
            __m512 qo0[2], qa0[2], qo1[2], qa1[2];
            for (long q = 0; q < target_count; q++) {
                long g = targets[q].per_channel ? m : 0;
                qo0[q] = _mm512_set1_ps(targets[q].o0[g]);
                qa0[q] = _mm512_set1_ps(targets[q].a0[g]);
                qo1[q] = _mm512_set1_ps(targets[q].o1[g]);
                qa1[q] = _mm512_set1_ps(targets[q].a1[g]);
            }
            for (long j = 0; j < plane; j += 16) {
                __mmask16 live = plane - j >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (plane - j)) - 1);
                __m512 v = _mm512_cvtepi32_ps(_mm512_add_epi32(_mm512_maskz_loadu_epi32(live, a + j), s));
                if (scales) v = _mm512_mul_ps(v, cs);   /* the quantized conv's output scale, its own rounding */
                v = _mm512_add_ps(_mm512_mul_ps(_mm512_mul_ps(_mm512_sub_ps(v, mm), sc), gm), bm);
                if (r) {
                    v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(live, r + j));
                    if (relu) v = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(v, zero, _CMP_GT_OQ), v);
                }
                _mm512_mask_storeu_ps(d + j, live, v);
                for (long q = 0; q < target_count; q++) {
                    __m512 u0 = _mm512_mul_ps(_mm512_sub_ps(v, qo0[q]), qa0[q]);
                    __m512 u1 = _mm512_mul_ps(_mm512_sub_ps(v, qo1[q]), qa1[q]);
                    __mmask16 k0 = _mm512_cmp_ps_mask(u0, half, _CMP_GT_OQ), k1 = _mm512_cmp_ps_mask(u1, half, _CMP_GT_OQ);
                    /* code = k0 + k1: M = !(k0 ^ k1), S = !(k0 | k1). */
                    __mmask16 km = (__mmask16)~(k0 ^ k1), ks = (__mmask16)~(k0 | k1);
                    uint64_t *sm = scratch + (2 * q) * padded + j, *ss = scratch + (2 * q + 1) * padded + j;
                    _mm512_store_si512(sm, _mm512_mask_or_epi64(_mm512_load_si512(sm), (__mmask8)(km & 0xFF), _mm512_load_si512(sm), bit));
                    _mm512_store_si512(sm + 8, _mm512_mask_or_epi64(_mm512_load_si512(sm + 8), (__mmask8)(km >> 8), _mm512_load_si512(sm + 8), bit));
                    _mm512_store_si512(ss, _mm512_mask_or_epi64(_mm512_load_si512(ss), (__mmask8)(ks & 0xFF), _mm512_load_si512(ss), bit));
                    _mm512_store_si512(ss + 8, _mm512_mask_or_epi64(_mm512_load_si512(ss + 8), (__mmask8)(ks >> 8), _mm512_load_si512(ss + 8), bit));
                }
            }
        }
        for (long q = 0; q < target_count; q++) {
            long pad = targets[q].pad, gw = ow + 2 * pad, grid = (oh + 2 * pad) * gw;
            tk_runs_prepare_grid(targets[q].m, targets[q].s, img, cout, oh, ow, pad, 0);
            for (long yy = 0; yy < oh; yy++) {
                memcpy(targets[q].m + img * grid + (yy + pad) * gw + pad, scratch + (2 * q) * padded + yy * ow, (size_t)ow * sizeof(uint64_t));
                memcpy(targets[q].s + img * grid + (yy + pad) * gw + pad, scratch + (2 * q + 1) * padded + yy * ow, (size_t)ow * sizeof(uint64_t));
            }
        }
    }
    free(scratch);
    return 0;
}
#endif
