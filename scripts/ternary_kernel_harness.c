/*
 * One-core timing of the packed kernels and window packing straight from their C sources (no
 * Swift, no threads): the figures docs/BENCHMARKS.md marks "C harness". Build and run from the
 * repository root (any C compiler with the x86 intrinsics; pin a core for steadier numbers):
 *
 *   clang -O2 -I Sources/CTernaryKernels/include -o /tmp/tkh scripts/ternary_kernel_harness.c \
 *       $(ls Sources/CTernaryKernels/[a-z]*.c | grep -v neon)
 *   taskset -c 1 /tmp/tkh gemm M K N [KIND [PATH]]     # e.g. gemm 16 144 12544 0 1
 *   taskset -c 1 /tmp/tkh pack IMAGES CIN SIZE [PATH]  # e.g. pack 64 16 28 1
 *
 * KIND: 0 fatnn, 1 tnn4, 2 2bit, 3 binary, 4 2bit-signed, 5 fatnn-a2; PATH: 0 scalar, 1 avx2,
 * 2 avx512. gemm times an M x K x N GEMM on random codes (K lanes, padding lanes zero), checks
 * every output against the scalar path, and prints the best of 60 calls in MAC/cycle at a nominal
 * 3.65 GHz (Zen 4's measured core clock; compare binaries alternately, not across machines).
 * pack times the 3x3 stride-1 windows of IMAGES images of CIN channels, SIZE x SIZE, padding 1
 * (best of 1,000 calls), in cycles per block of 8 columns at the same nominal clock.
 */
#include "CTernaryKernels.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}
static uint64_t state = 88172645463325252ull;
static uint64_t rnd(void) { state ^= state << 13; state ^= state >> 7; state ^= state << 17; return state; }
static const double hz = 3.65e9;

static int gemm(long M, long kbits, long N, int kind, int path) {
    long kw = (kbits + 63) / 64, nb = (N + 7) / 8;
    uint64_t *w0 = aligned_alloc(64, M * kw * 8), *w1 = aligned_alloc(64, M * kw * 8);
    uint64_t *x0 = aligned_alloc(64, nb * kw * 64), *x1 = aligned_alloc(64, nb * kw * 64);
    int32_t *out = aligned_alloc(64, M * nb * 32), *ref = aligned_alloc(64, M * nb * 32);
    uint64_t lanes[4096];
    for (long k = 0; k < kw && k < 4096; k++) { long w = kbits - k * 64; lanes[k] = w >= 64 ? ~0ull : (1ull << w) - 1; }
    for (long i = 0; i < M * kw; i++) { w0[i] = rnd() & lanes[i % kw]; w1[i] = rnd() & lanes[i % kw]; }
    for (long i = 0; i < nb * kw * 8; i++) { x0[i] = rnd() & lanes[i / 8 % kw]; x1[i] = rnd() & lanes[i / 8 % kw]; }
    if (tk_gemm(kind, TK_SCALAR, w0, w1, x0, x1, ref, nb * 8, M, N, kw, kbits, 0, nb) != 0) return 1;
    double best = 1e9;
    for (int r = 0; r < 60; r++) {
        double t = now();
        if (tk_gemm(kind, path, w0, w1, x0, x1, out, nb * 8, M, N, kw, kbits, 0, nb) != 0) return 1;
        t = now() - t;
        if (t < best) best = t;
        for (long m = 0; m < M; m++)
            if (memcmp(out + m * nb * 8, ref + m * nb * 8, N * 4)) { printf("MISMATCH in row %ld\n", m); return 1; }
    }
    printf("gemm %ldx%ldx%ld kind %d path %d: %.3f ms, %.1f GMAC/s, %.2f MAC/cycle at 3.65 GHz\n", M, kbits, N, kind, path,
           best * 1e3, M * kbits * (double)N / best * 1e-9, M * kbits * (double)N / best / hz);
    return 0;
}

static int pack(long images, long cin, long h, int path) {
    long gh = h + 2, gw = h + 2, kw = (9 * cin + 63) / 64, nb = (images * h * h + 7) / 8;
    uint64_t *m = aligned_alloc(64, images * gh * gw * 8), *s = aligned_alloc(64, images * gh * gw * 8);
    uint64_t lanes = cin >= 64 ? ~0ull : (1ull << cin) - 1;
    for (long i = 0; i < images * gh * gw; i++) { m[i] = rnd() & lanes; s[i] = rnd() & lanes; }
    uint64_t *x0 = aligned_alloc(64, nb * kw * 64), *x1 = aligned_alloc(64, nb * kw * 64);
    double best = 1e9;
    for (int r = 0; r < 1000; r++) {
        double t = now();
        if (tk_runs_pack(path, m, s, 0, nb, images, cin, gh, gw, 3, 1, h, h, kw, x0, x1) != 0) return 1;
        t = now() - t;
        if (t < best) best = t;
    }
    printf("pack %ld images %ld channels %ldx%ld path %d: %.3f ms, %.1f cycles per block at 3.65 GHz\n", images, cin, h, h, path,
           best * 1e3, best * hz / nb);
    return 0;
}

int main(int argc, char **argv) {
    if (argc >= 5 && strcmp(argv[1], "gemm") == 0)
        return gemm(atol(argv[2]), atol(argv[3]), atol(argv[4]), argc > 5 ? atoi(argv[5]) : 0, argc > 6 ? atoi(argv[6]) : TK_AVX2);
    if (argc >= 5 && strcmp(argv[1], "pack") == 0)
        return pack(atol(argv[2]), atol(argv[3]), atol(argv[4]), argc > 5 ? atoi(argv[5]) : TK_AVX2);
    fprintf(stderr, "usage: %s gemm M K N [KIND [PATH]] | pack IMAGES CIN SIZE [PATH] (see the file's header)\n", argv[0]);
    return 2;
}
