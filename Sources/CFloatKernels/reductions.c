/* BatchNorm's reductions over one run of a channel (an image's plane): 16 lanes in two 8-float
 * vectors, each lane summing every 16th value in order, then the lanes' sums (a + b, lane 0 to 7
 * in order, from -0) and the values past the last 16 in order. That is the order the engine's
 * Swift loops had, without fused multiply-adds, so the results are bit-identical to theirs and the
 * same on every CPU: on x86-64 the functions are compiled twice (AVX2 and baseline, picked at load
 * time by target_clones), and vector lanes do not change what each lane adds. */
#include "include/CFloatKernels.h"
#include "vector_ext.h"

#pragma STDC FP_CONTRACT OFF

#define load8(p) (*(const v8 *)(p))

/* The lanes' sums: a + b, lane 0 to 7 in order from -0 (macros: no vector arguments that would
 * change the calling convention between the clones). */
#define LANES(r, a, b)                                \
    do {                                              \
        const v8 s_ = (a) + (b);                      \
        r = -0.0f;                                    \
        for (int k_ = 0; k_ < 8; k_++) r += s_[k_];   \
    } while (0)

CLONES float fk_sum(const float *x, long count) {
    v8 a = {0}, b = {0};
    long i = 0;
    for (; i + 16 <= count; i += 16) {
        a += load8(x + i);
        b += load8(x + i + 8);
    }
    float s;
    LANES(s, a, b);
    for (; i < count; i++) s += x[i];
    return s;
}

CLONES float fk_sum_squared_deviations(const float *x, long count, float mean) {
    const v8 m = {mean, mean, mean, mean, mean, mean, mean, mean};
    v8 a = {0}, b = {0};
    long i = 0;
    for (; i + 16 <= count; i += 16) {
        const v8 d0 = load8(x + i) - m, d1 = load8(x + i + 8) - m;
        a += d0 * d0;
        b += d1 * d1;
    }
    float s;
    LANES(s, a, b);
    for (; i < count; i++) {
        const float d = x[i] - mean;
        s += d * d;
    }
    return s;
}

/* g where mask > 0, else 0 (no mask: g). A NaN mask now zeroes g in the vector body as in the tail
 * (the Swift loops kept it there: their bits differ on NaN activations only). */
#define KEPT(g, mask, i) ((mask) ? (v8)((v8i)(load8((mask) + (i)) > zero) & (v8i)(g)) : (g))

CLONES void fk_sum_and_dot(const float *g, const float *x, long count, float center, float scale, const float *mask, float *sum,
                           float *dot) {
    const v8 m = {center, center, center, center, center, center, center, center};
    const v8 s = {scale, scale, scale, scale, scale, scale, scale, scale};
    const v8 zero = {0};
    v8 a0 = {0}, a1 = {0}, d0 = {0}, d1 = {0};
    long i = 0;
    for (; i + 16 <= count; i += 16) {
        const v8 g0 = KEPT(load8(g + i), mask, i), g1 = KEPT(load8(g + i + 8), mask, i + 8);
        a0 += g0;
        a1 += g1;
        d0 += g0 * ((load8(x + i) - m) * s);
        d1 += g1 * ((load8(x + i + 8) - m) * s);
    }
    float sa, sd;
    LANES(sa, a0, a1);
    LANES(sd, d0, d1);
    for (; i < count; i++) {
        const float gi = !mask || mask[i] > 0 ? g[i] : 0;
        sa += gi;
        sd += gi * ((x[i] - center) * scale);
    }
    *sum = sa;
    *dot = sd;
}
