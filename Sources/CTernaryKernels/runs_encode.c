/*
 * Runs in the activation encoding of any kernel kind (tk_runs_encode, tk_runs_decode) and the
 * conversion of FATNN runs to thermometer runs (tk_runs_thermometer). Portable C.
 *
 * Per kind, the two planes of an activation code (code_bits): TK_FATNN M = [a != 1], S = [a = 0];
 * TK_TNN4 A0 = [a >= 1], A1 = [a >= 2]; TK_2BIT, TK_2BIT_SIGNED and TK_A2 bits 0 and 1 of the
 * unsigned code; TK_BINARY X = [x = -1] (one plane). Border pixels hold the code of a zero input
 * under each kind's quantizers: 0 for every kind but binary, +1 for binary (sign(0) = +1); in
 * bits, M = S = 1 for TK_FATNN and all zeros for every other kind.
 */
#include "kernels.h"
#include <math.h>
#include <string.h>

/* The quantizers' float arithmetic, operation by operation as the engine's (no FMAs). */
#pragma clang fp contract(off)

static inline uint64_t lane_mask_of(long cin, long w) {
    long left = cin - w * 64;
    return left >= 64 ? ~0ull : (left <= 0 ? 0 : (1ull << left) - 1);
}

/* The two plane bits of a code (valid for the kind; see the top of this file). */
__attribute__((always_inline)) static inline void code_bits(tk_kind kind, int code, uint64_t *b0, uint64_t *b1) {
    switch (kind) {
    case TK_FATNN: *b0 = code != 1; *b1 = code == 0; break;
    case TK_TNN4: *b0 = code >= 1; *b1 = code >= 2; break;
    case TK_BINARY: *b0 = code < 0; *b1 = 0; break;
    default: *b0 = (uint64_t)(code & 1); *b1 = (uint64_t)((code >> 1) & 1); break;
    }
}

/* Whether `code` is one of the kind's activation codes. */
static inline int code_in_set(tk_kind kind, int code) {
    switch (kind) {
    case TK_FATNN: case TK_TNN4: return code >= 0 && code <= 2;
    case TK_BINARY: return code == -1 || code == 1;
    default: return code >= 0 && code <= 3;
    }
}

/* Image img's grid: border pixels get the code of a zero input (all lanes set in both planes for
 * TK_FATNN, zeros for every other kind); with `clear`, the interior is zeroed too. */
static inline void prepare_grid(tk_kind kind, uint64_t *p0, uint64_t *p1, long img, long cin, long ih, long iw, long pad, int clear) {
    long pw = (cin + 63) / 64, gh = ih + 2 * pad, gw = iw + 2 * pad;
    uint64_t *g0 = p0 + img * gh * gw * pw, *g1 = p1 ? p1 + img * gh * gw * pw : 0;
    const int border_ones = kind == TK_FATNN;
    for (long y = 0; y < gh; y++) {
        int border_row = y < pad || y >= pad + ih;
        for (long x = 0; x < gw; x++) {
            int inside = !border_row && x >= pad && x < pad + iw;
            if (inside && !clear) { x += iw - 1; continue; }
            for (long w = 0; w < pw; w++) {
                uint64_t v = !inside && border_ones ? lane_mask_of(cin, w) : 0;
                g0[(y * gw + x) * pw + w] = v;
                if (g1) g1[(y * gw + x) * pw + w] = v;
            }
        }
    }
}

int tk_runs_encode(tk_kind kind, const int8_t *codes, long img_begin, long img_end, long cin, long ih, long iw, long pad,
                   uint64_t *p0, uint64_t *p1) {
    if (kind < TK_FATNN || kind > TK_A2 || cin <= 0 || ih <= 0 || iw <= 0 || pad < 0 || !p0) return -1;
    if (kind != TK_BINARY && !p1) return -1;
    long pw = (cin + 63) / 64, gh = ih + 2 * pad, gw = iw + 2 * pad, plane = ih * iw;
    for (long img = img_begin; img < img_end; img++) {
        prepare_grid(kind, p0, p1, img, cin, ih, iw, pad, 1);
        uint64_t *g0 = p0 + img * gh * gw * pw, *g1 = p1 ? p1 + img * gh * gw * pw : 0;
        for (long c = 0; c < cin; c++) {
            const int8_t *src = codes + (img * cin + c) * plane;
            unsigned sh = (unsigned)(c & 63);
            for (long y = 0; y < ih; y++)
                for (long x = 0; x < iw; x++) {
                    if (!code_in_set(kind, src[y * iw + x])) return -1;
                    uint64_t b0, b1;
                    code_bits(kind, src[y * iw + x], &b0, &b1);
                    long r = ((y + pad) * gw + x + pad) * pw + (c >> 6);
                    g0[r] |= b0 << sh;
                    if (g1) g1[r] |= b1 << sh;
                }
        }
    }
    return 0;
}

int tk_runs_decode(tk_kind kind, const uint64_t *p0, const uint64_t *p1, long img_begin, long img_end, long cin, long ih,
                   long iw, long pad, int8_t *codes) {
    if (kind < TK_FATNN || kind > TK_A2 || cin <= 0 || ih <= 0 || iw <= 0 || pad < 0 || !p0) return -1;
    if (kind != TK_BINARY && !p1) return -1;
    long pw = (cin + 63) / 64, gw = iw + 2 * pad, gh = ih + 2 * pad;
    for (long img = img_begin; img < img_end; img++)
        for (long c = 0; c < cin; c++)
            for (long y = 0; y < ih; y++)
                for (long x = 0; x < iw; x++) {
                    long r = ((img * gh + y + pad) * gw + x + pad) * pw + (c >> 6);
                    unsigned sh = (unsigned)(c & 63);
                    int b0 = (int)((p0[r] >> sh) & 1), b1 = kind == TK_BINARY ? 0 : (int)((p1[r] >> sh) & 1);
                    int code;
                    switch (kind) {
                    case TK_FATNN: code = b0 ? (b1 ? 0 : 2) : 1; break;
                    case TK_TNN4: code = b0 + b1; break;
                    case TK_BINARY: code = b0 ? -1 : 1; break;
                    default: code = b0 + 2 * b1; break;
                    }
                    codes[((img * cin + c) * ih + y) * iw + x] = (int8_t)code;
                }
    return 0;
}

int tk_runs_thermometer(const uint64_t *m, const uint64_t *s, long pixels, long cin, uint64_t *a0, uint64_t *a1) {
    if (cin <= 0 || pixels < 0 || !m || !s || !a0 || !a1) return -1;
    long pw = (cin + 63) / 64;
    for (long p = 0; p < pixels; p++)
        for (long w = 0; w < pw; w++) {
            long i = p * pw + w;
            /* a = 0: M = S = 1; a = 1: M = S = 0; a = 2: M = 1, S = 0. Lanes >= cin stay 0. */
            a0[i] = ~s[i] & lane_mask_of(cin, w);
            a1[i] = m[i] & ~s[i];
        }
    return 0;
}

/* Per-channel parameters of a quantizer, read once per channel. */
typedef struct {
    float s, qp;
    int qpi;
    /* FATNN ramps, unrolled: up to 3, the unused ones (o, a) = (0, 0), which never count. */
    float o[3], a[3];
} channel_params;

#define ATTR_INLINE __attribute__((always_inline)) static inline

ATTR_INLINE channel_params params_of(const tk_code_quantizer *q, long c) {
    channel_params p = {q->s, q->qp, (int)q->qp, {0, 0, 0}, {0, 0, 0}};
    if (q->type == TK_QUANT_RAMPS) {
        long g = (q->per_channel ? c : 0) * q->steps;
        for (long k = 0; k < q->steps && k < 3; k++) {
            p.o[k] = q->o[g + k];
            p.a[k] = q->a[g + k];
        }
    }
    return p;
}

/* The code of v, with exactly the float arithmetic of the engine's quantizers (no contraction into
 * FMAs: pragma at the top), branch-free so that a block of pixels vectorizes: LSQ's
 * rint(clamp(v / s, 0, qp)) as the count of k in 1...qp with u > k − 0.5, a tie u = k − 0.5 counting
 * only for even k (round half to even); binary's sign; FATNN's ramps. */
ATTR_INLINE int quantize_code(tk_quant_type type, const channel_params *p, float v) {
    switch (type) {
    case TK_QUANT_LSQ: {
        float u = v / p->s;
        u = u < 0 ? 0 : u;
        u = u > p->qp ? p->qp : u;
        int code = 0;
        for (int k = 1; k <= 3; k++) {
            float t = (float)k - 0.5f;
            code += (k <= p->qpi) & ((u > t) | ((u == t) & ((k & 1) == 0)));
        }
        return code;
    }
    case TK_QUANT_SIGN:
        return v >= 0 ? 1 : -1;
    default:
        /* (v − 0)·0 = 0 (or NaN for an infinite v) is never > 0.5, so unused ramps add nothing. */
        return ((v - p->o[0]) * p->a[0] > 0.5f) + ((v - p->o[1]) * p->a[1] > 0.5f) + ((v - p->o[2]) * p->a[2] > 0.5f);
    }
}

#define TK_QUANT_PIXELS 16

/* One channel's bits of 16 pixels into their runs' words. */
ATTR_INLINE void quantize_block(tk_kind kind, tk_quant_type type, const channel_params *p, const float *src, unsigned sh,
                                uint64_t *r0, uint64_t *r1) {
    for (int j = 0; j < TK_QUANT_PIXELS; j++) {
        uint64_t b0, b1;
        code_bits(kind, quantize_code(type, p, src[j]), &b0, &b1);
        r0[j] |= b0 << sh;
        r1[j] |= b1 << sh;
    }
}

/* Where the values to quantize come from: NCHW floats (`x`), or a conv's raw Int32 output
 * (row-major channels x columns) through z = offset ± raw, the conv's output scale, BatchNorm (eval)
 * and an optional ReLU, with the engine's single-precision operations in its order. */
typedef struct {
    const float *x;
    const tk_norm_source *norm;
} value_source;

/* The values of channel c, row y, pixels x0 ..< x0 + n of image img into v (n <= 16; the rest 0). */
ATTR_INLINE void source_values(const value_source *src, long img, long c, long y, long x0, long n, long cin, long ih, long iw,
                               float *v) {
    if (src->x) {
        const float *row = src->x + (img * cin + c) * ih * iw + y * iw + x0;
        for (long j = 0; j < TK_QUANT_PIXELS; j++) v[j] = j < n ? row[j] : 0;
        return;
    }
    const tk_norm_source *ns = src->norm;
    const int32_t *row = ns->raw + c * ns->columns + img * ih * iw + y * iw + x0;
    int32_t off = ns->offsets ? ns->offsets[c] : 0, sign = ns->negate ? -1 : 1;
    float sc = ns->scales ? ns->scales[c] : 1, mm = ns->mean[c], iv = ns->inv[c], gm = ns->gamma[c], bt = ns->beta[c];
    for (long j = 0; j < TK_QUANT_PIXELS; j++) {
        float u = (float)(off + sign * (j < n ? row[j] : 0));
        if (ns->scales) u = u * sc;
        u = u - mm;
        u = u * iv;
        u = u * gm;
        u = u + bt;
        if (ns->relu) u = u > 0 ? u : 0;
        v[j] = u;
    }
}

ATTR_INLINE void quantize_runs(tk_kind kind, tk_quant_type type, const tk_code_quantizer *q, const value_source *src,
                               long img_begin, long img_end, long cin, long ih, long iw, long pad, uint64_t *p0, uint64_t *p1) {
    long pw = (cin + 63) / 64, gh = ih + 2 * pad, gw = iw + 2 * pad;
    for (long img = img_begin; img < img_end; img++) {
        uint64_t *g0 = p0 + img * gh * gw * pw, *g1 = p1 ? p1 + img * gh * gw * pw : 0;
        prepare_grid(kind, p0, p1, img, cin, ih, iw, pad, 0);   /* the interior is all written below */
        for (long y = 0; y < ih; y++) {
            for (long x0 = 0; x0 < iw; x0 += TK_QUANT_PIXELS) {
                long n = iw - x0 < TK_QUANT_PIXELS ? iw - x0 : TK_QUANT_PIXELS;
                for (long w = 0; w < pw; w++) {
                    uint64_t r0[TK_QUANT_PIXELS] = {0}, r1[TK_QUANT_PIXELS] = {0};
                    long c_end = cin < (w + 1) * 64 ? cin : (w + 1) * 64;
                    for (long c = w * 64; c < c_end; c++) {
                        float v[TK_QUANT_PIXELS];
                        source_values(src, img, c, y, x0, n, cin, ih, iw, v);
                        channel_params p = params_of(q, c);
                        quantize_block(kind, type, &p, v, (unsigned)(c & 63), r0, r1);
                    }
                    for (long j = 0; j < n; j++) {
                        long r = ((y + pad) * gw + x0 + j + pad) * pw + w;
                        g0[r] = r0[j];
                        if (g1) g1[r] = r1[j];
                    }
                }
            }
        }
    }
}

/* Every (kind, quantizer) pair specialized, so that each inner loop is branch-free; compiled once
 * portable and, on x86-64, once for AVX2 and once for AVX-512 (the same source, auto-vectorized).
 * Returns 0, or -1 for a pair that cannot go together. */
ATTR_INLINE int quantize_any(tk_kind kind, const tk_code_quantizer *q, const value_source *src, long img_begin, long img_end,
                             long cin, long ih, long iw, long pad, uint64_t *p0, uint64_t *p1) {
#define TK_QUANTIZE(K, T) quantize_runs(K, T, q, src, img_begin, img_end, cin, ih, iw, pad, p0, p1)
    tk_kind k = kind == TK_2BIT_SIGNED || kind == TK_A2 ? TK_2BIT : kind;   /* the same activation bits */
    switch (q->type) {
    case TK_QUANT_LSQ:
        if (k == TK_FATNN) TK_QUANTIZE(TK_FATNN, TK_QUANT_LSQ);
        else if (k == TK_TNN4) TK_QUANTIZE(TK_TNN4, TK_QUANT_LSQ);
        else if (k == TK_BINARY) return -1;
        else TK_QUANTIZE(TK_2BIT, TK_QUANT_LSQ);
        return 0;
    case TK_QUANT_SIGN:
        if (k != TK_BINARY) return -1;
        TK_QUANTIZE(TK_BINARY, TK_QUANT_SIGN);
        return 0;
    case TK_QUANT_RAMPS:
        if (k == TK_FATNN) TK_QUANTIZE(TK_FATNN, TK_QUANT_RAMPS);
        else if (k == TK_TNN4) TK_QUANTIZE(TK_TNN4, TK_QUANT_RAMPS);
        else if (k == TK_BINARY) return -1;
        else TK_QUANTIZE(TK_2BIT, TK_QUANT_RAMPS);
        return 0;
    }
#undef TK_QUANTIZE
    return -1;
}

static int quantize_portable(tk_kind kind, const tk_code_quantizer *q, const value_source *src, long img_begin, long img_end,
                             long cin, long ih, long iw, long pad, uint64_t *p0, uint64_t *p1) {
    return quantize_any(kind, q, src, img_begin, img_end, cin, ih, iw, pad, p0, p1);
}

#if defined(__x86_64__)
__attribute__((target("avx2"))) static int quantize_avx2(tk_kind kind, const tk_code_quantizer *q, const value_source *src,
                                                       long img_begin, long img_end, long cin, long ih, long iw, long pad,
                                                       uint64_t *p0, uint64_t *p1) {
    return quantize_any(kind, q, src, img_begin, img_end, cin, ih, iw, pad, p0, p1);
}

__attribute__((target("avx512f,avx512bw,avx512dq,avx512vl"))) static int quantize_avx512(tk_kind kind, const tk_code_quantizer *q,
                                                                                       const value_source *src, long img_begin,
                                                                                       long img_end, long cin, long ih, long iw,
                                                                                       long pad, uint64_t *p0, uint64_t *p1) {
    return quantize_any(kind, q, src, img_begin, img_end, cin, ih, iw, pad, p0, p1);
}
#endif

static int check_quantizer(tk_kind kind, const tk_code_quantizer *q) {
    if (kind < TK_FATNN || kind > TK_A2 || !q) return -1;
    if (q->type < TK_QUANT_LSQ || q->type > TK_QUANT_RAMPS) return -1;
    if (q->type == TK_QUANT_RAMPS && (q->steps <= 0 || q->steps > 3 || !q->o || !q->a)) return -1;
    if (q->type == TK_QUANT_LSQ && !(q->qp >= 1 && q->qp <= 3 && q->qp == (float)(int)q->qp && q->s > 0)) return -1;
    /* The largest code must be one the kind's activations hold. */
    long top = q->type == TK_QUANT_LSQ ? (long)q->qp : q->type == TK_QUANT_RAMPS ? q->steps : 1;
    long kind_top = kind == TK_FATNN || kind == TK_TNN4 ? 2 : kind == TK_BINARY ? 1 : 3;
    if (top > kind_top || ((kind == TK_BINARY) != (q->type == TK_QUANT_SIGN))) return -1;
    return 0;
}

static int quantize_on(tk_path path, tk_kind kind, const tk_code_quantizer *q, const value_source *src, long img_begin,
                       long img_end, long cin, long ih, long iw, long pad, uint64_t *p0, uint64_t *p1) {
#if defined(__x86_64__)
    if ((path == TK_AVX2 || path == TK_AVX512) && cin <= 64) {
        /* the vector form writes the interiors; the borders here */
        for (long img = img_begin; img < img_end; img++) prepare_grid(kind, p0, p1, img, cin, ih, iw, pad, 0);
        return tk_quantize_runs_avx2(kind, q, src->x, src->norm, img_begin, img_end, cin, ih, iw, pad, p0, p1);
    }
    if (path == TK_AVX512) return quantize_avx512(kind, q, src, img_begin, img_end, cin, ih, iw, pad, p0, p1);
    if (path == TK_AVX2) return quantize_avx2(kind, q, src, img_begin, img_end, cin, ih, iw, pad, p0, p1);
#endif
    (void)path;
    return quantize_portable(kind, q, src, img_begin, img_end, cin, ih, iw, pad, p0, p1);
}

int tk_runs_quantize_codes(tk_path path, tk_kind kind, const tk_code_quantizer *q, const float *x, long img_begin, long img_end,
                           long cin, long ih, long iw, long pad, uint64_t *p0, uint64_t *p1) {
    if (!tk_path_supported(path) || !x || cin <= 0 || ih <= 0 || iw <= 0 || pad < 0 || !p0) return -1;
    if (kind != TK_BINARY && !p1) return -1;
    if (check_quantizer(kind, q) != 0) return -1;
    value_source src = {x, 0};
    return quantize_on(path, kind, q, &src, img_begin, img_end, cin, ih, iw, pad, p0, p1);
}

int tk_norm_quantize_runs(tk_path path, tk_kind kind, const tk_code_quantizer *q, const tk_norm_source *norm, long img_begin,
                          long img_end, long cout, long oh, long ow, long pad, uint64_t *p0, uint64_t *p1) {
    if (!tk_path_supported(path) || !norm || !norm->raw || !norm->mean || !norm->inv || !norm->gamma || !norm->beta) return -1;
    if (cout <= 0 || oh <= 0 || ow <= 0 || pad < 0 || !p0 || norm->columns < img_end * oh * ow) return -1;
    if (kind != TK_BINARY && !p1) return -1;
    if (check_quantizer(kind, q) != 0) return -1;
    value_source src = {0, norm};
    return quantize_on(path, kind, q, &src, img_begin, img_end, cout, oh, ow, pad, p0, p1);
}
