// Winograd convolution pieces (Lavin & Gray): a 3x3, stride-1 convolution computed from
// transformed input tiles and transformed kernels with fewer multiplications than the direct
// (im2col) product: F(2x2, 3x3) uses 16 products per 2x2 outputs (2.25x fewer), F(4x4, 3x3)
// 36 per 4x4 outputs (4x fewer). Layouts are NHWC activations and HWIO kernels, like the rest
// of the compute core. m, the output tile size, is 2 or 4; n = m + 2 is the input tile size.
//
// Per output tile of m x m pixels (tile t of image n at tile row ty, tile column tx; tiles_w =
// ceil(out_w / m) tiles per row, tiles_per_image = ceil(out_h / m) * tiles_w):
//   V[xi] = (B^T d B)[xi]      d: the n x n input patch at (m ty - pad_top, m tx - pad_left), zeros outside
//   M[xi] = V[xi] * U[xi]      U[xi] = (G g G^T)[xi], a C x K matrix per xi = 0 ..< n * n
//   Y     = A^T M A            the m x m outputs, plus bias and residual, then ReLU
// The products are left to zoo_sgemm_packed; these functions do the transforms.
#ifndef ZOO_WINOGRAD_H
#define ZOO_WINOGRAD_H

#ifdef __cplusplus
extern "C" {
#endif

/// Transforms an HWIO 3x3 kernel (3 x 3 x C x K floats) into u: (m + 2)^2 matrices of C x K
/// floats (u + xi * C * K), computed in double and rounded once. Returns 1, or 0 (u untouched)
/// when m is not 2 or 4, C or K is not positive, or its small work buffer cannot be allocated.
int zoo_wino_kernel(int m, int C, int K, const float *hwio, float *u);

/// Input transform of tiles [t_begin, t_end) (numbered across the batch) of an NHWC input
/// (H x W x C per image): writes row (t - t_begin) of matrix xi at v + xi * ldv, rows C floats
/// apart.
void zoo_wino_input(int m, const float *input, int H, int W, int C, int pad_top, int pad_left, int tiles_w,
                    int tiles_per_image, int t_begin, int t_end, float *v, long ldv);

/// Output transform of tiles [t_begin, t_end): reads row (t - t_begin) of matrix xi at
/// mat + xi * ldm (K floats per row), writes the tiles' pixels of the NHWC output (out_h x out_w x K
/// per image) that exist, adding bias (K floats, or NULL) and residual (laid out like the
/// output, or NULL), then ReLU if relu != 0.
void zoo_wino_output(int m, const float *mat, long ldm, int out_h, int out_w, int K, int tiles_w, int tiles_per_image,
                     int t_begin, int t_end, const float *bias, const float *residual, int relu, float *output);

#ifdef __cplusplus
}
#endif

#endif
