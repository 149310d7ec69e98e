#ifndef FATNN_CTERNARYKERNELS_H
#define FATNN_CTERNARYKERNELS_H
/*
 * Packed inner-product kernels over bit planes (FATNN.md section 4), written as GEMMs:
 *
 *   out[m * ldc + n] = sum over k of  a(m, k) * x(k, n)      (Int32, exact)
 *
 * m: output channel (weight row); n: output pixel (activation column); k: the reduction axis,
 * packed 64 lanes per UInt64, lane i = bit i (LSB first), padded with zero lanes to kw words.
 *
 * Layouts:
 *   - weights, plane p: w_p[m * kw + k]                         (row-major, one row per channel)
 *   - activations, plane p: x_p[(nb * kw + k) * TK_BLOCK + j]   pixel n = nb * TK_BLOCK + j:
 *     pixels in blocks of TK_BLOCK, so a SIMD register holds one word of TK_BLOCK pixels. The
 *     pixel count is padded to a whole block; padded pixels are computed but never stored.
 *
 * Planes and results per kind:
 *   TK_FATNN  w0 = Mw, w1 = Sw; x0 = Mx, x1 = Sx:   out = pc(T) - 2 pc(T & (Sx ^ Sw)), T = Mx & Mw
 *             (= sum a*w - sum w; the caller adds sum w). Padded lanes need Mw = 0.
 *   TK_TNN4   w0 = Wp, w1 = Wn; x0 = A0, x1 = A1:   out = pc(A0&Wp) - pc(A0&Wn) + pc(A1&Wp) - pc(A1&Wn)
 *             Padded lanes need Wp = Wn = 0.
 *   TK_2BIT   w0 = v0, w1 = v1; x0 = u0, x1 = u1:   out = sum_{i,j} 2^(i+j) pc(u_i & v_j)
 *             (unsigned 2-bit codes). Padded lanes need v0 = v1 = 0.
 *   TK_BINARY w0 = W; x0 = X (bit 1 = -1):          out = kbits - 2 pc(X ^ W). Padded lanes need
 *             X = W = 0 (then they count as neither).
 *   TK_2BIT_SIGNED  w0 = v0, w1 = v1 (two's complement: w = v0 - 2 v1, so {-2,-1,0,1});
 *             x0 = u0, x1 = u1 (unsigned {0..3}):  out = sum u*w = A - 2B with
 *             A = pc(u0 & v0) + 2 pc(u1 & v0), B = pc(u0 & v1) + 2 pc(u1 & v1). Padded lanes need v0 = v1 = 0.
 *   TK_A2     w0 = Mw, w1 = Sw (ternary, as TK_FATNN); x0 = u0, x1 = u1 (unsigned 2-bit codes {0..3}):
 *             out = P0 + 2 P1, P_j = pc(Mw & ~(u_j ^ Sw)) (the lanes where w = +1 and bit j is 0, or
 *             w = -1 and bit j is 1), so sum u*w = 3 npos - out (npos: lanes with w = +1; the caller
 *             adds it). 2 popcounts per word, as TK_FATNN. Padded lanes need Mw = 0.
 *
 * Paths: TK_SCALAR is plain portable C (the oracle); TK_AVX2 and TK_AVX512 are compiled with
 * function-level target attributes, so a plain x86-64 build contains all of them, and
 * tk_best_path() picks one at run time from the CPU's features. On arm64, TK_NEON (NEON is part
 * of every AArch64 core) and TK_SCALAR.
 */
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Pixels per activation block (one AVX-512 register of 64-bit words, two AVX2 registers). */
#define TK_BLOCK 8

typedef enum { TK_FATNN = 0, TK_TNN4 = 1, TK_2BIT = 2, TK_BINARY = 3, TK_2BIT_SIGNED = 4, TK_A2 = 5 } tk_kind;
typedef enum { TK_SCALAR = 0, TK_AVX2 = 1, TK_AVX512 = 2, TK_NEON = 3 } tk_path;

/** 1 if this CPU (and this build) can run the path, else 0. TK_SCALAR is always 1. */
int tk_path_supported(tk_path path);

/** The fastest supported path, unless the environment variable FATNN_KERNEL_PATH
 *  (scalar, avx2, avx512, neon) asks for a supported one. */
tk_path tk_best_path(void);

/**
 * Computes out[m * ldc + n] for m in [0, m_count) and the pixels of blocks [nb_begin, nb_end)
 * that are below n_count. x0/x1 point at block 0. Returns 0, or -1 if the path is unsupported
 * or an argument is out of range (nothing is written then).
 */
int tk_gemm(tk_kind kind, tk_path path,
            const uint64_t *w0, const uint64_t *w1,
            const uint64_t *x0, const uint64_t *x1,
            int32_t *out, long ldc,
            long m_count, long n_count, long kw, long kbits,
            long nb_begin, long nb_end);


/*
 * Activation runs: the FATNN planes (M = [a != 1], S = [a = 0]) of one conv input, pixel by pixel,
 * channels innermost, already surrounded by the conv's zero padding. Plane p of image i is a grid
 * of gh x gw pixels (gh = ih + 2 pad, gw = iw + 2 pad), each pw = ceil(cin / 64) words:
 *   r_p[((i * gh + y) * gw + x) * pw + w],   lane c of the run in word c / 64, bit c % 64.
 * Border pixels hold code 0 (M = S = 1 on the cin lanes); lanes >= cin are 0.
 */

/** Runs of images [img_begin, img_end) of `x` (NCHW floats) under the FATNN ternary activation
 *  quantizer, with exactly its float arithmetic: code = [(v - o0)·a0 > 0.5] + [(v - o1)·a1 > 0.5].
 *  Parameters are per channel (per_channel = 1: cin of each) or per layer (one of each).
 *  TK_AVX512 and TK_AVX2 have vector paths for cin <= 64; every other case runs the portable loop.
 *  Returns 0, or -1 for a bad shape or an unsupported path. */
int tk_runs_quantize(tk_path path, const float *x, long img_begin, long img_end, long cin, long ih, long iw, long pad,
                     const float *o0, const float *a0, const float *o1, const float *a1, long per_channel,
                     uint64_t *m, uint64_t *s);

/** Runs of images [img_begin, img_end) from raw kernel output (row-major cout x columns, column
 *  = image * oh * ow + pixel) through folded thresholds: code = [d·r > t1] + [d·r > t2] per
 *  channel. Paths as tk_runs_quantize. Returns 0, or -1 for a bad shape or an unsupported path. */
int tk_runs_threshold(tk_path path, const int32_t *raw, long columns, long img_begin, long img_end, long cout, long oh, long ow,
                      long pad, const int32_t *dir, const int32_t *t1, const int32_t *t2, uint64_t *m, uint64_t *s);

/** Writes only the border pixels (code 0) of the run grids of images [img_begin, img_end).
 *  Returns 0, or -1 for a bad shape. */
int tk_runs_border(uint64_t *m, uint64_t *s, long img_begin, long img_end, long cin, long ih, long iw, long pad);

/** A ternary kernel (as tk_gemm with `kind` TK_FATNN or TK_TNN4) with folded thresholds as its
 *  epilogue: instead of raw outputs r, the interior pixels of the next conv's FATNN runs (M, S;
 *  grids of (oh + 2 pad) x (ow + 2 pad), one word per pixel) get code = [d·r > t1] + [d·r > t2]
 *  of each channel, for the columns of blocks [nb_begin, nb_end). Borders are the caller's
 *  (tk_runs_border). AVX-512 and AVX2 only, m_count <= 64. Returns 0, or -1 for another path or kind, an
 *  unsupported CPU or a bad shape. */
int tk_gemm_threshold(tk_path path, tk_kind kind, const uint64_t *w0, const uint64_t *w1, const uint64_t *x0, const uint64_t *x1,
                      long m_count, long n_count, long kw, long nb_begin, long nb_end,
                      const int32_t *dir, const int32_t *t1, const int32_t *t2,
                      long images, long oh, long ow, long pad, uint64_t *m, uint64_t *s);

/** The window columns of a conv (lanes (ky, kx, c), channels innermost; column n = image * oh * ow
 *  + pixel, in the block layout of tk_gemm with `kw` words per column) of
 *  column blocks [nb_begin, nb_end) of `images` images, from their runs (grids of gh x gw pixels
 *  that include the conv's padding). Every word of those blocks is written (columns past the
 *  end get zeros), so the planes need no clearing beforehand. TK_AVX512 and TK_AVX2 have vector paths when cin divides 64. Returns 0, or -1 if kw is too
 *  small, the windows leave the grid, the block range is out of range or the path unsupported. */
int tk_runs_pack(tk_path path, const uint64_t *m, const uint64_t *s, long nb_begin, long nb_end, long images, long cin,
                 long gh, long gw, long kernel, long stride, long oh, long ow, long kw, uint64_t *x0, uint64_t *x1);

/** Runs (grids padded by `pad`, as above) of images [img_begin, img_end) of `codes` (NCHW, one signed
 *  byte per code) in the activation encoding of `kind`: TK_FATNN M, S; TK_TNN4 thermometer A0, A1;
 *  TK_2BIT, TK_2BIT_SIGNED and TK_A2 the unsigned code's bits 0 and 1; TK_BINARY X = [x = -1] in p0
 *  (p1, which may be NULL for binary alone, is then zeroed). Border pixels get the code of a zero input: 0, or
 *  +1 for binary. Portable only. Returns 0, or -1 for a bad shape or a code outside the kind's set. */
int tk_runs_encode(tk_kind kind, const int8_t *codes, long img_begin, long img_end, long cin, long ih, long iw, long pad,
                   uint64_t *p0, uint64_t *p1);

/** The codes (NCHW, signed bytes) held by runs in `kind`'s encoding, without their padding.
 *  Returns 0, or -1 for a bad shape. */
int tk_runs_decode(tk_kind kind, const uint64_t *p0, const uint64_t *p1, long img_begin, long img_end, long cin, long ih,
                   long iw, long pad, int8_t *codes);

/** FATNN runs (M, S) of `pixels` pixels (borders included) as thermometer runs (A0 = [a >= 1],
 *  A1 = [a >= 2]) for the 4-popcount kernel; lanes >= cin stay 0. Returns 0, or -1 for a bad shape. */
int tk_runs_thermometer(const uint64_t *m, const uint64_t *s, long pixels, long cin, uint64_t *a0, uint64_t *a1);

/** An activation quantizer, for tk_runs_quantize_codes: TK_QUANT_LSQ code = rint(clamp(x / s, 0, qp))
 *  (LSQ, round half to even); TK_QUANT_SIGN code = x >= 0 ? +1 : -1 (binary); TK_QUANT_RAMPS
 *  code = #{k < steps : (x - o[g·steps + k])·a[g·steps + k] > 0.5} (FATNN's ramps, steps <= 3; g the
 *  channel when per_channel, else 0). */
typedef enum { TK_QUANT_LSQ = 0, TK_QUANT_SIGN = 1, TK_QUANT_RAMPS = 2 } tk_quant_type;
typedef struct {
    tk_quant_type type;
    long steps, per_channel;
    const float *o, *a;
    float s, qp;
} tk_code_quantizer;

/** Runs of images [img_begin, img_end) of `x` (NCHW floats) under quantizer `q`, in `kind`'s
 *  encoding (as tk_runs_encode, borders included): the codes the engine's quantizer gives, with its
 *  float arithmetic, written 64 channels of 16 pixels at a time; one source, compiled portable and,
 *  on x86-64, for AVX2 and AVX-512 (by `path`). LSQ takes qp in 1...3. Returns 0, or -1 for a bad
 *  shape or quantizer, or an unsupported path. */
int tk_runs_quantize_codes(tk_path path, tk_kind kind, const tk_code_quantizer *q, const float *x, long img_begin, long img_end, long cin,
                           long ih, long iw, long pad, uint64_t *p0, uint64_t *p1);

/** A quantized conv's raw output (row-major channels x columns, column = image * plane + pixel) as
 *  the values its BatchNorm (eval) and optional ReLU give: z = offsets[m] + raw (or offsets[m] - raw
 *  with `negate`; offsets may be NULL for 0), times scales[m] when `scales` is not NULL, then
 *  ((z - mean)·inv)·gamma + beta, then, with `relu`, v > 0 ? v : 0: the engine's operations in its
 *  order. */
typedef struct {
    const int32_t *raw;
    long columns;
    const int32_t *offsets;
    int negate;
    const float *scales, *mean, *inv, *gamma, *beta;
    int relu;
} tk_norm_source;

/** tk_runs_quantize_codes on the values of `norm` (the next conv's input, cout channels of oh x ow,
 *  runs padded by `pad`) instead of floats in memory: conv → BatchNorm → [ReLU] → quantizer in one
 *  pass, no float tensor written. Returns 0, or -1 for a bad shape or quantizer. */
int tk_norm_quantize_runs(tk_path path, tk_kind kind, const tk_code_quantizer *q, const tk_norm_source *norm, long img_begin,
                          long img_end, long cout, long oh, long ow, long pad, uint64_t *p0, uint64_t *p1);

/** The float tail of a packed residual block, for images [img_begin, img_end): from raw kernel
 *  output (row-major cout x columns, column = image * plane + pixel) to NCHW floats
 *      z = (float)(raw + sums[m]), times scales[m] when `scales` is not NULL (a quantized conv's
 *      output scale, rounded on its own), then y = (z - mean[m]) * inv[m] * gamma[m] + beta[m]
 *  (BatchNorm, eval), then, with `residual` (NCHW, or NULL), y + residual and, if `relu`, y > 0 ? y : 0: the
 *  engine's own single-precision operations in its order (no contraction into FMAs).
 *  Returns 0, or -1 for a bad shape, relu without residual, or an unsupported path. */
int tk_norm_join(tk_path path, const int32_t *raw, long columns, long img_begin, long img_end, long cout, long plane,
                 const int32_t *sums, const float *scales, const float *mean, const float *inv, const float *gamma, const float *beta,
                 const float *residual, int relu, float *y);

/** A FATNN ternary activation quantizer and the runs it writes (see tk_runs_quantize): ramp
 *  parameters per channel (per_channel = 1) or one each, and the grids (padded by `pad`). */
typedef struct {
    const float *o0, *a0, *o1, *a1;
    long per_channel, pad;
    uint64_t *m, *s;
} tk_quant_target;

/** tk_norm_join (output plane oh x ow) whose every output value also goes through up to two
 *  quantizers into their runs, with the arithmetic of tk_runs_quantize: the next residual
 *  block's inputs without a second pass. AVX-512 and AVX2 only, cout <= 64, target_count <= 2.
 *  Returns 0, or -1 for another path, an unsupported CPU, a bad shape or no scratch memory (AVX2). */
int tk_norm_join_runs(tk_path path, const int32_t *raw, long columns, long img_begin, long img_end, long cout, long oh,
                      long ow, const int32_t *sums, const float *mean, const float *inv, const float *gamma,
                      const float *beta, const float *residual, int relu, float *y,
                      const tk_quant_target *targets, long target_count);

/** The core clock in Hz, estimated by timing a chain of dependent integer adds (one cycle
 *  each on every x86-64 and arm64 core) for about `seconds`. */
double tk_measure_clock_hz(double seconds);

#ifdef __cplusplus
}
#endif
#endif
