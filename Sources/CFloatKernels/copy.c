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

void fk_copy_indexed(float *image, float *buffer, long channels, long height, long width, long plane, const long *rows,
                     const long *columns, int into_buffer) {
    for (long c = 0; c < channels; c++)
        for (long y = 0; y < height; y++) {
            float *restrict line = image + (c * height + y) * width, *restrict row = buffer + c * plane + rows[y];
            if (into_buffer) {
                for (long x = 0; x < width; x++) row[columns[x]] = line[x];
            } else {
                for (long x = 0; x < width; x++) line[x] = row[columns[x]];
            }
        }
}
