/* Strided copies of short rows (the padded and wide-row layouts of Conv2d's direct path): one call
 * for a whole image, where a memmove per 7-32-float row cost more than the copy itself. */
#include "include/CFloatKernels.h"

void fk_copy_rows(const float *src, long src_plane, long src_row, float *dst, long dst_plane, long dst_row,
                  long planes, long rows, long width) {
    for (long c = 0; c < planes; c++)
        for (long r = 0; r < rows; r++) {
            const float *restrict s = src + c * src_plane + r * src_row;
            float *restrict d = dst + c * dst_plane + r * dst_row;
            for (long i = 0; i < width; i++) d[i] = s[i];
        }
}
