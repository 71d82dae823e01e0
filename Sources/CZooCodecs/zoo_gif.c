// giflib 5 reading from memory: only the screen and the first frame are decoded.
#include "zoo_codecs.h"
#include "zoo_internal.h"
#include <stdlib.h>
#include <string.h>
#include <gif_lib.h>

typedef struct { const uint8_t *data; size_t len, pos; } zoo_gif_src;

static int zoo_gif_read(GifFileType *gif, GifByteType *dst, int n) {
    zoo_gif_src *s = (zoo_gif_src *)gif->UserData;
    if (n <= 0) return 0;
    size_t left = s->len - s->pos;
    size_t k = (size_t)n < left ? (size_t)n : left;
    memcpy(dst, s->data + s->pos, k);
    s->pos += k;
    return (int)k;
}

static int zoo_gif_status(int code) {
    switch (code) {
    case D_GIF_ERR_NOT_ENOUGH_MEM: return ZOO_NOMEM;
    case D_GIF_ERR_READ_FAILED: case D_GIF_ERR_EOF_TOO_SOON: return ZOO_TRUNCATED;
    default: return ZOO_CORRUPT;
    }
}

static void zoo_gif_fail(char *err, size_t errlen, int code) {
    const char *m = GifErrorString(code);
    zoo_set_error(err, errlen, "%s", m ? m : "giflib error");
}

int zoo_gif_read_info(const uint8_t *data, size_t len, zoo_gif_info *info, char *err, size_t errlen) {
    zoo_gif_src s = { data, len, 0 };
    int code = 0;
    GifFileType *gif = DGifOpen(&s, zoo_gif_read, &code);
    if (gif == NULL) { zoo_gif_fail(err, errlen, code); return zoo_gif_status(code); }
    info->width = (uint32_t)(gif->SWidth < 0 ? 0 : gif->SWidth);
    info->height = (uint32_t)(gif->SHeight < 0 ? 0 : gif->SHeight);
    info->background = gif->SBackGroundColor;
    info->has_global_map = gif->SColorMap != NULL;
    DGifCloseFile(gif, &code);
    return ZOO_OK;
}

int zoo_gif_decode_first(const uint8_t *data, size_t len, uint64_t max_pixels,
                         uint8_t *indices, uint8_t *covered, size_t screen_pixels,
                         uint8_t *palette, int *palette_count, int *transparent,
                         char *err, size_t errlen) {
    zoo_gif_src s = { data, len, 0 };
    int code = 0;
    GifFileType *gif = DGifOpen(&s, zoo_gif_read, &code);
    if (gif == NULL) { zoo_gif_fail(err, errlen, code); return zoo_gif_status(code); }
    int sw = gif->SWidth, sh = gif->SHeight;
    if (sw <= 0 || sh <= 0 || (size_t)sw * (size_t)sh != screen_pixels) {
        zoo_set_error(err, errlen, "GIF screen %dx%d differs from the header", sw, sh);
        DGifCloseFile(gif, &code);
        return ZOO_SHAPE;
    }
    memset(covered, 0, screen_pixels);
    *transparent = -1;
    *palette_count = 0;
    GifRecordType type;
    int status = ZOO_CORRUPT;
    for (;;) {
        if (DGifGetRecordType(gif, &type) == GIF_ERROR) { code = gif->Error; goto fail; }
        if (type == TERMINATE_RECORD_TYPE) {
            zoo_set_error(err, errlen, "the GIF has no image");
            status = ZOO_CORRUPT;
            goto done;
        }
        if (type == EXTENSION_RECORD_TYPE) {
            int fn = 0;
            GifByteType *ext = NULL;
            if (DGifGetExtension(gif, &fn, &ext) == GIF_ERROR) { code = gif->Error; goto fail; }
            if (fn == GRAPHICS_EXT_FUNC_CODE && ext != NULL && ext[0] >= 4) {
                GraphicsControlBlock gcb;
                if (DGifExtensionToGCB(ext[0], ext + 1, &gcb) == GIF_OK) *transparent = gcb.TransparentColor;
            }
            while (ext != NULL) {
                if (DGifGetExtensionNext(gif, &ext) == GIF_ERROR) { code = gif->Error; goto fail; }
            }
            continue;
        }
        if (type != IMAGE_DESC_RECORD_TYPE) continue;
        if (DGifGetImageDesc(gif) == GIF_ERROR) { code = gif->Error; goto fail; }
        GifImageDesc *d = &gif->Image;
        if (d->Width <= 0 || d->Height <= 0) { zoo_set_error(err, errlen, "empty GIF frame"); status = ZOO_CORRUPT; goto done; }
        if ((uint64_t)d->Width * (uint64_t)d->Height > max_pixels) {
            zoo_set_error(err, errlen, "GIF frame declares %dx%d", d->Width, d->Height);
            status = ZOO_TOO_LARGE;
            goto done;
        }
        ColorMapObject *map = d->ColorMap ? d->ColorMap : gif->SColorMap;
        if (map == NULL || map->ColorCount <= 0) { zoo_set_error(err, errlen, "GIF frame without a colour map"); status = ZOO_UNSUPPORTED; goto done; }
        int count = map->ColorCount > 256 ? 256 : map->ColorCount;
        for (int i = 0; i < count; i++) {
            palette[3 * i] = map->Colors[i].Red;
            palette[3 * i + 1] = map->Colors[i].Green;
            palette[3 * i + 2] = map->Colors[i].Blue;
        }
        *palette_count = count;
        GifPixelType *line = (GifPixelType *)malloc((size_t)d->Width);
        if (line == NULL) { zoo_set_error(err, errlen, "out of memory"); status = ZOO_NOMEM; goto done; }
        static const int start[4] = { 0, 4, 2, 1 }, step[4] = { 8, 8, 4, 2 };
        int passes = d->Interlace ? 4 : 1;
        for (int p = 0; p < passes; p++) {
            int y0 = d->Interlace ? start[p] : 0, dy = d->Interlace ? step[p] : 1;
            for (int y = y0; y < d->Height; y += dy) {
                if (DGifGetLine(gif, line, d->Width) == GIF_ERROR) { code = gif->Error; free(line); goto fail; }
                long sy = (long)d->Top + y;
                if (sy < 0 || sy >= sh) continue;
                for (int x = 0; x < d->Width; x++) {
                    long sx = (long)d->Left + x;
                    if (sx < 0 || sx >= sw) continue;
                    size_t i = (size_t)sy * (size_t)sw + (size_t)sx;
                    indices[i] = line[x];
                    covered[i] = 1;
                }
            }
        }
        free(line);
        status = ZOO_OK;
        goto done;
    }
fail:
    zoo_gif_fail(err, errlen, code);
    status = zoo_gif_status(code);
done:
    DGifCloseFile(gif, &code);
    return status;
}
