/* The vector kernels, written once over a vector type of FK_LANES floats. Included by avx2.c and
 * avx512.c after they define: fk_vec, fk_mask, FK_LANES, FK_ATTR (target + always_inline),
 * FK_TARGET_ATTR (target only), FK_NAME(base), and the helpers vzero, vload, vload_masked,
 * vstore, vstore_masked, vbroadcast, vfma, mask_all, mask_below, vsum, vsum4_add.
 *
 * fk_conv_taps: blocks of 2·FK_LANES positions (two registers; then one, then a masked one) by
 * up to FK_ROWS rows, 12 accumulators, every tap and depth step summed in registers before one
 * store; the image operand is read in place (no packing), the weights as packed.
 * fk_conv_weight_grad: blocks of 3 rows by 4 depth steps (or, for 1-3 input channels, 4 taps),
 * FK_LANES positions per step, over `images` images, the four sums of a row reduced together. A last partial register uses masked
 * loads and stores, so nothing outside [0, n) is touched. */
#define UNROLL _Pragma("GCC unroll 8")

FK_ATTR fk_vec load(const float *p, int masked, fk_mask m) { return masked ? vload_masked(p, m) : vload(p); }

FK_ATTR void store(float *p, fk_vec v, int masked, fk_mask m) {
    if (masked) vstore_masked(p, v, m); else vstore(p, v);
}

/* Rows [0, h) of one block of FK_LANES·v positions (v = 1 or 2) at p0; w is the packed block ([t][k][h]). */
FK_ATTR void taps_block(const int h, const int v, const int masked, fk_mask m0, fk_mask m1, const float *x, long ldx,
                        long depth, const long *off, long taps, const float *w, float *y, long ldy, long p0, int accumulate) {
    fk_vec c[FK_ROWS][2];
    UNROLL for (int r = 0; r < h; r++) {
        c[r][0] = accumulate ? load(y + r * ldy + p0, masked, m0) : vzero();
        if (v == 2) c[r][1] = accumulate ? load(y + r * ldy + p0 + FK_LANES, masked, m1) : vzero();
    }
    for (long t = 0; t < taps; t++) {
        const float *xs = x + off[t] + p0;
        for (long k = 0; k < depth; k++, w += h) {
            fk_vec b0 = load(xs + k * ldx, masked, m0), b1 = v == 2 ? load(xs + k * ldx + FK_LANES, masked, m1) : b0;
            UNROLL for (int r = 0; r < h; r++) {
                fk_vec a = vbroadcast(w + r);
                c[r][0] = vfma(a, b0, c[r][0]);
                if (v == 2) c[r][1] = vfma(a, b1, c[r][1]);
            }
        }
    }
    UNROLL for (int r = 0; r < h; r++) {
        store(y + r * ldy + p0, c[r][0], masked, m0);
        if (v == 2) store(y + r * ldy + p0 + FK_LANES, c[r][1], masked, m1);
    }
}

/* Every row block of A for the positions at p0: v registers wide, masked or not. */
#define TAPS_ROWS(V, MASKED)                                                                                      \
    for (long r0 = 0; r0 < rows; r0 += FK_ROWS) {                                                                 \
        const float *w = packed + r0 * taps * depth;                                                              \
        float *yr = y + r0 * ldy;                                                                                 \
        switch (fk_block_height(rows, r0)) {                                                                      \
        case 6: taps_block(6, V, MASKED, m0, m1, x, ldx, depth, off, taps, w, yr, ldy, p0, accumulate); break;    \
        case 5: taps_block(5, V, MASKED, m0, m1, x, ldx, depth, off, taps, w, yr, ldy, p0, accumulate); break;    \
        case 4: taps_block(4, V, MASKED, m0, m1, x, ldx, depth, off, taps, w, yr, ldy, p0, accumulate); break;    \
        case 3: taps_block(3, V, MASKED, m0, m1, x, ldx, depth, off, taps, w, yr, ldy, p0, accumulate); break;    \
        case 2: taps_block(2, V, MASKED, m0, m1, x, ldx, depth, off, taps, w, yr, ldy, p0, accumulate); break;    \
        default: taps_block(1, V, MASKED, m0, m1, x, ldx, depth, off, taps, w, yr, ldy, p0, accumulate); break;   \
        }                                                                                                         \
    }

FK_TARGET_ATTR
void FK_NAME(fk_conv_taps)(const float *x, long ldx, long depth, const long *off, long taps,
                           const float *packed, long rows, float *y, long ldy, long n, int accumulate) {
    long full = n / (2 * FK_LANES) * (2 * FK_LANES), p0 = 0;
    fk_mask m0 = mask_all(), m1 = m0;
    for (; p0 < full; p0 += 2 * FK_LANES) { TAPS_ROWS(2, 0) }
    if (n - p0 >= FK_LANES) {  /* a whole register left */
        TAPS_ROWS(1, 0)
        p0 += FK_LANES;
    }
    if (p0 < n) {  /* fewer than FK_LANES positions left */
        m0 = mask_below(n - p0);
        TAPS_ROWS(1, 1)
    }
}

/* d[i*drow + j*dstep] += sum_im sum_p dy_im[i*ldy + p] x_im[col_j + p] for i < rb, j < kb: a block
 * of rows by kb columns. The columns are input channels of one tap (by_taps = 0: col_j = j*xstep,
 * dstep = 1) or, for 1-3 input channels as in a network's first convolution, taps of one channel
 * (by_taps = 1: col_j = toff[j], dstep = rows*depth). */
FK_ATTR void grad_block(const int rb, const int kb, const int by_taps, const float *x, long xstep, const long *toff,
                        const float *dy, long ldy, float *d, long drow, long dstep, long n, long images, long ximage,
                        long dyimage) {
    fk_vec c[3][4];
    long col[4];
    UNROLL for (int j = 0; j < kb; j++) col[j] = by_taps ? toff[j] : j * xstep;
    UNROLL for (int i = 0; i < rb; i++) UNROLL for (int j = 0; j < kb; j++) c[i][j] = vzero();
    for (long im = 0; im < images; im++, x += ximage, dy += dyimage) {
        long p = 0;
        for (; p + FK_LANES <= n; p += FK_LANES) {
            fk_vec a[3];  /* the rows held, the columns streamed: 12 + 3 + 1 registers */
            UNROLL for (int i = 0; i < rb; i++) a[i] = vload(dy + i * ldy + p);
            UNROLL for (int j = 0; j < kb; j++) {
                fk_vec b = vload(x + col[j] + p);
                UNROLL for (int i = 0; i < rb; i++) c[i][j] = vfma(a[i], b, c[i][j]);
            }
        }
        if (p < n) {
            fk_mask m = mask_below(n - p);
            fk_vec a[3];
            UNROLL for (int i = 0; i < rb; i++) a[i] = vload_masked(dy + i * ldy + p, m);
            UNROLL for (int j = 0; j < kb; j++) {
                fk_vec b = vload_masked(x + col[j] + p, m);
                UNROLL for (int i = 0; i < rb; i++) c[i][j] = vfma(a[i], b, c[i][j]);
            }
        }
    }
    UNROLL for (int i = 0; i < rb; i++) {
        float *di = d + i * drow;
        if (kb == 4 && !by_taps) {
            vsum4_add(di, c[i][0], c[i][1], c[i][2], c[i][3]);
        } else {
            UNROLL for (int j = 0; j < kb; j++) di[j * dstep] += vsum(c[i][j]);
        }
    }
}

#define GRAD_COLUMNS(RB, BY_TAPS)                                                                                  \
    switch (kb) {                                                                                                  \
    case 4: grad_block(RB, 4, BY_TAPS, xb, ldx, toff, g, ldy, d, depth, dstep, n, images, ximage, dyimage); break;  \
    case 3: grad_block(RB, 3, BY_TAPS, xb, ldx, toff, g, ldy, d, depth, dstep, n, images, ximage, dyimage); break;  \
    case 2: grad_block(RB, 2, BY_TAPS, xb, ldx, toff, g, ldy, d, depth, dstep, n, images, ximage, dyimage); break;  \
    default: grad_block(RB, 1, BY_TAPS, xb, ldx, toff, g, ldy, d, depth, dstep, n, images, ximage, dyimage); break; \
    }

#define GRAD_BLOCK(BY_TAPS)                                                                                        \
    switch (rb) {                                                                                                  \
    case 3: GRAD_COLUMNS(3, BY_TAPS) break;                                                                        \
    case 2: GRAD_COLUMNS(2, BY_TAPS) break;                                                                        \
    default: GRAD_COLUMNS(1, BY_TAPS) break;                                                                       \
    }

FK_TARGET_ATTR
void FK_NAME(fk_conv_weight_grad)(const float *x, long ldx, long depth, const long *off, long taps,
                                  const float *dy, long ldy, long rows, float *dw, long n, long images, long ximage, long dyimage) {
    for (long r0 = 0; r0 < rows; r0 += 3) {
        long rb = rows - r0 < 3 ? rows - r0 : 3;
        const float *g = dy + r0 * ldy;
        if (depth < 4) {
            /* Few input channels: blocks of 4 taps of one channel (12 accumulators, not 3-9). */
            const long dstep = rows * depth;
            for (long k = 0; k < depth; k++)
                for (long t0 = 0; t0 < taps; t0 += 4) {
                    long kb = taps - t0 < 4 ? taps - t0 : 4;
                    const float *xb = x + k * ldx;
                    const long *toff = off + t0;
                    float *d = dw + (t0 * rows + r0) * depth + k;
                    GRAD_BLOCK(1)
                }
            continue;
        }
        /* Taps innermost: a block's 3 gradient rows and 4 image rows (of every image) are read once
         * per tap while they are still in L1, instead of streaming from L2 once per tap. */
        const long dstep = 1;
        const long *toff = off;
        for (long k0 = 0; k0 < depth; k0 += 4) {
            long kb = depth - k0 < 4 ? depth - k0 : 4;
            for (long t = 0; t < taps; t++) {
                const float *xb = x + k0 * ldx + off[t];
                float *d = dw + (t * rows + r0) * depth + k0;
                GRAD_BLOCK(0)
            }
        }
    }
}
