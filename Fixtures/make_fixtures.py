#!/usr/bin/env python3
"""Regenerate SwiftZoo's Keras weight-file test fixtures and their expected values.

Usage:
    python Fixtures/make_fixtures.py [OUTDIR]      # OUTDIR defaults to this folder

Run it in a virtualenv made from Fixtures/requirements.txt. The script forces
KERAS_BACKEND=jax and JAX_PLATFORMS=cpu. Every weight is set from a seeded
numpy generator (seed 1234), so the expected JSON files come out the same on
every run. The .h5 files written by h5py alone usually come out byte-identical
too. tiny.keras is a zip that records a save date, so its bytes change on every run.

The "tiny" model (functional, input 8x8x3, 6 channels):
    input_layer (InputLayer) -> conv1 (Conv2D 3x3, with bias) -> bn1 (BatchNormalization)
    -> activation (Activation relu) -> [branch: conv2 (Conv2D 1x1, no bias)
    -> dw (DepthwiseConv2D 3x3, with bias) -> bn2 (BatchNormalization)]
    -> add (Add of bn2 and the relu output) -> max_pooling2d -> global_average_pooling2d
    -> fc (Dense 5, with bias)
All weights, BN moving_mean and moving_variance included, are seeded random
normal values. moving_variance is |N(0,1)| + 0.5, so it is always positive.

Files written (into OUTDIR):
  tiny.legacy.h5       Legacy weights-only HDF5, exactly as Keras 3 writes it
                       (keras.src.legacy.saving.legacy_h5_format.save_weights_to_hdf5_group
                       on an h5py.File opened "w"). Root attrs layer_names/backend/
                       keras_version are *variable-length* ASCII strings; each layer group
                       has weight_names (vlen ASCII, or an empty float64 array for
                       weightless layers). Datasets are at <layer>/<weight.path>, e.g.
                       conv1/conv1/kernel, plus an empty "top_level_model_weights" group.
  tiny.model.h5        Full legacy model (model.save("....h5")) after compile(adam, mse)
                       and one fit step on 2 random samples, so the file has the
                       model_config/training_config root attrs and an optimizer_weights group
                       (with scalar int32/float32 datasets). Weights sit under model_weights/.
                       Its weights are the *trained* values; the expected values are read
                       back from the file.
  tiny.weights.h5      Keras 3 model.save_weights(): layers/<snake_class>[_N]/vars/<i>.
                       Each vars group has a vlen UTF-8 "name" attr with the real layer name.
                       Weightless layers still get an (empty) vars group.
  tiny.keras           Keras 3 model.save() archive: a zip (entries STORED, not compressed)
                       of metadata.json, config.json and model.weights.h5 (same layout as
                       tiny.weights.h5).
  tiny.tfera.h5        The legacy weights layout as tf-keras 2.x / Keras 2.2.4 + h5py 2
                       wrote it (the layout of the well-known pretrained weight files),
                       reproduced byte-for-byte in layout with h5py: weight names end in
                       ":0" ("conv1/kernel:0", dataset "conv1/conv1/kernel:0"), the
                       depthwise kernel is named "depthwise_kernel" as in tf-keras, and
                       EVERY string attribute (layer_names, weight_names, backend,
                       keras_version) is fixed-length NUL-padded ASCII (numpy 'S' arrays /
                       np.bytes_ scalars). keras_version "2.2.4", backend "tensorflow".
                       Weightless layers have weight_names = empty float64 array. There is no
                       top_level_model_weights group (it did not exist back then).
  tiny.split.h5        Legacy weights-only file for a separate 40 x Dense(2) model whose
                       layer_names attribute Keras itself split into layer_names0 and
                       layer_names1 because the attribute exceeded 64512 bytes (the HDF5
                       object-header limit). Only the last layer has a very long name
                       (~1700 chars). Keras sizes that attribute as n_layers * longest_name,
                       so the short names are stored NUL-padded in a wide fixed-length field.
                       NOTE: the split chunks are *fixed-length* NULLPAD strings. Keras writes
                       the chunks as numpy 'S' arrays, while an unsplit attr is a list of bytes
                       and becomes vlen.
  tiny.f16.h5          Legacy weights-only layout (attributes written with Keras's own
                       save_attributes_to_hdf5_group) with every weight stored as float16
                       except fc's bias, stored as float64. Together with the float32
                       files, this covers float16, float32 and float64 datasets. Keras loads
                       it into the float32 model fine.
  bad_not_keras.h5     A valid HDF5 file (a group, a dataset, an attribute) with no Keras
                       structure at all.
  bad_missing_group.h5 tiny.legacy.h5's layout, but layer_names also lists "ghost_layer"
                       (after conv1), and that name has no group.
  bad_dtype.h5         tiny.legacy.h5's layout, but conv1's kernel dataset is a
                       variable-length string dataset of the kernel's shape.

  expected/<file>.json One for each good fixture, computed by reading the written file
                       with h5py (plus zipfile/json for tiny.keras), NOT from Keras objects:
      {"file", "format": keras-h5-weights | keras-h5-model | keras3-weights | keras-archive,
       "keras_version", "backend",
       "layers": [{"name", "weights": [{"name", "path", "shape", "dtype", "sum", "first"}]}],
       "total_params", "layer_classes": {layer name: Keras class name}}
      * legacy files: layers in layer_names order (weightless layers included, with
        "weights": []); the weight "name" is the last component of the stored weight name
        with any ":N" suffix removed; "path" is the dataset's full HDF5 path without the
        leading "/" (for tiny.model.h5 it starts with "model_weights/").
      * tiny.weights.h5: the groups under layers/, in model.layers order, named by their
        stored group name ("conv2d_1"). Weight names come from the per-class table
        KERAS3_VAR_NAMES (kernel/bias, gamma/beta/moving_mean/moving_variance, and
        depthwise_kernel/bias for DepthwiseConv2D, although Keras 3's own variable name
        there is "kernel"). Paths are like "layers/conv2d/vars/0".
      * tiny.keras: the same, but layers carry their real names (from config.json, mapped
        over config order with per-class counters) and the paths are inside
        model.weights.h5.
      * "sum" is math.fsum over all elements as float64, so it is correctly rounded.
        "first" holds up to 4 leading elements in C order. "total_params" counts every
        element of every listed weight (BN moving stats included, optimizer state
        and top_level_model_weights excluded).
      * keras_version/backend come from the attrs of the group that holds layer_names
        (tiny.keras: keras_version from metadata.json, backend null; tiny.weights.h5:
        both null).
  expected/tiny.model_config.json   The model_config root attribute of tiny.model.h5, parsed.

At the end the script checks its own output: Keras loads every good file back into a
fresh model of the same architecture, and the loaded values must match the expected
sums. The bad_* files must fail to load (bad_duplicate_member.keras: tiny.keras with a second
config.json member).
"""

import io
import json
import math
import os
import re
import sys
import zipfile

os.environ["KERAS_BACKEND"] = "jax"
os.environ.setdefault("JAX_PLATFORMS", "cpu")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import h5py  # noqa: E402
import ml_dtypes  # noqa: E402
import numpy as np  # noqa: E402

import keras  # noqa: E402
from keras import layers  # noqa: E402
from keras.src.legacy.saving import legacy_h5_format  # noqa: E402

SEED = 1234
TINY_CHANNELS = 6
TINY_CLASSES = 5
SPLIT_N_DENSE = 40
SPLIT_LONG_NAME = "dense_block_39_" + "x" * 1700

# Canonical short names for vars/<i> in .weights.h5 / .keras, per layer class, in the
# order of layer.weights (the order save_own_variables writes vars/0, vars/1, ...).
# This is SwiftZoo's naming convention, and it names the depthwise kernel
# "depthwise_kernel" as tf-keras did. Keras 3 itself calls that variable "kernel"
# (see KERAS3_ACTUAL_NAME), so a Keras-3-written *legacy* file stores "dw/kernel".
# check_keras3_var_names() checks this table against the live model.
KERAS3_VAR_NAMES = {
    "Conv2D": ["kernel", "bias"],
    "DepthwiseConv2D": ["depthwise_kernel", "bias"],
    "Dense": ["kernel", "bias"],
    "BatchNormalization": ["gamma", "beta", "moving_mean", "moving_variance"],
}
KERAS3_ACTUAL_NAME = {("DepthwiseConv2D", "depthwise_kernel"): "kernel"}

# tf-keras 2.x variable names where they differ from Keras 3 (for tiny.tfera.h5).
TF_ERA_VAR_NAMES = {("DepthwiseConv2D", "kernel"): "depthwise_kernel"}


# --------------------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------------------


def fresh_session():
    """Reset Keras' global name counters and every RNG, so auto names and values are
    reproducible."""
    keras.backend.clear_session()
    keras.utils.set_random_seed(SEED)
    np.random.seed(SEED)


def build_tiny():
    fresh_session()
    inp = keras.Input((8, 8, 3))
    x = layers.Conv2D(TINY_CHANNELS, 3, padding="same", name="conv1")(inp)
    x = layers.BatchNormalization(name="bn1")(x)
    r = layers.Activation("relu")(x)
    y = layers.Conv2D(TINY_CHANNELS, 1, use_bias=False, name="conv2")(r)
    y = layers.DepthwiseConv2D(3, padding="same", name="dw")(y)
    y = layers.BatchNormalization(name="bn2")(y)
    z = layers.Add()([y, r])
    z = layers.MaxPooling2D()(z)
    z = layers.GlobalAveragePooling2D()(z)
    out = layers.Dense(TINY_CLASSES, name="fc")(z)
    return keras.Model(inp, out, name="tiny")


def build_split():
    fresh_session()
    inp = keras.Input((2,))
    x = inp
    for i in range(SPLIT_N_DENSE):
        name = SPLIT_LONG_NAME if i == SPLIT_N_DENSE - 1 else f"dense_block_{i:02d}"
        x = layers.Dense(2, name=name)(x)
    return keras.Model(inp, x, name="split")


def seed_weights(model, seed):
    """Set every variable to seeded N(0, 0.5^2) values (moving_variance: |N(0,1)| + 0.5)."""
    rng = np.random.default_rng(seed)
    for w in model.weights:
        shape = tuple(w.shape)
        if w.name == "moving_variance":
            val = np.abs(rng.standard_normal(shape)) + 0.5
        else:
            val = 0.5 * rng.standard_normal(shape)
        w.assign(val.astype(np.float32))


def legacy_weights(layer):
    """The weight order used by the legacy .h5 format (trainable, then non-trainable)."""
    return layer.trainable_weights + layer.non_trainable_weights


def layer_classes(model):
    return {l.name: type(l).__name__ for l in model.layers}


def check_keras3_var_names(model):
    for l in model.layers:
        names = [w.name for w in l.weights]
        if names:
            cls = type(l).__name__
            table = [KERAS3_ACTUAL_NAME.get((cls, n), n) for n in KERAS3_VAR_NAMES[cls]]
            assert names == table[: len(names)], (l.name, names, table)


# --------------------------------------------------------------------------------------
# Writers
# --------------------------------------------------------------------------------------


def write_legacy(path, model):
    with h5py.File(path, "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, model)


def write_tfera(path, model):
    """The tf-keras 2.x + h5py 2 legacy layout: fixed-length NUL-padded ASCII string
    attributes and ':0'-suffixed weight names. Groups are created in model.layers order,
    as Keras 2 did."""
    with h5py.File(path, "w") as f:
        f.attrs["layer_names"] = np.array([l.name.encode("ascii") for l in model.layers], dtype="S")
        f.attrs["backend"] = np.bytes_(b"tensorflow")
        f.attrs["keras_version"] = np.bytes_(b"2.2.4")
        for layer in model.layers:
            g = f.create_group(layer.name)
            ws = legacy_weights(layer)
            cls = type(layer).__name__
            names = [
                f"{layer.name}/{TF_ERA_VAR_NAMES.get((cls, w.name), w.name)}:0".encode("ascii") for w in ws
            ]
            if names:
                g.attrs["weight_names"] = np.array(names, dtype="S")
            else:
                g.attrs["weight_names"] = np.array([], dtype=np.float64)
            for name, w in zip(names, ws):
                val = np.asarray(keras.ops.convert_to_numpy(w))
                d = g.create_dataset(name.decode("ascii"), val.shape, dtype=val.dtype)
                d[...] = val


def write_f16(path, model):
    """Keras 3 legacy layout (attributes via Keras's own helper) with float16 datasets and
    one float64 dataset (fc bias)."""
    from keras.src import __version__ as keras_version

    with h5py.File(path, "w") as f:
        legacy_h5_format.save_attributes_to_hdf5_group(
            f, "layer_names", [l.name.encode("utf8") for l in model.layers]
        )
        f.attrs["backend"] = keras.backend.backend().encode("utf8")
        f.attrs["keras_version"] = str(keras_version).encode("utf8")
        for layer in sorted(model.layers, key=lambda l: l.name):
            g = f.create_group(layer.name)
            ws = legacy_weights(layer)
            names = [str(w.path).encode("utf8") for w in ws]
            legacy_h5_format.save_attributes_to_hdf5_group(g, "weight_names", names)
            for name, w in zip(names, ws):
                dtype = np.float64 if (layer.name == "fc" and w.name == "bias") else np.float16
                val = np.asarray(keras.ops.convert_to_numpy(w)).astype(dtype)
                d = g.create_dataset(name, val.shape, dtype=val.dtype)
                d[...] = val
        legacy_h5_format.save_attributes_to_hdf5_group(
            f.create_group("top_level_model_weights"), "weight_names", []
        )


def write_bad_not_keras(path):
    with h5py.File(path, "w") as f:
        g = f.create_group("measurements")
        g.attrs["units"] = "kelvin"
        g.create_dataset("values", data=np.arange(12, dtype=np.float32).reshape(4, 3))


def write_bad_missing_group(path, model):
    write_legacy(path, model)
    with h5py.File(path, "a") as f:
        names = [n.encode("utf8") for n in legacy_h5_format.load_attributes_from_hdf5_group(f, "layer_names")]
        names.insert(names.index(b"conv1") + 1, b"ghost_layer")
        f.attrs["layer_names"] = names  # same vlen-ASCII encoding Keras uses
        assert "ghost_layer" not in f


def write_bad_dtype(path, model):
    write_legacy(path, model)
    with h5py.File(path, "a") as f:
        shape = f["conv1/conv1/kernel"].shape
        del f["conv1/conv1/kernel"]
        data = np.array(["not a weight"] * int(np.prod(shape)), dtype=object).reshape(shape)
        f.create_dataset("conv1/conv1/kernel", data=data, dtype=h5py.string_dtype("utf-8"))


def write_bad_huge_shape(path, model):
    """A kernel whose shape claims more bytes than 64 bits can count (chunked, so nothing is stored)."""
    write_legacy(path, model)
    with h5py.File(path, "a") as f:
        del f["conv1/conv1/kernel"]
        f.create_dataset("conv1/conv1/kernel", shape=(2**61, 3, 3, 16), dtype=np.float32, chunks=(1, 3, 3, 16))


def write_bad_unstored(path, model):
    """A contiguous kernel that claims 4 GB but was never written: the file stores none of it."""
    write_legacy(path, model)
    with h5py.File(path, "a") as f:
        del f["conv1/conv1/kernel"]
        f.create_dataset("conv1/conv1/kernel", shape=(1000, 1000, 1000), dtype=np.float32)


def write_bad_declared_sizes(directory, legacy):
    """Copies of tiny.legacy.h5 whose conv1 kernel declares far more than the file holds (issue 11):
      bad_unwritten_chunks.h5  chunked 65536x65536 float32 (16 GiB), no chunk ever written: an
                               8 KB file that used to ask for a 16 GiB allocation
      bad_gzip_bomb.h5         4096x4608 float32 zeros (72 MiB) gzip-compressed to ~75 KB:
                               over the 100x inflation limit
      bad_zip_bomb.keras       tiny.keras with model.weights.h5 padded by 80 MiB of zeros and
                               deflated: an 87 KB archive whose member inflates ~1000x
    """
    import shutil
    chunks = os.path.join(directory, "bad_unwritten_chunks.h5")
    shutil.copyfile(legacy, chunks)
    with h5py.File(chunks, "a") as f:
        del f["conv1/conv1/kernel"]
        f.create_dataset("conv1/conv1/kernel", shape=(65536, 65536), dtype=np.float32, chunks=(1024, 1024))
    bomb = os.path.join(directory, "bad_gzip_bomb.h5")
    shutil.copyfile(legacy, bomb)
    with h5py.File(bomb, "a") as f:
        del f["conv1/conv1/kernel"]
        f.create_dataset("conv1/conv1/kernel", data=np.zeros((4096, 4608), np.float32), chunks=(1024, 1152),
                         compression="gzip", compression_opts=9)
    archive = os.path.join(directory, "tiny.keras")
    with zipfile.ZipFile(archive) as source, \
            zipfile.ZipFile(os.path.join(directory, "bad_zip_bomb.keras"), "w", zipfile.ZIP_DEFLATED) as target:
        for name in ("config.json", "metadata.json"):
            target.writestr(name, source.read(name))
        target.writestr("model.weights.h5", source.read("model.weights.h5") + b"\0" * (80 << 20))


def write_bad_links(directory, legacy):
    """HDF5 files that lead outside themselves or around in circles (issue 11), each a copy of
    tiny.legacy.h5 with one change:
      bad_external_storage.h5  conv1's kernel keeps its bytes in another file (HDF5 external
                               storage; the file named is a sibling fixture, README.md)
      bad_external_link.h5     conv1's kernel is an external link to another file
      bad_hard_cycle.h5        conv1/conv1/loop is a hard link to conv1 (a group inside itself)
      bad_soft_cycle.h5        conv1/conv1/kernel is a soft link to a soft link to itself"""
    import shutil
    def copy(name):
        target = os.path.join(directory, name)
        shutil.copyfile(legacy, target)
        return h5py.File(target, "a")
    with copy("bad_external_storage.h5") as f:
        shape = f["conv1/conv1/kernel"].shape
        del f["conv1/conv1/kernel"]
        f.create_dataset("conv1/conv1/kernel", shape=shape, dtype=np.float32,
                         external=[("README.md", 0, int(np.prod(shape)) * 4)])
    with copy("bad_external_link.h5") as f:
        del f["conv1/conv1/kernel"]
        f["conv1/conv1/kernel"] = h5py.ExternalLink("tiny.weights.h5", "/layers")
    with copy("bad_hard_cycle.h5") as f:
        f["conv1/conv1/loop"] = f["conv1"]
    with copy("bad_soft_cycle.h5") as f:
        del f["conv1/conv1/kernel"]
        f["conv1/conv1/kernel"] = h5py.SoftLink("/conv1/conv1/other")
        f["conv1/conv1/other"] = h5py.SoftLink("/conv1/conv1/kernel")


def write_bad_duplicate_member(path, archive):
    """tiny.keras's members, then a second config.json (Dense units 3 -> 4): Python's zipfile,
    which Keras uses, reads the last copy, a first-match reader the first, so the same file
    would be two models; zoo must refuse it."""
    import warnings
    import zipfile
    source = zipfile.ZipFile(archive)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate name, as intended
        with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as out:
            for info in source.infolist():
                out.writestr(info.filename, source.read(info.filename))
            out.writestr("config.json", source.read("config.json").replace(b'"units": 3', b'"units": 4'))


def write_bad_vlen_heap(path, model_h5):
    """tiny.model.h5 with one byte flipped: the length of the first object in its global heap
    (where h5py keeps variable-length string attributes such as model_config). libhdf5 1.10.8
    segfaults in H5HG_read under H5Aread on it (issue 11); zoo must parse it in its sandbox
    process and report one error line."""
    import struct
    data = bytearray(open(model_h5, "rb").read())
    heap = data.find(b"GCOL")
    assert heap >= 0, "no global heap in " + model_h5
    index, = struct.unpack("<H", data[heap + 16:heap + 18])
    assert index != 0, "empty global heap"
    data[heap + 16 + 9] ^= 0xFF  # byte 1 of the first object's 8-byte size
    open(path, "wb").write(bytes(data))


def write_bad_attribute_message(path, legacy_h5):
    """tiny.legacy.h5 with one byte changed: the high byte of the dataspace size in a v1
    `weight_names` attribute message (the ninth in the file, under `fc`), 0x0018 -> 0xDA18.
    libhdf5 1.10.8 then decodes the attribute's data from past the end of the message, so what
    it reads depends on the reading process's heap: in-process, `zoo summary` segfaulted in
    H5Aexists while the sandbox child read the file cleanly (issue 11). zoo must refuse it in
    the child ("libhdf5 reports the file damaged") and never decode the attribute in-process."""
    import re
    data = bytearray(open(legacy_h5, "rb").read())
    header = b"\x01\x00\x0d\x00\x14\x00\x18\x00weight_names"  # version 1, name/type/space sizes
    found = [m.start() for m in re.finditer(re.escape(header), bytes(data))]
    assert len(found) > 8, "fewer weight_names attribute messages than expected in " + legacy_h5
    assert data[found[8] + 7] == 0
    data[found[8] + 7] = 0xDA
    open(path, "wb").write(bytes(data))


def write_bad_vlen_heap_archive(path, archive, bad_h5):
    """tiny.keras with model.weights.h5 replaced by bad_vlen_heap.h5: the crash inside a zip
    member, which zoo hands to libhdf5 from memory (the sandbox gets it on stdin)."""
    import zipfile
    source = zipfile.ZipFile(archive)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as out:
        for info in source.infolist():
            data = open(bad_h5, "rb").read() if info.filename == "model.weights.h5" else source.read(info.filename)
            out.writestr(info.filename, data)


# --------------------------------------------------------------------------------------
# Expected-value extraction (from the files, with h5py)
# --------------------------------------------------------------------------------------


def _decode(x):
    return x.decode("utf8") if isinstance(x, (bytes, np.bytes_)) else str(x)


def _attr_str(group, name):
    if name not in group.attrs:
        return None
    return _decode(group.attrs[name])


def _read_string_list_attr(group, name):
    """layer_names / weight_names, including Keras's name0, name1, ... chunks."""
    if name in group.attrs:
        raw = group.attrs[name]
        return [_decode(n) for n in raw] if raw.size else []
    out, i = [], 0
    while f"{name}{i}" in group.attrs:
        out.extend(_decode(n) for n in group.attrs[f"{name}{i}"])
        i += 1
    return out


def _dataset_info(ds, name):
    raw = ds[()]
    if ds.attrs.get("dtype") == "bfloat16" or (raw.dtype.kind == "V" and raw.dtype.itemsize == 2):
        arr = np.asarray(raw).view(ml_dtypes.bfloat16)
        dtype = "bfloat16"
    else:
        arr = np.asarray(raw)
        dtype = {np.float16: "float16", np.float32: "float32", np.float64: "float64"}.get(arr.dtype.type)
        if dtype is None:
            raise ValueError(f"unexpected dtype {arr.dtype} at {ds.name}")
    flat = arr.astype(np.float64).reshape(-1)
    return {
        "name": name,
        "path": ds.name.lstrip("/"),
        "shape": [int(s) for s in arr.shape],
        "dtype": dtype,
        "sum": math.fsum(flat.tolist()),
        "first": [float(v) for v in flat[:4]],
    }


def _short_name(weight_name):
    return re.sub(r":\d+$", "", weight_name.split("/")[-1])


def expected_legacy(path, fmt, root, classes):
    with h5py.File(path, "r") as f:
        g = f[root] if root else f
        out_layers = []
        for lname in _read_string_list_attr(g, "layer_names"):
            lg = g[lname]
            weights = [
                _dataset_info(lg[wn], _short_name(wn)) for wn in _read_string_list_attr(lg, "weight_names")
            ]
            out_layers.append({"name": lname, "weights": weights})
        return _finish(path, fmt, _attr_str(g, "keras_version"), _attr_str(g, "backend"), out_layers, classes)


def _snake(name):  # same rule as keras.src.utils.naming.to_snake_case
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def _keras3_group_names(layer_list):
    """[(real name, class name)] in model order -> the group names saving_lib uses."""
    used, out = {}, []
    for _, cls in layer_list:
        base = _snake(cls)
        if base in used:
            used[base] += 1
            out.append(f"{base}_{used[base]}")
        else:
            used[base] = 0
            out.append(base)
    return out


def _expected_keras3_layers(f, layer_list, use_real_names):
    groups = _keras3_group_names(layer_list)
    stored = set(f["layers"].keys())
    assert stored == set(groups), (sorted(stored), groups)
    out_layers, classes = [], {}
    for (real, cls), gname in zip(layer_list, groups):
        vars_g = f[f"layers/{gname}/vars"]
        assert _decode(vars_g.attrs["name"]) == real, (gname, vars_g.attrs["name"], real)
        keys = sorted(vars_g.keys(), key=int)
        assert keys == [str(i) for i in range(len(keys))], keys
        names = KERAS3_VAR_NAMES.get(cls, [])[: len(keys)]
        assert len(names) == len(keys), (gname, cls, keys)
        weights = [_dataset_info(vars_g[k], n) for k, n in zip(keys, names)]
        name = real if use_real_names else gname
        out_layers.append({"name": name, "weights": weights})
        classes[name] = cls
    return out_layers, classes


def expected_keras3_weights(path, model):
    layer_list = [(l.name, type(l).__name__) for l in model.layers]
    with h5py.File(path, "r") as f:
        out_layers, classes = _expected_keras3_layers(f, layer_list, use_real_names=False)
    return _finish(path, "keras3-weights", None, None, out_layers, classes)


def expected_keras_archive(path):
    with zipfile.ZipFile(path) as z:
        meta = json.loads(z.read("metadata.json"))
        config = json.loads(z.read("config.json"))
        h5bytes = z.read("model.weights.h5")
    layer_list = [(lc["config"]["name"], lc["class_name"]) for lc in config["config"]["layers"]]
    with h5py.File(io.BytesIO(h5bytes), "r") as f:
        out_layers, classes = _expected_keras3_layers(f, layer_list, use_real_names=True)
    return _finish(path, "keras-archive", meta.get("keras_version"), None, out_layers, classes)


def _finish(path, fmt, keras_version, backend, out_layers, classes):
    return {
        "file": os.path.basename(path),
        "format": fmt,
        "keras_version": keras_version,
        "backend": backend,
        "layers": out_layers,
        "total_params": sum(int(np.prod(w["shape"])) for l in out_layers for w in l["weights"]),
        "layer_classes": {l["name"]: classes[l["name"]] for l in out_layers if l["name"] in classes},
    }


def write_json(path, obj):
    with open(path, "w") as fh:
        json.dump(obj, fh, indent=1)
        fh.write("\n")


# --------------------------------------------------------------------------------------
# Self-check
# --------------------------------------------------------------------------------------


def _loaded_sums(model):
    return sorted(math.fsum(np.asarray(keras.ops.convert_to_numpy(w), np.float64).ravel().tolist()) for w in model.weights)


def _expected_sums(exp):
    return sorted(w["sum"] for l in exp["layers"] for w in l["weights"])


def _close(a, b):
    return len(a) == len(b) and all(math.isclose(x, y, rel_tol=1e-6, abs_tol=1e-6) for x, y in zip(a, b))


def self_check(outdir, expected):
    p = lambda n: os.path.join(outdir, n)  # noqa: E731
    for name in ["tiny.legacy.h5", "tiny.tfera.h5", "tiny.f16.h5", "tiny.weights.h5"]:
        m = build_tiny()
        m.load_weights(p(name))
        assert _close(_loaded_sums(m), _expected_sums(expected[name])), name
    m = build_split()
    m.load_weights(p("tiny.split.h5"))
    assert _close(_loaded_sums(m), _expected_sums(expected["tiny.split.h5"])), "split"
    for name in ["tiny.keras", "tiny.model.h5"]:
        fresh_session()
        # compile=False: Keras 3.15.1 cannot re-compile its own legacy .h5 with loss="mse"
        # ("Could not deserialize 'keras.metrics.mse'"), a Keras bug unrelated to weights.
        m = keras.models.load_model(p(name), compile=False)
        assert _close(_loaded_sums(m), _expected_sums(expected[name])), name
    for name in ["bad_missing_group.h5", "bad_dtype.h5", "bad_not_keras.h5"]:
        m = build_tiny()
        try:
            m.load_weights(p(name))
        except Exception as e:  # noqa: BLE001
            print(f"  ok: {name} fails to load: {type(e).__name__}: {str(e)[:90]}")
        else:
            raise AssertionError(f"{name} loaded without error")
    with h5py.File(p("tiny.split.h5"), "r") as f:
        assert "layer_names" not in f.attrs
        assert "layer_names0" in f.attrs and "layer_names1" in f.attrs
    with h5py.File(p("tiny.tfera.h5"), "r") as f:
        for owner, attr in [(f, "layer_names"), (f, "backend"), (f, "keras_version"), (f["conv1"], "weight_names")]:
            t = owner.attrs.get_id(attr).get_type()
            assert isinstance(t, h5py.h5t.TypeStringID) and not t.is_variable_str(), attr
            assert t.get_strpad() == h5py.h5t.STR_NULLPAD and t.get_cset() == h5py.h5t.CSET_ASCII, attr
    print("  self-check passed")


# --------------------------------------------------------------------------------------


def main(argv):
    outdir = os.path.abspath(argv[1]) if len(argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    expdir = os.path.join(outdir, "expected")
    os.makedirs(expdir, exist_ok=True)
    p = lambda n: os.path.join(outdir, n)  # noqa: E731

    tiny = build_tiny()
    check_keras3_var_names(tiny)
    seed_weights(tiny, SEED)
    tiny_classes = layer_classes(tiny)

    # Everything but tiny.model.h5 holds the same (untrained) seeded weights.
    write_legacy(p("tiny.legacy.h5"), tiny)
    write_tfera(p("tiny.tfera.h5"), tiny)
    write_f16(p("tiny.f16.h5"), tiny)
    write_bad_not_keras(p("bad_not_keras.h5"))
    write_bad_missing_group(p("bad_missing_group.h5"), tiny)
    write_bad_dtype(p("bad_dtype.h5"), tiny)
    write_bad_huge_shape(p("bad_huge_shape.h5"), tiny)
    write_bad_unstored(p("bad_unstored.h5"), tiny)
    write_bad_duplicate_member(p("bad_duplicate_member.keras"), p("tiny.keras"))
    write_bad_links(outdir, p("tiny.legacy.h5"))
    write_bad_vlen_heap(p("bad_vlen_heap.h5"), p("tiny.model.h5"))
    write_bad_vlen_heap_archive(p("bad_vlen_heap.keras"), p("tiny.keras"), p("bad_vlen_heap.h5"))
    write_bad_attribute_message(p("bad_attribute_message.h5"), p("tiny.legacy.h5"))
    write_bad_declared_sizes(outdir, p("tiny.legacy.h5"))
    tiny.save_weights(p("tiny.weights.h5"))
    tiny.save(p("tiny.keras"))

    expected = {
        "tiny.legacy.h5": expected_legacy(p("tiny.legacy.h5"), "keras-h5-weights", "", tiny_classes),
        "tiny.tfera.h5": expected_legacy(p("tiny.tfera.h5"), "keras-h5-weights", "", tiny_classes),
        "tiny.f16.h5": expected_legacy(p("tiny.f16.h5"), "keras-h5-weights", "", tiny_classes),
        "tiny.weights.h5": expected_keras3_weights(p("tiny.weights.h5"), tiny),
        "tiny.keras": expected_keras_archive(p("tiny.keras")),
    }

    # Full legacy model after one training step (mutates tiny's weights, so it goes last).
    rng = np.random.default_rng(SEED + 1)
    x = rng.standard_normal((2, 8, 8, 3)).astype(np.float32)
    y = rng.standard_normal((2, TINY_CLASSES)).astype(np.float32)
    tiny.compile(optimizer="adam", loss="mse")
    tiny.fit(x, y, batch_size=2, epochs=1, shuffle=False, verbose=0)
    tiny.save(p("tiny.model.h5"))
    expected["tiny.model.h5"] = expected_legacy(p("tiny.model.h5"), "keras-h5-model", "model_weights", tiny_classes)
    with h5py.File(p("tiny.model.h5"), "r") as f:
        model_config = json.loads(_decode(f.attrs["model_config"]))
        assert "training_config" in f.attrs and "optimizer_weights" in f

    split = build_split()
    seed_weights(split, SEED + 2)
    write_legacy(p("tiny.split.h5"), split)
    expected["tiny.split.h5"] = expected_legacy(p("tiny.split.h5"), "keras-h5-weights", "", layer_classes(split))

    for name, obj in expected.items():
        write_json(os.path.join(expdir, name + ".json"), obj)
    write_json(os.path.join(expdir, "tiny.model_config.json"), model_config)

    self_check(outdir, expected)
    for name in sorted(os.listdir(outdir)):
        if name.endswith((".h5", ".keras")):
            print(f"  {os.path.getsize(p(name)):>8}  {name}")


if __name__ == "__main__":
    main(sys.argv)
