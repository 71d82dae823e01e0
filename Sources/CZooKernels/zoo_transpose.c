// What the backward pass needs besides zoo_sgemm_packed: packing a right-hand side that is
// stored transposed (products A * B^T, e.g. dX = dY * W^T), and a blocked transpose of the
// left-hand side (products A^T * B, e.g. dW = X^T * dY). With these, every product of the
// forward and backward passes runs on the same runtime-dispatched micro-kernels.
#include "zoo_kernels.h"

#include <string.h>

void zoo_pack_bt(int K, int N, const float *Bt, int ldbt, float *dst) {
    if (K <= 0 || N <= 0) return;
    int panels = (N + ZOO_PACK_NR - 1) / ZOO_PACK_NR;
    for (int p = 0; p < panels; p++) {
        int j0 = p * ZOO_PACK_NR;
        int w = N - j0 < ZOO_PACK_NR ? N - j0 : ZOO_PACK_NR;
        float *d = dst + (size_t)p * K * ZOO_PACK_NR;
        // Row j of Bt is column j0 + j of B: walk K in blocks so the 32 source rows stay cached.
        for (int k0 = 0; k0 < K; k0 += 64) {
            int k1 = K - k0 < 64 ? K : k0 + 64;
            for (int k = k0; k < k1; k++) {
                float *row = d + (size_t)k * ZOO_PACK_NR;
                for (int j = 0; j < w; j++) row[j] = Bt[(size_t)(j0 + j) * ldbt + k];
                for (int j = w; j < ZOO_PACK_NR; j++) row[j] = 0;
            }
        }
    }
}

void zoo_transpose(int rows, int cols, const float *src, int lds, float *dst, int ldd) {
    if (rows <= 0 || cols <= 0) return;
    enum { T = 16 };
    for (int r0 = 0; r0 < rows; r0 += T) {
        int r1 = rows - r0 < T ? rows : r0 + T;
        for (int c0 = 0; c0 < cols; c0 += T) {
            int c1 = cols - c0 < T ? cols : c0 + T;
            for (int c = c0; c < c1; c++) {
                float *d = dst + (size_t)c * ldd;
                for (int r = r0; r < r1; r++) d[r] = src[(size_t)r * lds + c];
            }
        }
    }
}
