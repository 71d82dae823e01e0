// Winograd F(2x2, 3x3) transforms; see zoo_winograd.h. The loops run over channels, which NHWC
// stores contiguously, so the compiler vectorises them; target_clones builds an AVX-512, an
// AVX2 and a baseline copy and picks one at load time (no special compiler flags).
#include "zoo_winograd.h"

#include <string.h>

#if defined(__x86_64__) && defined(__clang__) && defined(__linux__)
#define ZW_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define ZW_CLONES
#endif

void zoo_wino_kernel(int C, int K, const float *hwio, float *u) {
    size_t plane = (size_t)C * K;
    for (int c = 0; c < C; c++) {
        for (int k = 0; k < K; k++) {
            double g[3][3], t[4][3];
            for (int y = 0; y < 3; y++)
                for (int x = 0; x < 3; x++) g[y][x] = hwio[((size_t)(y * 3 + x) * C + c) * K + k];
            for (int x = 0; x < 3; x++) {
                t[0][x] = g[0][x];
                t[1][x] = 0.5 * (g[0][x] + g[1][x] + g[2][x]);
                t[2][x] = 0.5 * (g[0][x] - g[1][x] + g[2][x]);
                t[3][x] = g[2][x];
            }
            for (int i = 0; i < 4; i++) {
                double r[4] = {t[i][0], 0.5 * (t[i][0] + t[i][1] + t[i][2]), 0.5 * (t[i][0] - t[i][1] + t[i][2]), t[i][2]};
                for (int j = 0; j < 4; j++) u[(size_t)(i * 4 + j) * plane + (size_t)c * K + k] = (float)r[j];
            }
        }
    }
}

// Channels are processed in blocks of ZW_BLOCK so that every inner loop is branch-free and
// vectorises: taps outside the input read a block of zeros.
#define ZW_BLOCK 64
static const float zw_zeros[ZW_BLOCK];  // ZW_BLOCK >= 16

// 16 floats as one vector (GCC/Clang vector extension: one zmm register with AVX-512, split
// into smaller registers on other targets). Loads and stores go through memcpy: no alignment
// is assumed.
typedef float zw_v16 __attribute__((vector_size(64)));

// Macros rather than functions: a 64-byte vector passed by value to a function compiled
// without AVX-512 would change the calling convention.
#define ZW_LOAD(v, p, n)                                   \
    do {                                                   \
        v = (zw_v16){0};                                   \
        memcpy(&(v), (p), (size_t)(n) * sizeof(float));    \
    } while (0)
#define ZW_STORE(p, expr, n)                               \
    do {                                                   \
        zw_v16 zw_tmp_ = (expr);                           \
        memcpy((p), &zw_tmp_, (size_t)(n) * sizeof(float)); \
    } while (0)

ZW_CLONES
void zoo_wino_input(const float *input, int H, int W, int C, int pad_top, int pad_left, int tiles_w,
                    int tiles_per_image, int t_begin, int t_end, float *v, long ldv) {
    for (int t = t_begin; t < t_end; t++) {
        int n = t / tiles_per_image, r = t % tiles_per_image;
        int y0 = 2 * (r / tiles_w) - pad_top, x0 = 2 * (r % tiles_w) - pad_left;
        const float *rows[4][4];
        for (int y = 0; y < 4; y++)
            for (int x = 0; x < 4; x++) {
                int iy = y0 + y, ix = x0 + x;
                rows[y][x] = (iy >= 0 && iy < H && ix >= 0 && ix < W) ? input + (((size_t)n * H + iy) * W + ix) * C : zw_zeros;
            }
        float *dst = v + (size_t)(t - t_begin) * C;
        for (int c = 0; c < C; c += 16) {
            int nc = C - c < 16 ? C - c : 16;
            zw_v16 s[4][4];
            for (int x = 0; x < 4; x++) {
                const float *p0 = rows[0][x] == zw_zeros ? zw_zeros : rows[0][x] + c;
                const float *p1 = rows[1][x] == zw_zeros ? zw_zeros : rows[1][x] + c;
                const float *p2 = rows[2][x] == zw_zeros ? zw_zeros : rows[2][x] + c;
                const float *p3 = rows[3][x] == zw_zeros ? zw_zeros : rows[3][x] + c;
                zw_v16 d0, d1, d2, d3;
                ZW_LOAD(d0, p0, nc);
                ZW_LOAD(d1, p1, nc);
                ZW_LOAD(d2, p2, nc);
                ZW_LOAD(d3, p3, nc);
                s[0][x] = d0 - d2;
                s[1][x] = d1 + d2;
                s[2][x] = d2 - d1;
                s[3][x] = d1 - d3;
            }
            float *o = dst + c;
            for (int i = 0; i < 4; i++) {
                ZW_STORE(o + (i * 4 + 0) * ldv, s[i][0] - s[i][2], nc);
                ZW_STORE(o + (i * 4 + 1) * ldv, s[i][1] + s[i][2], nc);
                ZW_STORE(o + (i * 4 + 2) * ldv, s[i][2] - s[i][1], nc);
                ZW_STORE(o + (i * 4 + 3) * ldv, s[i][1] - s[i][3], nc);
            }
        }
    }
}

ZW_CLONES
void zoo_wino_output(const float *m, long ldm, int out_h, int out_w, int K, int tiles_w, int tiles_per_image,
                     int t_begin, int t_end, const float *bias, const float *residual, int relu, float *output) {
    float y[2][2][ZW_BLOCK];
    for (int t = t_begin; t < t_end; t++) {
        int n = t / tiles_per_image, r = t % tiles_per_image;
        int oy = 2 * (r / tiles_w), ox = 2 * (r % tiles_w);
        const float *src = m + (size_t)(t - t_begin) * K;
        for (int k0 = 0; k0 < K; k0 += ZW_BLOCK) {
            int nk = K - k0 < ZW_BLOCK ? K - k0 : ZW_BLOCK;
            const float *a = src + k0;
            const float *b = bias ? bias + k0 : zw_zeros;
            for (int k = 0; k < nk; k++) {
                float s[2][4];
                for (int j = 0; j < 4; j++) {
                    float a0 = a[j * ldm + k], a1 = a[(4 + j) * ldm + k], a2 = a[(8 + j) * ldm + k], a3 = a[(12 + j) * ldm + k];
                    s[0][j] = a0 + a1 + a2;
                    s[1][j] = a1 - a2 - a3;
                }
                for (int i = 0; i < 2; i++) {
                    y[i][0][k] = s[i][0] + s[i][1] + s[i][2] + b[k];
                    y[i][1][k] = s[i][1] - s[i][2] - s[i][3] + b[k];
                }
            }
            for (int i = 0; i < 2; i++) {
                for (int j = 0; j < 2; j++) {
                    if (oy + i >= out_h || ox + j >= out_w) continue;
                    size_t at = (((size_t)n * out_h + oy + i) * out_w + ox + j) * K + k0;
                    float *o = output + at, *v = y[i][j];
                    if (residual) {
                        const float *q = residual + at;
                        for (int k = 0; k < nk; k++) v[k] += q[k];
                    }
                    // max(0, x) that keeps NaN, like the GEMM epilogue.
                    if (relu)
                        for (int k = 0; k < nk; k++) v[k] = v[k] < 0 ? 0.0f : v[k];
                    memcpy(o, v, (size_t)nk * sizeof(float));
                }
            }
        }
    }
}
