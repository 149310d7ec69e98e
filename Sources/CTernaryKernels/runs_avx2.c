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
 * loaded from one row (stride 1: two loads; stride 2: four loads and the even words) or gathered,
 * shifted to their lanes and ORed into the block's words, which are stored whole. */
enum { ROW, GATHER };   /* one row's consecutive pixels (stride 2: inside the grid's row), or else */

/* The runs at base[j] + off of columns j = 0..7 (lo: 0-3, hi: 4-7). */
ATTR void block_runs(const uint64_t *r, int layout, long row, long stride, __m256i idx_lo, __m256i idx_hi, long off,
                     __m256i *lo, __m256i *hi) {
    if (layout == ROW && stride == 1) {
        *lo = _mm256_loadu_si256((const __m256i *)(r + row + off));
        *hi = _mm256_loadu_si256((const __m256i *)(r + row + off + 4));
    } else if (layout == ROW) {
        const uint64_t *p = r + row + off;
        __m256i a = _mm256_loadu_si256((const __m256i *)p), b = _mm256_loadu_si256((const __m256i *)(p + 4));
        __m256i c = _mm256_loadu_si256((const __m256i *)(p + 8)), d = _mm256_loadu_si256((const __m256i *)(p + 12));
        /* words 0, 2, 4, 6: unpacklo gives 0, 4 | 2, 6 */
        *lo = _mm256_permute4x64_epi64(_mm256_unpacklo_epi64(a, b), 0xD8);
        *hi = _mm256_permute4x64_epi64(_mm256_unpacklo_epi64(c, d), 0xD8);
    } else {
        const __m256i o = _mm256_set1_epi64x(off);
        *lo = _mm256_i64gather_epi64((const long long *)r, _mm256_add_epi64(idx_lo, o), 8);
        *hi = _mm256_i64gather_epi64((const long long *)r, _mm256_add_epi64(idx_hi, o), 8);
    }
}

__attribute__((target("avx2"))) void tk_runs_pack_avx2(const uint64_t *m, const uint64_t *s, long nb_begin, long nb_end, long images,
                                                    long cin, long gh, long gw, long kernel, long stride, long oh, long ow, long kw,
                                                    uint64_t *x0, uint64_t *x1) {
    const long kk = kernel * kernel, per = 64 / cin, plane = oh * ow, columns = images * plane, grid = gh * gw;
    long n = nb_begin * TK_BLOCK, img = n / plane, oy = n % plane / ow, ox = n % ow;
    for (long nb = nb_begin; nb < nb_end; nb++) {
        long base[TK_BLOCK];
        const long first_ox = ox, n0 = nb * TK_BLOCK;
        tk_block_bases(base, &n, &img, &oy, &ox, columns, oh, ow, stride, gw, grid);   /* past the end: zeroed below */
        int layout = GATHER;
        if (n0 + TK_BLOCK <= columns && ow - first_ox >= TK_BLOCK &&
            (stride == 1 || (stride == 2 && (first_ox + TK_BLOCK) * 2 + (kernel - 1) <= gw)))
            layout = ROW;
        const __m256i idx_lo = _mm256_loadu_si256((const __m256i *)base), idx_hi = _mm256_loadu_si256((const __m256i *)(base + 4));
        const long live = columns - n0 < TK_BLOCK ? columns - n0 : TK_BLOCK;
        const __m256i lane = _mm256_setr_epi64x(0, 1, 2, 3);
        const __m256i keep_lo = _mm256_cmpgt_epi64(_mm256_set1_epi64x(live), lane);
        const __m256i keep_hi = _mm256_cmpgt_epi64(_mm256_set1_epi64x(live - 4), lane);
        uint64_t *d0 = x0 + nb * kw * TK_BLOCK, *d1 = x1 ? x1 + nb * kw * TK_BLOCK : 0;
        long k = 0;
        for (long t0 = 0; t0 < kk; t0 += per, k++) {
            __m256i am_lo = _mm256_setzero_si256(), am_hi = am_lo, as_lo = am_lo, as_hi = am_lo;
            for (long t = t0; t < t0 + per && t < kk; t++) {
                const long off = (t / kernel) * gw + t % kernel;
                const __m128i sh = _mm_cvtsi64_si128((t - t0) * cin);
                __m256i lo, hi;
                block_runs(m, layout, base[0], stride, idx_lo, idx_hi, off, &lo, &hi);
                am_lo = _mm256_or_si256(am_lo, _mm256_sll_epi64(lo, sh));
                am_hi = _mm256_or_si256(am_hi, _mm256_sll_epi64(hi, sh));
                if (d1) {
                    block_runs(s, layout, base[0], stride, idx_lo, idx_hi, off, &lo, &hi);
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
}
#endif
