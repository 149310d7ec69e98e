/* Declarations shared by the float kernel paths (not part of the public header). */
#ifndef FATNN_CFLOATKERNELS_INTERNAL_H
#define FATNN_CFLOATKERNELS_INTERNAL_H
#include "include/CFloatKernels.h"

/* The height of the packed row block that starts at row r0: FK_ROWS, or what is left. The packing,
 * the portable path and the vector paths all walk the blocks with it. */
static inline long fk_block_height(long rows, long r0) { return rows - r0 < FK_ROWS ? rows - r0 : FK_ROWS; }

void fk_conv_taps_scalar(const float *x, long ldx, long depth, const long *off, long taps,
                         const float *packed, long rows, float *y, long ldy, long n, int accumulate);
void fk_conv_weight_grad_scalar(const float *x, long ldx, long depth, const long *off, long taps,
                                const float *dy, long ldy, long rows, float *dw, long n, long images, long ximage, long dyimage);
#if defined(__x86_64__)
void fk_conv_taps_avx2(const float *x, long ldx, long depth, const long *off, long taps,
                       const float *packed, long rows, float *y, long ldy, long n, int accumulate);
void fk_conv_weight_grad_avx2(const float *x, long ldx, long depth, const long *off, long taps,
                              const float *dy, long ldy, long rows, float *dw, long n, long images, long ximage, long dyimage);
void fk_conv_taps_avx512(const float *x, long ldx, long depth, const long *off, long taps,
                         const float *packed, long rows, float *y, long ldy, long n, int accumulate);
void fk_conv_weight_grad_avx512(const float *x, long ldx, long depth, const long *off, long taps,
                                const float *dy, long ldy, long rows, float *dw, long n, long images, long ximage, long dyimage);
#endif
#endif
