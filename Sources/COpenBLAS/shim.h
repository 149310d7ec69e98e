#ifndef FATNN_COPENBLAS_SHIM_H
#define FATNN_COPENBLAS_SHIM_H
#include <cblas.h>
#endif
