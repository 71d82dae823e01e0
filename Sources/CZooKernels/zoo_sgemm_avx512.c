// AVX-512 micro-kernel: up to 14 rows x 32 columns (28 zmm accumulators), A read in place
// (one broadcast per row and k), B from the packed 32-wide panel, fused epilogue with masked
// loads/stores for the last panel of N.
//
// Written as inline assembly so that it runs at full speed whatever the optimisation level
// SwiftPM builds C targets with (-O0 in debug, -O2 in release). One asm template serves every
// row count: the rows past MR are dropped by the assembler's `.if` directive.
#include "zoo_kernels_internal.h"

#ifdef ZK_X86

#define ZK_STR(x) #x

// Row r of the tile: rows 0-4 from %rax, 5-9 from %rbx (= rax + 5 lda), 10-13 from %rcx
// (= rax + 10 lda); %rdx = lda, %rsi = 3 lda.
#define A0 "(%%rax)"
#define A1 "(%%rax,%%rdx,1)"
#define A2 "(%%rax,%%rdx,2)"
#define A3 "(%%rax,%%rsi,1)"
#define A4 "(%%rax,%%rdx,4)"
#define A5 "(%%rbx)"
#define A6 "(%%rbx,%%rdx,1)"
#define A7 "(%%rbx,%%rdx,2)"
#define A8 "(%%rbx,%%rsi,1)"
#define A9 "(%%rbx,%%rdx,4)"
#define A10 "(%%rcx)"
#define A11 "(%%rcx,%%rdx,1)"
#define A12 "(%%rcx,%%rdx,2)"
#define A13 "(%%rcx,%%rsi,1)"

// The same rows of the next tile (14 rows down): %r14 = row 14, %r15 = row 19.
#define N0 "(%%r14)"
#define N1 "(%%r14,%%rdx,1)"
#define N2 "(%%r14,%%rdx,2)"
#define N3 "(%%r14,%%rsi,1)"
#define N4 "(%%r14,%%rdx,4)"
#define N5 "(%%r15)"
#define N6 "(%%r15,%%rdx,1)"
#define N7 "(%%r15,%%rdx,2)"
#define N8 "(%%r15,%%rsi,1)"
#define N9 "(%%r15,%%rdx,4)"
#define N10 "(%%rax,%%rsi,8)"
#define N11 "(%%r15,%%rsi,2)"
#define N12 "(%%r14,%%rsi,4)"
#define N13 "(%%r15,%%rdx,8)"

#define PF_ROW(MRS, r, ADDR) ".if " MRS " > " #r "\n\t" "prefetcht0 " ADDR "\n\t" ".endif\n\t"
// Prefetch the A rows of the next tile at the current k (they are what this kernel reads next
// when it walks down M; rows of A are short for small K and the hardware prefetchers miss them).
#define PREFETCH_NEXT(MRS)                                                                   \
    PF_ROW(MRS, 0, N0) PF_ROW(MRS, 1, N1) PF_ROW(MRS, 2, N2) PF_ROW(MRS, 3, N3)              \
    PF_ROW(MRS, 4, N4) PF_ROW(MRS, 5, N5) PF_ROW(MRS, 6, N6) PF_ROW(MRS, 7, N7)              \
    PF_ROW(MRS, 8, N8) PF_ROW(MRS, 9, N9) PF_ROW(MRS, 10, N10) PF_ROW(MRS, 11, N11)          \
    PF_ROW(MRS, 12, N12) PF_ROW(MRS, 13, N13)


// ---- k step: B row into zmm28/29, then per row a broadcast and two FMAs.
#define FMA_ROW(MRS, r, AOFF, ADDR, BC, C0, C1)                                              \
    ".if " MRS " > " #r "\n\t"                                                               \
    "vbroadcastss " AOFF ADDR ", %%zmm" BC "\n\t"                                            \
    "vfmadd231ps %%zmm28, %%zmm" BC ", %%zmm" C0 "\n\t"                                      \
    "vfmadd231ps %%zmm29, %%zmm" BC ", %%zmm" C1 "\n\t"                                      \
    ".endif\n\t"

#define KSTEP(MRS, AOFF, B0, B1)                                                             \
    "vmovups " B0 "(%%r12), %%zmm28\n\t"                                                     \
    "vmovups " B1 "(%%r12), %%zmm29\n\t"                                                     \
    FMA_ROW(MRS, 0, AOFF, A0, "30", "0", "1")                                                \
    FMA_ROW(MRS, 1, AOFF, A1, "31", "2", "3")                                                \
    FMA_ROW(MRS, 2, AOFF, A2, "30", "4", "5")                                                \
    FMA_ROW(MRS, 3, AOFF, A3, "31", "6", "7")                                                \
    FMA_ROW(MRS, 4, AOFF, A4, "30", "8", "9")                                                \
    FMA_ROW(MRS, 5, AOFF, A5, "31", "10", "11")                                              \
    FMA_ROW(MRS, 6, AOFF, A6, "30", "12", "13")                                              \
    FMA_ROW(MRS, 7, AOFF, A7, "31", "14", "15")                                              \
    FMA_ROW(MRS, 8, AOFF, A8, "30", "16", "17")                                              \
    FMA_ROW(MRS, 9, AOFF, A9, "31", "18", "19")                                              \
    FMA_ROW(MRS, 10, AOFF, A10, "30", "20", "21")                                            \
    FMA_ROW(MRS, 11, AOFF, A11, "31", "22", "23")                                            \
    FMA_ROW(MRS, 12, AOFF, A12, "30", "24", "25")                                            \
    FMA_ROW(MRS, 13, AOFF, A13, "31", "26", "27")

// ---- apply OP(C0, C1) to every live row; OP may use the row pointer %rax, which advances by
// %rdx after each row.
#define EACH_ROW(MRS, OP)                                                                    \
    ".if " MRS " > 0\n\t" OP("0", "1") ".endif\n\t"                                          \
    ".if " MRS " > 1\n\t" OP("2", "3") ".endif\n\t"                                          \
    ".if " MRS " > 2\n\t" OP("4", "5") ".endif\n\t"                                          \
    ".if " MRS " > 3\n\t" OP("6", "7") ".endif\n\t"                                          \
    ".if " MRS " > 4\n\t" OP("8", "9") ".endif\n\t"                                          \
    ".if " MRS " > 5\n\t" OP("10", "11") ".endif\n\t"                                        \
    ".if " MRS " > 6\n\t" OP("12", "13") ".endif\n\t"                                        \
    ".if " MRS " > 7\n\t" OP("14", "15") ".endif\n\t"                                        \
    ".if " MRS " > 8\n\t" OP("16", "17") ".endif\n\t"                                        \
    ".if " MRS " > 9\n\t" OP("18", "19") ".endif\n\t"                                        \
    ".if " MRS " > 10\n\t" OP("20", "21") ".endif\n\t"                                       \
    ".if " MRS " > 11\n\t" OP("22", "23") ".endif\n\t"                                       \
    ".if " MRS " > 12\n\t" OP("24", "25") ".endif\n\t"                                       \
    ".if " MRS " > 13\n\t" OP("26", "27") ".endif\n\t"

#define OP_ZERO(C0, C1)                                                                      \
    "vpxord %%zmm" C0 ", %%zmm" C0 ", %%zmm" C0 "\n\t"                                       \
    "vpxord %%zmm" C1 ", %%zmm" C1 ", %%zmm" C1 "\n\t"
// Prefetch the C row for writing (both cache lines).
#define OP_PREFETCH(C0, C1)                                                                  \
    "prefetchw (%%rax)\n\t"                                                                  \
    "prefetchw 64(%%rax)\n\t"                                                                \
    "add %%rdx, %%rax\n\t"
// Add the row at %rax (masked: columns outside the panel's mask are neither read nor faulted).
#define OP_ADDROW(C0, C1)                                                                    \
    "vmovups (%%rax), %%zmm30%{%%k1%}%{z%}\n\t"                                              \
    "vmovups 64(%%rax), %%zmm31%{%%k2%}%{z%}\n\t"                                            \
    "vaddps %%zmm30, %%zmm" C0 ", %%zmm" C0 "\n\t"                                           \
    "vaddps %%zmm31, %%zmm" C1 ", %%zmm" C1 "\n\t"                                           \
    "add %%rdx, %%rax\n\t"
#define OP_BIAS(C0, C1)                                                                      \
    "vaddps %%zmm28, %%zmm" C0 ", %%zmm" C0 "\n\t"                                           \
    "vaddps %%zmm29, %%zmm" C1 ", %%zmm" C1 "\n\t"
// max(0, x): the second source (x) is returned when either is NaN, so NaN propagates.
#define OP_RELU(C0, C1)                                                                      \
    "vmaxps %%zmm" C0 ", %%zmm30, %%zmm" C0 "\n\t"                                           \
    "vmaxps %%zmm" C1 ", %%zmm30, %%zmm" C1 "\n\t"
#define OP_STORE(C0, C1)                                                                     \
    "vmovups %%zmm" C0 ", (%%rax)%{%%k1%}\n\t"                                               \
    "vmovups %%zmm" C1 ", 64(%%rax)%{%%k2%}\n\t"                                             \
    "add %%rdx, %%rax\n\t"

// Register use: r8 = A tile, r9 = C tile, r10 = residual tile, r11 = tiles left,
// rax/rbx/rcx/rdx/rsi = A rows (see A0...A13), r12 = B, r13 = k left, r14/r15 = next tile's A
// rows in the K loop and scratch in the epilogue; zmm0-27 accumulators, zmm28/29 B row,
// zmm30/31 broadcasts; k1/k2 = column masks of the two halves of the panel.
#define KERNEL512(MRS)                                                                       \
    "mov 0(%[p]), %%r8\n\t"                                                                  \
    "mov 32(%[p]), %%r9\n\t"                                                                 \
    "mov 56(%[p]), %%r10\n\t"                                                                \
    "mov 88(%[p]), %%r11\n\t"                                                                \
    "mov 80(%[p]), %%r14\n\t"                                                                \
    "kmovw %%r14d, %%k1\n\t"                                                                 \
    "shr $16, %%r14\n\t"                                                                     \
    "kmovw %%r14d, %%k2\n\t"                                                                 \
    "test %%r11, %%r11\n\t"                                                                  \
    "jz 9f\n\t"                                                                              \
    "1:\n\t"                                                                                 \
    /* C rows: prefetch for writing while the K loop runs */                                 \
    "mov %%r9, %%rax\n\t"                                                                    \
    "mov 40(%[p]), %%rdx\n\t"                                                                \
    EACH_ROW(MRS, OP_PREFETCH)                                                               \
    "mov %%r8, %%rax\n\t"                                                                    \
    "mov 8(%[p]), %%rdx\n\t"                                                                 \
    "lea (%%rdx,%%rdx,2), %%rsi\n\t"                                                         \
    "lea (%%rax,%%rdx,4), %%rbx\n\t"                                                         \
    "add %%rdx, %%rbx\n\t"                                                                   \
    "lea (%%rbx,%%rdx,4), %%rcx\n\t"                                                         \
    "add %%rdx, %%rcx\n\t"                                                                   \
    "imul $14, %%rdx, %%r14\n\t"                                                              \
    "add %%rax, %%r14\n\t"                                                                   \
    "lea (%%r14,%%rdx,4), %%r15\n\t"                                                         \
    "add %%rdx, %%r15\n\t"                                                                   \
    "mov 16(%[p]), %%r12\n\t"                                                                \
    "mov 24(%[p]), %%r13\n\t"                                                                \
    EACH_ROW(MRS, OP_ZERO)                                                                   \
    "cmp $4, %%r13\n\t"                                                                      \
    "jl 3f\n\t"                                                                              \
    ".p2align 5\n\t"                                                                         \
    "2:\n\t"                                                                                 \
    PREFETCH_NEXT(MRS)                                                                       \
    KSTEP(MRS, "0", "0", "64")                                                               \
    KSTEP(MRS, "4", "128", "192")                                                            \
    KSTEP(MRS, "8", "256", "320")                                                            \
    KSTEP(MRS, "12", "384", "448")                                                           \
    "add $16, %%rax\n\t"                                                                     \
    "add $16, %%rbx\n\t"                                                                     \
    "add $16, %%rcx\n\t"                                                                     \
    "add $16, %%r14\n\t"                                                                     \
    "add $16, %%r15\n\t"                                                                     \
    "add $512, %%r12\n\t"                                                                    \
    "sub $4, %%r13\n\t"                                                                      \
    "cmp $4, %%r13\n\t"                                                                      \
    "jge 2b\n\t"                                                                             \
    "3:\n\t"                                                                                 \
    "test %%r13, %%r13\n\t"                                                                  \
    "jz 5f\n\t"                                                                              \
    "4:\n\t"                                                                                 \
    KSTEP(MRS, "0", "0", "64")                                                               \
    "add $4, %%rax\n\t"                                                                      \
    "add $4, %%rbx\n\t"                                                                      \
    "add $4, %%rcx\n\t"                                                                      \
    "add $128, %%r12\n\t"                                                                    \
    "dec %%r13\n\t"                                                                          \
    "jnz 4b\n\t"                                                                             \
    "5:\n\t"                                                                                 \
    ZK_EPILOGUE(MRS, /* bias under the column masks */                                       \
                "vmovups (%%rax), %%zmm28%{%%k1%}%{z%}\n\t"                                  \
                "vmovups 64(%%rax), %%zmm29%{%%k2%}%{z%}\n\t",                               \
                "vpxord %%zmm30, %%zmm30, %%zmm30\n\t")

#define ZK_CLOBBERS                                                                          \
    "rax", "rbx", "rcx", "rdx", "rsi", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", \
    "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10",  \
    "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", "xmm16", "xmm17", "xmm18", "xmm19",          \
    "xmm20", "xmm21", "xmm22", "xmm23", "xmm24", "xmm25", "xmm26", "xmm27", "xmm28",          \
    "xmm29", "xmm30", "xmm31", "k1", "k2", "cc", "memory"

#define DEF512(MR)                                                                           \
    __attribute__((target("avx512f"), noinline)) static void zk512_##MR(zk_args *p) {      \
        __asm__ volatile(KERNEL512(ZK_STR(MR)) : : [p] "r"(p) : ZK_CLOBBERS);                \
    }

DEF512(1)
DEF512(2)
DEF512(3)
DEF512(4)
DEF512(5)
DEF512(6)
DEF512(7)
DEF512(8)
DEF512(9)
DEF512(10)
DEF512(11)
DEF512(12)
DEF512(13)
DEF512(14)

void zk_avx512_kernel(zk_args *args, int mr) {
    switch (mr) {
    case 1: zk512_1(args); break;
    case 2: zk512_2(args); break;
    case 3: zk512_3(args); break;
    case 4: zk512_4(args); break;
    case 5: zk512_5(args); break;
    case 6: zk512_6(args); break;
    case 7: zk512_7(args); break;
    case 8: zk512_8(args); break;
    case 9: zk512_9(args); break;
    case 10: zk512_10(args); break;
    case 11: zk512_11(args); break;
    case 12: zk512_12(args); break;
    case 13: zk512_13(args); break;
    case 14: zk512_14(args); break;
    default: break;
    }
}

#endif
