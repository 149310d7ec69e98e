/* Packed im2col for the FATNN kernel: channel runs per input pixel, then one run per window tap. */
#include "CTernaryKernels.h"
#include <stdlib.h>
#include <string.h>

int tk_pack_windows(const uint8_t *codes, long img_begin, long img_end, long cin, long ih, long iw,
                    long kernel, long stride, long pad, long oh, long ow, long kw,
                    uint64_t *x0, uint64_t *x1) {
    long pw = (cin + 63) / 64, plane = ih * iw, kk = kernel * kernel;
    if (kw * 64 < kk * cin || cin <= 0) return -1;
    uint64_t *runs = calloc((size_t)(plane * pw * 2), sizeof(uint64_t));
    uint64_t *col = malloc((size_t)(kw + 1) * 2 * sizeof(uint64_t));
    uint64_t padrun[64];
    if (!runs || !col || pw > 64) { free(runs); free(col); return -1; }
    for (long w = 0; w < pw; w++) {
        long width = cin - w * 64 < 64 ? cin - w * 64 : 64;
        padrun[w] = width == 64 ? ~0ull : ((1ull << width) - 1);
    }
    for (long img = img_begin; img < img_end; img++) {
        const uint8_t *src = codes + img * cin * plane;
        /* Branch-free: codes are data, and mispredicted branches would cost more than the bits. */
        memset(runs, 0, (size_t)(plane * pw * 2) * sizeof(uint64_t));
        for (long c = 0; c < cin; c++) {
            unsigned shift = (unsigned)(c & 63);
            long word = c >> 6;
            const uint8_t *p = src + c * plane;
            for (long i = 0; i < plane; i++) {
                uint64_t a = p[i];
                uint64_t *r = runs + (i * pw + word) * 2;
                r[0] |= (uint64_t)(a != 1) << shift;
                r[1] |= (uint64_t)(a == 0) << shift;
            }
        }
        if (pw == 1) {
            /* Channel runs fit one word: stream them into two accumulator words. */
            for (long oy = 0; oy < oh; oy++) {
                for (long ox = 0; ox < ow; ox++) {
                    long n = (img * oh + oy) * ow + ox;
                    uint64_t *d0 = x0 + ((n >> 3) * kw) * TK_BLOCK + (n & 7);
                    uint64_t *d1 = x1 + ((n >> 3) * kw) * TK_BLOCK + (n & 7);
                    uint64_t am = 0, as = 0;
                    long filled = 0, k = 0;
                    for (long ky = 0; ky < kernel; ky++) {
                        long iy = oy * stride - pad + ky;
                        for (long kx = 0; kx < kernel; kx++) {
                            long ix = ox * stride - pad + kx;
                            uint64_t vm = padrun[0], vs = padrun[0];
                            if (iy >= 0 && iy < ih && ix >= 0 && ix < iw) {
                                const uint64_t *r = runs + (iy * iw + ix) * 2;
                                vm = r[0];
                                vs = r[1];
                            }
                            am |= vm << filled;
                            as |= vs << filled;
                            if (filled + cin >= 64) {
                                d0[k * TK_BLOCK] = am;
                                d1[k * TK_BLOCK] = as;
                                k++;
                                long used = 64 - filled;
                                am = used < 64 ? vm >> used : 0;
                                as = used < 64 ? vs >> used : 0;
                                filled = filled + cin - 64;
                            } else {
                                filled += cin;
                            }
                        }
                    }
                    if (filled > 0) {
                        d0[k * TK_BLOCK] = am;
                        d1[k * TK_BLOCK] = as;
                        k++;
                    }
                    for (; k < kw; k++) d0[k * TK_BLOCK] = d1[k * TK_BLOCK] = 0;
                }
            }
            continue;
        }
        for (long oy = 0; oy < oh; oy++) {
            for (long ox = 0; ox < ow; ox++) {
                memset(col, 0, (size_t)(kw + 1) * 2 * sizeof(uint64_t));
                long lane = 0;
                for (long ky = 0; ky < kernel; ky++) {
                    long iy = oy * stride - pad + ky;
                    for (long kx = 0; kx < kernel; kx++) {
                        long ix = ox * stride - pad + kx;
                        int inside = iy >= 0 && iy < ih && ix >= 0 && ix < iw;
                        const uint64_t *r = inside ? runs + (iy * iw + ix) * pw * 2 : 0;
                        for (long w = 0; w < pw; w++) {
                            long width = cin - w * 64 < 64 ? cin - w * 64 : 64;
                            uint64_t vm = inside ? r[w * 2] : padrun[w];
                            uint64_t vs = inside ? r[w * 2 + 1] : padrun[w];
                            long word = lane >> 6, off = lane & 63;
                            col[word * 2] |= vm << off;
                            col[word * 2 + 1] |= vs << off;
                            if (off != 0 && off + width > 64) {
                                col[(word + 1) * 2] |= vm >> (64 - off);
                                col[(word + 1) * 2 + 1] |= vs >> (64 - off);
                            }
                            lane += width;
                        }
                    }
                }
                long n = (img * oh + oy) * ow + ox;
                uint64_t *d0 = x0 + ((n >> 3) * kw) * TK_BLOCK + (n & 7);
                uint64_t *d1 = x1 + ((n >> 3) * kw) * TK_BLOCK + (n & 7);
                for (long k = 0; k < kw; k++) {
                    d0[k * TK_BLOCK] = col[k * 2];
                    d1[k * TK_BLOCK] = col[k * 2 + 1];
                }
            }
        }
    }
    free(runs);
    free(col);
    return 0;
}
