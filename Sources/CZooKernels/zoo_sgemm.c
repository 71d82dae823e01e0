// Packing, cache blocking, run-time dispatch and the portable kernel.
//
// Loop nest of zoo_sgemm_packed for the rows [m_begin, m_end):
//   for each group of NC columns (packed panels):           B block kc x NC stays in L2
//     for each block of kc <= KC_MAX along K:               (split evenly)
//       for each block of MC rows:                          A block MC x kc stays in L1/L2
//         for each 32-wide panel in the column group:
//           micro-kernel over the MC rows (MR-row tiles, remainder tile with fewer rows)
// The first K block writes C = A*B (+ bias + residual), later ones add to C, the last one
// applies ReLU, so every output element is stored once per K block and the epilogue costs
// nothing extra (and residual may be C itself).
//
// A is read in place: the micro-kernels broadcast straight from its rows and prefetch the rows
// of the next tile, so there is no packing and no workspace. The exception is a row stride that
// maps the rows onto few L1 sets (see zk_rows_conflict): then each block of A is copied to a
// small stack buffer with a better stride first.
#include "zoo_kernels.h"
#include "zoo_kernels_internal.h"

#include <stdatomic.h>
#include <string.h>

enum { ZK_PORTABLE = 0, ZK_AVX2 = 1, ZK_AVX512 = 2 };

// Rows of the portable kernel's tile.
#define ZK_PMR 8

static const char *const zk_names[] = {"portable", "avx2", "avx512"};

// ---------------------------------------------------------------------------------------
// Dispatch

static int zk_cpu_has(int impl) {
    switch (impl) {
    case ZK_PORTABLE: return 1;
#ifdef ZK_X86
    case ZK_AVX2: return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case ZK_AVX512: return __builtin_cpu_supports("avx512f") != 0;
#endif
    default: return 0;
    }
}

static _Atomic int zk_best_cached = -1;

static int zk_best(void) {
    int best = atomic_load_explicit(&zk_best_cached, memory_order_relaxed);
    if (best >= 0) return best;
#ifdef ZK_X86
    __builtin_cpu_init();  // in case we run before the CPU-model constructor
#endif
    best = zk_cpu_has(ZK_AVX512) ? ZK_AVX512 : zk_cpu_has(ZK_AVX2) ? ZK_AVX2 : ZK_PORTABLE;
    atomic_store_explicit(&zk_best_cached, best, memory_order_relaxed);
    return best;
}

static _Atomic int zk_forced = -1;

static int zk_impl(void) {
    int f = atomic_load_explicit(&zk_forced, memory_order_relaxed);
    return f >= 0 ? f : zk_best();
}

int zk_active_impl(void) { return zk_impl(); }

static int zk_lookup(const char *name) {
    for (int i = 0; i < 3; i++)
        if (strcmp(name, zk_names[i]) == 0) return i;
    return -1;
}

int zoo_kernels_force(const char *name) {
    if (name == NULL || strcmp(name, "auto") == 0) {
        atomic_store(&zk_forced, -1);
        return 1;
    }
    int i = zk_lookup(name);
    if (i < 0 || !zk_cpu_has(i)) return 0;
    atomic_store(&zk_forced, i);
    return 1;
}

const char *zoo_kernels_active(void) { return zk_names[zk_impl()]; }

int zoo_kernels_tile_rows(void) {
    int impl = zk_impl();
    return impl == ZK_AVX512 ? 14 : impl == ZK_AVX2 ? 6 : ZK_PMR;
}

int zoo_kernels_supported(const char *name) {
    if (name == NULL) return 0;
    int i = zk_lookup(name);
    return i >= 0 && zk_cpu_has(i);
}

// ---------------------------------------------------------------------------------------
// Packing

size_t zoo_pack_b_size(int K, int N) {
    if (K <= 0 || N <= 0) return 0;
    size_t panels = ((size_t)N + ZOO_PACK_NR - 1) / ZOO_PACK_NR;
    return panels * ZOO_PACK_NR * (size_t)K * sizeof(float);
}

void zoo_pack_b(int K, int N, const float *B, int ldb, float *dst) {
    if (K <= 0 || N <= 0) return;
    int panels = (N + ZOO_PACK_NR - 1) / ZOO_PACK_NR;
    for (int p = 0; p < panels; p++) {
        int j0 = p * ZOO_PACK_NR;
        int w = N - j0 < ZOO_PACK_NR ? N - j0 : ZOO_PACK_NR;
        float *d = dst + (size_t)p * K * ZOO_PACK_NR;
        for (int k = 0; k < K; k++) {
            const float *s = B + (size_t)k * ldb + j0;
            float *row = d + (size_t)k * ZOO_PACK_NR;
            memcpy(row, s, (size_t)w * sizeof(float));
            if (w < ZOO_PACK_NR) memset(row + w, 0, (size_t)(ZOO_PACK_NR - w) * sizeof(float));
        }
    }
}

// ---------------------------------------------------------------------------------------
// Portable kernel: 8 x 32 tiles in plain C (auto-vectorised where the compiler can).

static void zk_portable_tile(const zk_args *p, int mr, int nc) {
    float acc[ZK_PMR][ZOO_PACK_NR];
    memset(acc, 0, sizeof acc);
    const char *a = (const char *)p->a;
    const float *b = p->b;
    for (intptr_t k = 0; k < p->kc; k++) {
        const float *brow = b + k * ZOO_PACK_NR;
        for (int r = 0; r < mr; r++) {
            float av = ((const float *)(a + r * p->lda))[k];
            for (int j = 0; j < ZOO_PACK_NR; j++) acc[r][j] += av * brow[j];
        }
    }
    for (int r = 0; r < mr; r++) {
        float *c = (float *)((char *)p->c + r * p->ldc);
        const float *res = p->res ? (const float *)((const char *)p->res + r * p->ldr) : NULL;
        for (int j = 0; j < nc; j++) {
            float v = acc[r][j];
            if (p->flags & ZK_ACC) v += c[j];
            if (p->flags & ZK_BIAS) v += p->bias[j];
            if (p->flags & ZK_RES) v += res[j];
            if ((p->flags & ZK_RELU) && v < 0) v = 0;
            c[j] = v;
        }
    }
}

static void zk_portable_kernel(zk_args *p, int mr, int nc) {
    zk_args t = *p;
    for (intptr_t i = 0; i < p->ntiles; i++) {
        zk_portable_tile(&t, mr, nc);
        t.a = (const float *)((const char *)t.a + mr * t.lda);
        t.c = (float *)((char *)t.c + mr * t.ldc);
        if (t.res) t.res = (const float *)((const char *)t.res + mr * t.ldr);
    }
}

// ---------------------------------------------------------------------------------------
// Driver

// Blocking: kc <= KC_MAX along K, MC rows per A block, about NC_BYTES of packed B per column
// group.
#ifndef ZK_KC_MAX
#define ZK_KC_MAX 384
#endif
#ifndef ZK_MC_TILES
#define ZK_MC_TILES 8
#endif
#ifndef ZK_NC_BYTES
#define ZK_NC_BYTES (384 * 1024)
#endif

// A whose rows fall on few L1 sets (row stride a multiple of 1 KiB: K = 256, 512, 1024, ...)
// thrashes the 8-way L1 when 14 rows plus the 14 prefetched ones are in flight. Such blocks
// are first copied, ZK_COPY_ROWS rows at a time, into a stack buffer whose row stride is an
// odd number of cache lines.
#ifndef ZK_COPY_ROWS
#define ZK_COPY_ROWS 28
#endif
#define ZK_COPY_LD(kc) ((((kc) + 15) & ~15) + ((((((kc) + 15) & ~15) / 16) % 2) ? 0 : 16))

static int zk_rows_conflict(intptr_t stride_bytes, int rows) {
    unsigned long long seen = 0;
    int distinct = 0;
    for (int r = 0; r < rows; r++) {
        int set = (int)(((r * stride_bytes) >> 6) & 63);
        if (!(seen & (1ull << set))) {
            seen |= 1ull << set;
            distinct++;
        }
    }
    return distinct < 8;
}

#ifdef ZK_X86
// AVX2 on a half panel narrower than 16 columns: run the kernel on a 16-column scratch tile.
static void zk_avx2_edge(zk_args *p, int mr, int nc) {
    float ctile[6 * 16], rtile[6 * 16];
    zk_args t = *p;
    for (intptr_t i = 0; i < p->ntiles; i++) {
        const char *c = (const char *)p->c + i * mr * p->ldc;
        const char *r = p->res ? (const char *)p->res + i * mr * p->ldr : NULL;
        float bias[16] = {0};
        memset(ctile, 0, sizeof ctile);
        memset(rtile, 0, sizeof rtile);
        for (int row = 0; row < mr; row++) {
            if (p->flags & ZK_ACC) memcpy(ctile + row * 16, c + row * p->ldc, nc * sizeof(float));
            if (p->flags & ZK_RES) memcpy(rtile + row * 16, r + row * p->ldr, nc * sizeof(float));
        }
        if (p->flags & ZK_BIAS) memcpy(bias, p->bias, nc * sizeof(float));
        t.a = (const float *)((const char *)p->a + i * mr * p->lda);
        t.c = ctile;
        t.ldc = 16 * sizeof(float);
        t.res = rtile;
        t.ldr = 16 * sizeof(float);
        t.bias = bias;
        t.ntiles = 1;
        zk_avx2_kernel(&t, mr);
        for (int row = 0; row < mr; row++)
            memcpy((char *)c + row * p->ldc, ctile + row * 16, nc * sizeof(float));
    }
}
#endif

// Rows [m0, m0 + mc) of one panel (nc valid columns) for one K block.
static void zk_panel_rows(int impl, zk_args *p, int mc, int nc) {
    const float *a0 = p->a;
    float *c0 = p->c;
    const float *r0 = p->res;
    int mr;
    switch (impl) {
#ifdef ZK_X86
    case ZK_AVX512: mr = 14; break;
    case ZK_AVX2: mr = 6; break;
#endif
    default: mr = ZK_PMR; break;
    }
    int full = mc / mr, rest = mc % mr;
    for (int part = 0; part < 2; part++) {
        int rows = part == 0 ? mr : rest;
        intptr_t tiles = part == 0 ? full : (rest > 0);
        if (tiles == 0) continue;
        intptr_t skip = part == 0 ? 0 : (intptr_t)full * mr;
        p->a = (const float *)((const char *)a0 + skip * p->lda);
        p->c = (float *)((char *)c0 + skip * p->ldc);
        p->res = r0 ? (const float *)((const char *)r0 + skip * p->ldr) : NULL;
        p->ntiles = tiles;
        switch (impl) {
#ifdef ZK_X86
        case ZK_AVX512:
            zk_avx512_kernel(p, rows);
            break;
        case ZK_AVX2: {
            // Two 16-column halves of the panel.
            zk_args h = *p;
            for (int half = 0; half < 2; half++) {
                int w = nc - 16 * half;
                if (w <= 0) break;
                h.b = p->b + 16 * half;
                h.c = p->c + 16 * half;
                h.bias = p->bias ? p->bias + 16 * half : NULL;
                h.res = p->res ? p->res + 16 * half : NULL;
                if (w >= 16)
                    zk_avx2_kernel(&h, rows);
                else
                    zk_avx2_edge(&h, rows, w);
            }
            break;
        }
#endif
        default:
            zk_portable_kernel(p, rows, nc);
            break;
        }
    }
    p->a = a0;
    p->c = c0;
    p->res = r0;
}

static void zk_epilogue_only(int N, float *C, int ldc, const float *bias, const float *res,
                             int ldr, int relu, int m_begin, int m_end) {
    for (int m = m_begin; m < m_end; m++) {
        float *c = C + (size_t)m * ldc;
        const float *r = res ? res + (size_t)m * ldr : NULL;
        for (int n = 0; n < N; n++) {
            float v = 0;
            if (bias) v += bias[n];
            if (r) v += r[n];
            if (relu && v < 0) v = 0;
            c[n] = v;
        }
    }
}

void zoo_sgemm_packed(int M, int N, int K, const float *A, int lda, const float *packedB,
                      float *C, int ldc, const float *bias, const float *residual, int ldr,
                      int relu, int m_begin, int m_end) {
    if (m_begin < 0) m_begin = 0;
    if (m_end > M) m_end = M;
    if (m_begin >= m_end || N <= 0) return;
    if (K <= 0) {
        zk_epilogue_only(N, C, ldc, bias, residual, ldr, relu, m_begin, m_end);
        return;
    }
    int impl = zk_impl();
    int mr = impl == ZK_AVX512 ? 14 : impl == ZK_AVX2 ? 6 : ZK_PMR;

    int kblocks = (K + ZK_KC_MAX - 1) / ZK_KC_MAX;
    int kc = (K + kblocks - 1) / kblocks;
    kc = (kc + 3) & ~3;  // whole unrolled steps in every block but the last
    if (kc > K) kc = K;
    int mcmax = mr * ZK_MC_TILES;
    int panels = (N + ZOO_PACK_NR - 1) / ZOO_PACK_NR;
    int ncp = ZK_NC_BYTES / (kc * ZOO_PACK_NR * (int)sizeof(float));
    if (ncp < 1) ncp = 1;

    int copy = impl != ZK_PORTABLE && zk_rows_conflict((intptr_t)lda * sizeof(float), 2 * mr);
    float abuf[copy ? ZK_COPY_ROWS * ZK_COPY_LD(ZK_KC_MAX) : 1];
    int ldbuf = ZK_COPY_LD(kc);
    if (copy) mcmax = ZK_COPY_ROWS / mr * mr;

    zk_args p;
    p.lda = (intptr_t)lda * sizeof(float);
    p.ldc = (intptr_t)ldc * sizeof(float);
    p.ldr = (intptr_t)ldr * sizeof(float);

    for (int jp0 = 0; jp0 < panels; jp0 += ncp) {
        int jp1 = jp0 + ncp < panels ? jp0 + ncp : panels;
        for (int pc = 0; pc < K; pc += kc) {
            int kcur = K - pc < kc ? K - pc : kc;
            intptr_t flags = 0;
            if (pc == 0) {
                if (bias) flags |= ZK_BIAS;
                if (residual) flags |= ZK_RES;
            } else {
                flags |= ZK_ACC;
            }
            if (relu && pc + kcur >= K) flags |= ZK_RELU;
            p.flags = flags;
            p.kc = kcur;
            for (int ic = m_begin; ic < m_end; ic += mcmax) {
                int mc = m_end - ic < mcmax ? m_end - ic : mcmax;
                const float *ablock = A + (size_t)ic * lda + pc;
                if (copy) {
                    for (int r = 0; r < mc; r++)
                        memcpy(abuf + (size_t)r * ldbuf, ablock + (size_t)r * lda,
                               (size_t)kcur * sizeof(float));
                    ablock = abuf;
                    p.lda = (intptr_t)ldbuf * sizeof(float);
                }
                for (int jp = jp0; jp < jp1; jp++) {
                    int j0 = jp * ZOO_PACK_NR;
                    int nc = N - j0 < ZOO_PACK_NR ? N - j0 : ZOO_PACK_NR;
                    p.a = ablock;
                    p.b = packedB + (size_t)jp * K * ZOO_PACK_NR + (size_t)pc * ZOO_PACK_NR;
                    p.c = C + (size_t)ic * ldc + j0;
                    p.bias = bias ? bias + j0 : NULL;
                    p.res = residual ? residual + (size_t)ic * ldr + j0 : NULL;
                    p.mask = nc >= 32 ? (intptr_t)0xffffffffu : (intptr_t)((1u << nc) - 1u);
                    zk_panel_rows(impl, &p, mc, nc);
                }
            }
        }
    }
}
