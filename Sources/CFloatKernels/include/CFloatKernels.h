#ifndef FATNN_CFLOATKERNELS_H
#define FATNN_CFLOATKERNELS_H
/*
 * Direct convolution kernels for the float engine (training and float evaluation).
 *
 * Conv2d's wide-row layout (Conv2d+WideRows.swift) makes what kernel tap t sees of every input
 * channel k one contiguous run x[k*ldx + off[t] + p] over the output positions p. A convolution
 * is then a sum of strided products, which these kernels compute without copying (packing) the
 * image operand, with all taps accumulated in registers:
 *
 *   fk_conv_taps:        y[r*ldy + p]  (+)=  sum_t sum_k A_t[r][k] * x[k*ldx + off[t] + p]
 *   fk_conv_weight_grad: dw[(t*rows + r)*depth + k]  +=  sum_i sum_p dy_i[r*ldy + p] * x_i[k*ldx + off[t] + p]
 *
 * for r < rows, k < depth, t < taps, p < n, and images i < images (x_i = x + i*ximage, dy_i = dy +
 * i*dyimage: small maps sum several images per register block). The forward pass is fk_conv_taps with A = the weights
 * (rows = output channels, depth = input channels); the input gradient is fk_conv_taps once per
 * tap with A = that tap's weights transposed, x = the output gradient, y = the padded input
 * gradient shifted by the tap's offset, accumulating; the weight gradient is fk_conv_weight_grad.
 *
 * A is given packed (fk_pack_rows): rows in blocks of FK_ROWS, each block [t][k][row], so the
 * kernel reads its weights in order. Offsets may be any values that keep every access inside
 * the caller's buffers. Sums run in float; the order differs between the portable path and the
 * vector ones (results agree to rounding, not bit for bit: float training is not bit-exact across
 * paths, packed inference is).
 *
 * Paths: FK_SCALAR is plain portable C (the oracle); FK_AVX2 (AVX2 + FMA, 16 positions x 6 rows
 * of registers) and FK_AVX512 (AVX-512F, 32 x 6) are one source (vector_kernels.h) compiled with
 * function-level target attributes, chosen at run time (FK_AVX512 by default for fk_conv_taps
 * only: fk_best_taps_path). fk_conv_taps gives the same bits on FK_AVX2 and FK_AVX512 (each output
 * lane sums its taps and depth steps in the same order with fused multiply-adds).
 */
#ifdef __cplusplus
extern "C" {
#endif

/** Rows of A per register block (the packing's block height). */
#define FK_ROWS 6

typedef enum { FK_SCALAR = 0, FK_AVX2 = 1, FK_AVX512 = 2 } fk_path;

/** 1 if this CPU can run the path, else 0. FK_SCALAR is always 1. */
int fk_path_supported(fk_path path);

/** FK_AVX2 where supported (also on AVX-512 CPUs: see dispatch.c), else FK_SCALAR, unless
 *  FATNN_FLOAT_PATH (scalar, avx2, avx512) asks for a supported one. */
fk_path fk_best_path(void);

/** The path for fk_conv_taps: FK_AVX512 on AMD CPUs that have AVX-512F (Zen 4 and later), else
 *  fk_best_path(); whenever FATNN_FLOAT_PATH is set, fk_best_path() (the same path for every
 *  kernel). On a Zen 4 the AVX-512 tap kernel took 12% fewer cycles than the AVX2 one in
 *  resnet20's training (Winograd products and direct convolutions alike), with the same bits;
 *  the weight-gradient kernel stays on fk_best_path() (on AVX-512 it took 10-20% more: its
 *  horizontal sums). Intel's AVX-512 parts, whose 512-bit instructions can lower the core's
 *  clock for everything else it runs, are unmeasured and keep AVX2. */
fk_path fk_best_taps_path(void);

/**
 * Packs A_t[r][k] = a[t*tstride + r*rstride + k*kstride] (t < taps, r < rows, k < depth) into
 * out, rows*depth*taps floats: the rows in blocks of FK_ROWS (the last one shorter), block b of
 * height h at out + b*FK_ROWS*taps*depth, as [t][k][h].
 */
void fk_pack_rows(const float *a, long rows, long depth, long taps, long tstride, long rstride, long kstride, float *out);

/** The tap product above with A packed by fk_pack_rows; accumulate = 0 overwrites y.
 *  Returns 0, or -1 for an unsupported path or invalid sizes. */
int fk_conv_taps(fk_path path, const float *x, long ldx, long depth, const long *off, long taps,
                 const float *packed, long rows, float *y, long ldy, long n, int accumulate);

/** The weight gradient above over `images` images, added onto dw (layout [t][r][k]). Returns 0, or -1. */
int fk_conv_weight_grad(fk_path path, const float *x, long ldx, long depth, const long *off, long taps,
                        const float *dy, long ldy, long rows, float *dw, long n, long images, long ximage, long dyimage);

/** BatchNorm's reductions over a run of `count` floats (reductions.c: a fixed order of additions,
 *  the same bits on every CPU): Σ x; Σ (x - mean)²; and Σ g' and Σ g'·((x - center)·scale) where
 *  g' is g, or 0 where mask (a fused ReLU's output; NULL for none) is not positive. */
float fk_sum(const float *x, long count);
float fk_sum_squared_deviations(const float *x, long count, float mean);
void fk_sum_and_dot(const float *g, const float *x, long count, float center, float scale, const float *mask, float *sum,
                    float *dot);

/** The FATNN activation quantizer's two ramps (ternary_activation.c: fixed order, the same bits on
 *  every CPU): y = [(x - o0)·a0 > 0.5] + [(x - o1)·a1 > 0.5]; and backward, with rk = [0 ≤ (x - ok)·ak
 *  ≤ 1], dx = g·(a0·r0 + a1·r1), sum0 = Σ g·(r0·(x - o0) + r1·a1/a0²), sum1 = Σ g·r1·(x - o1). */
void fk_ternary_activation_forward(const float *x, float *y, long count, float o0, float a0, float o1, float a1);
void fk_ternary_activation_backward(const float *x, const float *g, float *dx, long count, float o0, float a0, float o1,
                                    float a1, float *sum0, float *sum1);

/** Moves a CHW image (channels x height x width) into a buffer of planes `plane` apart, value
 *  (c, y, x) to buffer[c*plane + rows[y] + columns[x]] (into_buffer), or back out of it. The
 *  positions must be distinct and the two must not overlap. */
void fk_copy_indexed(float *image, float *buffer, long channels, long height, long width, long plane, const long *rows,
                     const long *columns, int into_buffer);

/** Copies `planes` x `rows` rows of `width` floats: row r of plane c from src + c*src_plane +
 *  r*src_row to dst + c*dst_plane + r*dst_row. The rows must not overlap. */
void fk_copy_rows(const float *src, long src_plane, long src_row, float *dst, long dst_plane, long dst_row,
                  long planes, long rows, long width);

/** BatchNorm's training input gradient for one image of `channels` planes of `rows` x `width`
 *  values (dy, x and keep read densely: channel c at c*rows*width):
 *  dst[c*dst_plane + r*dst_row + i] = k[c]*(count*g - a[c] - (x - mean[c])*inv[c]*b[c]), where g
 *  is dy, or 0 where keep (a fused ReLU's output; NULL for none) is not positive. Evaluated in
 *  that order without fused multiply-adds. The rows of dst must not overlap the inputs. */
void fk_batchnorm_input_grad(const float *dy, const float *x, const float *keep, long channels, long rows, long width,
                             const float *k, const float *a, const float *b, const float *mean, const float *inv,
                             float count, float *dst, long dst_plane, long dst_row);

/** BatchNorm's normalization in evaluation (a convolution's epilogue): row r of channel c,
 *  `width` values, from src + c*src_plane + r*src_row to dst + c*dst_plane + r*dst_row as
 *  (v - mean[c])*inv[c]*gamma[c] + beta[c], then max(0, ·) when relu (0 for NaN), evaluated in
 *  that order without fused multiply-adds. src may equal dst (same strides); else no overlap. */
void fk_batchnorm_rows(const float *src, long src_plane, long src_row, float *dst, long dst_plane, long dst_row,
                       long channels, long rows, long width, const float *mean, const float *inv, const float *gamma,
                       const float *beta, int relu);

/* Winograd F(2x2, 3x3) for 3x3 stride-1 convolutions with padding 1 (winograd.c): an image of
 * height x width is covered by tiles_h x tiles_w tiles of 2x2 outputs (tiles_h = ceil(height/2)). */

/** The 16 transformed weight matrices: u[(ξ·cout + o)·cin + c] = (G g G^T)[ξ] for the 3x3 kernel
 *  g[ky][kx] = w[o*ostride + c*cstride + 3·ky + kx], or w[… + 8 - (3·ky + kx)] when flip (the
 *  rotated kernel of the input gradient). */
void fk_winograd_weights(const float *w, long cout, long cin, long ostride, long cstride, int flip, float *u);

/** An image (row y of channel c at x + c*plane + y*row_stride, `width` values) into the
 *  zero-padded, column-split layout that fk_winograd_input reads: channels x (2·tiles_h + 2) x
 *  2·(tiles_w + 1) floats. */
void fk_winograd_split(fk_path path, const float *x, long plane, long row_stride, long channels, long height, long width, long tiles_h,
                                long tiles_w, float *p);

/** The input transform of every tile: v[ξ·xi_stride + c·ldv + ty·tiles_w + tx] = (B^T d B)[ξ].
 *  This and fk_winograd_split run the portable loops on every path (the reference the vector
 *  transform, fk_winograd_image, is checked against). */
void fk_winograd_input(fk_path path, const float *p, long channels, long tiles_h, long tiles_w, float *v, long ldv, long xi_stride);

/** fk_winograd_split then fk_winograd_input, without the split layout where the path can (the AVX2
 *  transform reads the image's rows in place for rows of 4 or more tiles; `scratch`, the split
 *  layout's size, is used otherwise). The same bits on every path as the two calls. */
void fk_winograd_image(fk_path path, const float *x, long plane, long row_stride, long channels, long height, long width, long tiles_h,
                       long tiles_w, float *scratch, float *v, long ldv, long xi_stride);

/** The output transform: t[o·plane + r·row + x] for r < 2·tiles_h, x < 2·tiles_w (the tiles'
 *  outputs, one row and column past the image for odd sizes) from the products
 *  m[ξ·xi_stride + o·ldm + ty·tiles_w + tx], A^T m A per tile. An even map's outputs can so go
 *  straight into place (plane = height·width, row = width). */
void fk_winograd_output(fk_path path, const float *m, long ldm, long xi_stride, long channels, long tiles_h, long tiles_w, float *t,
                        long plane, long row);

/** The output gradient's transform for the weight gradient: w[ξ·xi_stride + c·ldw + ty·tiles_w + tx]
 *  = ±(A dY A^T)[ξ] for the 2x2 block of rows 2ty, 2ty+1 and columns 2tx, 2tx+1 (row y of channel
 *  c at dy + c*plane + y*row_stride), with the positions in FK_WG_NEGATED negated. It reads rows
 *  0..2·tiles_h-1 and columns 0..2·tiles_w-1: for an odd map, the row and column past it, which
 *  must hold zeros (the weight gradient's sums then get nothing from them). */
void fk_winograd_gradient(fk_path path, const float *dy, long plane, long row_stride, long channels, long tiles_h, long tiles_w, float *w,
                          long ldw, long xi_stride);

/** Positions ξ (bits) whose fk_winograd_gradient values are stored negated. */
#define FK_WG_NEGATED 0x7888 /* 3, 7, 11, 12, 13 and 14 */

/** The weight gradient from the 16 sums m[(ξ·cout + o)·cin + c] = sum over tiles of
 *  fk_winograd_gradient's position ξ of channel o times fk_winograd_input's of channel c:
 *  adds G^T m G (3x3, signs restored) onto dw[(t·cout + o)·cin + c], t = 3·ky + kx (the tap layout). */
void fk_winograd_weight_grad(const float *m, long cout, long cin, float *dw);

/* Winograd F(4x4, 3x3) (winograd4.c): tiles of 4x4 outputs from 6x6 patches, 36 positions ξ. The
 * same calls as F(2x2, 3x3)'s with 36 positions for 16, and tiles_h = ceil(height/4), tiles_w =
 * ceil(width seen/4) exactly (the AVX2 transforms size their planes from them). */

/** u[(ξ·cout + o)·cin + c] = (G g G^T)[ξ], ξ < 36, g as in fk_winograd_weights. */
void fk_winograd4_weights(const float *w, long cout, long cin, long ostride, long cstride, int flip, float *u);

/** The floats fk_winograd4_image's and fk_winograd4_gradient's scratch must hold. */
long fk_winograd4_scratch(long channels, long tiles_h, long tiles_w);

/** The input transform of every tile, v[ξ·xi_stride + c·ldv + ty·tiles_w + tx] = (B^T d B)[ξ], of
 *  an image (row y of channel c at x + c*plane + y*row_stride, height x width), or with x2 of two
 *  images side by side with one zero column between them (x2 at the same strides; width seen
 *  2·width + 1: for small maps, whose rows alone hold too few 4x4 tiles; the column is both
 *  images' padding), through `scratch` of fk_winograd4_scratch floats: the split layout on the
 *  portable path, one zero-padded channel plane at a time on AVX2 (rows of 4 or more tiles). The
 *  AVX2 path stores 8 tile slots at a time: on rows of fewer than 8 tiles up to 4 slots past a
 *  row's last, which must exist after each channel's last (the next slots of the same channel are
 *  overwritten when written in order). */
void fk_winograd4_image(fk_path path, const float *x, const float *x2, long plane, long row_stride, long channels, long height, long width,
                        long tiles_h, long tiles_w, float *scratch, float *v, long ldv, long xi_stride);

/** The output transform: t[o·plane + r·row + x] for r < height, x < width (at most 4·tiles_h and
 *  4·tiles_w; nothing else is written) from the products m[ξ·xi_stride + o·ldm + ty·tiles_w + tx]:
 *  a map's outputs go straight into place. */
void fk_winograd4_output(fk_path path, const float *m, long ldm, long xi_stride, long channels, long tiles_h, long tiles_w, float *t,
                         long plane, long row, long height, long width);

/** The weight gradient's transform of the output gradient (F(3x3, 4x4)): w[ξ·xi_stride + c·ldw +
 *  ty·tiles_w + tx] = (A dY A^T)[ξ] for the 4x4 block at rows 4ty.., columns 4tx.. (row y of
 *  channel c at dy + c*plane + y*row_stride; zeros past height x width; with dy2, two gradients
 *  side by side as in fk_winograd4_image), through `scratch` of fk_winograd4_scratch floats; it
 *  stores past a row's last slot as fk_winograd4_image does. */
void fk_winograd4_gradient(fk_path path, const float *dy, const float *dy2, long plane, long row_stride, long channels, long height,
                           long width, long tiles_h, long tiles_w, float *scratch, float *w, long ldw, long xi_stride);

/** Adds G^T m G (3x3) onto dw[(t·cout + o)·cin + c] from the 36 sums m[(ξ·cout + o)·cin + c] of
 *  fk_winograd4_gradient's position ξ of channel o times fk_winograd4_image's of channel c. */
void fk_winograd4_weight_grad(const float *m, long cout, long cin, float *dw);

/* FK_AVX2 and FK_AVX512 run the Winograd transforms' AVX2 versions (both tile sizes), which give
 * the portable versions' bits (the products on fk_conv_taps do not: the portable path sums in
 * another order than the vector ones). */

#ifdef __cplusplus
}
#endif
#endif
