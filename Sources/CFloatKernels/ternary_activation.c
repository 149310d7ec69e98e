/* The FATNN activation quantizer's two-ramp kernels (FATNNActivationQuantizer+Ternary.swift):
 * codes [(x - o0)·a0 > 0.5] + [(x - o1)·a1 > 0.5], and the backward's input gradient and ramp
 * sums. The operations and the order of additions are those of the engine's former Swift SIMD8
 * loops (two pairs of 8-lane sums over alternate blocks of 8, each vector's lanes summed in order
 * from -0, then the tail in order), without fused multiply-adds: bit-identical to them and the same
 * on every CPU. On x86-64 each function is compiled for AVX2 and baseline and picked at load time. */
#include "include/CFloatKernels.h"
#include "vector_ext.h"

#pragma STDC FP_CONTRACT OFF

#define LOAD(p) (*(const v8 *)(p))
#define STORE(p, v) (*(v8 *)(p) = (v))
#define SPLAT(s) ((v8){(s), (s), (s), (s), (s), (s), (s), (s)})
/* v where the mask is set, else 0 (masks from comparisons: all ones or zero). */
#define WHERE(m, v) ((v8)((v8i)(m) & (v8i)(v)))

CLONES void fk_ternary_activation_forward(const float *x, float *y, long count, float o0, float a0, float o1, float a1) {
    const v8 O0 = SPLAT(o0), A0 = SPLAT(a0), O1 = SPLAT(o1), A1 = SPLAT(a1), half = SPLAT(0.5f), one = SPLAT(1.0f);
    long i = 0;
    for (; i + 8 <= count; i += 8) {
        const v8 v = LOAD(x + i);
        STORE(y + i, WHERE((v - O0) * A0 > half, one) + WHERE((v - O1) * A1 > half, one));
    }
    for (; i < count; i++) {
        const float v = x[i];
        y[i] = ((v - o0) * a0 > 0.5f ? 1.0f : 0.0f) + ((v - o1) * a1 > 0.5f ? 1.0f : 0.0f);
    }
}

/* One block of 8: the input gradient, and the two sums into a and b. */
#define BACKWARD_STEP(i, a, b)                                                                   \
    do {                                                                                         \
        const v8 v = LOAD(x + (i)), gv = LOAD(g + (i));                                          \
        const v8 d0 = v - O0, u0 = d0 * A0, d1 = v - O1, u1 = d1 * A1;                           \
        const v8i r0 = (u0 >= zero) & (u0 <= one), r1 = (u1 >= zero) & (u1 <= one);              \
        STORE(dx + (i), gv * (WHERE(r0, A0) + WHERE(r1, A1)));                                   \
        a += gv * (WHERE(r0, d0) + WHERE(r1, C01));                                              \
        b += gv * WHERE(r1, d1);                                                                 \
    } while (0)

#define LANES(r, s)                                                                              \
    do {                                                                                         \
        r = -0.0f;                                                                               \
        for (int k_ = 0; k_ < 8; k_++) r += (s)[k_];                                             \
    } while (0)

CLONES void fk_ternary_activation_backward(const float *x, const float *g, float *dx, long count, float o0, float a0, float o1,
                                           float a1, float *sum0, float *sum1) {
    const float c01 = a1 / (a0 * a0);
    const v8 O0 = SPLAT(o0), A0 = SPLAT(a0), O1 = SPLAT(o1), A1 = SPLAT(a1), C01 = SPLAT(c01), zero = SPLAT(0.0f), one = SPLAT(1.0f);
    v8 s0 = zero, s1 = zero, s2 = zero, s3 = zero;
    long i = 0;
    for (; i + 16 <= count; i += 16) {
        BACKWARD_STEP(i, s0, s1);
        BACKWARD_STEP(i + 8, s2, s3);
    }
    if (i + 8 <= count) {
        BACKWARD_STEP(i, s0, s1);
        i += 8;
    }
    float t0, t1;
    LANES(t0, s0 + s2);
    LANES(t1, s1 + s3);
    for (; i < count; i++) {
        const float v = x[i], gi = g[i];
        const float d0 = v - o0, u0 = d0 * a0, d1 = v - o1, u1 = d1 * a1;
        const float r0 = u0 >= 0 && u0 <= 1 ? 1.0f : 0.0f, r1 = u1 >= 0 && u1 <= 1 ? 1.0f : 0.0f;
        dx[i] = gi * (a0 * r0 + a1 * r1);
        t0 += gi * (r0 * d0 + r1 * c01);
        t1 += gi * (r1 * d1);
    }
    *sum0 = t0;
    *sum1 = t1;
}
