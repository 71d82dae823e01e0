// C side of ZooImages' decoders: libjpeg-turbo, libpng and giflib report errors by longjmp,
// which Swift cannot catch, so each decoder runs here behind setjmp and returns a status code.
// Every function decodes from a memory buffer, never exits the process, writes a readable
// reason into `err` (NUL-terminated, at most `errlen` bytes) on failure, and writes pixels
// only into the caller's buffer of exactly the announced size.
#ifndef SWIFTZOO_CZOOCODECS_H
#define SWIFTZOO_CZOOCODECS_H
#include <stddef.h>
#include <stdint.h>

/// Status codes shared by all decoders.
enum {
    ZOO_OK = 0,
    ZOO_CORRUPT = 1,      ///< the codec rejected the data
    ZOO_TRUNCATED = 2,    ///< the data ended early
    ZOO_UNSUPPORTED = 3,  ///< valid but using a feature the wrapper does not decode
    ZOO_NOMEM = 4,        ///< an allocation inside the codec failed
    ZOO_SHAPE = 5,        ///< the decoded layout differs from what the caller announced
    ZOO_TOO_LARGE = 6     ///< a GIF frame is larger than the caller's pixel limit
};

/// JPEG output colour spaces the wrapper accepts (libjpeg's J_COLOR_SPACE values).
enum { ZOO_JPEG_GRAY = 1, ZOO_JPEG_RGB = 2, ZOO_JPEG_CMYK = 4 };
/// JPEG inverse DCT methods (libjpeg's J_DCT_METHOD values).
enum { ZOO_DCT_ISLOW = 0, ZOO_DCT_IFAST = 1, ZOO_DCT_FLOAT = 2 };

/// What jpeg_read_header learns about a JPEG.
typedef struct {
    uint32_t width, height;
    int components;        ///< components in the file (1, 3 or 4)
    int color_space;       ///< libjpeg J_COLOR_SPACE of the file (1 gray, 3 YCbCr, 4 CMYK, 5 YCCK, 2 RGB)
    int saw_adobe_marker;  ///< 1 when an Adobe APP14 marker is present (inverted CMYK)
    int data_precision;    ///< bits per sample (8; 12 is refused)
    int progressive;
} zoo_jpeg_info;

/// Reads the JPEG headers only (no pixel memory is allocated).
int zoo_jpeg_read_info(const uint8_t *data, size_t len, zoo_jpeg_info *info, char *err, size_t errlen);

/// Decodes to `out_space` (ZOO_JPEG_*) into `out`, which must hold width*height*channels bytes.
/// `warnings` receives the number of libjpeg warnings; premature end of data is ZOO_TRUNCATED.
int zoo_jpeg_decode(const uint8_t *data, size_t len, int out_space, int dct_method, int fancy_upsampling,
                    uint8_t *out, size_t outlen, int *warnings, char *err, size_t errlen);

/// What the PNG IHDR (and tRNS) say.
typedef struct {
    uint32_t width, height;
    int bit_depth, color_type, interlace, has_trns;
} zoo_png_info;

/// libpng transformations `zoo_png_decode` applies, in libpng's own order.
enum {
    ZOO_PNG_EXPAND = 1,        ///< palette to RGB, gray 1/2/4-bit to 8
    ZOO_PNG_TRNS_TO_ALPHA = 2, ///< tRNS becomes an alpha channel
    ZOO_PNG_GRAY_TO_RGB = 4,
    ZOO_PNG_RGB_TO_GRAY = 8,   ///< png_set_rgb_to_gray(1, 0.299, 0.587), as TensorFlow calls it
    ZOO_PNG_ADD_ALPHA = 16,    ///< png_set_add_alpha(filler, PNG_FILLER_AFTER)
    ZOO_PNG_STRIP_ALPHA = 32,
    ZOO_PNG_STRIP_16 = 64      ///< keep the high byte of 16-bit samples
};

/// Reads the PNG signature, IHDR and the chunks before IDAT only.
int zoo_png_read_info(const uint8_t *data, size_t len, zoo_png_info *info, char *err, size_t errlen);

/// Decodes with `transforms` (ZOO_PNG_*). After libpng's update the row must be exactly
/// width*channels*(bit_depth/8) bytes with `channels` and `bit_depth` as the caller expects
/// (else ZOO_SHAPE). 16-bit samples are big-endian.
int zoo_png_decode(const uint8_t *data, size_t len, unsigned transforms, unsigned filler,
                   int channels, int bit_depth, uint8_t *out, size_t outlen, int *warnings, char *err, size_t errlen);

/// Logical screen of a GIF.
typedef struct {
    uint32_t width, height;
    int background;   ///< background colour index
    int has_global_map;
} zoo_gif_info;

/// Reads the GIF screen descriptor only.
int zoo_gif_read_info(const uint8_t *data, size_t len, zoo_gif_info *info, char *err, size_t errlen);

/// Decodes the first frame onto the screen: `indices` and `covered` hold width*height bytes;
/// `covered[i]` is 1 where the frame has a pixel (deinterlaced, clipped to the screen).
/// `palette` receives up to 256 RGB triples (the frame's local map, else the global one),
/// `palette_count` their number, `transparent` the transparent index or -1.
int zoo_gif_decode_first(const uint8_t *data, size_t len, uint64_t max_pixels,
                         uint8_t *indices, uint8_t *covered, size_t screen_pixels,
                         uint8_t *palette, int *palette_count, int *transparent,
                         char *err, size_t errlen);

/// Raises glibc's mmap and trim thresholds so that image-sized buffers are reused from the heap
/// (no-op elsewhere). Called once by ZooImages' batch loader.
void zoo_keep_large_buffers_in_heap(void);

#endif
