// Private to CZooKernels: the micro-kernel calling convention shared by the driver and
// the per-ISA kernels.
#ifndef ZOO_KERNELS_INTERNAL_H
#define ZOO_KERNELS_INTERNAL_H

#include <stdint.h>

// The implementation in use (0 portable, 1 avx2, 2 avx512), as zoo_kernels_force and the
// CPU decide; the activation kernels follow the GEMM's choice.
int zk_active_impl(void);

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

// The end of both asm kernels' tile loop (label 1): move the A (%r8), C (%r9) and residual
// (%r10) tile pointers MRS rows down, loop while tiles are left (%r11), then leave (label 9)
// with the upper vector halves cleared. %[p] is the zk_args pointer; clobbers %rax.
#define ZK_NEXT_TILE(MRS)                                                                    \
    "mov 8(%[p]), %%rax\n\t"                                                                 \
    "imul $" MRS ", %%rax, %%rax\n\t"                                                        \
    "add %%rax, %%r8\n\t"                                                                    \
    "mov 40(%[p]), %%rax\n\t"                                                                \
    "imul $" MRS ", %%rax, %%rax\n\t"                                                        \
    "add %%rax, %%r9\n\t"                                                                    \
    "mov 64(%[p]), %%rax\n\t"                                                                \
    "imul $" MRS ", %%rax, %%rax\n\t"                                                        \
    "add %%rax, %%r10\n\t"                                                                   \
    "dec %%r11\n\t"                                                                          \
    "jnz 1b\n\t"                                                                             \
    "9:\n\t"                                                                                 \
    "vzeroupper\n\t"

// The epilogue both asm kernels run after the K loop (label 5), driven by the ZK_* flags:
// add C (a later K block), add the bias (LOAD_BIAS puts the panel's bias in the registers the
// file's OP_BIAS adds), add the residual, ReLU (ZERO clears the register OP_RELU compares
// with), store, and go to the next tile. EACH_ROW and the OP_* row macros are the including
// file's own, expanded where this is used.
#define ZK_EPILOGUE(MRS, LOAD_BIAS, ZERO)                                                    \
    "mov 72(%[p]), %%r14\n\t"                                                                \
    "test $1, %%r14\n\t" /* ZK_ACC */                                                        \
    "jz 6f\n\t"                                                                              \
    "mov %%r9, %%rax\n\t"                                                                    \
    "mov 40(%[p]), %%rdx\n\t"                                                                \
    EACH_ROW(MRS, OP_ADDROW)                                                                 \
    "6:\n\t"                                                                                 \
    "test $2, %%r14\n\t" /* ZK_BIAS */                                                       \
    "jz 7f\n\t"                                                                              \
    "mov 48(%[p]), %%rax\n\t"                                                                \
    LOAD_BIAS                                                                                \
    EACH_ROW(MRS, OP_BIAS)                                                                   \
    "7:\n\t"                                                                                 \
    "test $4, %%r14\n\t" /* ZK_RES */                                                        \
    "jz 8f\n\t"                                                                              \
    "mov %%r10, %%rax\n\t"                                                                   \
    "mov 64(%[p]), %%rdx\n\t"                                                                \
    EACH_ROW(MRS, OP_ADDROW)                                                                 \
    "8:\n\t"                                                                                 \
    "test $8, %%r14\n\t" /* ZK_RELU */                                                       \
    "jz 10f\n\t"                                                                             \
    ZERO                                                                                     \
    EACH_ROW(MRS, OP_RELU)                                                                   \
    "10:\n\t"                                                                                \
    "mov %%r9, %%rax\n\t"                                                                    \
    "mov 40(%[p]), %%rdx\n\t"                                                                \
    EACH_ROW(MRS, OP_STORE)                                                                  \
    ZK_NEXT_TILE(MRS)
// mr = rows per tile, 1...14; the columns of the panel outside `mask` are not touched.
void zk_avx512_kernel(zk_args *args, int mr);
// mr = 1...6; exactly 16 columns (mask ignored): the driver handles narrower edges.
void zk_avx2_kernel(zk_args *args, int mr);
#endif

#endif
