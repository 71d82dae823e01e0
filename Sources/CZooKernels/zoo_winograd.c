// Winograd F(2x2, 3x3) transforms; see zoo_winograd.h. The loops run over channels, which NHWC
// stores contiguously, so the compiler vectorises them; target_clones builds an AVX-512, an
// AVX2 and a baseline copy and picks one at load time (no special compiler flags).
#include "zoo_winograd.h"

#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) && defined(__clang__) && defined(__linux__)
#define ZW_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define ZW_CLONES
#endif

// U = G g G^T for every (input channel, output channel), in double and rounded once. The loops
// run over output channels, which HWIO stores contiguously, so they vectorise; `work` holds
// (m + 2) * 3 rows of K doubles.
static void zw_kernel(int m, int C, int K, const float *hwio, float *u, double *work) {
    static const double G2[4][3] = {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}};
    static const double G4[6][3] = {{1.0 / 4, 0, 0},           {-1.0 / 6, -1.0 / 6, -1.0 / 6}, {-1.0 / 6, 1.0 / 6, -1.0 / 6},
                                    {1.0 / 24, 1.0 / 12, 1.0 / 6}, {1.0 / 24, -1.0 / 12, 1.0 / 6}, {0, 0, 1}};
    int n = m + 2;
    const double(*G)[3] = m == 4 ? G4 : G2;
    size_t plane = (size_t)C * K;
    for (int c = 0; c < C; c++) {
        // t[i][x] = sum_y G[i][y] g[y][x], a row of K values each.
        for (int i = 0; i < n; i++)
            for (int x = 0; x < 3; x++) {
                double *t = work + (size_t)(i * 3 + x) * K;
                const float *g0 = hwio + ((size_t)(0 * 3 + x) * C + c) * K;
                const float *g1 = hwio + ((size_t)(1 * 3 + x) * C + c) * K;
                const float *g2 = hwio + ((size_t)(2 * 3 + x) * C + c) * K;
                for (int k = 0; k < K; k++) t[k] = G[i][0] * g0[k] + G[i][1] * g1[k] + G[i][2] * g2[k];
            }
        // u[i][j] = sum_x t[i][x] G[j][x].
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) {
                const double *t0 = work + (size_t)(i * 3 + 0) * K, *t1 = t0 + K, *t2 = t1 + K;
                float *out = u + (size_t)(i * n + j) * plane + (size_t)c * K;
                for (int k = 0; k < K; k++) out[k] = (float)(t0[k] * G[j][0] + t1[k] * G[j][1] + t2[k] * G[j][2]);
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
typedef int zw_i16 __attribute__((vector_size(64)));

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

// Pixel pointers of tile t's (m + 2) x (m + 2) input patch, row-major into `pixels`; taps
// outside the image point at zw_zeros.
static void zw_tile_pixels(const float *input, int H, int W, int C, int m, int pad_top, int pad_left, int tiles_w,
                           int tiles_per_image, int t, const float **pixels) {
    int n = t / tiles_per_image, r = t % tiles_per_image, size = m + 2;
    int y0 = m * (r / tiles_w) - pad_top, x0 = m * (r % tiles_w) - pad_left;
    for (int y = 0; y < size; y++)
        for (int x = 0; x < size; x++) {
            int iy = y0 + y, ix = x0 + x;
            pixels[y * size + x] = (iy >= 0 && iy < H && ix >= 0 && ix < W) ? input + (((size_t)n * H + iy) * W + ix) * C : zw_zeros;
        }
}

ZW_CLONES
static void zw_input2(const float *input, int H, int W, int C, int pad_top, int pad_left, int tiles_w,
                    int tiles_per_image, int t_begin, int t_end, float *v, long ldv) {
    for (int t = t_begin; t < t_end; t++) {
        const float *rows[4][4];
        zw_tile_pixels(input, H, W, C, 2, pad_top, pad_left, tiles_w, tiles_per_image, t, &rows[0][0]);
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
static void zw_output2(const float *m, long ldm, int out_h, int out_w, int K, int tiles_w, int tiles_per_image,
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

// ---------------------------------------------------------------------------------------
// F(4x4, 3x3): 6x6 input tiles, 36 products, 4x4 outputs (Lavin & Gray's matrices).

// B^T applied to six values (one column or row of a tile).
#define ZW_BT6(o, d0, d1, d2, d3, d4, d5)                 \
    do {                                                  \
        o[0] = 4.0f * (d0) - 5.0f * (d2) + (d4);          \
        o[1] = -4.0f * ((d1) + (d2)) + (d3) + (d4);       \
        o[2] = 4.0f * ((d1) - (d2)) - (d3) + (d4);        \
        o[3] = 2.0f * ((d3) - (d1)) - (d2) + (d4);        \
        o[4] = 2.0f * ((d1) - (d3)) - (d2) + (d4);        \
        o[5] = 4.0f * (d1) - 5.0f * (d3) + (d5);          \
    } while (0)

ZW_CLONES
static void zw_input4(const float *input, int H, int W, int C, int pad_top, int pad_left, int tiles_w,
                      int tiles_per_image, int t_begin, int t_end, float *v, long ldv) {
    for (int t = t_begin; t < t_end; t++) {
        const float *rows[6][6];
        zw_tile_pixels(input, H, W, C, 4, pad_top, pad_left, tiles_w, tiles_per_image, t, &rows[0][0]);
        float *dst = v + (size_t)(t - t_begin) * C;
        for (int c = 0; c < C; c += 16) {
            int nc = C - c < 16 ? C - c : 16;
            zw_v16 s[6][6];
            for (int x = 0; x < 6; x++) {
                zw_v16 d[6], o[6];
                for (int y = 0; y < 6; y++) ZW_LOAD(d[y], rows[y][x] == zw_zeros ? zw_zeros : rows[y][x] + c, nc);
                ZW_BT6(o, d[0], d[1], d[2], d[3], d[4], d[5]);
                for (int i = 0; i < 6; i++) s[i][x] = o[i];
            }
            float *out = dst + c;
            for (int i = 0; i < 6; i++) {
                zw_v16 o[6];
                ZW_BT6(o, s[i][0], s[i][1], s[i][2], s[i][3], s[i][4], s[i][5]);
                for (int j = 0; j < 6; j++) ZW_STORE(out + (i * 6 + j) * ldv, o[j], nc);
            }
        }
    }
}

// A^T applied to six values.
#define ZW_AT6(o, m0, m1, m2, m3, m4, m5)                       \
    do {                                                        \
        o[0] = (m0) + (m1) + (m2) + (m3) + (m4);                \
        o[1] = (m1) - (m2) + 2.0f * ((m3) - (m4));              \
        o[2] = (m1) + (m2) + 4.0f * ((m3) + (m4));              \
        o[3] = (m1) - (m2) + 8.0f * ((m3) - (m4)) + (m5);       \
    } while (0)

ZW_CLONES
static void zw_output4(const float *m, long ldm, int out_h, int out_w, int K, int tiles_w, int tiles_per_image,
                       int t_begin, int t_end, const float *bias, const float *residual, int relu, float *output) {
    for (int t = t_begin; t < t_end; t++) {
        int n = t / tiles_per_image, r = t % tiles_per_image;
        int oy = 4 * (r / tiles_w), ox = 4 * (r % tiles_w);
        const float *src = m + (size_t)(t - t_begin) * K;
        for (int k0 = 0; k0 < K; k0 += 16) {
            int nk = K - k0 < 16 ? K - k0 : 16;
            zw_v16 s[4][6], b;
            ZW_LOAD(b, bias ? bias + k0 : zw_zeros, nk);
            for (int j = 0; j < 6; j++) {
                zw_v16 a[6], o[4];
                for (int i = 0; i < 6; i++) ZW_LOAD(a[i], src + (i * 6 + j) * ldm + k0, nk);
                ZW_AT6(o, a[0], a[1], a[2], a[3], a[4], a[5]);
                for (int i = 0; i < 4; i++) s[i][j] = o[i];
            }
            for (int i = 0; i < 4; i++) {
                zw_v16 y[4];
                ZW_AT6(y, s[i][0], s[i][1], s[i][2], s[i][3], s[i][4], s[i][5]);
                if (oy + i >= out_h) continue;
                for (int j = 0; j < 4; j++) {
                    if (ox + j >= out_w) continue;
                    size_t at = (((size_t)n * out_h + oy + i) * out_w + ox + j) * K + k0;
                    zw_v16 value = y[j] + b;
                    if (residual) {
                        zw_v16 q;
                        ZW_LOAD(q, residual + at, nk);
                        value += q;
                    }
                    if (relu) {
                        // max(0, x) that keeps NaN, like the GEMM epilogue: clear the lanes below 0.
                        zw_v16 zero = {0};
                        zw_i16 below = value < zero;
                        value = (zw_v16)((zw_i16)value & ~below);
                    }
                    ZW_STORE(output + at, value, nk);
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Entry points: m is the output tile size, 2 or 4.

int zoo_wino_kernel(int m, int C, int K, const float *hwio, float *u) {
    if ((m != 2 && m != 4) || C <= 0 || K <= 0) return 0;
    double *work = malloc(sizeof(double) * (size_t)(m + 2) * 3 * (size_t)K);
    if (work == NULL) return 0;
    zw_kernel(m, C, K, hwio, u, work);
    free(work);
    return 1;
}

void zoo_wino_input(int m, const float *input, int H, int W, int C, int pad_top, int pad_left, int tiles_w,
                    int tiles_per_image, int t_begin, int t_end, float *v, long ldv) {
    if (m == 4) zw_input4(input, H, W, C, pad_top, pad_left, tiles_w, tiles_per_image, t_begin, t_end, v, ldv);
    else zw_input2(input, H, W, C, pad_top, pad_left, tiles_w, tiles_per_image, t_begin, t_end, v, ldv);
}

void zoo_wino_output(int m, const float *mat, long ldm, int out_h, int out_w, int K, int tiles_w, int tiles_per_image,
                     int t_begin, int t_end, const float *bias, const float *residual, int relu, float *output) {
    if (m == 4) zw_output4(mat, ldm, out_h, out_w, K, tiles_w, tiles_per_image, t_begin, t_end, bias, residual, relu, output);
    else zw_output2(mat, ldm, out_h, out_w, K, tiles_w, tiles_per_image, t_begin, t_end, bias, residual, relu, output);
}
