/* Internal: the per-path kernels behind tk_gemm. Arguments are checked by tk_gemm. */
#ifndef FATNN_TK_KERNELS_H
#define FATNN_TK_KERNELS_H
#include "CTernaryKernels.h"

typedef struct {
    tk_kind kind;
    const uint64_t *w0, *w1, *x0, *x1;
    int32_t *out;
    long ldc, m_count, n_count, kw, kbits, nb_begin, nb_end;
} tk_args;

void tk_gemm_scalar(const tk_args *a);
#if defined(__x86_64__)
void tk_gemm_avx2(const tk_args *a);
void tk_gemm_avx512(const tk_args *a);
#endif
#if defined(__aarch64__)
void tk_gemm_neon(const tk_args *a);
#endif

/* Runs (runs.c): writes image img's border pixels (code 0) and, if `clear`, zeroes its interior. */
void tk_runs_prepare_grid(uint64_t *m, uint64_t *s, long img, long cin, long ih, long iw, long pad, int clear);
#if defined(__x86_64__)
void tk_runs_quantize_avx512(const float *x, long img_begin, long img_end, long cin, long ih, long iw, long pad,
                             const float *o0, const float *a0, const float *o1, const float *a1, long per_channel,
                             uint64_t *m, uint64_t *s);
void tk_runs_threshold_avx2(const int32_t *raw, long columns, long img_begin, long img_end, long cout, long oh,
                            long ow, long pad, const int32_t *dir, const int32_t *t1, const int32_t *t2,
                            uint64_t *m, uint64_t *s);
void tk_runs_pack_avx2(const uint64_t *m, const uint64_t *s, long nb_begin, long nb_end, long images, long cin,
                       long gh, long gw, long kernel, long stride, long oh, long ow, long kw, uint64_t *x0, uint64_t *x1);
void tk_gemm_threshold_avx2(tk_kind kind, const uint64_t *w0, const uint64_t *w1, const uint64_t *x0, const uint64_t *x1,
                            long m_count, long n_count, long kw, long nb_begin, long nb_end,
                            const int32_t *dir, const int32_t *t1, const int32_t *t2,
                            long oh, long ow, long pad, uint64_t *m_runs, uint64_t *s_runs);
int tk_quantize_runs_avx2(tk_kind kind, const tk_code_quantizer *q, const float *x, const tk_norm_source *ns,
                          long img_begin, long img_end, long cin, long ih, long iw, long pad, uint64_t *p0, uint64_t *p1);
void tk_runs_threshold_avx512(const int32_t *raw, long columns, long img_begin, long img_end, long cout, long oh,
                              long ow, long pad, const int32_t *dir, const int32_t *t1, const int32_t *t2,
                              uint64_t *m, uint64_t *s);
void tk_gemm_threshold_avx512(tk_kind kind, const uint64_t *w0, const uint64_t *w1, const uint64_t *x0, const uint64_t *x1,
                              long m_count, long n_count, long kw, long nb_begin, long nb_end,
                              const int32_t *dir, const int32_t *t1, const int32_t *t2,
                              long oh, long ow, long pad, uint64_t *m_runs, uint64_t *s_runs);
int tk_norm_join_runs_avx2(const int32_t *raw, long columns, long img_begin, long img_end, long cout, long oh, long ow,
                           const int32_t *sums, const float *mean, const float *inv, const float *gamma, const float *beta,
                           const float *residual, int relu, float *y, const tk_quant_target *targets, long target_count);
int tk_norm_join_runs_avx512(const int32_t *raw, long columns, long img_begin, long img_end, long cout, long oh,
                              long ow, const int32_t *sums, const float *scales, const float *mean, const float *inv,
                              const float *gamma, const float *beta, const float *residual, int relu, float *y,
                              const tk_quant_target *targets, long target_count);
void tk_runs_pack_avx512(const uint64_t *m, const uint64_t *s, long nb_begin, long nb_end, long images, long cin,
                         long gh, long gw, long kernel, long stride, long oh, long ow, long kw, uint64_t *x0, uint64_t *x1);
#endif

/* The tiling shared by the vector kernels: a column block's activation words and how many of its
 * columns are real, and the weight rows of a block of `rows` rows starting at m (rows past
 * m_count repeat row m; their results are never stored). */
typedef struct {
    const uint64_t *x0, *x1;
    long valid;
} tk_column_block;

static inline tk_column_block tk_block(const tk_args *a, long nb) {
    const int two = a->kind != TK_BINARY;
    tk_column_block b = {a->x0 + nb * a->kw * TK_BLOCK, 0, a->n_count - nb * TK_BLOCK};
    b.x1 = two ? a->x1 + nb * a->kw * TK_BLOCK : b.x0;
    if (b.valid > TK_BLOCK) b.valid = TK_BLOCK;
    return b;
}

static inline void tk_row_block(const tk_args *a, long m, int rows, const uint64_t **w0, const uint64_t **w1) {
    const int two = a->kind != TK_BINARY;
    for (int r = 0; r < rows; r++) {
        long row = m + r < a->m_count ? m + r : m;
        w0[r] = a->w0 + row * a->kw;
        w1[r] = two ? a->w1 + row * a->kw : w0[r];
    }
}

/* Writes `count` run words (m0[j], and s0[j] unless s is NULL) of the pixels n, n + 1, ... of
 * images of h x w pixels into the interiors of their grids (padded by `pad`, one word per pixel;
 * m and s: image 0's grid), stepping across rows and images. */
static inline void tk_put_run_words(uint64_t *m, uint64_t *s, const uint64_t *m0, const uint64_t *s0, long n, long count,
                                    long h, long w, long pad) {
    const long plane = h * w, gw = w + 2 * pad, grid = (h + 2 * pad) * gw;
    long img = n / plane, y = n % plane / w, x = n % w;
    for (long j = 0; j < count; j++) {
        const long idx = img * grid + (y + pad) * gw + x + pad;
        m[idx] = m0[j];
        if (s) s[idx] = s0[j];
        if (++x == w) {
            x = 0;
            if (++y == h) {
                y = 0;
                img++;
            }
        }
    }
}

/* Window packing's walk over output columns: the grid offsets (in words) of the TK_BLOCK columns
 * starting at the walk's column n = (img, oy, ox), the walk advanced past them. Columns from
 * `columns` on (never the first) repeat the last real one. */
static inline void tk_block_bases(long *base, long *n, long *img, long *oy, long *ox, long columns, long oh, long ow,
                                  long stride, long gw, long grid) {
    for (long j = 0; j < TK_BLOCK; j++, (*n)++) {
        base[j] = *n < columns ? *img * grid + *oy * stride * gw + *ox * stride : base[j - 1];
        if (++*ox == ow) {
            *ox = 0;
            if (++*oy == oh) {
                *oy = 0;
                (*img)++;
            }
        }
    }
}

/* Window packing's walk past a block whose TK_BLOCK columns lie in one output row (ox + TK_BLOCK
 * <= ow): only its last step can wrap to the next row or image. */
static inline void tk_block_step_row(long *n, long *img, long *oy, long *ox, long oh, long ow) {
    *n += TK_BLOCK;
    if ((*ox += TK_BLOCK) == ow) {
        *ox = 0;
        if (++*oy == oh) {
            *oy = 0;
            (*img)++;
        }
    }
}

/* Calls PACK(per, kk) (per: taps per word, kk: taps) with both known at compile time for
 * resnet20's window shapes (3x3 over 16, 32 or 64 channels; 1x1), so the vector paths' tap loops
 * unroll there. */
#define TK_PACK_SHAPES(PACK, cin, kernel) \
    do { \
        if ((kernel) == 3 && (cin) == 16) PACK(4, 9); \
        else if ((kernel) == 3 && (cin) == 32) PACK(2, 9); \
        else if ((kernel) == 3 && (cin) == 64) PACK(1, 9); \
        else if ((kernel) == 1) PACK(64 / (cin), 1); \
        else PACK(64 / (cin), (kernel) * (kernel)); \
    } while (0)

/* Stores the first `count` of `values` (count <= TK_BLOCK) at dst. */
static inline void tk_store_partial(int32_t *dst, const int32_t *values, long count) {
    for (long j = 0; j < count; j++) dst[j] = values[j];
}
#endif
