#!/usr/bin/env python3
"""Write full-size, seeded ResNet50 and VGG16 weight files in every Keras layout.

Usage:
    python Tests/Interop/make_models.py DIR [--only NAME[,NAME...]] [--force]

NAME is one of resnet50_top, resnet50_notop, vgg16_top, vgg16_notop (default: all four).
For each model NAME the script writes into DIR:

    NAME.h5         legacy weights-only HDF5, exactly as Keras writes it
                    (keras.src.legacy.saving.legacy_h5_format.save_weights_to_hdf5_group
                    on an h5py.File opened "w")
    NAME.model.h5   legacy full model (model.save("NAME.model.h5"))
    NAME.weights.h5 Keras 3 weights (model.save_weights("NAME.weights.h5"))
    NAME.keras      Keras 3 archive (model.save("NAME.keras"))
    NAME.manifest.json  what was written (sizes and mtimes), for fast reruns

The models are keras.applications.ResNet50 / VGG16 with weights=None, input_shape
(224, 224, 3), include_top True ("_top") or False ("_notop"). After
keras.utils.set_random_seed(SEED) every weight, in model.weights order, is set to
numpy.random.default_rng(SEED).standard_normal(shape, float32) * 0.05; BatchNormalization
moving_variance gets abs(value) + 0.5 so it is always positive. seeded_values() gives the
same arrays again without any file, which is how interop.py knows the original weights.

A model whose four files all exist and match its manifest (same generator version, Keras
version, seed, file sizes and mtimes) is skipped, so reruns take seconds. Each file is written
under DIR/.tmp-NAME/ and renamed into place; the manifest is written last.

Sizes: VGG16 with top is about 553 MB (528 MiB) per file, 2.2 GB for its four files; all
sixteen files take about 3.2 GB. Models are built one at a time and freed; writing VGG16 with
top peaks at about 2.1 GB of memory and takes about 20 s on 2 cores.
"""

import argparse
import gc
import json
import os
import shutil
import sys
import time

os.environ["KERAS_BACKEND"] = "jax"
os.environ["JAX_PLATFORMS"] = "cpu"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import h5py  # noqa: E402
import numpy as np  # noqa: E402

import keras  # noqa: E402
from keras.src.legacy.saving import legacy_h5_format  # noqa: E402

try:  # keep Keras's "HDF5 is legacy" warning out of the output
    import absl.logging

    absl.logging.set_verbosity(absl.logging.ERROR)
except ImportError:
    pass

SEED = 7
SCALE = 0.05
# Bump when the written content changes, so old manifests stop matching.
GENERATOR_VERSION = 1

# name -> (keras.applications constructor name, include_top, total params)
MODELS = {
    "resnet50_top": ("ResNet50", True, 25_636_712),
    "resnet50_notop": ("ResNet50", False, 23_587_712),
    "vgg16_top": ("VGG16", True, 138_357_544),
    "vgg16_notop": ("VGG16", False, 14_714_688),
}

# layout -> file suffix
LAYOUTS = {
    "keras-h5-weights": ".h5",
    "keras-h5-model": ".model.h5",
    "keras3-weights": ".weights.h5",
    "keras-archive": ".keras",
}


def log(message):
    print(message, flush=True)


def file_name(name, layout):
    return name + LAYOUTS[layout]


def build_model(name):
    """A fresh model of NAME's architecture (random Keras initial weights)."""
    constructor, include_top, _ = MODELS[name]
    keras.utils.set_random_seed(SEED)
    return getattr(keras.applications, constructor)(
        weights=None, include_top=include_top, input_shape=(224, 224, 3)
    )


def seeded_values(model):
    """The seeded value of every weight of `model`, in model.weights order (float32 arrays)."""
    rng = np.random.default_rng(SEED)
    values = []
    for variable in model.weights:
        value = rng.standard_normal(tuple(variable.shape), dtype=np.float32)
        value *= np.float32(SCALE)
        if variable.path.endswith("moving_variance"):
            np.abs(value, out=value)
            value += np.float32(0.5)
        values.append(value)
    return values


def seed_model(model):
    """Sets every weight of `model` to its seeded value and returns the values."""
    values = seeded_values(model)
    for variable, value in zip(model.weights, values):
        variable.assign(value)
    return values


def manifest_path(directory, name):
    return os.path.join(directory, name + ".manifest.json")


def is_current(directory, name):
    """Whether NAME's files exist and match its manifest."""
    try:
        with open(manifest_path(directory, name)) as f:
            manifest = json.load(f)
    except (OSError, ValueError):
        return False
    if (manifest.get("generator") != GENERATOR_VERSION or manifest.get("keras") != keras.__version__
            or manifest.get("seed") != SEED or manifest.get("model") != name):
        return False
    files = manifest.get("files", {})
    for layout in LAYOUTS:
        fname = file_name(name, layout)
        entry = files.get(fname)
        try:
            st = os.stat(os.path.join(directory, fname))
        except OSError:
            return False
        if entry is None or entry.get("size") != st.st_size or entry.get("mtime_ns") != st.st_mtime_ns:
            return False
    return True


def write_files(directory, name, model):
    """Writes NAME's four files from `model` (already seeded), then the manifest."""
    try:
        os.remove(manifest_path(directory, name))
    except FileNotFoundError:
        pass
    scratch = os.path.join(directory, ".tmp-" + name)
    shutil.rmtree(scratch, ignore_errors=True)
    os.makedirs(scratch)
    files = {}
    try:
        for layout in LAYOUTS:
            fname = file_name(name, layout)
            temporary = os.path.join(scratch, fname)
            start = time.monotonic()
            if layout == "keras-h5-weights":
                with h5py.File(temporary, "w") as f:
                    legacy_h5_format.save_weights_to_hdf5_group(f, model)
            elif layout == "keras3-weights":
                model.save_weights(temporary)
            else:  # keras-h5-model and keras-archive: chosen by the suffix
                model.save(temporary)
            final = os.path.join(directory, fname)
            os.replace(temporary, final)
            st = os.stat(final)
            files[fname] = {"size": st.st_size, "mtime_ns": st.st_mtime_ns}
            log(f"  wrote {fname} ({st.st_size / 1e6:.1f} MB, {time.monotonic() - start:.1f} s)")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    manifest = {"generator": GENERATOR_VERSION, "keras": keras.__version__, "seed": SEED,
                "scale": SCALE, "model": name, "params": model.count_params(), "files": files}
    with open(manifest_path(directory, name) + ".tmp", "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
    os.replace(manifest_path(directory, name) + ".tmp", manifest_path(directory, name))


def ensure(directory, name, model=None, force=False):
    """Makes sure NAME's files are in `directory`.

    With `model` (built by build_model(name)) the model is seeded in place and reused for
    writing; without one, a model is built only when files have to be written. Returns the
    seeded values when a model was given or built, else None.
    """
    os.makedirs(directory, exist_ok=True)
    current = not force and is_current(directory, name)
    if current and model is None:
        log(f"{name}: up to date, skipped")
        return None
    start = time.monotonic()
    if model is None:
        model = build_model(name)
    values = seed_model(model)
    if current:
        log(f"{name}: files up to date, skipped writing")
        return values
    expected = MODELS[name][2]
    if model.count_params() != expected:
        raise SystemExit(f"{name}: model has {model.count_params()} params, expected {expected}")
    log(f"{name}: writing {len(LAYOUTS)} files into {directory}")
    write_files(directory, name, model)
    log(f"{name}: done in {time.monotonic() - start:.1f} s")
    return values


def parse_only(values):
    names = []
    for value in values or []:
        names += [n for n in value.split(",") if n]
    unknown = [n for n in names if n not in MODELS]
    if unknown:
        raise SystemExit(f"unknown model(s) {unknown}; expected some of {list(MODELS)}")
    return names or list(MODELS)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dir", help="output directory (created if missing)")
    parser.add_argument("--only", action="append", metavar="NAME[,NAME...]",
                        help="limit to these models: " + ", ".join(MODELS))
    parser.add_argument("--force", action="store_true", help="rewrite even up-to-date files")
    args = parser.parse_args(argv)
    for name in parse_only(args.only):
        ensure(args.dir, name, force=args.force)
        gc.collect()
        keras.backend.clear_session()
    return 0


if __name__ == "__main__":
    sys.exit(main())
