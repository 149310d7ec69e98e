/* Declarations shared by winograd.c and winograd_avx2.c. */
#ifndef FATNN_CFLOATKERNELS_WINOGRAD_H
#define FATNN_CFLOATKERNELS_WINOGRAD_H
#include "internal.h"

/* Row r of channel c of the split layout (winograd.c): sets its even and odd runs and returns the
 * image row it holds, or NULL for a padding row (which it zeroes). */
static inline const float *fk_split_row(const float *x, long plane, long row_stride, long height, long tiles_h, long tiles_w,
                                        float *p, long c, long r, float **e, float **o) {
    const long rows = 2 * tiles_h + 2, half = tiles_w + 1, row = 2 * half, y = r - 1;
    *e = p + (c * rows + r) * row;
    *o = *e + half;
    if (y < 0 || y >= height) {
        for (long m = 0; m < row; m++) (*e)[m] = 0;
        return 0;
    }
    return x + c * plane + y * row_stride;
}

void fk_winograd_split_portable(const float *x, long plane, long row_stride, long channels, long height, long width, long tiles_h,
                                long tiles_w, float *p);
void fk_winograd_input_portable(const float *p, long channels, long tiles_h, long tiles_w, float *v, long ldv, long xi_stride);
void fk_winograd_output_portable(const float *m, long ldm, long xi_stride, long channels, long tiles_h, long tiles_w, float *t,
                                 long plane, long row);
void fk_winograd_gradient_portable(const float *dy, long plane, long row_stride, long channels, long tiles_h, long tiles_w, float *w,
                                   long ldw, long xi_stride);
#if defined(__x86_64__)
void fk_winograd_output_avx2(const float *m, long ldm, long xi_stride, long channels, long tiles_h, long tiles_w, float *t, long plane,
                             long row);
void fk_winograd_image_avx2(const float *x, long plane, long row_stride, long channels, long height, long width, long tiles_h,
                            long tiles_w, float *v, long ldv, long xi_stride);
void fk_winograd_gradient_avx2(const float *dy, long plane, long row_stride, long channels, long tiles_h, long tiles_w, float *w,
                               long ldw, long xi_stride);
#endif
#endif
