/* The AVX2 + FMA path. fk_conv_taps: blocks of 16 positions (two registers; then one, then a masked one) by up to FK_ROWS
 * rows, 12 accumulators, every tap and depth step summed in registers before one store; the
 * image operand is read in place (no packing), the weights as packed. fk_conv_weight_grad:
 * blocks of 3 rows by 4 depth steps, 8 positions per step, the four sums of a row reduced together. A last
 * partial register uses masked loads and stores, so nothing outside [0, n) is touched. */
#if defined(__x86_64__)
#include "internal.h"
#include <immintrin.h>

#define FK_ATTR __attribute__((target("avx2,fma"), always_inline)) static inline
#define UNROLL _Pragma("GCC unroll 8")

FK_ATTR __m256i lanes_below(long m) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)m), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

FK_ATTR __m256 load(const float *p, int masked, __m256i m) {
    return masked ? _mm256_maskload_ps(p, m) : _mm256_loadu_ps(p);
}

FK_ATTR void store(float *p, __m256 v, int masked, __m256i m) {
    if (masked) _mm256_maskstore_ps(p, m, v); else _mm256_storeu_ps(p, v);
}

/* Rows [0, h) of one block of 8·v positions (v = 1 or 2) at p0; w is the packed block ([t][k][h]). */
FK_ATTR void taps_block(const int h, const int v, const int masked, __m256i m0, __m256i m1, const float *x, long ldx,
                        long depth, const long *off, long taps, const float *w, float *y, long ldy, long p0, int accumulate) {
    __m256 c[FK_ROWS][2];
    UNROLL for (int r = 0; r < h; r++) {
        c[r][0] = accumulate ? load(y + r * ldy + p0, masked, m0) : _mm256_setzero_ps();
        if (v == 2) c[r][1] = accumulate ? load(y + r * ldy + p0 + 8, masked, m1) : _mm256_setzero_ps();
    }
    for (long t = 0; t < taps; t++) {
        const float *xs = x + off[t] + p0;
        for (long k = 0; k < depth; k++, w += h) {
            __m256 b0 = load(xs + k * ldx, masked, m0), b1 = v == 2 ? load(xs + k * ldx + 8, masked, m1) : b0;
            UNROLL for (int r = 0; r < h; r++) {
                __m256 a = _mm256_broadcast_ss(w + r);
                c[r][0] = _mm256_fmadd_ps(a, b0, c[r][0]);
                if (v == 2) c[r][1] = _mm256_fmadd_ps(a, b1, c[r][1]);
            }
        }
    }
    UNROLL for (int r = 0; r < h; r++) {
        store(y + r * ldy + p0, c[r][0], masked, m0);
        if (v == 2) store(y + r * ldy + p0 + 8, c[r][1], masked, m1);
    }
}

/* Every row block of A for the positions at p0: v registers wide, masked or not. */
#define TAPS_ROWS(V, MASKED)                                                                                      \
    for (long r0 = 0; r0 < rows; r0 += FK_ROWS) {                                                                 \
        const float *w = packed + r0 * taps * depth;                                                              \
        float *yr = y + r0 * ldy;                                                                                 \
        switch (rows - r0 < FK_ROWS ? rows - r0 : FK_ROWS) {                                                      \
        case 6: taps_block(6, V, MASKED, m0, m1, x, ldx, depth, off, taps, w, yr, ldy, p0, accumulate); break;    \
        case 5: taps_block(5, V, MASKED, m0, m1, x, ldx, depth, off, taps, w, yr, ldy, p0, accumulate); break;    \
        case 4: taps_block(4, V, MASKED, m0, m1, x, ldx, depth, off, taps, w, yr, ldy, p0, accumulate); break;    \
        case 3: taps_block(3, V, MASKED, m0, m1, x, ldx, depth, off, taps, w, yr, ldy, p0, accumulate); break;    \
        case 2: taps_block(2, V, MASKED, m0, m1, x, ldx, depth, off, taps, w, yr, ldy, p0, accumulate); break;    \
        default: taps_block(1, V, MASKED, m0, m1, x, ldx, depth, off, taps, w, yr, ldy, p0, accumulate); break;   \
        }                                                                                                         \
    }

__attribute__((target("avx2,fma")))
void fk_conv_taps_avx2(const float *x, long ldx, long depth, const long *off, long taps,
                       const float *packed, long rows, float *y, long ldy, long n, int accumulate) {
    long full = n / 16 * 16, p0 = 0;
    __m256i m0 = _mm256_set1_epi32(-1), m1 = m0;
    for (; p0 < full; p0 += 16) { TAPS_ROWS(2, 0) }
    if (n - p0 >= 8) {  /* a whole register left */
        TAPS_ROWS(1, 0)
        p0 += 8;
    }
    if (p0 < n) {  /* fewer than 8 positions left */
        m0 = lanes_below(n - p0);
        TAPS_ROWS(1, 1)
    }
}

FK_ATTR float hsum(__m256 s) {
    __m128 h = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
    h = _mm_add_ps(h, _mm_movehl_ps(h, h));
    h = _mm_add_ss(h, _mm_movehdup_ps(h));
    return _mm_cvtss_f32(h);
}

/* Four accumulators' lane sums as one 128-bit vector. */
FK_ATTR __m128 hsum4(__m256 a, __m256 b, __m256 c, __m256 d) {
    __m256 h = _mm256_hadd_ps(_mm256_hadd_ps(a, b), _mm256_hadd_ps(c, d));
    return _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
}

/* dw[(t*rows + r0 + i)*depth + k0 + j] += sum_p dy[(r0+i)*ldy + p] x[(k0+j)*ldx + off + p], i < rb, j < kb. */
FK_ATTR void grad_block(const int rb, const int kb, const float *x, long ldx, long off, const float *dy, long ldy,
                        float *dw, long depth, long n, long images, long ximage, long dyimage) {
    __m256 c[3][4];
    UNROLL for (int i = 0; i < rb; i++) UNROLL for (int j = 0; j < kb; j++) c[i][j] = _mm256_setzero_ps();
    for (long im = 0; im < images; im++, x += ximage, dy += dyimage) {
        const float *xs = x + off;
        long p = 0;
        for (; p + 8 <= n; p += 8) {
            __m256 a[3];  /* the rows held, the depth steps streamed: 12 + 3 + 1 registers */
            UNROLL for (int i = 0; i < rb; i++) a[i] = _mm256_loadu_ps(dy + i * ldy + p);
            UNROLL for (int j = 0; j < kb; j++) {
                __m256 b = _mm256_loadu_ps(xs + j * ldx + p);
                UNROLL for (int i = 0; i < rb; i++) c[i][j] = _mm256_fmadd_ps(a[i], b, c[i][j]);
            }
        }
        if (p < n) {
            __m256i m = lanes_below(n - p);
            __m256 a[3];
            UNROLL for (int i = 0; i < rb; i++) a[i] = _mm256_maskload_ps(dy + i * ldy + p, m);
            UNROLL for (int j = 0; j < kb; j++) {
                __m256 b = _mm256_maskload_ps(xs + j * ldx + p, m);
                UNROLL for (int i = 0; i < rb; i++) c[i][j] = _mm256_fmadd_ps(a[i], b, c[i][j]);
            }
        }
    }
    UNROLL for (int i = 0; i < rb; i++) {
        float *d = dw + i * depth;
        if (kb == 4) {
            _mm_storeu_ps(d, _mm_add_ps(_mm_loadu_ps(d), hsum4(c[i][0], c[i][1], c[i][2], c[i][3])));
        } else {
            UNROLL for (int j = 0; j < kb; j++) d[j] += hsum(c[i][j]);
        }
    }
}

#define GRAD_K(RB) \
    switch (kb) {                                                                                                 \
    case 4: grad_block(RB, 4, xk, ldx, off[t], g, ldy, d, depth, n, images, ximage, dyimage); break;                                      \
    case 3: grad_block(RB, 3, xk, ldx, off[t], g, ldy, d, depth, n, images, ximage, dyimage); break;                                      \
    case 2: grad_block(RB, 2, xk, ldx, off[t], g, ldy, d, depth, n, images, ximage, dyimage); break;                                      \
    default: grad_block(RB, 1, xk, ldx, off[t], g, ldy, d, depth, n, images, ximage, dyimage); break;                                     \
    }

__attribute__((target("avx2,fma")))
void fk_conv_weight_grad_avx2(const float *x, long ldx, long depth, const long *off, long taps,
                              const float *dy, long ldy, long rows, float *dw, long n, long images, long ximage, long dyimage) {
    for (long t = 0; t < taps; t++)
        for (long r0 = 0; r0 < rows; r0 += 3) {
            long rb = rows - r0 < 3 ? rows - r0 : 3;
            const float *g = dy + r0 * ldy;
            for (long k0 = 0; k0 < depth; k0 += 4) {
                long kb = depth - k0 < 4 ? depth - k0 : 4;
                const float *xk = x + k0 * ldx;
                float *d = dw + (t * rows + r0) * depth + k0;
                switch (rb) {
                case 3: GRAD_K(3) break;
                case 2: GRAD_K(2) break;
                default: GRAD_K(1) break;
                }
            }
        }
}
#endif
