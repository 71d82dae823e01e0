#!/usr/bin/env python3
"""Generates the decoder fixtures of ZooImages and what Keras decodes from them.

Run with the TensorFlow venv:  .venv-tf/bin/python Fixtures/images/make_decode_fixtures.py

Writes small images in every mode the decoders cover (Pillow-made, plus hand-written PNG/BMP
variants Pillow cannot write: 16-bit RGB, Adam7 interlace, top-down and BI_BITFIELDS BMP),
hostile files, and `decode/expected.bin`: for every image x profile x color mode the array
Keras gets, from
  tensorflow: tf.io.decode_image(bytes, channels=1|3|4, expand_animations=False)
  pillow:     np.asarray(keras.utils.load_img(path, color_mode=...))
Format of expected.bin (little endian): b"ZXP1", u32 count, then per record
  u16 name length, name (utf-8), u8 profile (0 tensorflow, 1 pillow), u8 mode (0 rgb,
  1 grayscale, 2 rgba), u8 status (0 decoded, 1 Keras raised, 2 Keras returned uint16),
  u32 height, u32 width, u32 channels, height*width*channels bytes (status 0 only).
"""
import io, os, random, struct, sys, zlib
import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "decode")
SK = os.path.join(HERE, "..", "..", ".venv", "lib", "python3.11", "site-packages", "sklearn", "datasets", "images")
rng = np.random.default_rng(1234)


def put(name, data):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


def save(name, img, **kw):
    buf = io.BytesIO()
    img.save(buf, **kw)
    put(name, buf.getvalue())


# ---------------------------------------------------------------- hand-written PNG
def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_bytes(arr, color_type, bit_depth, interlace=False, extra=()):
    """arr: HxWxC uint8/uint16 (C per color type), no palette/sub-byte support."""
    h, w = arr.shape[:2]
    be = arr.astype(">u2") if bit_depth == 16 else arr.astype(np.uint8)

    def rows(sub):
        return b"".join(b"\x00" + sub[y].tobytes() for y in range(sub.shape[0]))

    if not interlace:
        raw = rows(be)
    else:
        raw = b""
        for (x0, y0, dx, dy) in [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]:
            sub = be[y0::dy, x0::dx]
            if sub.shape[0] and sub.shape[1]:
                raw += rows(sub)
    ihdr = struct.pack(">IIBBBBB", w, h, bit_depth, color_type, 0, 0, 1 if interlace else 0)
    body = png_chunk(b"IHDR", ihdr)
    for kind, data in extra:
        body += png_chunk(kind, data)
    body += png_chunk(b"IDAT", zlib.compress(raw, 9)) + png_chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + body


# ---------------------------------------------------------------- hand-written BMP
def bmp_bytes(w, h, bpp, rows_bytes, palette=None, top_down=False, masks=None, header=40):
    """rows_bytes: list of unpadded row bytes, top row first."""
    stride = ((w * bpp + 31) // 32) * 4
    ordered = rows_bytes if top_down else rows_bytes[::-1]
    pix = b"".join(r + b"\x00" * (stride - len(r)) for r in ordered)
    pal = b"".join(bytes([b, g, r, 0]) for (r, g, b) in (palette or []))
    compression = 3 if masks else 0
    mask_bytes = b"".join(struct.pack("<I", m) for m in masks) if masks else b""
    if masks and header == 40:
        extra = mask_bytes[:12]
        info = struct.pack("<IiiHHIIiiII", 40, w, -h if top_down else h, 1, bpp, compression, len(pix), 2835, 2835, len(palette or []), 0) + extra
    elif header == 108:
        info = struct.pack("<IiiHHIIiiII", 108, w, -h if top_down else h, 1, bpp, compression, len(pix), 2835, 2835, len(palette or []), 0)
        info += (mask_bytes + b"\x00" * 16)[:16] + b"BGRs" + b"\x00" * 48
    else:
        info = struct.pack("<IiiHHIIiiII", 40, w, -h if top_down else h, 1, bpp, compression, len(pix), 2835, 2835, len(palette or []), 0)
    off = 14 + len(info) + len(pal)
    return b"BM" + struct.pack("<IHHI", off + len(pix), 0, 0, off) + info + pal + pix


def synthetic_rgb(w, h):
    y, x = np.mgrid[0:h, 0:w]
    a = np.stack([(x * 255 // max(w - 1, 1)), (y * 255 // max(h - 1, 1)), ((x + y) * 37) % 256], axis=-1)
    return a.astype(np.uint8)


def make_images():
    files = []
    china = Image.open(os.path.join(SK, "china.jpg")).convert("RGB")
    flower = Image.open(os.path.join(SK, "flower.jpg")).convert("RGB")
    c1 = china.crop((200, 100, 248, 140))          # 48x40
    f1 = flower.crop((300, 150, 348, 190))
    c2 = china.crop((400, 200, 437, 229))          # 37x29, odd sizes
    # JPEG
    save("jpeg_china_420.jpg", c1, format="JPEG", quality=90); files.append("jpeg_china_420.jpg")
    save("jpeg_flower_444.jpg", f1, format="JPEG", quality=92, subsampling=0); files.append("jpeg_flower_444.jpg")
    save("jpeg_china_422_odd.jpg", c2, format="JPEG", quality=85, subsampling=1); files.append("jpeg_china_422_odd.jpg")
    save("jpeg_gray.jpg", f1.convert("L"), format="JPEG", quality=90); files.append("jpeg_gray.jpg")
    save("jpeg_progressive.jpg", c2, format="JPEG", quality=88, progressive=True); files.append("jpeg_progressive.jpg")
    save("jpeg_cmyk.jpg", c2.convert("CMYK"), format="JPEG", quality=90); files.append("jpeg_cmyk.jpg")
    ex = Image.Exif(); ex[0x0112] = 6
    save("jpeg_exif_orient6.jpg", c2, format="JPEG", quality=90, exif=ex.tobytes()); files.append("jpeg_exif_orient6.jpg")
    # PNG (Pillow)
    s = synthetic_rgb(19, 13)
    rgb = Image.fromarray(s, "RGB")
    alpha = ((np.arange(19 * 13).reshape(13, 19) * 7) % 256).astype(np.uint8)
    rgba = Image.fromarray(np.dstack([s, alpha]), "RGBA")
    save("png_rgb.png", rgb, format="PNG"); files.append("png_rgb.png")
    save("png_rgba.png", rgba, format="PNG"); files.append("png_rgba.png")
    save("png_gray.png", rgb.convert("L"), format="PNG"); files.append("png_gray.png")
    save("png_la.png", rgba.convert("LA"), format="PNG"); files.append("png_la.png")
    pal = rgb.quantize(colors=23, method=Image.Quantize.MEDIANCUT)
    save("png_palette.png", pal, format="PNG"); files.append("png_palette.png")
    trns = bytes((i * 11) % 256 for i in range(23))
    save("png_palette_trns.png", pal, format="PNG", transparency=trns); files.append("png_palette_trns.png")
    save("png_gray_trns.png", rgb.convert("L"), format="PNG", transparency=int(np.asarray(rgb.convert("L"))[3, 4])); files.append("png_gray_trns.png")
    save("png_rgb_trns.png", rgb, format="PNG", transparency=tuple(int(v) for v in s[5, 6])); files.append("png_rgb_trns.png")
    pal4 = rgb.quantize(colors=12, method=Image.Quantize.MEDIANCUT)
    save("png_palette_4bit.png", pal4, format="PNG"); files.append("png_palette_4bit.png")
    save("png_1bit.png", rgb.convert("L").point(lambda v: 255 if v > 120 else 0).convert("1"), format="PNG"); files.append("png_1bit.png")
    # PNG (hand-written)
    g16 = (np.arange(19 * 13).reshape(13, 19, 1) * 263 + 17).astype(np.uint16) % 65536
    put("png_gray16.png", png_bytes(g16, 0, 16)); files.append("png_gray16.png")
    r16 = (rng.integers(0, 65536, size=(13, 19, 3))).astype(np.uint16)
    put("png_rgb16.png", png_bytes(r16, 2, 16)); files.append("png_rgb16.png")
    a16 = (rng.integers(0, 65536, size=(13, 19, 4))).astype(np.uint16)
    put("png_rgba16.png", png_bytes(a16, 6, 16)); files.append("png_rgba16.png")
    put("png_interlaced.png", png_bytes(s, 2, 8, interlace=True)); files.append("png_interlaced.png")
    put("png_interlaced_rgba16.png", png_bytes(a16, 6, 16, interlace=True)); files.append("png_interlaced_rgba16.png")
    # GIF
    save("gif_static.gif", pal, format="GIF"); files.append("gif_static.gif")
    f2 = rgb.transpose(Image.Transpose.FLIP_LEFT_RIGHT).quantize(colors=16)
    pal.save(os.path.join(OUT, "gif_animated.gif"), format="GIF", save_all=True, append_images=[f2], duration=100, loop=0); files.append("gif_animated.gif")
    save("gif_transparent.gif", pal, format="GIF", transparency=3); files.append("gif_transparent.gif")
    big = Image.fromarray(synthetic_rgb(26, 21), "RGB").quantize(colors=40)
    save("gif_interlaced.gif", big, format="GIF", interlace=True); files.append("gif_interlaced.gif")
    save("gif_gray.gif", rgb.convert("L"), format="GIF"); files.append("gif_gray.gif")
    # BMP (Pillow)
    save("bmp_24.bmp", rgb, format="BMP"); files.append("bmp_24.bmp")
    save("bmp_8_palette.bmp", pal, format="BMP"); files.append("bmp_8_palette.bmp")
    save("bmp_8_gray.bmp", rgb.convert("L"), format="BMP"); files.append("bmp_8_gray.bmp")
    save("bmp_1bit.bmp", rgb.convert("L").point(lambda v: 255 if v > 120 else 0).convert("1"), format="BMP"); files.append("bmp_1bit.bmp")
    # BMP (hand-written)
    h, w = s.shape[:2]
    bgr_rows = [s[y, :, ::-1].tobytes() for y in range(h)]
    put("bmp_24_topdown.bmp", bmp_bytes(w, h, 24, bgr_rows, top_down=True)); files.append("bmp_24_topdown.bmp")
    bgra = np.dstack([s[:, :, ::-1], alpha])
    put("bmp_32.bmp", bmp_bytes(w, h, 32, [bgra[y].tobytes() for y in range(h)])); files.append("bmp_32.bmp")
    put("bmp_32_bitfields.bmp", bmp_bytes(w, h, 32, [bgra[y].tobytes() for y in range(h)], masks=(0x00FF0000, 0x0000FF00, 0x000000FF, 0xFF000000), header=108)); files.append("bmp_32_bitfields.bmp")
    p16 = [((s[y, :, 0].astype(np.uint16) >> 3) << 11 | (s[y, :, 1].astype(np.uint16) >> 2) << 5 | (s[y, :, 2].astype(np.uint16) >> 3)).astype("<u2").tobytes() for y in range(h)]
    put("bmp_16_565.bmp", bmp_bytes(w, h, 16, p16, masks=(0xF800, 0x07E0, 0x001F))); files.append("bmp_16_565.bmp")
    pal16 = [(i * 17, 255 - i * 17, (i * 53) % 256) for i in range(16)]
    idx = (np.arange(w * h).reshape(h, w) * 5) % 16
    rows4 = []
    for y in range(h):
        r = idx[y].tolist() + [0]
        rows4.append(bytes((r[i] << 4) | r[i + 1] for i in range(0, w, 2)))
    put("bmp_4bit.bmp", bmp_bytes(w, h, 4, rows4, palette=pal16)); files.append("bmp_4bit.bmp")
    put("bmp_4bit_topdown.bmp", bmp_bytes(w, h, 4, rows4, palette=pal16, top_down=True)); files.append("bmp_4bit_topdown.bmp")
    return files


def make_hostile():
    put("hostile_empty.jpg", b"")
    china = open(os.path.join(OUT, "jpeg_china_420.jpg"), "rb").read()
    put("hostile_truncated.jpg", china[: len(china) // 2])
    png = open(os.path.join(OUT, "png_rgb.png"), "rb").read()
    put("hostile_truncated.png", png[: len(png) * 2 // 3])
    # 60000x60000 declared in tiny files
    put("hostile_bomb.png", png_bytes(np.zeros((1, 1, 3), np.uint8), 2, 8)[:16] + png_chunk(b"IHDR", struct.pack(">IIBBBBB", 60000, 60000, 8, 2, 0, 0, 0))[8:] + png_chunk(b"IDAT", zlib.compress(b"\x00" * 1000)) + png_chunk(b"IEND", b""))
    j = bytearray(china)
    i = 2
    while i < len(j):
        marker, ln = j[i + 1], struct.unpack(">H", j[i + 2:i + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2):
            j[i + 5:i + 9] = struct.pack(">HH", 60000, 60000)
            break
        i += 2 + ln
    put("hostile_bomb.jpg", bytes(j[:1000]))
    put("hostile_bomb.bmp", b"BM" + struct.pack("<IHHI", 54 + 16, 0, 0, 54) + struct.pack("<IiiHHIIiiII", 40, 60000, 60000, 1, 24, 0, 0, 0, 0, 0, 0) + b"\x00" * 16)
    put("hostile_bomb.gif", b"GIF89a" + struct.pack("<HHBBB", 60000, 60000, 0x80, 0, 0) + b"\x00" * 6 + b"," + struct.pack("<HHHHB", 0, 0, 60000, 60000, 0) + b"\x02\x02\x4c\x01\x00;")
    put("hostile_random.jpg", bytes(random.Random(7).getrandbits(8) for _ in range(300)))
    put("hostile_text.jpg", b"this is not a picture, just text with a .jpg name\n")
    put("hostile_jpeg_garbage.jpg", b"\xff\xd8\xff" + bytes(random.Random(8).getrandbits(8) for _ in range(200)))


MODES = ["rgb", "grayscale", "rgba"]
CH = {"rgb": 3, "grayscale": 1, "rgba": 4}


def main():
    import tensorflow as tf
    import keras
    os.makedirs(OUT, exist_ok=True)
    files = make_images()
    make_hostile()
    records = []
    summary = []
    for name in files:
        path = os.path.join(OUT, name)
        data = open(path, "rb").read()
        for p, profile in enumerate(["tensorflow", "pillow"]):
            for m, mode in enumerate(MODES):
                status, arr, note = 0, None, ""
                try:
                    if profile == "tensorflow":
                        arr = tf.io.decode_image(data, channels=CH[mode], expand_animations=False).numpy()
                    else:
                        img = keras.utils.load_img(path, color_mode=mode)
                        note = img.mode
                        arr = np.asarray(img)
                        if arr.ndim == 2:
                            arr = arr[:, :, None]
                        if arr.dtype != np.uint8:
                            status, note = 2, f"{img.mode} {arr.dtype} max {arr.max()}"
                except Exception as e:  # Keras raised: the decoder must throw too
                    status, note = 1, type(e).__name__ + ": " + str(e).splitlines()[0][:120]
                if status == 0:
                    assert arr.dtype == np.uint8 and arr.ndim == 3, (name, profile, mode, arr.dtype, arr.shape)
                    records.append((name, p, m, 0, arr))
                else:
                    records.append((name, p, m, status, arr if status == 2 else None))
                summary.append(f"{name:28s} {profile:10s} {mode:9s} {'ok ' + str(arr.shape) if status == 0 else ('ERR ' if status == 1 else 'U16 ')} {note}")
    out = bytearray(b"ZXP1" + struct.pack("<I", len(records)))
    for name, p, m, status, arr in records:
        nb = name.encode()
        out += struct.pack("<H", len(nb)) + nb + struct.pack("<BBB", p, m, status)
        if status == 0:
            out += struct.pack("<III", *arr.shape) + arr.tobytes()
        else:
            out += struct.pack("<III", 0, 0, 0)
    put("expected.bin", bytes(out))
    with open(os.path.join(OUT, "summary.txt"), "w") as f:
        f.write("\n".join(summary) + "\n")
    print("\n".join(summary))
    print("expected.bin", len(out), "bytes")


if __name__ == "__main__":
    main()
