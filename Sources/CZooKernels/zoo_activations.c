// Element-wise activation functions for the inference core and training: one formula per
// function, written once as inline vector code over a generic width and instantiated for
// AVX-512 (16 lanes), AVX2+FMA (8 lanes) and portable C (scalar, which the compiler may
// vectorise for the baseline ISA). e^x is Cephes's expf: x = n ln2 + r, a degree-6
// polynomial for e^r, 2^n put in the exponent bits; n comes from the 1.5 * 2^23 rounding
// trick, so no float-to-int conversion is needed. erf for gelu goes through erfc's
// Chebyshev fit (Numerical Recipes, 1.2e-7 relative everywhere), so gelu(x) for negative x
// keeps its relative precision.
#include "zoo_kernels.h"
#include "zoo_kernels_internal.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#define ZK_EXP_HI 88.3762626647949f
#define ZK_EXP_LO -87.3365478515625f

// ---------------------------------------------------------------------------------------
// Portable scalar versions (also the reference of the vector ones).

static inline float zk_exp1(float input) {
    float x = input > ZK_EXP_HI ? ZK_EXP_HI : input;
    x = x < ZK_EXP_LO ? ZK_EXP_LO : x;
    float shifted = x * 1.44269504088896341f + 12582912.0f;
    float n = shifted - 12582912.0f;
    float r = x - n * 0.693359375f;
    r -= n * -2.12194440e-4f;
    float z = r * r;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    float er = p * z + r + 1.0f;
    int32_t bits;
    memcpy(&bits, &shifted, 4);
    int32_t e = (bits - 0x4B400000 + 127) << 23;
    float pow2;
    memcpy(&pow2, &e, 4);
    float result = er * pow2;
    if (input > ZK_EXP_HI) result = INFINITY;
    if (input < ZK_EXP_LO) result = 0.0f;
    if (input != input) result = input;
    return result;
}

// erfc(a) for a >= 0.
static inline float zk_erfc_pos1(float a) {
    float t = 1.0f / (1.0f + 0.5f * a);
    float p = 0.17087277f;
    p = p * t - 0.82215223f;
    p = p * t + 1.48851587f;
    p = p * t - 1.13520398f;
    p = p * t + 0.27886807f;
    p = p * t - 0.18628806f;
    p = p * t + 0.09678418f;
    p = p * t + 0.37409196f;
    p = p * t + 1.00002368f;
    p = p * t - 1.26551223f;
    return t * zk_exp1(-a * a + p);
}

static inline float zk_clamp1(float x, float lo, float hi) {
    if (x != x) return x;
    return x < lo ? lo : x > hi ? hi : x;
}

static void zk_act_portable(int kind, float *v, size_t count) {
    for (size_t i = 0; i < count; i++) {
        float x = v[i], y;
        switch (kind) {
        case ZOO_ACT_SILU: y = x / (1.0f + zk_exp1(-x)); break;
        case ZOO_ACT_SIGMOID: y = 1.0f / (1.0f + zk_exp1(-x)); break;
        case ZOO_ACT_GELU: {
            float u = x * 0.7071067811865476f;
            float c = zk_erfc_pos1(fabsf(u));
            y = 0.5f * x * (u >= 0 ? 2.0f - c : c);
            if (x != x) y = x;
            break;
        }
        case ZOO_ACT_GELU_TANH: {
            float inner = 0.7978845608028654f * (x + 0.044715f * x * x * x);
            y = x / (1.0f + zk_exp1(-2.0f * inner));
            break;
        }
        case ZOO_ACT_HARD_SIGMOID: y = zk_clamp1(x + 3.0f, 0.0f, 6.0f) / 6.0f; break;
        case ZOO_ACT_HARD_SIGMOID_KERAS2: y = zk_clamp1(0.2f * x + 0.5f, 0.0f, 1.0f); break;
        case ZOO_ACT_HARD_SILU: y = x * (zk_clamp1(x + 3.0f, 0.0f, 6.0f) / 6.0f); break;
        case ZOO_ACT_RELU6: y = zk_clamp1(x, 0.0f, 6.0f); break;
        default: y = x; break;
        }
        v[i] = y;
    }
}

#ifdef ZK_X86
#include <immintrin.h>

// ---------------------------------------------------------------------------------------
// AVX-512 (16 lanes).

#define ZK512 __attribute__((target("avx512f")))

ZK512 static inline __m512 zk_exp16(__m512 input) {
    __m512 x = _mm512_max_ps(_mm512_min_ps(input, _mm512_set1_ps(ZK_EXP_HI)), _mm512_set1_ps(ZK_EXP_LO));
    __m512 shifted = _mm512_fmadd_ps(x, _mm512_set1_ps(1.44269504088896341f), _mm512_set1_ps(12582912.0f));
    __m512 n = _mm512_sub_ps(shifted, _mm512_set1_ps(12582912.0f));
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
    __m512 z = _mm512_mul_ps(r, r);
    __m512 p = _mm512_set1_ps(1.9875691500e-4f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
    __m512 er = _mm512_add_ps(_mm512_fmadd_ps(p, z, r), _mm512_set1_ps(1.0f));
    __m512i e = _mm512_slli_epi32(_mm512_add_epi32(_mm512_sub_epi32(_mm512_castps_si512(shifted), _mm512_set1_epi32(0x4B400000)),
                                                   _mm512_set1_epi32(127)), 23);
    __m512 result = _mm512_mul_ps(er, _mm512_castsi512_ps(e));
    result = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(input, _mm512_set1_ps(ZK_EXP_HI), _CMP_GT_OQ), result, _mm512_set1_ps(INFINITY));
    result = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(input, _mm512_set1_ps(ZK_EXP_LO), _CMP_LT_OQ), result, _mm512_setzero_ps());
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(input, input, _CMP_UNORD_Q), result, input);
}

ZK512 static inline __m512 zk_erfc_pos16(__m512 a) {
    __m512 t = _mm512_div_ps(_mm512_set1_ps(1.0f), _mm512_fmadd_ps(_mm512_set1_ps(0.5f), a, _mm512_set1_ps(1.0f)));
    __m512 p = _mm512_set1_ps(0.17087277f);
    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(-0.82215223f));
    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(1.48851587f));
    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(-1.13520398f));
    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(0.27886807f));
    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(-0.18628806f));
    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(0.09678418f));
    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(0.37409196f));
    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(1.00002368f));
    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(-1.26551223f));
    return _mm512_mul_ps(t, zk_exp16(_mm512_fnmadd_ps(a, a, p)));
}

// clamp(x, lo, hi) with NaN kept (max/min return the second operand when one is NaN).
ZK512 static inline __m512 zk_clamp16(__m512 x, float lo, float hi) {
    __m512 y = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(lo)), _mm512_set1_ps(hi));
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q), y, x);
}

ZK512 static inline __m512 zk_act16(int kind, __m512 x) {
    const __m512 one = _mm512_set1_ps(1.0f);
    switch (kind) {
    case ZOO_ACT_SILU: return _mm512_div_ps(x, _mm512_add_ps(one, zk_exp16(_mm512_sub_ps(_mm512_setzero_ps(), x))));
    case ZOO_ACT_SIGMOID: return _mm512_div_ps(one, _mm512_add_ps(one, zk_exp16(_mm512_sub_ps(_mm512_setzero_ps(), x))));
    case ZOO_ACT_GELU: {
        __m512 u = _mm512_mul_ps(x, _mm512_set1_ps(0.7071067811865476f));
        __m512 c = zk_erfc_pos16(_mm512_abs_ps(u));
        __m512 f = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(u, _mm512_setzero_ps(), _CMP_GE_OQ), c, _mm512_sub_ps(_mm512_set1_ps(2.0f), c));
        __m512 y = _mm512_mul_ps(_mm512_mul_ps(_mm512_set1_ps(0.5f), x), f);
        return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q), y, x);
    }
    case ZOO_ACT_GELU_TANH: {
        __m512 x3 = _mm512_mul_ps(_mm512_mul_ps(x, x), x);
        __m512 inner = _mm512_mul_ps(_mm512_set1_ps(0.7978845608028654f), _mm512_fmadd_ps(_mm512_set1_ps(0.044715f), x3, x));
        return _mm512_div_ps(x, _mm512_add_ps(one, zk_exp16(_mm512_mul_ps(_mm512_set1_ps(-2.0f), inner))));
    }
    case ZOO_ACT_HARD_SIGMOID: return _mm512_div_ps(zk_clamp16(_mm512_add_ps(x, _mm512_set1_ps(3.0f)), 0.0f, 6.0f), _mm512_set1_ps(6.0f));
    case ZOO_ACT_HARD_SIGMOID_KERAS2: return zk_clamp16(_mm512_fmadd_ps(_mm512_set1_ps(0.2f), x, _mm512_set1_ps(0.5f)), 0.0f, 1.0f);
    case ZOO_ACT_HARD_SILU:
        return _mm512_mul_ps(x, _mm512_div_ps(zk_clamp16(_mm512_add_ps(x, _mm512_set1_ps(3.0f)), 0.0f, 6.0f), _mm512_set1_ps(6.0f)));
    case ZOO_ACT_RELU6: return zk_clamp16(x, 0.0f, 6.0f);
    default: return x;
    }
}

ZK512 static void zk_act_avx512(int kind, float *v, size_t count) {
    size_t i = 0;
    for (; i + 16 <= count; i += 16) _mm512_storeu_ps(v + i, zk_act16(kind, _mm512_loadu_ps(v + i)));
    if (i < count) {
        __mmask16 m = (__mmask16)((1u << (count - i)) - 1);
        _mm512_mask_storeu_ps(v + i, m, zk_act16(kind, _mm512_maskz_loadu_ps(m, v + i)));
    }
}

// ---------------------------------------------------------------------------------------
// AVX2 + FMA (8 lanes).

#define ZK256 __attribute__((target("avx2,fma")))

ZK256 static inline __m256 zk_nan_keep8(__m256 x, __m256 y) {
    return _mm256_blendv_ps(y, x, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
}

ZK256 static inline __m256 zk_exp8(__m256 input) {
    __m256 x = _mm256_max_ps(_mm256_min_ps(input, _mm256_set1_ps(ZK_EXP_HI)), _mm256_set1_ps(ZK_EXP_LO));
    __m256 shifted = _mm256_fmadd_ps(x, _mm256_set1_ps(1.44269504088896341f), _mm256_set1_ps(12582912.0f));
    __m256 n = _mm256_sub_ps(shifted, _mm256_set1_ps(12582912.0f));
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
    __m256 z = _mm256_mul_ps(r, r);
    __m256 p = _mm256_set1_ps(1.9875691500e-4f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
    __m256 er = _mm256_add_ps(_mm256_fmadd_ps(p, z, r), _mm256_set1_ps(1.0f));
    __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_sub_epi32(_mm256_castps_si256(shifted), _mm256_set1_epi32(0x4B400000)),
                                                   _mm256_set1_epi32(127)), 23);
    __m256 result = _mm256_mul_ps(er, _mm256_castsi256_ps(e));
    result = _mm256_blendv_ps(result, _mm256_set1_ps(INFINITY), _mm256_cmp_ps(input, _mm256_set1_ps(ZK_EXP_HI), _CMP_GT_OQ));
    result = _mm256_blendv_ps(result, _mm256_setzero_ps(), _mm256_cmp_ps(input, _mm256_set1_ps(ZK_EXP_LO), _CMP_LT_OQ));
    return zk_nan_keep8(input, result);
}

ZK256 static inline __m256 zk_erfc_pos8(__m256 a) {
    __m256 t = _mm256_div_ps(_mm256_set1_ps(1.0f), _mm256_fmadd_ps(_mm256_set1_ps(0.5f), a, _mm256_set1_ps(1.0f)));
    __m256 p = _mm256_set1_ps(0.17087277f);
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(-0.82215223f));
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(1.48851587f));
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(-1.13520398f));
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(0.27886807f));
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(-0.18628806f));
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(0.09678418f));
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(0.37409196f));
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(1.00002368f));
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(-1.26551223f));
    return _mm256_mul_ps(t, zk_exp8(_mm256_fnmadd_ps(a, a, p)));
}

ZK256 static inline __m256 zk_clamp8(__m256 x, float lo, float hi) {
    return zk_nan_keep8(x, _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(lo)), _mm256_set1_ps(hi)));
}

ZK256 static inline __m256 zk_act8(int kind, __m256 x) {
    const __m256 one = _mm256_set1_ps(1.0f);
    switch (kind) {
    case ZOO_ACT_SILU: return _mm256_div_ps(x, _mm256_add_ps(one, zk_exp8(_mm256_sub_ps(_mm256_setzero_ps(), x))));
    case ZOO_ACT_SIGMOID: return _mm256_div_ps(one, _mm256_add_ps(one, zk_exp8(_mm256_sub_ps(_mm256_setzero_ps(), x))));
    case ZOO_ACT_GELU: {
        __m256 u = _mm256_mul_ps(x, _mm256_set1_ps(0.7071067811865476f));
        __m256 absu = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), u);
        __m256 c = zk_erfc_pos8(absu);
        __m256 f = _mm256_blendv_ps(c, _mm256_sub_ps(_mm256_set1_ps(2.0f), c), _mm256_cmp_ps(u, _mm256_setzero_ps(), _CMP_GE_OQ));
        return zk_nan_keep8(x, _mm256_mul_ps(_mm256_mul_ps(_mm256_set1_ps(0.5f), x), f));
    }
    case ZOO_ACT_GELU_TANH: {
        __m256 x3 = _mm256_mul_ps(_mm256_mul_ps(x, x), x);
        __m256 inner = _mm256_mul_ps(_mm256_set1_ps(0.7978845608028654f), _mm256_fmadd_ps(_mm256_set1_ps(0.044715f), x3, x));
        return _mm256_div_ps(x, _mm256_add_ps(one, zk_exp8(_mm256_mul_ps(_mm256_set1_ps(-2.0f), inner))));
    }
    case ZOO_ACT_HARD_SIGMOID: return _mm256_div_ps(zk_clamp8(_mm256_add_ps(x, _mm256_set1_ps(3.0f)), 0.0f, 6.0f), _mm256_set1_ps(6.0f));
    case ZOO_ACT_HARD_SIGMOID_KERAS2: return zk_clamp8(_mm256_fmadd_ps(_mm256_set1_ps(0.2f), x, _mm256_set1_ps(0.5f)), 0.0f, 1.0f);
    case ZOO_ACT_HARD_SILU:
        return _mm256_mul_ps(x, _mm256_div_ps(zk_clamp8(_mm256_add_ps(x, _mm256_set1_ps(3.0f)), 0.0f, 6.0f), _mm256_set1_ps(6.0f)));
    case ZOO_ACT_RELU6: return zk_clamp8(x, 0.0f, 6.0f);
    default: return x;
    }
}

ZK256 static void zk_act_avx2(int kind, float *v, size_t count) {
    size_t i = 0;
    for (; i + 8 <= count; i += 8) _mm256_storeu_ps(v + i, zk_act8(kind, _mm256_loadu_ps(v + i)));
    if (i < count) zk_act_portable(kind, v + i, count - i);
}
#endif

int zoo_activation(int kind, float *v, size_t count) {
    return zoo_activation_using(NULL, kind, v, count);
}

int zoo_activation_using(const char *implementation, int kind, float *v, size_t count) {
    if (kind < ZOO_ACT_SILU || kind > ZOO_ACT_RELU6) return 0;
    int impl = zk_active_impl();
    if (implementation != NULL) {
        if (!zoo_kernels_supported(implementation)) return 0;
        impl = strcmp(implementation, "avx512") == 0 ? 2 : strcmp(implementation, "avx2") == 0 ? 1 : 0;
    }
    if (count == 0) return 1;
#ifdef ZK_X86
    switch (impl) {
    case 2: zk_act_avx512(kind, v, count); return 1;
    case 1: zk_act_avx2(kind, v, count); return 1;
    default: break;
    }
#endif
    zk_act_portable(kind, v, count);
    return 1;
}
