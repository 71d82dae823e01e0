// One output row of a depthwise convolution (depth multiplier 1), NHWC: every output pixel
// accumulates its taps in registers, up to 64 channels at a time (four 16-lane vectors with
// AVX-512, masked at the end; four 8-lane ones with AVX2, the last C % 8 channels scalar),
// from the bias, and is stored once.
#include "zoo_kernels.h"
#include "zoo_kernels_internal.h"

#include <stddef.h>
#include <string.h>

// Channels [c_begin, c_end) of every output pixel of the row.
static void zk_dw_channels(const zoo_depthwise_args *a, const float *in, float *out, int c_begin, int c_end) {
    const int C = a->channels;
    for (int ox = 0; ox < a->out_w; ox++) {
        float *o = out + (size_t)ox * C;
        for (int c = c_begin; c < c_end; c++) o[c] = a->bias ? a->bias[c] : 0.0f;
        for (int ky = 0; ky < a->kh; ky++) {
            int iy = a->oy * a->sh - a->pad_top + ky * a->dh;
            if (iy < 0 || iy >= a->in_h) continue;
            for (int kx = 0; kx < a->kw; kx++) {
                int ix = ox * a->sw - a->pad_left + kx * a->dw;
                if (ix < 0 || ix >= a->in_w) continue;
                const float *p = in + ((size_t)iy * a->in_w + ix) * C;
                const float *t = a->kernel + (size_t)(ky * a->kw + kx) * C;
                for (int c = c_begin; c < c_end; c++) o[c] += p[c] * t[c];
            }
        }
    }
}

static void zk_dw_portable(const zoo_depthwise_args *a, const float *in, float *out) { zk_dw_channels(a, in, out, 0, a->channels); }

#ifdef ZK_X86
#include <immintrin.h>

__attribute__((target("avx512f"))) static void zk_dw_avx512(const zoo_depthwise_args *a, const float *in, float *out) {
    const int C = a->channels;
    for (int ox = 0; ox < a->out_w; ox++) {
        float *o = out + (size_t)ox * C;
        for (int c0 = 0; c0 < C; c0 += 64) {
            __mmask16 m[4];
            __m512 acc[4];
            // Vectors this block uses (the last block of C = 32 or 96 needs only two).
            const int nv = C - c0 >= 64 ? 4 : (C - c0 + 15) / 16;
            for (int v = 0; v < 4; v++) {
                int left = C - c0 - 16 * v;
                m[v] = left >= 16 ? (__mmask16)0xFFFF : left <= 0 ? (__mmask16)0 : (__mmask16)((1u << left) - 1);
                acc[v] = a->bias && v < nv ? _mm512_maskz_loadu_ps(m[v], a->bias + c0 + 16 * v) : _mm512_setzero_ps();
            }
            for (int ky = 0; ky < a->kh; ky++) {
                int iy = a->oy * a->sh - a->pad_top + ky * a->dh;
                if (iy < 0 || iy >= a->in_h) continue;
                for (int kx = 0; kx < a->kw; kx++) {
                    int ix = ox * a->sw - a->pad_left + kx * a->dw;
                    if (ix < 0 || ix >= a->in_w) continue;
                    const float *p = in + ((size_t)iy * a->in_w + ix) * C + c0;
                    const float *t = a->kernel + (size_t)(ky * a->kw + kx) * C + c0;
                    if (nv == 4) {
                        for (int v = 0; v < 4; v++)
                            acc[v] = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m[v], p + 16 * v), _mm512_maskz_loadu_ps(m[v], t + 16 * v), acc[v]);
                    } else {
                        for (int v = 0; v < nv; v++)
                            acc[v] = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m[v], p + 16 * v), _mm512_maskz_loadu_ps(m[v], t + 16 * v), acc[v]);
                    }
                }
            }
            for (int v = 0; v < nv; v++) _mm512_mask_storeu_ps(o + c0 + 16 * v, m[v], acc[v]);
        }
    }
}

__attribute__((target("avx2,fma"))) static void zk_dw_avx2(const zoo_depthwise_args *a, const float *in, float *out) {
    const int C = a->channels;
    const int full = C / 8 * 8;
    for (int ox = 0; ox < a->out_w; ox++) {
        float *o = out + (size_t)ox * C;
        // Blocks of up to four 8-lane vectors, then the last C % 8 channels one at a time.
        for (int c0 = 0; c0 < full; c0 += 32) {
            const int nv = full - c0 >= 32 ? 4 : (full - c0) / 8;
            __m256 acc[4];
            for (int v = 0; v < 4; v++) acc[v] = a->bias && v < nv ? _mm256_loadu_ps(a->bias + c0 + 8 * v) : _mm256_setzero_ps();
            for (int ky = 0; ky < a->kh; ky++) {
                int iy = a->oy * a->sh - a->pad_top + ky * a->dh;
                if (iy < 0 || iy >= a->in_h) continue;
                for (int kx = 0; kx < a->kw; kx++) {
                    int ix = ox * a->sw - a->pad_left + kx * a->dw;
                    if (ix < 0 || ix >= a->in_w) continue;
                    const float *p = in + ((size_t)iy * a->in_w + ix) * C + c0;
                    const float *t = a->kernel + (size_t)(ky * a->kw + kx) * C + c0;
                    if (nv == 4) {
                        for (int v = 0; v < 4; v++) acc[v] = _mm256_fmadd_ps(_mm256_loadu_ps(p + 8 * v), _mm256_loadu_ps(t + 8 * v), acc[v]);
                    } else {
                        for (int v = 0; v < nv; v++) acc[v] = _mm256_fmadd_ps(_mm256_loadu_ps(p + 8 * v), _mm256_loadu_ps(t + 8 * v), acc[v]);
                    }
                }
            }
            for (int v = 0; v < nv; v++) _mm256_storeu_ps(o + c0 + 8 * v, acc[v]);
        }
    }
    // The last C % 8 channels.
    if (full < C) zk_dw_channels(a, in, out, full, C);
}
#endif

void zoo_depthwise_row(const zoo_depthwise_args *args, const float *image, float *out_row) {
    zoo_depthwise_row_using(NULL, args, image, out_row);
}

int zoo_depthwise_row_using(const char *implementation, const zoo_depthwise_args *args, const float *image, float *out_row) {
    int impl = zk_active_impl();
    if (implementation != NULL) {
        if (!zoo_kernels_supported(implementation)) return 0;
        impl = strcmp(implementation, "avx512") == 0 ? 2 : strcmp(implementation, "avx2") == 0 ? 1 : 0;
    }
    if (args == NULL || image == NULL || out_row == NULL || args->channels <= 0 || args->out_w <= 0) return 1;
#ifdef ZK_X86
    switch (impl) {
    case 2: zk_dw_avx512(args, image, out_row); return 1;
    case 1: zk_dw_avx2(args, image, out_row); return 1;
    default: break;
    }
#endif
    zk_dw_portable(args, image, out_row);
    return 1;
}
