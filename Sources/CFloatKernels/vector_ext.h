/* What the fixed-order C kernels share (reductions.c, ternary_activation.c): 8-float vectors in
 * GCC/Clang vector extensions (unaligned), and on x86-64 the AVX2 and baseline clones of a
 * function picked at load time. Lanes add independently, so both clones give the same bits. */
#ifndef FATNN_CFLOATKERNELS_VECTOR_EXT_H
#define FATNN_CFLOATKERNELS_VECTOR_EXT_H

typedef float v8 __attribute__((vector_size(32), aligned(4)));
typedef int v8i __attribute__((vector_size(32), aligned(4)));

#if defined(__x86_64__)
#define CLONES __attribute__((target_clones("avx2", "default")))
#else
#define CLONES
#endif

#endif
