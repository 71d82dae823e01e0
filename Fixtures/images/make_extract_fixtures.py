#!/usr/bin/env python3
"""The image-folder fixture of the extraction tests, and Keras's features for it.

Usage: .venv-tf/bin/python Fixtures/images/make_extract_fixtures.py   (TensorFlow, Keras 3, Pillow)

Writes Fixtures/images/digits/: scikit-learn's handwritten digits 0-4 (4 per class, 20 images)
rendered as 12x12 grayscale PNGs (pixel = min(255, 16 * value), Pillow bilinear upscale from
8x8), in class folders "0".."4", plus `2/broken.png` (a truncated PNG that must be skipped and
reported) and `notes.txt` (not an image). Then Keras's reference features of
Fixtures/transfer/digits_backbone.keras at avg_pool and at block2_pool, for
- image_dataset_from_directory(shuffle=False, image_size=(8, 8), color_mode="grayscale") (the
  dataset path, bilinear), no preprocessing, and
- load_img(target_size=(8, 8), color_mode="grayscale", interpolation="bilinear") (the Pillow path),
computed on a copy of the folder without the broken file, into expected_features.npz
({dataset,load_img}_{avg_pool,block2_pool}, y, paths).
"""

import os
import shutil
import sys
import tempfile

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "digits")
MODEL = os.path.join(HERE, "..", "transfer", "digits_backbone.keras")


def main():
    import keras
    from sklearn.datasets import load_digits

    digits = load_digits()
    if os.path.exists(ROOT):
        shutil.rmtree(ROOT)
    for digit in range(5):
        folder = os.path.join(ROOT, str(digit))
        os.makedirs(folder)
        picks = np.flatnonzero(digits.target == digit)[:4]
        for n, index in enumerate(picks):
            pixels = np.minimum(255, digits.images[index] * 16).astype(np.uint8)
            Image.fromarray(pixels, "L").resize((12, 12), Image.BILINEAR).save(os.path.join(folder, f"img{n:02d}.png"))
    with open(os.path.join(ROOT, "notes.txt"), "w") as handle:
        handle.write("not an image\n")

    model = keras.models.load_model(MODEL, compile=False)
    expected = {}
    for layer in ("avg_pool", "block2_pool"):
        sub = keras.Model(model.input, model.get_layer(layer).output)
        ds = keras.utils.image_dataset_from_directory(ROOT, shuffle=False, image_size=(8, 8), color_mode="grayscale", batch_size=64, verbose=False)
        x, y = next(iter(ds))
        expected[f"dataset_{layer}"] = np.asarray(sub(np.asarray(x, np.float32), training=False))
        paths = [os.path.relpath(p, ROOT) for p in ds.file_paths]
        batch = np.stack([keras.utils.img_to_array(keras.utils.load_img(os.path.join(ROOT, p), target_size=(8, 8), color_mode="grayscale",
                                                                          interpolation="bilinear")) for p in paths])
        expected[f"load_img_{layer}"] = np.asarray(sub(batch, training=False))
        expected["y"] = np.asarray(y, np.int32)
        expected["paths"] = np.array(paths)
    np.savez(os.path.join(HERE, "expected_features.npz"), **expected)

    good = open(os.path.join(ROOT, "0", "img00.png"), "rb").read()
    with open(os.path.join(ROOT, "2", "broken.png"), "wb") as handle:
        handle.write(good[: len(good) // 2])
    print(f"wrote {ROOT} ({len(paths)} images + broken.png) and expected_features.npz", file=sys.stderr)


if __name__ == "__main__":
    main()
