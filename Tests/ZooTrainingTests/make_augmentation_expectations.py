"""Expected outputs of Keras 3's image augmentation layers, for AugmentationTests.swift.

For fixed per-image random values, runs the real Keras layers (RandomTranslation,
RandomRotation, RandomZoom, RandomContrast, RandomFlip: their `transform_images` with the
transformation dict their `get_random_transformation` would build, so the matrices come from
the layers' own code and the warp from `keras.ops.image.affine_transform`, JAX backend) on a
2x5x7x3 batch whose values come from a fixed formula, and writes the results as Swift literals
into AugmentationTests.swift between the `// BEGIN GENERATED` and `// END GENERATED` lines.
Every fill mode appears with both interpolations.

It also checks that the full layer call with a one-value range (e.g. RandomRotation((r, r)))
gives the same image as the hand-made transformation, and that no nearest-interpolation
sample point lies on a rounding tie (where float32 and float64 could round differently).

Regenerate (from the repository root):

    KERAS_BACKEND=jax JAX_PLATFORMS=cpu .venv/bin/python \\
        Tests/ZooTrainingTests/make_augmentation_expectations.py

Pass `--print` to print the block instead of rewriting the test file.
"""

import os
import sys

os.environ.setdefault("KERAS_BACKEND", "jax")
os.environ.setdefault("JAX_PLATFORMS", "cpu")

import jax  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402

B, H, W, C = 2, 5, 7, 3
TEST_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "AugmentationTests.swift")


def input_batch():
    """v[b, y, x, c] = ((37 b + 11 y + 5 x + 3 c) mod 17) / 16, the same formula as the Swift test."""
    b, y, x, c = np.meshgrid(np.arange(B), np.arange(H), np.arange(W), np.arange(C), indexing="ij")
    return (((37 * b + 11 * y + 5 * x + 3 * c) % 17) / 16.0).astype("float32")


# (spec for Augmentation.parse, per-image values as Step.draw returns them)
CASES = [
    ("translate=1:fill=reflect", [[0.62, -0.93], [-0.37, 0.41]]),
    ("translate=1:fill=wrap:interpolation=nearest", [[0.62, -0.93], [-0.37, 0.41]]),
    ("rotate=0.5:fill=constant:fill_value=0.25", [[0.07], [-0.18]]),
    ("rotate=0.5:fill=nearest:interpolation=nearest", [[0.07], [-0.18]]),
    ("rotate=0.5:interpolation=nearest", [[0.07], [-0.18]]),
    ("rotate=0.5:fill=wrap", [[0.07], [-0.18]]),
    ("zoom=0.9/0.9:fill=nearest", [[0.45, -0.3], [-0.4, 0.8]]),
    ("zoom=0.9/0.9:fill=constant:interpolation=nearest:fill_value=-1", [[0.45, -0.3], [-0.4, 0.8]]),
    ("zoom=0.5", [[0.45], [-0.4]]),
    ("contrast=0.5:clip=0..1", [[0.4], [-0.3]]),
    ("contrast=0.5", [[0.4], [-0.3]]),
    ("flip=both", [[0.25], [0.75]]),
    ("flip", [[0.75], [0.25]]),
]


def options(spec):
    name = spec.split(":")[0].split("=")[0]
    opts = dict(part.split("=", 1) for part in spec.split(":")[1:])
    return name, spec.split(":")[0], opts


def warp_args(opts):
    return dict(
        fill_mode=opts.get("fill", "reflect"),
        interpolation=opts.get("interpolation", "bilinear"),
        fill_value=float(opts.get("fill_value", 0)),
    )


def check_no_ties(matrices):
    """Nearest interpolation: every sample point must be clear of x.5 (float32 vs float64)."""
    ys, xs = np.meshgrid(np.arange(H), np.arange(W), indexing="ij")
    for m in np.asarray(matrices, dtype="float64"):
        sx = m[0] * xs + m[1] * ys + m[2]
        sy = m[3] * xs + m[4] * ys + m[5]
        for s in (sx, sy):
            distance = np.abs(np.abs(s - np.floor(s)) - 0.5)
            assert distance.min() > 1e-3, f"nearest sample point on a tie: {s}"


def keras_case(images, spec, values):
    name, head, opts = options(spec)
    values = np.asarray(values, dtype="float32")
    if name == "translate":
        layer = keras.layers.RandomTranslation(0.1, 0.1, **warp_args(opts))
        translations = np.stack([values[:, 1] * W, values[:, 0] * H], axis=1).astype("float32")
        transformation = {"translations": translations}
        matrices = np.asarray(layer._get_translation_matrix(translations))
        single = keras.layers.RandomTranslation((values[0, 0],) * 2, (values[0, 1],) * 2, **warp_args(opts))
    elif name == "rotate":
        layer = keras.layers.RandomRotation(0.1, **warp_args(opts))
        angles = values[:, 0] * 360.0
        matrices = layer._compute_affine_matrix(
            center_x=0.5, center_y=0.5, angle=jax.numpy.asarray(angles),
            translate_x=np.zeros([B], "float32"), translate_y=np.zeros([B], "float32"),
            scale=np.ones([B], "float32"), shear_x=np.zeros([B], "float32"),
            shear_y=np.zeros([B], "float32"), height=H, width=W)
        transformation = {"rotation_matrix": matrices}
        single = keras.layers.RandomRotation((values[0, 0],) * 2, **warp_args(opts))
    elif name == "zoom":
        has_width = "/" in head
        layer = keras.layers.RandomZoom(0.1, 0.1 if has_width else None, **warp_args(opts))
        height_zoom = 1.0 + values[:, 0:1]
        width_zoom = 1.0 + values[:, 1:2] if has_width else height_zoom
        transformation = {"height_zoom": height_zoom, "width_zoom": width_zoom}
        zooms = np.concatenate([width_zoom, height_zoom], axis=1).astype("float32")
        matrices = np.asarray(layer._get_zoom_matrix(zooms, H, W))
        single = keras.layers.RandomZoom(
            (values[0, 0],) * 2, (values[0, 1],) * 2 if has_width else None, **warp_args(opts))
    elif name == "contrast":
        clip = tuple(float(v) for v in opts["clip"].split("..")) if "clip" in opts else (-1e30, 1e30)
        layer = keras.layers.RandomContrast(0.5, value_range=clip)
        transformation = {"contrast_factor": (1.0 + values[:, 0]).reshape(B, 1, 1, 1)}
        matrices, single = None, None
    else:
        mode = {"flip": "horizontal", "flip=horizontal": "horizontal", "flip=vertical": "vertical",
                "flip=both": "horizontal_and_vertical"}[head]
        layer = keras.layers.RandomFlip(mode)
        transformation = {"flips": (values[:, 0] < 0.5).reshape(B, 1, 1, 1)}
        matrices, single = None, None

    output = np.asarray(layer.transform_images(images, transformation, training=True))
    if matrices is not None and warp_args(opts)["interpolation"] == "nearest":
        check_no_ties(matrices)
    if single is not None:
        # The layer's own random path with a one-value range draws exactly that value.
        whole = np.asarray(single(images, training=True))
        assert np.allclose(whole[0], output[0], atol=1e-6), f"{spec}: layer call differs"
    return output


def swift_floats(array, indent):
    numbers = [f"{float(v):.7g}" for v in np.asarray(array, dtype="float32").ravel()]
    lines, line = [], ""
    for number in numbers:
        piece = number + ", "
        if len(line) + len(piece) > 108:
            lines.append(line.rstrip())
            line = ""
        line += piece
    lines.append(line.rstrip().rstrip(","))
    return "\n".join(indent + l for l in lines)


def generated_block():
    images = input_batch()
    out = [
        f"// BEGIN GENERATED by make_augmentation_expectations.py (Keras {keras.__version__}, "
        f"JAX {jax.__version__}); do not edit by hand.",
        "extension AugmentationFixture {",
        "    /// Keras outputs for `input()` with fixed per-image values (what `Step.draw` returns).",
        "    static let kerasCases: [KerasCase] = [",
    ]
    for spec, values in CASES:
        output = keras_case(images, spec, values)
        value_text = ", ".join("[" + ", ".join(repr(float(v)) for v in row) + "]" for row in values)
        out.append(f'        KerasCase(spec: "{spec}", values: [{value_text}], expected: [')
        out.append(swift_floats(output, " " * 12) + "]),")
    out.append("    ]")
    out.append("}")
    out.append("// END GENERATED")
    return "\n".join(out) + "\n"


def main():
    block = generated_block()
    if "--print" in sys.argv:
        sys.stdout.write(block)
        return
    with open(TEST_FILE) as f:
        text = f.read()
    begin = text.index("// BEGIN GENERATED")
    end = text.index("// END GENERATED")
    end = text.index("\n", end) + 1
    with open(TEST_FILE, "w") as f:
        f.write(text[:begin] + block + text[end:])
    print(f"wrote {len(CASES)} cases into {TEST_FILE}")


if __name__ == "__main__":
    main()
