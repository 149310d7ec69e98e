/* Run-time choice of the float kernel path, argument checks, packing. */
#include "internal.h"
#include <stdlib.h>
#include <string.h>

int fk_path_supported(fk_path path) {
    switch (path) {
    case FK_SCALAR: return 1;
#if defined(__x86_64__)
    case FK_AVX2: return (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) ? 1 : 0;
    case FK_AVX512: return __builtin_cpu_supports("avx512f") ? 1 : 0;
#endif
    default: return 0;
    }
}

fk_path fk_best_path(void) {
    const char *forced = getenv("FATNN_FLOAT_PATH");
    if (forced) {
        if (strcmp(forced, "scalar") == 0) return FK_SCALAR;
        if (strcmp(forced, "avx2") == 0 && fk_path_supported(FK_AVX2)) return FK_AVX2;
        if (strcmp(forced, "avx512") == 0 && fk_path_supported(FK_AVX512)) return FK_AVX512;
    }
    /* AVX2 even where AVX-512 exists: on Zen 4 (double-pumped 512-bit FMA) the AVX-512 kernels
     * measured 0.8-1.0x the AVX2 ones (docs/BENCHMARKS.md); cores with full-width units are
     * unmeasured, so AVX-512 is opt-in until they are. The tap kernel is the exception on AMD
     * (fk_best_taps_path: measured on Zen 4, the same bits). */
    return fk_path_supported(FK_AVX2) ? FK_AVX2 : FK_SCALAR;
}

fk_path fk_best_taps_path(void) {
    if (getenv("FATNN_FLOAT_PATH")) return fk_best_path();
#if defined(__x86_64__)
    if (fk_path_supported(FK_AVX512) && __builtin_cpu_is("amd")) return FK_AVX512;
#endif
    return fk_best_path();
}

void fk_pack_rows(const float *a, long rows, long depth, long taps, long tstride, long rstride, long kstride, float *out) {
    for (long r0 = 0; r0 < rows; r0 += FK_ROWS) {
        long h = fk_block_height(rows, r0);
        float *block = out + r0 * taps * depth;
        for (long t = 0; t < taps; t++)
            for (long k = 0; k < depth; k++)
                for (long r = 0; r < h; r++)
                    block[(t * depth + k) * h + r] = a[t * tstride + (r0 + r) * rstride + k * kstride];
    }
}

static int sizes_ok(const float *x, long ldx, long depth, const long *off, long taps, const float *a, long rows,
                    const float *y, long ldy, long n) {
    if (!x || !off || !a || !y) return 0;
    if (depth < 0 || taps < 0 || rows < 0 || n < 0 || ldx < 0 || ldy < n) return 0;
    return 1;
}

int fk_conv_taps(fk_path path, const float *x, long ldx, long depth, const long *off, long taps,
                 const float *packed, long rows, float *y, long ldy, long n, int accumulate) {
    if (!fk_path_supported(path) || !sizes_ok(x, ldx, depth, off, taps, packed, rows, y, ldy, n)) return -1;
    if (rows == 0 || n == 0) return 0;
#if defined(__x86_64__)
    if (path == FK_AVX512) { fk_conv_taps_avx512(x, ldx, depth, off, taps, packed, rows, y, ldy, n, accumulate); return 0; }
    if (path == FK_AVX2) { fk_conv_taps_avx2(x, ldx, depth, off, taps, packed, rows, y, ldy, n, accumulate); return 0; }
#endif
    fk_conv_taps_scalar(x, ldx, depth, off, taps, packed, rows, y, ldy, n, accumulate);
    return 0;
}

int fk_conv_weight_grad(fk_path path, const float *x, long ldx, long depth, const long *off, long taps,
                        const float *dy, long ldy, long rows, float *dw, long n, long images, long ximage, long dyimage) {
    if (!fk_path_supported(path) || !sizes_ok(x, ldx, depth, off, taps, dy, rows, dw, ldy, n) || !dw) return -1;
    if (images < 0 || ximage < 0 || dyimage < 0) return -1;
    if (rows == 0 || n == 0 || depth == 0 || images == 0) return 0;
#if defined(__x86_64__)
    if (path == FK_AVX512) { fk_conv_weight_grad_avx512(x, ldx, depth, off, taps, dy, ldy, rows, dw, n, images, ximage, dyimage); return 0; }
    if (path == FK_AVX2) { fk_conv_weight_grad_avx2(x, ldx, depth, off, taps, dy, ldy, rows, dw, n, images, ximage, dyimage); return 0; }
#endif
    fk_conv_weight_grad_scalar(x, ldx, depth, off, taps, dy, ldy, rows, dw, n, images, ximage, dyimage);
    return 0;
}
