"""Expected outputs of Keras's two image resize paths, for Tests/ZooImagesTests/ResizingTests.swift.

Run with the TensorFlow venv (TensorFlow 2.18.1, Keras 3.15.1, Pillow 13.0.0):

    .venv-tf/bin/python Fixtures/images/make_resize_fixtures.py

Writes Fixtures/images/resize/: source images and expected outputs as .npy files, and
manifest.json listing every case:

Each case holds one array per method, stacked on a leading axis (methods listed in order).

- path "tf": what `keras.utils.image_dataset_from_directory(interpolation=...)` does to an image:
  Keras's own `_load_image_tf` (decode, then tf.image.resize / smart_resize /
  tf.image.resize_with_pad) mapped over a tf.data dataset of one PNG file. Float32. (A plain
  tf.function differs: its graph optimiser turns `x / constant` into `x * (1 / constant)`,
  which changes resize_with_pad's fitted size in some cases, e.g. 29x37 into 12x12.)
- path "tf_float": tf.image.resize on a float32 source.
- path "pil": Pillow's Image.resize(size, resample, box) on an 8-bit image (uint8).
- path "load_img": keras.utils.load_img(target_size=..., keep_aspect_ratio=...) on a PNG file.
"""

import json
import os
import tempfile

import numpy as np
import tensorflow as tf
from PIL import Image as PILImage

import keras
from keras.src.utils import image_dataset_utils

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "resize")
SKLEARN_IMAGES = os.path.join(
    HERE, "..", "..", ".venv", "lib", "python3.11", "site-packages", "sklearn", "datasets", "images"
)

TF_METHODS = ["bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5", "gaussian", "mitchellcubic"]
PIL_METHODS = {
    "nearest": PILImage.Resampling.NEAREST,
    "bilinear": PILImage.Resampling.BILINEAR,
    "bicubic": PILImage.Resampling.BICUBIC,
    "lanczos": PILImage.Resampling.LANCZOS,
    "box": PILImage.Resampling.BOX,
    "hamming": PILImage.Resampling.HAMMING,
}


def save(name, array):
    np.save(os.path.join(OUT, name), array, allow_pickle=False)
    return name


def sources():
    rng = np.random.default_rng(20240607)
    china = np.asarray(PILImage.open(os.path.join(SKLEARN_IMAGES, "china.jpg")).convert("RGB"))
    flower = np.asarray(PILImage.open(os.path.join(SKLEARN_IMAGES, "flower.jpg")).convert("L"))
    photo = np.ascontiguousarray(china[140:169, 200:237])  # 29 x 37 RGB
    gray = np.ascontiguousarray(flower[200:231, 300:323])  # 31 x 23 L
    rgba = np.concatenate(
        [china[300:317, 100:119], rng.integers(0, 256, (17, 19, 1), dtype=np.uint8)], axis=2
    )
    rgba[0, :, 3] = 0
    rgba[1, :, 3] = 255
    la = np.stack([flower[50:61, 60:73], rng.integers(0, 256, (11, 13), dtype=np.uint8)], axis=2)
    noise = rng.integers(0, 256, (30, 40, 3), dtype=np.uint8)
    small = np.ascontiguousarray(china[260:273, 330:347])  # 13 x 17 RGB
    return {"photo": photo, "small": small, "gray": gray[:, :, None], "rgba": np.ascontiguousarray(rgba),
            "la": np.ascontiguousarray(la), "noise": noise}


def tf_dataset_resize(image, size, method, aspect, tmp):
    """keras image_dataset_utils._load_image_tf on a PNG of `image`, run in a tf.data map exactly
    as image_dataset_from_directory runs it (dynamic shapes, the dataset's graph optimisations)."""
    channels = image.shape[2]
    if channels == 2:  # no Keras color mode has 2 channels: plain tf.image.resize in a map
        assert aspect == "stretch"
        ds = tf.data.Dataset.from_tensors(tf.constant(image)).map(lambda x: tf.image.resize(x, size, method=method))
        return tf.cast(next(iter(ds)), tf.float32).numpy().astype(np.float32)
    path = os.path.join(tmp, f"tf_{channels}.png")
    with open(path, "wb") as f:
        f.write(tf.io.encode_png(tf.constant(image)).numpy())
    ds = tf.data.Dataset.from_tensors(path).map(
        lambda p: image_dataset_utils._load_image_tf(
            p, size, channels, method, "channels_last",
            crop_to_aspect_ratio=aspect == "crop", pad_to_aspect_ratio=aspect == "pad"))
    out = next(iter(ds))
    return tf.cast(out, tf.float32).numpy().astype(np.float32)


def main():
    os.makedirs(OUT, exist_ok=True)
    for name in os.listdir(OUT):
        os.remove(os.path.join(OUT, name))
    srcs = sources()
    manifest = {"sources": {}, "cases": []}
    for name, array in srcs.items():
        manifest["sources"][name] = save(f"src_{name}.npy", array)
    rng = np.random.default_rng(7)
    float_src = (rng.standard_normal((13, 11, 3)) * 60 + 100).astype(np.float32)
    manifest["sources"]["float"] = save("src_float.npy", float_src)

    # --- TensorFlow dataset path -------------------------------------------------------------
    tf_cases = [
        ("small", (20, 25), "stretch"),  # upscale, non-uniform
        ("photo", (13, 17), "stretch"),  # downscale ~2.2x
        ("photo", (7, 9), "stretch"),  # strong downscale ~4x
        ("photo", (33, 8), "stretch"),  # up in y, down in x
        ("photo", (12, 12), "crop"),
        ("photo", (20, 11), "crop"),
        ("photo", (12, 12), "pad"),
        ("photo", (8, 24), "pad"),
        ("gray", (36, 29), "stretch"),
        ("gray", (6, 5), "stretch"),
        ("gray", (12, 12), "crop"),
        ("gray", (12, 12), "pad"),
        ("rgba", (20, 7), "stretch"),
        ("la", (7, 20), "stretch"),
        ("noise", (8, 11), "stretch"),
        ("la", (11, 13), "stretch"),  # same size
        ("noise", (1, 1), "stretch"),
    ]
    for src, size, aspect in tf_cases:
        # Keras's TF-backend resize (smart_resize) rejects gaussian and mitchellcubic: ValueError.
        methods = [m for m in TF_METHODS if aspect != "crop" or m not in ("gaussian", "mitchellcubic")]
        with tempfile.TemporaryDirectory() as tmp:
            expected = np.stack([tf_dataset_resize(srcs[src], size, m, aspect, tmp) for m in methods])
        fname = save(f"tf_{src}_{size[0]}x{size[1]}_{aspect}.npy", expected)
        manifest["cases"].append({"path": "tf", "source": src, "height": size[0], "width": size[1],
                                  "methods": methods, "aspect": aspect, "expected": fname})
    for size in [(21, 8), (5, 4)]:
        expected = np.stack([tf.image.resize(tf.constant(float_src), size, method=m).numpy().astype(np.float32)
                             for m in TF_METHODS])
        fname = save(f"tffloat_{size[0]}x{size[1]}.npy", expected)
        manifest["cases"].append({"path": "tf_float", "source": "float", "height": size[0], "width": size[1],
                                  "methods": TF_METHODS, "aspect": "stretch", "expected": fname})

    # --- Pillow path ----------------------------------------------------------------------------
    modes = {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}

    def to_pil(array):
        c = array.shape[2]
        return PILImage.fromarray(array[:, :, 0] if c == 1 else array, modes[c])

    def from_pil(img, channels):
        a = np.asarray(img)
        return a[:, :, None] if channels == 1 else a

    pil_cases = [
        ("small", (40, 20), None),  # (width, height): upscale
        ("photo", (17, 13), None),  # downscale
        ("photo", (9, 7), None),  # strong downscale (4x)
        ("photo", (5, 40), None),  # x down 7x, y up
        ("photo", (20, 15), (3.25, 2.5, 30.75, 27.0)),  # float box
        ("photo", (10, 9), (4, 3, 14, 12)),  # integer box of the output size: a crop
        ("gray", (40, 50), None),
        ("gray", (7, 6), None),
        ("gray", (3, 11), (1.5, 0.0, 22.0, 30.5)),
        ("rgba", (40, 9), None),
        ("rgba", (6, 5), None),
        ("la", (30, 4), None),
        ("noise", (13, 10), None),
        ("gray", (23, 31), None),  # same size: a copy
        ("noise", (1, 1), None),
    ]
    for src, size, box in pil_cases:
        channels = srcs[src].shape[2]
        expected = np.stack([from_pil(to_pil(srcs[src]).resize(size, r, box=box), channels)
                             for r in PIL_METHODS.values()])
        tag = "" if box is None else "_box"
        fname = save(f"pil_{src}_{size[0]}x{size[1]}{tag}.npy", expected)
        manifest["cases"].append({"path": "pil", "source": src, "width": size[0], "height": size[1],
                                  "methods": list(PIL_METHODS), "box": None if box is None else [float(v) for v in box],
                                  "expected": fname})

    color_modes = {1: "grayscale", 3: "rgb", 4: "rgba"}
    load_cases = [
        ("photo", (16, 16), True),  # (height, width)
        ("photo", (10, 30), True),
        ("gray", (31, 23), True),  # same size: no resize at all
        ("photo", (20, 20), False),
        ("gray", (9, 9), True),
        ("rgba", (5, 12), True),
    ]
    with tempfile.TemporaryDirectory() as tmp:
        for src, size, keep in load_cases:
            channels = srcs[src].shape[2]
            path = os.path.join(tmp, f"{src}.png")
            to_pil(srcs[src]).save(path)
            expected = np.stack([
                from_pil(keras.utils.load_img(path, color_mode=color_modes[channels], target_size=size,
                                              interpolation=m, keep_aspect_ratio=keep), channels)
                for m in PIL_METHODS])
            fname = save(f"load_{src}_{size[0]}x{size[1]}_{int(keep)}.npy", expected)
            manifest["cases"].append({"path": "load_img", "source": src, "height": size[0], "width": size[1],
                                      "methods": list(PIL_METHODS), "keep_aspect_ratio": keep, "expected": fname})

    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    total = sum(os.path.getsize(os.path.join(OUT, n)) for n in os.listdir(OUT))
    print(f"{len(manifest['cases'])} cases, {total / 1024:.0f} KiB in {OUT}")


if __name__ == "__main__":
    main()
