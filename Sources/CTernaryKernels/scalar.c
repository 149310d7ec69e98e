/* The portable scalar kernels: the oracle every other path is tested against. */
#include "kernels.h"

static inline int pc(uint64_t v) { return __builtin_popcountll(v); }

static int32_t dot(const tk_args *a, long m, long nb, long j) {
    const uint64_t *w0 = a->w0 + m * a->kw, *w1 = a->w1 ? a->w1 + m * a->kw : 0;
    const uint64_t *x0 = a->x0 + nb * a->kw * TK_BLOCK + j;
    const uint64_t *x1 = a->x1 ? a->x1 + nb * a->kw * TK_BLOCK + j : 0;
    long s = 0;
    for (long k = 0; k < a->kw; k++) {
        uint64_t xa = x0[k * TK_BLOCK], wa = w0[k];
        switch (a->kind) {
        case TK_FATNN: {
            uint64_t t = xa & wa;
            s += pc(t) - 2 * pc(t & (x1[k * TK_BLOCK] ^ w1[k]));
            break;
        }
        case TK_TNN4: {
            uint64_t a1 = x1[k * TK_BLOCK], wn = w1[k];
            s += pc(xa & wa) - pc(xa & wn) + pc(a1 & wa) - pc(a1 & wn);
            break;
        }
        case TK_2BIT: {
            uint64_t u1 = x1[k * TK_BLOCK], v1 = w1[k];
            s += pc(xa & wa) + 2 * (pc(u1 & wa) + pc(xa & v1)) + 4 * pc(u1 & v1);
            break;
        }
        case TK_BINARY:
            s += pc(xa ^ wa);
            break;
        case TK_2BIT_SIGNED: {
            uint64_t u1 = x1[k * TK_BLOCK], v1 = w1[k];
            s += pc(xa & wa) + 2 * pc(u1 & wa) - 2 * pc(xa & v1) - 4 * pc(u1 & v1);
            break;
        }
        case TK_A2: {
            uint64_t u1 = x1[k * TK_BLOCK], sw = w1[k];
            s += pc(wa & ~(xa ^ sw)) + 2 * pc(wa & ~(u1 ^ sw));
            break;
        }
        }
    }
    if (a->kind == TK_BINARY) s = a->kbits - 2 * s;
    return (int32_t)s;
}

void tk_gemm_scalar(const tk_args *a) {
    for (long nb = a->nb_begin; nb < a->nb_end; nb++) {
        for (long m = 0; m < a->m_count; m++) {
            for (long j = 0; j < TK_BLOCK; j++) {
                long n = nb * TK_BLOCK + j;
                if (n >= a->n_count) break;
                a->out[m * a->ldc + n] = dot(a, m, nb, j);
            }
        }
    }
}
