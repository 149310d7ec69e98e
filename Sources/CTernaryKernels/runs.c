/*
 * Activation runs (see CTernaryKernels.h): a conv input's FATNN planes pixel by pixel, written
 * straight from the producer (float quantizer or folded integer thresholds) into a grid that
 * already holds the conv's zero padding, then gathered into the kernel's window columns without
 * bounds checks.
 */
#include "kernels.h"
#include <string.h>

/* The lanes of word w of a run of cin channels. */
static inline uint64_t lane_mask(long cin, long w) {
    long width = cin - w * 64;
    return width >= 64 ? ~0ull : ((1ull << width) - 1);
}

/* Writes the border pixels (code 0: M = S = 1 on the cin lanes) of image img's grid and, when
 * `clear` is set, zeroes its interior (for producers that only OR bits in). */
void tk_runs_prepare_grid(uint64_t *m, uint64_t *s, long img, long cin, long ih, long iw, long pad, int clear) {
    long pw = (cin + 63) / 64, gh = ih + 2 * pad, gw = iw + 2 * pad;
    uint64_t *gm = m + img * gh * gw * pw, *gs = s + img * gh * gw * pw;
    uint64_t full[64];
    for (long w = 0; w < pw && w < 64; w++) full[w] = lane_mask(cin, w);
    for (long y = 0; y < gh; y++) {
        int border_row = y < pad || y >= pad + ih;
        for (long x = 0; x < gw; x++) {
            if (!border_row && x == pad) {
                if (clear) {
                    memset(gm + (y * gw + x) * pw, 0, (size_t)(iw * pw) * sizeof(uint64_t));
                    memset(gs + (y * gw + x) * pw, 0, (size_t)(iw * pw) * sizeof(uint64_t));
                }
                x += iw - 1;
                continue;
            }
            uint64_t *rm = gm + (y * gw + x) * pw, *rs = gs + (y * gw + x) * pw;
            for (long w = 0; w < pw; w++) {
                uint64_t v = w < 64 ? full[w] : lane_mask(cin, w);
                rm[w] = v;
                rs[w] = v;
            }
        }
    }
}

/* Sets lane `shift` of run word `at` to the planes of `code`: M = [code != 1], S = [code = 0]. */
static inline void put_code(uint64_t *m, uint64_t *s, long at, unsigned shift, int code) {
    m[at] |= (uint64_t)(code != 1) << shift;
    s[at] |= (uint64_t)(code == 0) << shift;
}

/* The first word of interior row y of image img's grid. */
static inline long interior_row(long img, long y, long ih, long iw, long pad, long pw) {
    return ((img * (ih + 2 * pad) + y + pad) * (iw + 2 * pad) + pad) * pw;
}

int tk_runs_quantize(tk_path path, const float *x, long img_begin, long img_end, long cin, long ih, long iw, long pad,
                     const float *o0, const float *a0, const float *o1, const float *a1, long per_channel,
                     uint64_t *m, uint64_t *s) {
    if (!tk_path_supported(path) || cin <= 0 || ih <= 0 || iw <= 0 || pad < 0) return -1;
#if defined(__x86_64__)
    if (path == TK_AVX512 && cin <= 64) {
        tk_runs_quantize_avx512(x, img_begin, img_end, cin, ih, iw, pad, o0, a0, o1, a1, per_channel, m, s);
        return 0;
    }
    if (path == TK_AVX2 && cin <= 64) {
        /* the generic vector quantizer with FATNN's two ramps, interleaved as it takes them */
        float o[128], a[128];
        const long groups = per_channel ? cin : 1;
        for (long g = 0; g < groups; g++) {
            o[2 * g] = o0[g], o[2 * g + 1] = o1[g];
            a[2 * g] = a0[g], a[2 * g + 1] = a1[g];
        }
        const tk_code_quantizer q = {TK_QUANT_RAMPS, 2, per_channel, o, a, 0, 0};
        for (long img = img_begin; img < img_end; img++) tk_runs_prepare_grid(m, s, img, cin, ih, iw, pad, 0);
        return tk_quantize_runs_avx2(TK_FATNN, &q, x, 0, img_begin, img_end, cin, ih, iw, pad, m, s);
    }
#endif
    long pw = (cin + 63) / 64, plane = ih * iw;
    for (long img = img_begin; img < img_end; img++) {
        tk_runs_prepare_grid(m, s, img, cin, ih, iw, pad, 1);
        for (long y = 0; y < ih; y++) {
            long row = interior_row(img, y, ih, iw, pad, pw);
            for (long c = 0; c < cin; c++) {
                long g = per_channel ? c : 0;
                /* The training quantizer's own float arithmetic: a step counts when (v - o)·α > 0.5. */
                float O0 = o0[g], A0 = a0[g], O1 = o1[g], A1 = a1[g];
                const float *src = x + (img * cin + c) * plane + y * iw;
                for (long i = 0; i < iw; i++) {
                    int code = ((src[i] - O0) * A0 > 0.5f) + ((src[i] - O1) * A1 > 0.5f);
                    put_code(m, s, row + i * pw + (c >> 6), (unsigned)(c & 63), code);
                }
            }
        }
    }
    return 0;
}

int tk_runs_border(uint64_t *m, uint64_t *s, long img_begin, long img_end, long cin, long ih, long iw, long pad) {
    if (cin <= 0 || ih <= 0 || iw <= 0 || pad < 0) return -1;
    for (long img = img_begin; img < img_end; img++) tk_runs_prepare_grid(m, s, img, cin, ih, iw, pad, 0);
    return 0;
}

int tk_gemm_threshold(tk_path path, tk_kind kind, const uint64_t *w0, const uint64_t *w1, const uint64_t *x0, const uint64_t *x1,
                      long m_count, long n_count, long kw, long nb_begin, long nb_end,
                      const int32_t *dir, const int32_t *t1, const int32_t *t2,
                      long images, long oh, long ow, long pad, uint64_t *m, uint64_t *s) {
#if defined(__x86_64__)
    long blocks = (n_count + TK_BLOCK - 1) / TK_BLOCK;
    if ((path != TK_AVX512 && path != TK_AVX2) || !tk_path_supported(path) || m_count <= 0 || m_count > 64 || kw < 0 ||
        oh <= 0 || ow <= 0 || pad < 0 || n_count != images * oh * ow || nb_begin < 0 || nb_begin > nb_end || nb_end > blocks) return -1;
    if (kind != TK_FATNN && kind != TK_TNN4) return -1;
    if (path == TK_AVX2)
        tk_gemm_threshold_avx2(kind, w0, w1, x0, x1, m_count, n_count, kw, nb_begin, nb_end, dir, t1, t2, oh, ow, pad, m, s);
    else
        tk_gemm_threshold_avx512(kind, w0, w1, x0, x1, m_count, n_count, kw, nb_begin, nb_end, dir, t1, t2, oh, ow, pad, m, s);
    return 0;
#else
    (void)path; (void)kind; (void)w0; (void)w1; (void)x0; (void)x1; (void)m_count; (void)n_count; (void)kw; (void)nb_begin;
    (void)nb_end; (void)dir; (void)t1; (void)t2; (void)images; (void)oh; (void)ow; (void)pad; (void)m; (void)s;
    return -1;
#endif
}

int tk_runs_threshold(tk_path path, const int32_t *raw, long columns, long img_begin, long img_end, long cout, long oh,
                      long ow, long pad, const int32_t *dir, const int32_t *t1, const int32_t *t2, uint64_t *m, uint64_t *s) {
    if (!tk_path_supported(path) || cout <= 0 || oh <= 0 || ow <= 0 || pad < 0 || columns < img_end * oh * ow) return -1;
#if defined(__x86_64__)
    if (path == TK_AVX512 && cout <= 64) {
        tk_runs_threshold_avx512(raw, columns, img_begin, img_end, cout, oh, ow, pad, dir, t1, t2, m, s);
        return 0;
    }
    if (path == TK_AVX2 && cout <= 64) {
        tk_runs_threshold_avx2(raw, columns, img_begin, img_end, cout, oh, ow, pad, dir, t1, t2, m, s);
        return 0;
    }
#endif
    long pw = (cout + 63) / 64, plane = oh * ow;
    for (long img = img_begin; img < img_end; img++) {
        tk_runs_prepare_grid(m, s, img, cout, oh, ow, pad, 1);
        for (long y = 0; y < oh; y++) {
            long row = interior_row(img, y, oh, ow, pad, pw);
            for (long c = 0; c < cout; c++) {
                int32_t d = dir[c], T1 = t1[c], T2 = t2[c];
                const int32_t *src = raw + c * columns + img * plane + y * ow;
                for (long i = 0; i < ow; i++) {
                    int32_t r = d * src[i];
                    put_code(m, s, row + i * pw + (c >> 6), (unsigned)(c & 63), (r > T1) + (r > T2));
                }
            }
        }
    }
    return 0;
}

static inline void step_pixel(long *img, long *oy, long *ox, long oh, long ow) {
    if (++*ox < ow) return;
    *ox = 0;
    if (++*oy < oh) return;
    *oy = 0;
    ++*img;
}

int tk_runs_pack(tk_path path, const uint64_t *m, const uint64_t *s, long nb_begin, long nb_end, long images, long cin,
                 long gh, long gw, long kernel, long stride, long oh, long ow, long kw, uint64_t *x0, uint64_t *x1) {
    long pw = (cin + 63) / 64, kk = kernel * kernel, columns = images * oh * ow;
    if (!tk_path_supported(path) || cin <= 0 || kernel <= 0 || stride <= 0 || oh <= 0 || ow <= 0 || kw * 64 < kk * cin) return -1;
    if ((oh - 1) * stride + kernel > gh || (ow - 1) * stride + kernel > gw) return -1;
    if (nb_begin < 0 || nb_begin > nb_end || nb_end > (columns + TK_BLOCK - 1) / TK_BLOCK) return -1;
    if (!m || !x0 || (s == 0) != (x1 == 0)) return -1;
    /* One-plane runs (binary): the second plane is neither read nor written. */
    const int two = s != 0;
#if defined(__x86_64__)
    /* The vector paths keep the taps' offsets in an array of 64 (kernels up to 8x8). */
    if (path == TK_AVX512 && pw == 1 && 64 % cin == 0 && kk <= 64) {
        tk_runs_pack_avx512(m, s, nb_begin, nb_end, images, cin, gh, gw, kernel, stride, oh, ow, kw, x0, x1);
        return 0;
    }
    if (path == TK_AVX2 && pw == 1 && 64 % cin == 0 && kk <= 64) {
        tk_runs_pack_avx2(m, s, nb_begin, nb_end, images, cin, gh, gw, kernel, stride, oh, ow, kw, x0, x1);
        return 0;
    }
#endif
    long n_end = nb_end * TK_BLOCK < columns ? nb_end * TK_BLOCK : columns;
    long img = nb_begin * TK_BLOCK / (oh * ow), oy = nb_begin * TK_BLOCK % (oh * ow) / ow, ox = nb_begin * TK_BLOCK % ow;
    /* (img, oy, ox) of column n, stepped rather than divided out per column. */
    for (long n = nb_begin * TK_BLOCK; n < n_end; n++, step_pixel(&img, &oy, &ox, oh, ow)) {
        uint64_t *d0 = x0 + ((n >> 3) * kw) * TK_BLOCK + (n & 7);
        uint64_t *d1 = two ? x1 + ((n >> 3) * kw) * TK_BLOCK + (n & 7) : d0;
        const uint64_t *bm = m + ((img * gh + oy * stride) * gw + ox * stride) * pw;
        const uint64_t *bs = two ? s + ((img * gh + oy * stride) * gw + ox * stride) * pw : bm;
        long k = 0;
        if (pw == 1 && 64 % cin == 0) {
            /* Whole runs per word, none straddling: word k holds taps k·per ... k·per + per − 1. */
            long per = 64 / cin;
            for (long t0 = 0; t0 < kk; t0 += per, k++) {
                uint64_t am = 0, as = 0;
                for (long t = t0; t < t0 + per && t < kk; t++) {
                    long off = (t / kernel) * gw + t % kernel;
                    unsigned sh = (unsigned)((t - t0) * cin);
                    am |= bm[off] << sh;
                    as |= bs[off] << sh;
                }
                d0[k * TK_BLOCK] = am;
                d1[k * TK_BLOCK] = as;
            }
        } else {
            /* General: runs of cin lanes laid end to end, straddling words. */
            uint64_t am = 0, as = 0;
            long filled = 0;
            for (long t = 0; t < kk; t++) {
                const uint64_t *rm = bm + ((t / kernel) * gw + t % kernel) * pw;
                const uint64_t *rs = bs + ((t / kernel) * gw + t % kernel) * pw;
                for (long w = 0; w < pw; w++) {
                    long width = cin - w * 64 < 64 ? cin - w * 64 : 64;
                    uint64_t vm = rm[w], vs = rs[w];
                    am |= vm << filled;
                    as |= vs << filled;
                    if (filled + width >= 64) {
                        d0[k * TK_BLOCK] = am;
                        d1[k * TK_BLOCK] = as;
                        k++;
                        long used = 64 - filled;
                        am = used < 64 ? vm >> used : 0;
                        as = used < 64 ? vs >> used : 0;
                        filled = filled + width - 64;
                    } else {
                        filled += width;
                    }
                }
            }
            if (filled > 0) {
                d0[k * TK_BLOCK] = am;
                d1[k * TK_BLOCK] = as;
                k++;
            }
        }
        for (; k < kw; k++) d0[k * TK_BLOCK] = d1[k * TK_BLOCK] = 0;
    }
    /* Columns of the last block past the end: zero words. */
    for (long n = columns > nb_begin * TK_BLOCK ? columns : nb_begin * TK_BLOCK; n < nb_end * TK_BLOCK; n++) {
        for (long k = 0; k < kw; k++) {
            x0[((n >> 3) * kw + k) * TK_BLOCK + (n & 7)] = 0;
            if (two) x1[((n >> 3) * kw + k) * TK_BLOCK + (n & 7)] = 0;
        }
    }
    return 0;
}
