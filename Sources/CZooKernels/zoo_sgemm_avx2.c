// AVX2+FMA micro-kernel: up to 6 rows x 16 columns (12 ymm accumulators) over one half of a
// packed 32-wide panel, fused epilogue. Always full 16 columns: the driver runs the narrower
// last columns of N through a scratch tile.
//
// Inline assembly for the same reason as the AVX-512 kernel: full speed at -O0 and -O2 alike.
#include "zoo_kernels_internal.h"

#ifdef ZK_X86

#define ZK_STR(x) #x

#define A0 "(%%rax)"
#define A1 "(%%rax,%%rdx,1)"
#define A2 "(%%rax,%%rdx,2)"
#define A3 "(%%rax,%%rsi,1)"
#define A4 "(%%rax,%%rdx,4)"
#define A5 "(%%rbx)"

// The same rows of the next tile (6 rows down): %r14 = row 6.
#define N0 "(%%r14)"
#define N1 "(%%r14,%%rdx,1)"
#define N2 "(%%r14,%%rdx,2)"
#define N3 "(%%r14,%%rsi,1)"
#define N4 "(%%r14,%%rdx,4)"
#define N5 "(%%rbx,%%rsi,2)"
#define PF_ROW(MRS, r, ADDR) ".if " MRS " > " #r "\n\t" "prefetcht0 " ADDR "\n\t" ".endif\n\t"
#define PREFETCH_NEXT(MRS)                                                                   \
    PF_ROW(MRS, 0, N0) PF_ROW(MRS, 1, N1) PF_ROW(MRS, 2, N2) PF_ROW(MRS, 3, N3)              \
    PF_ROW(MRS, 4, N4) PF_ROW(MRS, 5, N5)

#define FMA_ROW(MRS, r, AOFF, ADDR, BC, C0, C1)                                              \
    ".if " MRS " > " #r "\n\t"                                                               \
    "vbroadcastss " AOFF ADDR ", %%ymm" BC "\n\t"                                            \
    "vfmadd231ps %%ymm12, %%ymm" BC ", %%ymm" C0 "\n\t"                                      \
    "vfmadd231ps %%ymm13, %%ymm" BC ", %%ymm" C1 "\n\t"                                      \
    ".endif\n\t"

// B rows are 128 bytes apart (32-wide panel); this kernel reads 64 of them.
#define KSTEP(MRS, AOFF, B0, B1)                                                             \
    "vmovups " B0 "(%%r12), %%ymm12\n\t"                                                     \
    "vmovups " B1 "(%%r12), %%ymm13\n\t"                                                     \
    FMA_ROW(MRS, 0, AOFF, A0, "14", "0", "1")                                                \
    FMA_ROW(MRS, 1, AOFF, A1, "15", "2", "3")                                                \
    FMA_ROW(MRS, 2, AOFF, A2, "14", "4", "5")                                                \
    FMA_ROW(MRS, 3, AOFF, A3, "15", "6", "7")                                                \
    FMA_ROW(MRS, 4, AOFF, A4, "14", "8", "9")                                                \
    FMA_ROW(MRS, 5, AOFF, A5, "15", "10", "11")

#define EACH_ROW(MRS, OP)                                                                    \
    ".if " MRS " > 0\n\t" OP("0", "1") ".endif\n\t"                                          \
    ".if " MRS " > 1\n\t" OP("2", "3") ".endif\n\t"                                          \
    ".if " MRS " > 2\n\t" OP("4", "5") ".endif\n\t"                                          \
    ".if " MRS " > 3\n\t" OP("6", "7") ".endif\n\t"                                          \
    ".if " MRS " > 4\n\t" OP("8", "9") ".endif\n\t"                                          \
    ".if " MRS " > 5\n\t" OP("10", "11") ".endif\n\t"

#define OP_ZERO(C0, C1)                                                                      \
    "vxorps %%ymm" C0 ", %%ymm" C0 ", %%ymm" C0 "\n\t"                                       \
    "vxorps %%ymm" C1 ", %%ymm" C1 ", %%ymm" C1 "\n\t"
#define OP_PREFETCH(C0, C1)                                                                  \
    "prefetchw (%%rax)\n\t"                                                                  \
    "prefetchw 63(%%rax)\n\t"                                                                \
    "add %%rdx, %%rax\n\t"
#define OP_ADDROW(C0, C1)                                                                    \
    "vaddps (%%rax), %%ymm" C0 ", %%ymm" C0 "\n\t"                                           \
    "vaddps 32(%%rax), %%ymm" C1 ", %%ymm" C1 "\n\t"                                         \
    "add %%rdx, %%rax\n\t"
#define OP_BIAS(C0, C1)                                                                      \
    "vaddps %%ymm12, %%ymm" C0 ", %%ymm" C0 "\n\t"                                           \
    "vaddps %%ymm13, %%ymm" C1 ", %%ymm" C1 "\n\t"
#define OP_RELU(C0, C1)                                                                      \
    "vmaxps %%ymm" C0 ", %%ymm14, %%ymm" C0 "\n\t"                                           \
    "vmaxps %%ymm" C1 ", %%ymm14, %%ymm" C1 "\n\t"
#define OP_STORE(C0, C1)                                                                     \
    "vmovups %%ymm" C0 ", (%%rax)\n\t"                                                       \
    "vmovups %%ymm" C1 ", 32(%%rax)\n\t"                                                     \
    "add %%rdx, %%rax\n\t"

#define KERNEL256(MRS)                                                                       \
    "mov 0(%[p]), %%r8\n\t"                                                                  \
    "mov 32(%[p]), %%r9\n\t"                                                                 \
    "mov 56(%[p]), %%r10\n\t"                                                                \
    "mov 88(%[p]), %%r11\n\t"                                                                \
    "test %%r11, %%r11\n\t"                                                                  \
    "jz 9f\n\t"                                                                              \
    "1:\n\t"                                                                                 \
    "mov %%r9, %%rax\n\t"                                                                    \
    "mov 40(%[p]), %%rdx\n\t"                                                                \
    EACH_ROW(MRS, OP_PREFETCH)                                                               \
    "mov %%r8, %%rax\n\t"                                                                    \
    "mov 8(%[p]), %%rdx\n\t"                                                                 \
    "lea (%%rdx,%%rdx,2), %%rsi\n\t"                                                         \
    "lea (%%rax,%%rdx,4), %%rbx\n\t"                                                         \
    "add %%rdx, %%rbx\n\t"                                                                   \
    "lea (%%rax,%%rsi,2), %%r14\n\t"                                                         \
    "mov 16(%[p]), %%r12\n\t"                                                                \
    "mov 24(%[p]), %%r13\n\t"                                                                \
    EACH_ROW(MRS, OP_ZERO)                                                                   \
    "cmp $4, %%r13\n\t"                                                                      \
    "jl 3f\n\t"                                                                              \
    ".p2align 5\n\t"                                                                         \
    "2:\n\t"                                                                                 \
    PREFETCH_NEXT(MRS)                                                                       \
    KSTEP(MRS, "0", "0", "32")                                                               \
    KSTEP(MRS, "4", "128", "160")                                                            \
    KSTEP(MRS, "8", "256", "288")                                                            \
    KSTEP(MRS, "12", "384", "416")                                                           \
    "add $16, %%rax\n\t"                                                                     \
    "add $16, %%rbx\n\t"                                                                     \
    "add $16, %%r14\n\t"                                                                     \
    "add $512, %%r12\n\t"                                                                    \
    "sub $4, %%r13\n\t"                                                                      \
    "cmp $4, %%r13\n\t"                                                                      \
    "jge 2b\n\t"                                                                             \
    "3:\n\t"                                                                                 \
    "test %%r13, %%r13\n\t"                                                                  \
    "jz 5f\n\t"                                                                              \
    "4:\n\t"                                                                                 \
    KSTEP(MRS, "0", "0", "32")                                                               \
    "add $4, %%rax\n\t"                                                                      \
    "add $4, %%rbx\n\t"                                                                      \
    "add $128, %%r12\n\t"                                                                    \
    "dec %%r13\n\t"                                                                          \
    "jnz 4b\n\t"                                                                             \
    "5:\n\t"                                                                                 \
    ZK_EPILOGUE(MRS,                                                                         \
                "vmovups (%%rax), %%ymm12\n\t" "vmovups 32(%%rax), %%ymm13\n\t",                  \
                "vxorps %%ymm14, %%ymm14, %%ymm14\n\t")

#define ZK_CLOBBERS                                                                          \
    "rax", "rbx", "rcx", "rdx", "rsi", "r8", "r9", "r10", "r11", "r12", "r13", "r14",        \
    "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10",  \
    "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", "cc", "memory"

#define DEF256(MR)                                                                           \
    __attribute__((target("avx2,fma"), noinline)) static void zk256_##MR(zk_args *p) {      \
        __asm__ volatile(KERNEL256(ZK_STR(MR)) : : [p] "r"(p) : ZK_CLOBBERS);                \
    }

DEF256(1)
DEF256(2)
DEF256(3)
DEF256(4)
DEF256(5)
DEF256(6)

void zk_avx2_kernel(zk_args *args, int mr) {
    switch (mr) {
    case 1: zk256_1(args); break;
    case 2: zk256_2(args); break;
    case 3: zk256_3(args); break;
    case 4: zk256_4(args); break;
    case 5: zk256_5(args); break;
    case 6: zk256_6(args); break;
    default: break;
    }
}

#endif
