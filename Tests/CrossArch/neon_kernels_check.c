/*
 * The arm64 NEON kernels against the scalar oracle, run under qemu-aarch64 on an x86-64 machine
 * (scripts/test_neon.sh cross-compiles it with CTernaryKernels). On an arm64 machine the Swift
 * tests check the same, through every supported path; this covers x86-64 CI.
 *
 * Every kind (also the signed-weight 2-bit and the 2-bit x ternary kernels), odd shapes (rows not a multiple of the row block, columns not a multiple of a
 * block, a block range that starts late, ldc wider than the columns), reductions that cross the
 * 16-bit counters' flush (over 1,000 words) with all bits set (the largest counts), and the
 * run-time choice of path; binary also without second planes (NULL). Columns past n_count must
 * be left untouched.
 */
#include "CTernaryKernels.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t state = 0x9E3779B97F4A7C15ull;
static uint64_t next(void) {
    state ^= state << 13; state ^= state >> 7; state ^= state << 17;
    return state;
}

static int failures = 0, cases = 0;

static void check(tk_kind kind, long m_count, long n_count, long kw, long nb_begin, long nb_end, int ones, int no_second_planes) {
    long blocks = (n_count + TK_BLOCK - 1) / TK_BLOCK, ldc = n_count + 3;
    uint64_t *w0 = malloc(sizeof(uint64_t) * m_count * kw), *w1 = malloc(sizeof(uint64_t) * m_count * kw);
    uint64_t *x0 = malloc(sizeof(uint64_t) * blocks * kw * TK_BLOCK), *x1 = malloc(sizeof(uint64_t) * blocks * kw * TK_BLOCK);
    for (long i = 0; i < m_count * kw; i++) { w0[i] = ones ? ~0ull : next(); w1[i] = ones ? ~0ull : next(); }
    for (long i = 0; i < blocks * kw * TK_BLOCK; i++) { x0[i] = ones ? ~0ull : next(); x1[i] = ones ? ~0ull : next(); }
    long kbits = kw * 64 - (long)(next() % 64);
    if (kbits < 0) kbits = 0;
    int32_t *expected = malloc(sizeof(int32_t) * m_count * ldc), *got = malloc(sizeof(int32_t) * m_count * ldc);
    for (long i = 0; i < m_count * ldc; i++) expected[i] = got[i] = 0x5A5A5A5A;
    /* Binary has one plane per operand; callers may pass NULL for the second. */
    const uint64_t *v1 = no_second_planes ? NULL : w1, *y1 = no_second_planes ? NULL : x1;
    int r0 = tk_gemm(kind, TK_SCALAR, w0, v1, x0, y1, expected, ldc, m_count, n_count, kw, kbits, nb_begin, nb_end);
    int r1 = tk_gemm(kind, TK_NEON, w0, v1, x0, y1, got, ldc, m_count, n_count, kw, kbits, nb_begin, nb_end);
    cases++;
    if (r0 != 0 || r1 != 0 || memcmp(expected, got, sizeof(int32_t) * m_count * ldc) != 0) {
        long first = -1;
        for (long i = 0; i < m_count * ldc; i++) if (expected[i] != got[i]) { first = i; break; }
        fprintf(stderr, "FAIL kind %d m %ld n %ld kw %ld blocks %ld..%ld ones %d: rc %d/%d, first difference at %ld (%d vs %d)\n",
                kind, m_count, n_count, kw, nb_begin, nb_end, ones, r0, r1, first,
                first >= 0 ? expected[first] : 0, first >= 0 ? got[first] : 0);
        failures++;
    }
    free(w0); free(w1); free(x0); free(x1); free(expected); free(got);
}

int main(void) {
    if (!tk_path_supported(TK_NEON)) { fprintf(stderr, "FAIL: TK_NEON is not supported on arm64\n"); return 1; }
    if (tk_best_path() != TK_NEON) { fprintf(stderr, "FAIL: the best path is %d, not NEON\n", tk_best_path()); return 1; }
    if (tk_path_supported(TK_AVX2) || tk_path_supported(TK_AVX512)) { fprintf(stderr, "FAIL: an x86 path claims support\n"); return 1; }
    setenv("FATNN_KERNEL_PATH", "scalar", 1);
    if (tk_best_path() != TK_SCALAR) { fprintf(stderr, "FAIL: FATNN_KERNEL_PATH=scalar is ignored\n"); return 1; }
    unsetenv("FATNN_KERNEL_PATH");
    const long rows[] = {1, 2, 3, 5, 16, 33};
    const long cols[] = {1, 7, 8, 9, 61, 200};
    const long words[] = {1, 2, 3, 9, 17, 72};
    for (int kind = TK_FATNN; kind <= TK_A2; kind++) {
        for (int a = 0; a < 6; a++)
            for (int b = 0; b < 6; b++)
                for (int c = 0; c < 6; c++) {
                    long blocks = (cols[b] + TK_BLOCK - 1) / TK_BLOCK;
                    check((tk_kind)kind, rows[a], cols[b], words[c], 0, blocks, 0, 0);
                    if (blocks > 1) check((tk_kind)kind, rows[a], cols[b], words[c], 1, blocks, 0, 0);
                    if (kind == TK_BINARY) check((tk_kind)kind, rows[a], cols[b], words[c], 0, blocks, 0, 1);
                }
        /* Past the 16-bit flush, with the largest counts. */
        check((tk_kind)kind, 3, 19, 2100, 0, 3, 1, 0);
        check((tk_kind)kind, 3, 19, 1001, 0, 3, 0, 0);
    }
    /* A bad argument is refused on this path too. */
    uint64_t w = 0, x[TK_BLOCK] = {0};
    int32_t o[TK_BLOCK];
    if (tk_gemm(TK_FATNN, TK_NEON, &w, &w, x, x, o, TK_BLOCK, 1, TK_BLOCK, 1, 65, 0, 1) != -1) {
        fprintf(stderr, "FAIL: kbits > kw * 64 was accepted\n");
        failures++;
    }
    printf("neon kernels: %d cases against the scalar oracle, %d failed\n", cases, failures);
    return failures ? 1 : 0;
}
