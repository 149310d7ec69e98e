/* Declarations shared by winograd.c and winograd_avx2.c. */
#ifndef FATNN_CFLOATKERNELS_WINOGRAD_H
#define FATNN_CFLOATKERNELS_WINOGRAD_H
#include "internal.h"

void fk_winograd_split_portable(const float *x, long plane, long row_stride, long channels, long height, long width, long tiles_h,
                                long tiles_w, float *p);
void fk_winograd_input_portable(const float *p, long channels, long tiles_h, long tiles_w, float *v, long ldv, long xi_stride);
void fk_winograd_output_portable(const float *m, long ldm, long xi_stride, long channels, long tiles_h, long tiles_w, float *t);
#if defined(__x86_64__)
void fk_winograd_split_avx2(const float *x, long plane, long row_stride, long channels, long height, long width, long tiles_h,
                                long tiles_w, float *p);
void fk_winograd_input_avx2(const float *p, long channels, long tiles_h, long tiles_w, float *v, long ldv, long xi_stride);
void fk_winograd_output_avx2(const float *m, long ldm, long xi_stride, long channels, long tiles_h, long tiles_w, float *t);
#endif
#endif
