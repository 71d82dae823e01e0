// libpng 1.6 behind setjmp, reading from memory; warnings are counted, not printed.
#include "zoo_codecs.h"
#include "zoo_internal.h"
#include <setjmp.h>
#include <string.h>
#include <png.h>

typedef struct {
    const uint8_t *data;
    size_t len, pos;
    int warnings;
    int truncated;
    char message[200];
} zoo_png_ctx;

static void zoo_png_read(png_structp png, png_bytep dst, png_size_t n) {
    zoo_png_ctx *c = (zoo_png_ctx *)png_get_io_ptr(png);
    if (n > c->len - c->pos) {
        c->truncated = 1;
        png_error(png, "unexpected end of PNG data");
    }
    memcpy(dst, c->data + c->pos, n);
    c->pos += n;
}

static void zoo_png_error(png_structp png, png_const_charp msg) {
    zoo_png_ctx *c = (zoo_png_ctx *)png_get_error_ptr(png);
    snprintf(c->message, sizeof(c->message), "%s", msg ? msg : "libpng error");
    png_longjmp(png, 1);
}

static void zoo_png_warning(png_structp png, png_const_charp msg) {
    (void)msg;
    zoo_png_ctx *c = (zoo_png_ctx *)png_get_error_ptr(png);
    c->warnings++;
}

static int zoo_png_open(zoo_png_ctx *c, png_structp *png, png_infop *info, char *err, size_t errlen) {
    if (c->len < 8 || png_sig_cmp((png_const_bytep)c->data, 0, 8) != 0) {
        zoo_set_error(err, errlen, "missing PNG signature");
        return ZOO_CORRUPT;
    }
    *png = png_create_read_struct(PNG_LIBPNG_VER_STRING, c, zoo_png_error, zoo_png_warning);
    if (*png == NULL) { zoo_set_error(err, errlen, "libpng could not start"); return ZOO_NOMEM; }
    *info = png_create_info_struct(*png);
    if (*info == NULL) {
        png_destroy_read_struct(png, NULL, NULL);
        zoo_set_error(err, errlen, "libpng could not start");
        return ZOO_NOMEM;
    }
    /* The caller enforces its own pixel limit from the header; keep libpng's generous ones. */
    png_set_user_limits(*png, 0x7fffffff, 0x7fffffff);
    png_set_read_fn(*png, c, zoo_png_read);
    return ZOO_OK;
}

int zoo_png_read_info(const uint8_t *data, size_t len, zoo_png_info *out, char *err, size_t errlen) {
    zoo_png_ctx c;
    memset(&c, 0, sizeof(c));
    c.data = data; c.len = len;
    png_structp png = NULL; png_infop info = NULL;
    int rc = zoo_png_open(&c, &png, &info, err, errlen);
    if (rc != ZOO_OK) return rc;
    if (setjmp(png_jmpbuf(png))) {
        zoo_set_error(err, errlen, "%s", c.message);
        png_destroy_read_struct(&png, &info, NULL);
        return c.truncated ? ZOO_TRUNCATED : ZOO_CORRUPT;
    }
    png_read_info(png, info);
    out->width = png_get_image_width(png, info);
    out->height = png_get_image_height(png, info);
    out->bit_depth = png_get_bit_depth(png, info);
    out->color_type = png_get_color_type(png, info);
    out->interlace = png_get_interlace_type(png, info) != PNG_INTERLACE_NONE;
    out->has_trns = png_get_valid(png, info, PNG_INFO_tRNS) ? 1 : 0;
    png_destroy_read_struct(&png, &info, NULL);
    return ZOO_OK;
}

int zoo_png_decode(const uint8_t *data, size_t len, unsigned transforms, unsigned filler,
                   int channels, int bit_depth, uint8_t *out, size_t outlen, int *warnings, char *err, size_t errlen) {
    zoo_png_ctx c;
    memset(&c, 0, sizeof(c));
    c.data = data; c.len = len;
    png_structp png = NULL; png_infop info = NULL;
    int rc = zoo_png_open(&c, &png, &info, err, errlen);
    if (rc != ZOO_OK) return rc;
    png_bytepp volatile rows = NULL;
    if (setjmp(png_jmpbuf(png))) {
        zoo_set_error(err, errlen, "%s", c.message);
        if (warnings) *warnings = c.warnings;
        png_free(png, rows);
        png_destroy_read_struct(&png, &info, NULL);
        return c.truncated ? ZOO_TRUNCATED : ZOO_CORRUPT;
    }
    png_read_info(png, info);
    if (transforms & ZOO_PNG_EXPAND) {
        png_set_palette_to_rgb(png);
        png_set_expand_gray_1_2_4_to_8(png);
    }
    if ((transforms & ZOO_PNG_TRNS_TO_ALPHA) && png_get_valid(png, info, PNG_INFO_tRNS)) png_set_tRNS_to_alpha(png);
    if (transforms & ZOO_PNG_GRAY_TO_RGB) png_set_gray_to_rgb(png);
    if (transforms & ZOO_PNG_RGB_TO_GRAY) png_set_rgb_to_gray(png, 1, 0.299, 0.587);
    if (transforms & ZOO_PNG_ADD_ALPHA) png_set_add_alpha(png, filler, PNG_FILLER_AFTER);
    if (transforms & ZOO_PNG_STRIP_ALPHA) png_set_strip_alpha(png);
    if (transforms & ZOO_PNG_STRIP_16) png_set_strip_16(png);
    (void)png_set_interlace_handling(png);
    png_read_update_info(png, info);
    png_uint_32 w = png_get_image_width(png, info), h = png_get_image_height(png, info);
    size_t rowbytes = png_get_rowbytes(png, info);
    int got_channels = png_get_channels(png, info), got_depth = png_get_bit_depth(png, info);
    size_t want = (size_t)w * (size_t)channels * (size_t)(bit_depth / 8);
    if (got_channels != channels || got_depth != bit_depth || rowbytes != want || want * (size_t)h != outlen || h == 0) {
        zoo_set_error(err, errlen, "libpng produced %d channels of %d bits, expected %d of %d", got_channels,
                      got_depth, channels, bit_depth);
        png_destroy_read_struct(&png, &info, NULL);
        return ZOO_SHAPE;
    }
    rows = (png_bytepp)png_malloc(png, sizeof(png_bytep) * h);
    for (png_uint_32 y = 0; y < h; y++) rows[y] = out + (size_t)y * rowbytes;
    png_read_image(png, rows);
    png_read_end(png, NULL);
    png_free(png, rows);
    rows = NULL;
    if (warnings) *warnings = c.warnings;
    png_destroy_read_struct(&png, &info, NULL);
    return ZOO_OK;
}
