/* Run-time choice of kernel path by CPU feature, argument checks, and the clock estimate. */
#include "kernels.h"
#include <stdlib.h>
#include <string.h>
#include <time.h>

int tk_path_supported(tk_path path) {
    switch (path) {
    case TK_SCALAR: return 1;
#if defined(__x86_64__)
    case TK_AVX2: return __builtin_cpu_supports("avx2") ? 1 : 0;
    case TK_AVX512:
        /* The path's run producers also take BW, DQ and VL (runs_encode.c): every CPU with
         * VPOPCNTDQ has them but Knights Mill. */
        return (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vpopcntdq") &&
                __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
                __builtin_cpu_supports("avx512vl")) ? 1 : 0;
#endif
#if defined(__aarch64__)
    case TK_NEON: return 1;
#endif
    default: return 0;
    }
}

tk_path tk_best_path(void) {
    const char *forced = getenv("FATNN_KERNEL_PATH");
    if (forced) {
        tk_path p = TK_SCALAR;
        int known = 1;
        if (strcmp(forced, "scalar") == 0) p = TK_SCALAR;
        else if (strcmp(forced, "avx2") == 0) p = TK_AVX2;
        else if (strcmp(forced, "avx512") == 0) p = TK_AVX512;
        else if (strcmp(forced, "neon") == 0) p = TK_NEON;
        else known = 0;
        if (known && tk_path_supported(p)) return p;
    }
    if (tk_path_supported(TK_NEON)) return TK_NEON;
    if (tk_path_supported(TK_AVX512)) return TK_AVX512;
    if (tk_path_supported(TK_AVX2)) return TK_AVX2;
    return TK_SCALAR;
}

int tk_gemm(tk_kind kind, tk_path path, const uint64_t *w0, const uint64_t *w1,
            const uint64_t *x0, const uint64_t *x1, int32_t *out, long ldc,
            long m_count, long n_count, long kw, long kbits, long nb_begin, long nb_end) {
    if (!tk_path_supported(path)) return -1;
    if (kind < TK_FATNN || kind > TK_A2) return -1;
    if (!w0 || !x0 || !out || m_count < 0 || n_count < 0 || kw < 0 || ldc < n_count) return -1;
    if (kind != TK_BINARY && (!w1 || !x1)) return -1;
    if (kbits < 0 || kbits > kw * 64) return -1;
    long blocks = (n_count + TK_BLOCK - 1) / TK_BLOCK;
    if (nb_begin < 0 || nb_end > blocks || nb_begin > nb_end) return -1;
    tk_args a = {kind, w0, w1, x0, x1, out, ldc, m_count, n_count, kw, kbits, nb_begin, nb_end};
    if (m_count == 0 || nb_begin == nb_end) return 0;
    switch (path) {
#if defined(__x86_64__)
    case TK_AVX512: tk_gemm_avx512(&a); break;
    case TK_AVX2: tk_gemm_avx2(&a); break;
#endif
#if defined(__aarch64__)
    case TK_NEON: tk_gemm_neon(&a); break;
#endif
    default: tk_gemm_scalar(&a); break;
    }
    return 0;
}

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* 16 dependent adds per iteration; the loop's own counter and branch run beside the chain. */
static uint64_t add_chain(uint64_t iterations) {
    uint64_t x = 0;
    for (uint64_t i = 0; i < iterations; i++) {
#if defined(__x86_64__)
#define TK_ADD4 "add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\t"
        __asm__ volatile(TK_ADD4 TK_ADD4 TK_ADD4 TK_ADD4 : "+r"(x));
#elif defined(__aarch64__)
#define TK_ADD4 "add %0, %0, #1\n\tadd %0, %0, #1\n\tadd %0, %0, #1\n\tadd %0, %0, #1\n\t"
        __asm__ volatile(TK_ADD4 TK_ADD4 TK_ADD4 TK_ADD4 : "+r"(x));
#else
        x += 16;
#endif
    }
    return x;
}

double tk_measure_clock_hz(double seconds) {
    uint64_t iterations = 1u << 16;
    double best = 0;
    double start = now_seconds();
    while (now_seconds() - start < seconds) {
        double t0 = now_seconds();
        uint64_t x = add_chain(iterations);
        double t = now_seconds() - t0;
        if (x != iterations * 16) return 0;
        if (t < 1e-3) { iterations *= 2; continue; }
        double hz = (double)(iterations * 16) / t;
        if (hz > best) best = hz;
    }
    return best;
}
