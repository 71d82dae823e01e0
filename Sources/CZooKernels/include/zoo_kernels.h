// CZooKernels: single-precision GEMM with a pre-packed right-hand side and a fused
// bias / residual / ReLU epilogue, for the convolution and dense executors.
//
// All matrices are row-major float32. The right-hand side B (K x N, e.g. a Keras HWIO conv
// kernel viewed as (kh*kw*cin) x cout, or a Dense kernel) is packed once with zoo_pack_b;
// zoo_sgemm_packed then multiplies any A (M x K: im2col patches, or the NHWC activation
// itself for 1x1 convolutions) by it.
//
// Implementations: "avx512" (x86-64 with AVX-512F), "avx2" (x86-64 with AVX2+FMA) and
// "portable" (plain C, any CPU). The best one the running CPU supports is picked at run time;
// the packed layout is the same for all of them.
//
// Thread safety: every function except zoo_kernels_force is safe to call from several threads
// at once. Calls that share C must write disjoint row ranges [m_begin, m_end) (or disjoint
// column ranges, see below). No function allocates memory; zoo_sgemm_packed uses at most
// about 45 KiB of stack.
//
// Splitting N instead of M (Dense layers with a small batch): the packed panels of columns
// [n0, n0 + n) with n0 a multiple of 32 are a contiguous slice, so
//   zoo_sgemm_packed(M, n, K, A, lda, packedB + (size_t)(n0 / 32) * K * 32, C + n0, ldc,
//                    bias ? bias + n0 : NULL, residual ? residual + n0 : NULL, ldr, relu, 0, M)
// computes just those columns (n may be ragged only for the last slice).
#ifndef ZOO_KERNELS_H
#define ZOO_KERNELS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Columns per packed panel of B. Packed B is ceil(N / 32) panels, each K rows x 32 floats
/// (row k of panel p holds B[k][32p ..< 32p + 32], zero-padded past column N).
#define ZOO_PACK_NR 32

/// Bytes zoo_pack_b writes for a K x N matrix: ceil(N / 32) * 32 * K * sizeof(float).
/// Returns 0 when K or N is not positive.
size_t zoo_pack_b_size(int K, int N);

/// Packs B (K x N, row stride ldb >= N, in floats) into dst, which must hold
/// zoo_pack_b_size(K, N) bytes. dst needs only float alignment; 64-byte alignment is faster.
void zoo_pack_b(int K, int N, const float *B, int ldb, float *dst);

/// C[m][n] = sum_k A[m][k] * B[k][n]  (+ bias[n] if bias != NULL)
///                                     (+ residual[m * ldr + n] if residual != NULL),
/// then max(0, .) if relu != 0 (NaN stays NaN), for rows m in [m_begin, m_end) only;
/// the other rows of C are neither read nor written. m_begin/m_end are clamped to [0, M].
///
/// lda, ldc and ldr are row strides in floats (lda >= K, ldc >= N, ldr >= N). residual may be
/// exactly C (residual == C and ldr == ldc: an in-place "C += A*B") but must not otherwise
/// overlap C; A, B and bias must not overlap C. With K == 0 the product is zero.
void zoo_sgemm_packed(int M, int N, int K, const float *A, int lda, const float *packedB,
                      float *C, int ldc, const float *bias, const float *residual, int ldr,
                      int relu, int m_begin, int m_end);

/// Packs B for zoo_sgemm_packed when it is stored transposed: B[k][n] = Bt[n * ldbt + k]
/// (Bt is N x K, row stride ldbt >= K). Same output layout and size as zoo_pack_b, so
/// zoo_sgemm_packed(..., dst, ...) computes A * Bt^T (the backward pass's dX = dY * W^T).
void zoo_pack_bt(int K, int N, const float *Bt, int ldbt, float *dst);

/// dst[c * ldd + r] = src[r * lds + c] for r < rows, c < cols (blocked). src and dst must not
/// overlap. With it, A^T * B (the backward pass's dW = X^T * dY) runs on zoo_sgemm_packed.
void zoo_transpose(int rows, int cols, const float *src, int lds, float *dst, int ldd);

/// Forces an implementation: "avx512", "avx2" or "portable"; NULL (or "auto") restores the
/// automatic choice. Returns 1 when applied, 0 when the name is unknown or the CPU lacks
/// the instructions (the selection is then unchanged). Process-wide; meant for tests and
/// benchmarks, not to be called while other threads are inside zoo_sgemm_packed.
int zoo_kernels_force(const char *name);

/// The implementation zoo_sgemm_packed uses now: "avx512", "avx2" or "portable".
const char *zoo_kernels_active(void);

/// Rows of one micro-kernel tile of the active implementation (14 for avx512, 6 for avx2,
/// 8 for portable): row ranges that are multiples of it run only full tiles.
int zoo_kernels_tile_rows(void);

/// 1 if this CPU (and this build) can run the named implementation, else 0.
int zoo_kernels_supported(const char *name);

/// Activation functions zoo_activation computes (Keras 3's formulas).
enum {
    ZOO_ACT_SILU = 1,              // x * sigmoid(x)
    ZOO_ACT_SIGMOID = 2,           // 1 / (1 + e^-x)
    ZOO_ACT_GELU = 3,              // 0.5 x (1 + erf(x / sqrt 2)), erfc to 1.2e-7 relative
    ZOO_ACT_GELU_TANH = 4,         // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
    ZOO_ACT_HARD_SIGMOID = 5,      // clamp(x + 3, 0, 6) / 6
    ZOO_ACT_HARD_SIGMOID_KERAS2 = 6,  // clamp(0.2 x + 0.5, 0, 1)
    ZOO_ACT_HARD_SILU = 7,         // x * clamp(x + 3, 0, 6) / 6
    ZOO_ACT_RELU6 = 8,             // clamp(x, 0, 6)
};

/// Applies activation `kind` in place to v[0 ..< count] with the implementation in use
/// (AVX-512, AVX2+FMA or portable C; e^x is Cephes's expf polynomial, within a few ulp).
/// NaN stays NaN. Returns 1, or 0 (v untouched) for an unknown kind. Thread-safe; v needs
/// only float alignment.
int zoo_activation(int kind, float *v, size_t count);

/// One output row of a depthwise convolution with depth multiplier 1 (NHWC, Keras kernel
/// (kh, kw, C, 1) as kh*kw*C floats): out_row[ox][c] = bias[c] + sum over the in-bounds taps
/// of image[iy][ix][c] * kernel[ky][kx][c], iy = oy*sh - pad_top + ky*dh (ix likewise),
/// taps outside the image read as zero. `image` is the one image the row belongs to.
typedef struct {
    int in_h, in_w, channels;
    int kh, kw, sh, sw, dh, dw, pad_top, pad_left;
    int oy, out_w;
    const float *kernel;
    const float *bias;  // NULL: none
} zoo_depthwise_args;

/// Computes one output row (out_w * channels floats) with the implementation in use.
void zoo_depthwise_row(const zoo_depthwise_args *args, const float *image, float *out_row);

/// zoo_depthwise_row with the named implementation, for tests; 0 when the CPU cannot run it.
int zoo_depthwise_row_using(const char *implementation, const zoo_depthwise_args *args, const float *image, float *out_row);

/// zoo_activation with the named implementation ("avx512", "avx2" or "portable") instead of
/// the one in use, for tests; returns 0 when the CPU cannot run it or the kind is unknown.
int zoo_activation_using(const char *implementation, int kind, float *v, size_t count);

#ifdef __cplusplus
}
#endif

#endif
