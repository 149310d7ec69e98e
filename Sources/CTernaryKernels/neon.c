/*
 * arm64 NEON kernels (NEON is part of every AArch64 core, so no run-time check is needed). A block's
 * 8 pixels are 4 registers of two 64-bit words. Bits are counted per byte (`cnt`) and added in
 * pairs into 16-bit accumulators (`uadalp`, one instruction per popcount); every TK_NEON_CHUNK
 * words those are widened into 32-bit ones, so no counter can overflow. TK_NEON_ROWS weight rows
 * share each activation load.
 *
 * Per 64-bit word and row, a 16-bit lane gains at most 16 per `uadalp` and at most 4 `uadalp`s
 * (the 2-bit kernel's B), so 64 per word: 1,000 words stay below 65,535.
 */
#if defined(__aarch64__)
#include "kernels.h"
#include <arm_neon.h>

#define TK_NEON_ROWS 2
#define TK_NEON_CHUNK 1000
#define TK_NEON_REGS (TK_BLOCK / 2)

typedef struct {
    uint16x8_t a[TK_NEON_REGS], b[TK_NEON_REGS];
} counts16;

typedef struct {
    uint32x4_t a[TK_NEON_REGS], b[TK_NEON_REGS];
} counts32;

__attribute__((always_inline)) static inline uint16x8_t add_pc(uint16x8_t acc, uint64x2_t v) {
    return vpadalq_u8(acc, vcntq_u8(vreinterpretq_u8_u64(v)));
}

/* Adds one word's contributions (register r of the block) to A and B, as in avx512.c's step. */
__attribute__((always_inline)) static inline void step(tk_kind kind, uint64x2_t x0, uint64x2_t x1, uint64x2_t w0, uint64x2_t w1,
                        uint16x8_t *A, uint16x8_t *B) {
    switch (kind) {
    case TK_FATNN: {
        uint64x2_t t = vandq_u64(x0, w0);
        *A = add_pc(*A, t);
        *B = add_pc(*B, vandq_u64(t, veorq_u64(x1, w1)));
        break;
    }
    case TK_TNN4:
        *A = add_pc(add_pc(*A, vandq_u64(x0, w0)), vandq_u64(x1, w0));
        *B = add_pc(add_pc(*B, vandq_u64(x0, w1)), vandq_u64(x1, w1));
        break;
    case TK_2BIT: {
        uint64x2_t hi = vandq_u64(x1, w1);
        *A = add_pc(*A, vandq_u64(x0, w0));
        *B = add_pc(add_pc(add_pc(add_pc(*B, vandq_u64(x1, w0)), vandq_u64(x0, w1)), hi), hi);
        break;
    }
    case TK_2BIT_SIGNED: {
        uint64x2_t q = vandq_u64(x1, w0), s = vandq_u64(x1, w1);
        *A = add_pc(add_pc(add_pc(*A, vandq_u64(x0, w0)), q), q);
        *B = add_pc(add_pc(add_pc(*B, vandq_u64(x0, w1)), s), s);
        break;
    }
    case TK_A2:
        *A = add_pc(*A, vbicq_u64(w0, veorq_u64(x0, w1)));
        *B = add_pc(*B, vbicq_u64(w0, veorq_u64(x1, w1)));
        break;
    default:
        *A = add_pc(*A, veorq_u64(x0, w0));
        break;
    }
}

/* The per-pixel totals of one register's 32-bit counters: two 64-bit lanes. */
static inline int64x2_t total(uint32x4_t v) { return vreinterpretq_s64_u64(vpaddlq_u32(v)); }

static inline int64x2_t finish(tk_kind kind, long kbits, uint32x4_t a32, uint32x4_t b32) {
    int64x2_t A = total(a32), B = total(b32);
    switch (kind) {
    case TK_FATNN: return vsubq_s64(A, vshlq_n_s64(B, 1));
    case TK_TNN4: return vsubq_s64(A, B);
    case TK_2BIT: return vaddq_s64(A, vshlq_n_s64(B, 1));
    case TK_2BIT_SIGNED: return vsubq_s64(A, vshlq_n_s64(B, 1));
    case TK_A2: return vaddq_s64(A, vshlq_n_s64(B, 1));
    default: return vsubq_s64(vdupq_n_s64(kbits), vshlq_n_s64(A, 1));
    }
}

__attribute__((always_inline)) static inline void kernel(const tk_args *a, const tk_kind kind) {
    const long kw = a->kw;
    const int two = kind != TK_BINARY;
    for (long nb = a->nb_begin; nb < a->nb_end; nb++) {
        const tk_column_block blk = tk_block(a, nb);
        const uint64_t *x0 = blk.x0, *x1 = blk.x1;
        const long valid = blk.valid;
        for (long m = 0; m < a->m_count; m += TK_NEON_ROWS) {
            const uint64_t *w0[TK_NEON_ROWS], *w1[TK_NEON_ROWS];
            tk_row_block(a, m, TK_NEON_ROWS, w0, w1);
            counts32 c32[TK_NEON_ROWS];
            for (int r = 0; r < TK_NEON_ROWS; r++)
                for (int i = 0; i < TK_NEON_REGS; i++) c32[r].a[i] = c32[r].b[i] = vdupq_n_u32(0);
            for (long k0 = 0; k0 < kw; k0 += TK_NEON_CHUNK) {
                long k1 = k0 + TK_NEON_CHUNK < kw ? k0 + TK_NEON_CHUNK : kw;
                counts16 c16[TK_NEON_ROWS];
                for (int r = 0; r < TK_NEON_ROWS; r++)
                    for (int i = 0; i < TK_NEON_REGS; i++) c16[r].a[i] = c16[r].b[i] = vdupq_n_u16(0);
                for (long k = k0; k < k1; k++) {
                    uint64x2_t xx0[TK_NEON_REGS], xx1[TK_NEON_REGS];
                    for (int i = 0; i < TK_NEON_REGS; i++) {
                        xx0[i] = vld1q_u64(x0 + k * TK_BLOCK + 2 * i);
                        xx1[i] = two ? vld1q_u64(x1 + k * TK_BLOCK + 2 * i) : xx0[i];
                    }
                    for (int r = 0; r < TK_NEON_ROWS; r++) {
                        uint64x2_t ww0 = vdupq_n_u64(w0[r][k]);
                        uint64x2_t ww1 = two ? vdupq_n_u64(w1[r][k]) : ww0;
                        for (int i = 0; i < TK_NEON_REGS; i++) step(kind, xx0[i], xx1[i], ww0, ww1, &c16[r].a[i], &c16[r].b[i]);
                    }
                }
                for (int r = 0; r < TK_NEON_ROWS; r++)
                    for (int i = 0; i < TK_NEON_REGS; i++) {
                        c32[r].a[i] = vpadalq_u16(c32[r].a[i], c16[r].a[i]);
                        c32[r].b[i] = vpadalq_u16(c32[r].b[i], c16[r].b[i]);
                    }
            }
            for (int r = 0; r < TK_NEON_ROWS && m + r < a->m_count; r++) {
                int32_t v[TK_BLOCK];
                for (int i = 0; i < TK_NEON_REGS; i++) {
                    int64x2_t s = finish(kind, a->kbits, c32[r].a[i], c32[r].b[i]);
                    vst1_s32(v + 2 * i, vmovn_s64(s));
                }
                tk_store_partial(a->out + (m + r) * a->ldc + nb * TK_BLOCK, v, valid);
            }
        }
    }
}

void tk_gemm_neon(const tk_args *a) {
    switch (a->kind) {
    case TK_FATNN: kernel(a, TK_FATNN); break;
    case TK_TNN4: kernel(a, TK_TNN4); break;
    case TK_2BIT: kernel(a, TK_2BIT); break;
    case TK_2BIT_SIGNED: kernel(a, TK_2BIT_SIGNED); break;
    case TK_A2: kernel(a, TK_A2); break;
    default: kernel(a, TK_BINARY); break;
    }
}
#endif
