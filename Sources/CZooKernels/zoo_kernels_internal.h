// Private to CZooKernels: the micro-kernel calling convention shared by the driver and
// the per-ISA kernels.
#ifndef ZOO_KERNELS_INTERNAL_H
#define ZOO_KERNELS_INTERNAL_H

#include <stdint.h>

// Epilogue flags.
#define ZK_ACC 1   // add the values already in C (a later K block)
#define ZK_BIAS 2  // add bias[n]
#define ZK_RES 4   // add residual[m][n]
#define ZK_RELU 8  // max(0, x), NaN kept

// One call computes `ntiles` consecutive row tiles of MR rows by one 32-column panel (the
// AVX2 kernel: one 16-column half panel). The asm kernels read the fields at fixed offsets:
// keep every field 8 bytes wide and in this order.
typedef struct {
    const float *a;      //  0: A at (first row, first k of the block)
    intptr_t lda;        //  8: bytes
    const float *b;      // 16: packed panel at the first k of the block; rows are 128 bytes apart
    intptr_t kc;         // 24: k iterations (>= 1)
    float *c;            // 32: C at (first row, first column of the panel)
    intptr_t ldc;        // 40: bytes
    const float *bias;   // 48: bias at the first column of the panel (ZK_BIAS)
    const float *res;    // 56: residual at (first row, first column) (ZK_RES)
    intptr_t ldr;        // 64: bytes
    intptr_t flags;      // 72: ZK_* bits
    intptr_t mask;       // 80: valid columns as a bit mask (bit j = column j of the panel)
    intptr_t ntiles;     // 88: row tiles of MR rows
} zk_args;

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define ZK_X86 1
// mr = rows per tile, 1...14; the columns of the panel outside `mask` are not touched.
void zk_avx512_kernel(zk_args *args, int mr);
// mr = 1...6; exactly 16 columns (mask ignored): the driver handles narrower edges.
void zk_avx2_kernel(zk_args *args, int mr);
#endif

#endif
