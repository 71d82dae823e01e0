// libjpeg-turbo behind setjmp: error_exit longjmps back here, warnings are counted, not printed.
#include "zoo_codecs.h"
#include "zoo_internal.h"
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <jpeglib.h>
#include <jerror.h>

typedef struct {
    struct jpeg_error_mgr pub;
    jmp_buf jump;
    int warnings;
    int saw_eof;
    char message[JMSG_LENGTH_MAX];
} zoo_jpeg_error;

static void zoo_jpeg_error_exit(j_common_ptr cinfo) {
    zoo_jpeg_error *e = (zoo_jpeg_error *)cinfo->err;
    (*cinfo->err->format_message)(cinfo, e->message);
    longjmp(e->jump, 1);
}

static void zoo_jpeg_emit(j_common_ptr cinfo, int level) {
    zoo_jpeg_error *e = (zoo_jpeg_error *)cinfo->err;
    if (level < 0) {
        e->warnings++;
        if (cinfo->err->msg_code == JWRN_JPEG_EOF) e->saw_eof = 1;
    }
}

static void zoo_jpeg_output(j_common_ptr cinfo) { (void)cinfo; }

static int zoo_jpeg_status_of(zoo_jpeg_error *e) {
    if (e->pub.msg_code == JERR_OUT_OF_MEMORY) return ZOO_NOMEM;
    if (e->pub.msg_code == JERR_INPUT_EMPTY || e->pub.msg_code == JERR_INPUT_EOF) return ZOO_TRUNCATED;
    if (e->pub.msg_code == JERR_BAD_PRECISION) return ZOO_UNSUPPORTED;
    if (e->pub.msg_code == JERR_CONVERSION_NOTIMPL) return ZOO_UNSUPPORTED;
    return ZOO_CORRUPT;
}

static void zoo_jpeg_setup(struct jpeg_decompress_struct *cinfo, zoo_jpeg_error *e) {
    memset(e, 0, sizeof(*e));
    cinfo->err = jpeg_std_error(&e->pub);
    e->pub.error_exit = zoo_jpeg_error_exit;
    e->pub.emit_message = zoo_jpeg_emit;
    e->pub.output_message = zoo_jpeg_output;
}

int zoo_jpeg_read_info(const uint8_t *data, size_t len, zoo_jpeg_info *info, char *err, size_t errlen) {
    struct jpeg_decompress_struct cinfo;
    zoo_jpeg_error e;
    memset(&cinfo, 0, sizeof(cinfo));
    zoo_jpeg_setup(&cinfo, &e);
    if (setjmp(e.jump)) {
        int status = zoo_jpeg_status_of(&e);
        zoo_set_error(err, errlen, "%s", e.message);
        jpeg_destroy_decompress(&cinfo);
        return status;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, (unsigned long)len);
    int rc = jpeg_read_header(&cinfo, TRUE);
    if (rc != JPEG_HEADER_OK) {
        zoo_set_error(err, errlen, "no image in the JPEG stream");
        jpeg_destroy_decompress(&cinfo);
        return ZOO_CORRUPT;
    }
    info->width = cinfo.image_width;
    info->height = cinfo.image_height;
    info->components = cinfo.num_components;
    info->color_space = (int)cinfo.jpeg_color_space;
    info->saw_adobe_marker = cinfo.saw_Adobe_marker ? 1 : 0;
    info->data_precision = cinfo.data_precision;
    info->progressive = cinfo.progressive_mode ? 1 : 0;
    int eof = e.saw_eof;
    jpeg_destroy_decompress(&cinfo);
    if (eof) {
        zoo_set_error(err, errlen, "premature end of JPEG data in the headers");
        return ZOO_TRUNCATED;
    }
    return ZOO_OK;
}

int zoo_jpeg_decode(const uint8_t *data, size_t len, int out_space, int dct_method, int fancy_upsampling,
                    uint8_t *out, size_t outlen, int *warnings, char *err, size_t errlen) {
    struct jpeg_decompress_struct cinfo;
    zoo_jpeg_error e;
    memset(&cinfo, 0, sizeof(cinfo));
    zoo_jpeg_setup(&cinfo, &e);
    if (setjmp(e.jump)) {
        int status = zoo_jpeg_status_of(&e);
        zoo_set_error(err, errlen, "%s", e.message);
        if (warnings) *warnings = e.warnings;
        jpeg_destroy_decompress(&cinfo);
        return status;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, (unsigned long)len);
    if (jpeg_read_header(&cinfo, TRUE) != JPEG_HEADER_OK) {
        zoo_set_error(err, errlen, "no image in the JPEG stream");
        jpeg_destroy_decompress(&cinfo);
        return ZOO_CORRUPT;
    }
    if (cinfo.data_precision != 8) {
        zoo_set_error(err, errlen, "%d-bit samples", cinfo.data_precision);
        jpeg_destroy_decompress(&cinfo);
        return ZOO_UNSUPPORTED;
    }
    int channels;
    switch (out_space) {
    case ZOO_JPEG_GRAY: cinfo.out_color_space = JCS_GRAYSCALE; channels = 1; break;
    case ZOO_JPEG_RGB: cinfo.out_color_space = JCS_RGB; channels = 3; break;
    case ZOO_JPEG_CMYK: cinfo.out_color_space = JCS_CMYK; channels = 4; break;
    default:
        zoo_set_error(err, errlen, "invalid output colour space %d", out_space);
        jpeg_destroy_decompress(&cinfo);
        return ZOO_SHAPE;
    }
    cinfo.dct_method = dct_method == ZOO_DCT_IFAST ? JDCT_IFAST : (dct_method == ZOO_DCT_FLOAT ? JDCT_FLOAT : JDCT_ISLOW);
    cinfo.do_fancy_upsampling = fancy_upsampling ? TRUE : FALSE;
    jpeg_start_decompress(&cinfo);
    size_t stride = (size_t)cinfo.output_width * (size_t)channels;
    if (cinfo.output_components != channels || (size_t)cinfo.output_height * stride != outlen) {
        zoo_set_error(err, errlen, "decoded layout %ux%ux%d differs from the header", cinfo.output_width,
                      cinfo.output_height, cinfo.output_components);
        jpeg_destroy_decompress(&cinfo);
        return ZOO_SHAPE;
    }
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW row = out + (size_t)cinfo.output_scanline * stride;
        if (jpeg_read_scanlines(&cinfo, &row, 1) != 1) break;
        if (e.saw_eof) break;
    }
    int eof = e.saw_eof || cinfo.output_scanline < cinfo.output_height;
    if (!eof) jpeg_finish_decompress(&cinfo);
    eof = eof || e.saw_eof;
    if (warnings) *warnings = e.warnings;
    jpeg_destroy_decompress(&cinfo);
    if (eof) {
        zoo_set_error(err, errlen, "premature end of JPEG data");
        return ZOO_TRUNCATED;
    }
    return ZOO_OK;
}
