/*
 * AVX2 producers of activation runs (see CTernaryKernels.h) for runs of one word (at most 64
 * channels): the folded thresholds 8 pixels of a plane at a time, channel by channel, each
 * channel's code bits set in two 32-bit halves per pixel and the halves joined into the pixels'
 * words at the end (the float quantizer is runs_encode_avx2.c's, through tk_runs_quantize); and
 * window packing from runs.
 */
#if defined(__x86_64__)
#include "avx2_common.h"

#define ATTR __attribute__((target("avx2"), always_inline)) static inline

/* Pixel by pixel over each image's plane (8 at a time, rows of the grid notwithstanding), as the
 * AVX-512 path does: the run words are then scattered to their grid positions. */
__attribute__((target("avx2"))) void tk_runs_threshold_avx2(const int32_t *raw, long columns, long img_begin, long img_end,
                                                         long cout, long oh, long ow, long pad, const int32_t *dir,
                                                         const int32_t *t1, const int32_t *t2, uint64_t *m, uint64_t *s) {
    const long plane = oh * ow, grid = (oh + 2 * pad) * (ow + 2 * pad);
    for (long img = img_begin; img < img_end; img++) {
        tk_runs_prepare_grid(m, s, img, cout, oh, ow, pad, 0);
        const int32_t *src = raw + img * plane;
        for (long p0 = 0; p0 < plane; p0 += TK_BLOCK) {
            const long count = plane - p0 < TK_BLOCK ? plane - p0 : TK_BLOCK;
            const __m256i live = tk_avx2_live_lanes(count);
            __m256i mw[2] = {_mm256_setzero_si256(), _mm256_setzero_si256()}, sw[2] = {mw[0], mw[0]};
            for (long c = 0; c < cout; c++) {
                const int32_t *at = src + c * columns + p0;
                const __m256i v = count == TK_BLOCK ? _mm256_loadu_si256((const __m256i *)at) : _mm256_maskload_epi32(at, live);
                const __m256i r = _mm256_mullo_epi32(_mm256_set1_epi32(dir[c]), v);
                tk_avx2_code_bits(_mm256_cmpgt_epi32(r, _mm256_set1_epi32(t1[c])), _mm256_cmpgt_epi32(r, _mm256_set1_epi32(t2[c])),
                                  c, mw, sw);
            }
            tk_avx2_store_runs(m + img * grid, s + img * grid, mw, sw, p0, count, oh, ow, pad);
        }
    }
}

/* Window columns (tk_runs_pack, runs of one word whose channel count divides 64), as the AVX-512
 * path does it with two registers of 4 columns per block: each tap's runs of a block's 8 columns
 * loaded from one row (stride 1: two loads; stride 2: four loads and the even words), from the end
 * of one row and the start of the next (stride 1: four loads and two blends), or else gathered;
 * shifted to their lanes and ORed into the block's words, which are stored whole. */
enum { ROW, TWO_ROWS, GATHER };

/* How a block's 8 columns lie in the grid (see the AVX-512 path). */
typedef struct {
    int layout;
    long row, row2, stride;   /* ROW, TWO_ROWS: the first column's grid index; TWO_ROWS: the next row's */
    __m256i first_lo, first_hi;   /* TWO_ROWS: the lanes (all ones) that come from the first row */
    __m256i idx_lo, idx_hi;       /* GATHER: every column's grid index */
} block_layout;

/* The runs at each column's grid index + off (lo: columns 0-3, hi: 4-7). TWO_ROWS reads 8 words
 * from each row and keeps its own lanes: the first row's reads end before the next row's last
 * column, the next row's start `split` words before it (a word of the grid: padding or the row
 * above), so every read is inside the grids. */
ATTR void block_runs(const uint64_t *r, const block_layout *b, long off, __m256i *lo, __m256i *hi) {
    if (b->layout == ROW && b->stride == 1) {
        *lo = _mm256_loadu_si256((const __m256i *)(r + b->row + off));
        *hi = _mm256_loadu_si256((const __m256i *)(r + b->row + off + 4));
    } else if (b->layout == ROW) {
        const uint64_t *p = r + b->row + off;
        __m256i a = _mm256_loadu_si256((const __m256i *)p), c = _mm256_loadu_si256((const __m256i *)(p + 4));
        __m256i d = _mm256_loadu_si256((const __m256i *)(p + 8)), e = _mm256_loadu_si256((const __m256i *)(p + 12));
        /* words 0, 2, 4, 6: unpacklo gives 0, 4 | 2, 6 */
        *lo = _mm256_permute4x64_epi64(_mm256_unpacklo_epi64(a, c), 0xD8);
        *hi = _mm256_permute4x64_epi64(_mm256_unpacklo_epi64(d, e), 0xD8);
    } else if (b->layout == TWO_ROWS) {
        const uint64_t *p = r + b->row + off, *q = r + b->row2 + off;
        const __m256d a0 = _mm256_castsi256_pd(_mm256_loadu_si256((const __m256i *)p));
        const __m256d a1 = _mm256_castsi256_pd(_mm256_loadu_si256((const __m256i *)(p + 4)));
        const __m256d b0 = _mm256_castsi256_pd(_mm256_loadu_si256((const __m256i *)q));
        const __m256d b1 = _mm256_castsi256_pd(_mm256_loadu_si256((const __m256i *)(q + 4)));
        *lo = _mm256_castpd_si256(_mm256_blendv_pd(b0, a0, _mm256_castsi256_pd(b->first_lo)));
        *hi = _mm256_castpd_si256(_mm256_blendv_pd(b1, a1, _mm256_castsi256_pd(b->first_hi)));
    } else {
        const __m256i o = _mm256_set1_epi64x(off);
        *lo = _mm256_i64gather_epi64((const long long *)r, _mm256_add_epi64(b->idx_lo, o), 8);
        *hi = _mm256_i64gather_epi64((const long long *)r, _mm256_add_epi64(b->idx_hi, o), 8);
    }
}

/* One block's words from its layout (a constant after inlining, so block_runs's branches fold
 * and the tap loops unroll): word k ORs taps k·per ... k·per + per − 1, each shifted to its lanes. */
ATTR void pack_block(const uint64_t *m, const uint64_t *s, const block_layout *b, const long *offsets, long cin, long kw,
                     __m256i keep_lo, __m256i keep_hi, uint64_t *d0, uint64_t *d1, const long per, const long kk) {
    long k = 0;
    for (long t0 = 0; t0 < kk; t0 += per, k++) {
        __m256i am_lo = _mm256_setzero_si256(), am_hi = am_lo, as_lo = am_lo, as_hi = am_lo;
        for (long i = 0; i < per; i++) {
            const long t = t0 + i;
            if (t >= kk) break;
            const __m128i sh = _mm_cvtsi64_si128(i * cin);
            __m256i lo, hi;
            block_runs(m, b, offsets[t], &lo, &hi);
            am_lo = _mm256_or_si256(am_lo, _mm256_sll_epi64(lo, sh));
            am_hi = _mm256_or_si256(am_hi, _mm256_sll_epi64(hi, sh));
            if (d1) {
                block_runs(s, b, offsets[t], &lo, &hi);
                as_lo = _mm256_or_si256(as_lo, _mm256_sll_epi64(lo, sh));
                as_hi = _mm256_or_si256(as_hi, _mm256_sll_epi64(hi, sh));
            }
        }
        _mm256_storeu_si256((__m256i *)(d0 + k * TK_BLOCK), _mm256_and_si256(am_lo, keep_lo));
        _mm256_storeu_si256((__m256i *)(d0 + k * TK_BLOCK + 4), _mm256_and_si256(am_hi, keep_hi));
        if (d1) {
            _mm256_storeu_si256((__m256i *)(d1 + k * TK_BLOCK), _mm256_and_si256(as_lo, keep_lo));
            _mm256_storeu_si256((__m256i *)(d1 + k * TK_BLOCK + 4), _mm256_and_si256(as_hi, keep_hi));
        }
    }
    for (; k < kw; k++) {
        _mm256_storeu_si256((__m256i *)(d0 + k * TK_BLOCK), _mm256_setzero_si256());
        _mm256_storeu_si256((__m256i *)(d0 + k * TK_BLOCK + 4), _mm256_setzero_si256());
        if (d1) {
            _mm256_storeu_si256((__m256i *)(d1 + k * TK_BLOCK), _mm256_setzero_si256());
            _mm256_storeu_si256((__m256i *)(d1 + k * TK_BLOCK + 4), _mm256_setzero_si256());
        }
    }
}

/* The packing of blocks [nb_begin, nb_end) with `per` taps per word and kk taps (constants after
 * inlining for the common shapes). */
ATTR void pack(const uint64_t *m, const uint64_t *s, long nb_begin, long nb_end, long images, long cin, long gh, long gw,
               long kernel, long stride, long oh, long ow, long kw, uint64_t *x0, uint64_t *x1, const long per, const long kk) {
    const long plane = oh * ow, columns = images * plane, grid = gh * gw;
    long offsets[64];   /* kk <= 64: tk_runs_pack takes the portable path for larger kernels */
    for (long t = 0; t < kk && t < 64; t++) offsets[t] = (t / kernel) * gw + t % kernel;
    long n = nb_begin * TK_BLOCK, img = n / plane, oy = n % plane / ow, ox = n % ow;
    const __m256i lane = _mm256_setr_epi64x(0, 1, 2, 3), all = _mm256_set1_epi64x(-1);
    for (long nb = nb_begin; nb < nb_end; nb++) {
        const long first_ox = ox, n0 = nb * TK_BLOCK, split = ow - first_ox;
        uint64_t *d0 = x0 + nb * kw * TK_BLOCK, *d1 = x1 ? x1 + nb * kw * TK_BLOCK : 0;
        block_layout b = {ROW, img * grid + oy * stride * gw + ox * stride, 0, stride, lane, lane, lane, lane};
        if (n0 + TK_BLOCK <= columns && split >= TK_BLOCK &&
            (stride == 1 || (stride == 2 && (first_ox + TK_BLOCK) * 2 + (kernel - 1) <= gw))) {
            /* the common case: one row's pixels; the walk steps along the row */
            tk_block_step_row(&n, &img, &oy, &ox, oh, ow);
            /* two calls, so that each inlined copy sees its stride as a constant */
            if (stride == 1) {
                b.stride = 1;
                pack_block(m, s, &b, offsets, cin, kw, all, all, d0, d1, per, kk);
            } else {
                b.stride = 2;
                pack_block(m, s, &b, offsets, cin, kw, all, all, d0, d1, per, kk);
            }
            continue;
        }
        long base[TK_BLOCK];
        tk_block_bases(base, &n, &img, &oy, &ox, columns, oh, ow, stride, gw, grid);   /* past the end: zeroed below */
        const long live = columns - n0 < TK_BLOCK ? columns - n0 : TK_BLOCK;
        const __m256i keep_lo = _mm256_cmpgt_epi64(_mm256_set1_epi64x(live), lane);
        const __m256i keep_hi = _mm256_cmpgt_epi64(_mm256_set1_epi64x(live - 4), lane);
        if (n0 + TK_BLOCK <= columns && stride == 1 && TK_BLOCK - split <= ow) {
            b.layout = TWO_ROWS;
            b.row2 = base[split] - split;
            b.first_lo = _mm256_cmpgt_epi64(_mm256_set1_epi64x(split), lane);
            b.first_hi = _mm256_cmpgt_epi64(_mm256_set1_epi64x(split - 4), lane);
            pack_block(m, s, &b, offsets, cin, kw, keep_lo, keep_hi, d0, d1, per, kk);
        } else {
            b.layout = GATHER;
            b.idx_lo = _mm256_loadu_si256((const __m256i *)base);
            b.idx_hi = _mm256_loadu_si256((const __m256i *)(base + 4));
            pack_block(m, s, &b, offsets, cin, kw, keep_lo, keep_hi, d0, d1, per, kk);
        }
    }
}

__attribute__((target("avx2"))) void tk_runs_pack_avx2(const uint64_t *m, const uint64_t *s, long nb_begin, long nb_end, long images,
                                                    long cin, long gh, long gw, long kernel, long stride, long oh, long ow, long kw,
                                                    uint64_t *x0, uint64_t *x1) {
#define TK_PACK(per, kk) pack(m, s, nb_begin, nb_end, images, cin, gh, gw, kernel, stride, oh, ow, kw, x0, x1, per, kk)
    TK_PACK_SHAPES(TK_PACK, cin, kernel);
#undef TK_PACK
}
#endif
