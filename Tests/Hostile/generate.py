#!/usr/bin/env python3
"""Builds the hostile-input suite's seed models and every mutant into a work dir (never into the
repo), deterministically from --seed. run.py reads the manifest this writes.

  seeds/     small good files: tiny.{legacy.h5,model.h5,weights.h5,keras,safetensors,zoo} (a
             Keras 3 model, 347 parameters), big.{keras,zoo,...} (~7 M parameters, for the kill and
             concurrency runs), x.npy / x.npz inputs, digits_backbone.keras and a digits folder
  secrets/   what the external-storage / external-link lies point at (bytes of /etc/passwd)
  mutants/   one file (or image folder) per case
  manifest.jsonl  one case per line: id, class, type (model | npy | images), path

Usage: generate.py --zoo PATH --workdir DIR [--seed N] [--quick | --full]
"""
import argparse
import io
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import zipfile
import zlib

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hostile_common import MANIFEST, MUTANTS, PICKLE_CANARY, SECRETS, SEEDS, write_manifest  # noqa: E402

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
MODEL_FORMATS = ["legacy.h5", "model.h5", "weights.h5", "keras", "safetensors", "zoo"]
IMAGE_SEEDS = ["png_rgb.png", "png_palette.png", "png_interlaced.png", "png_gray16.png", "png_rgba16.png",
               "jpeg_progressive.jpg", "jpeg_china_420.jpg", "jpeg_gray.jpg", "jpeg_exif_orient6.jpg",
               "jpeg_cmyk.jpg", "gif_animated.gif", "gif_interlaced.gif", "bmp_24.bmp", "bmp_8_palette.bmp",
               "bmp_32_bitfields.bmp", "bmp_16_565.bmp", "bmp_4bit.bmp"]

# per-class mutant counts: (quick, full)
COUNTS = {
    "truncate": (6, 100),
    "flip": (10, 250),
    "keras-inner": (6, 100),
    "input-truncate": (6, 100),
    "input-flip": (10, 250),
    "image-truncate": (1, 8),    # per image seed
    "image-flip": (1, 20),       # per image seed
    "vlen-flip": (6, 100),
    "attr-message": (6, 120),
}


class Cases:
    def __init__(self, workdir):
        self.workdir = workdir
        self.cases = []
        self.n = 0

    def add(self, cls, typ, name, data=None, path=None):
        """Writes DATA to mutants/CLS/NAME (or registers an existing PATH) as one case."""
        self.n += 1
        cid = f"{self.n:06d}"
        if path is None:
            d = os.path.join(self.workdir, MUTANTS, cls.replace("/", "_"))
            os.makedirs(d, exist_ok=True)
            path = os.path.join(d, f"{cid}-{name}")
            with open(path, "wb") as f:
                f.write(data)
        self.cases.append({"id": cid, "class": cls, "type": typ, "name": name,
                           "path": os.path.relpath(path, self.workdir)})
        return path


# ---------------------------------------------------------------------------------------------
# Seeds
# ---------------------------------------------------------------------------------------------

def build_seeds(zoo, workdir, seed):
    os.environ.setdefault("KERAS_BACKEND", "jax")
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    import keras
    from keras import layers
    import h5py

    sd = os.path.join(workdir, SEEDS)
    os.makedirs(sd, exist_ok=True)
    keras.utils.set_random_seed(seed)

    def tiny():
        inp = keras.Input((8, 8, 3))
        x = layers.Conv2D(6, 3, padding="same", name="conv1")(inp)
        x = layers.BatchNormalization(name="bn1")(x)
        r = layers.Activation("relu")(x)
        y = layers.Conv2D(6, 1, use_bias=False, name="conv2")(r)
        y = layers.DepthwiseConv2D(3, padding="same", name="dw")(y)
        y = layers.BatchNormalization(name="bn2")(y)
        z = layers.Add()([y, r])
        z = layers.MaxPooling2D()(z)
        z = layers.GlobalAveragePooling2D()(z)
        return keras.Model(inp, layers.Dense(5, name="fc")(z), name="tiny")

    def big():
        inp = keras.Input((8, 8, 3))
        x = layers.Conv2D(256, 3, padding="same", activation="relu", name="c1")(inp)
        x = layers.Conv2D(512, 3, padding="same", activation="relu", name="c2")(x)
        x = layers.Conv2D(1024, 3, padding="same", activation="relu", name="c3")(x)
        x = layers.GlobalAveragePooling2D(name="gap")(x)
        return keras.Model(inp, layers.Dense(10, name="fc")(x), name="big")

    rng = np.random.default_rng(seed)
    for name, build in [("tiny", tiny), ("big", big)]:
        model = build()
        for w in model.weights:
            val = np.abs(rng.standard_normal(w.shape)) + 0.5 if "variance" in w.path else 0.05 * rng.standard_normal(w.shape)
            w.assign(val.astype(np.float32))
        model.save(os.path.join(sd, f"{name}.keras"))
        model.save_weights(os.path.join(sd, f"{name}.weights.h5"))
        model.save(os.path.join(sd, f"{name}.model.h5"))
        # legacy weights-only .h5: the model_weights group of the full-model file at the root
        with h5py.File(os.path.join(sd, f"{name}.model.h5"), "r") as src, \
                h5py.File(os.path.join(sd, f"{name}.legacy.h5"), "w") as dst:
            mw = src["model_weights"]
            for k, v in mw.attrs.items():
                dst.attrs[k] = v
            for k in mw:
                mw.copy(k, dst)
        for fmt in ["zoo", "safetensors"]:
            subprocess.run([zoo, "convert", os.path.join(sd, f"{name}.keras"), os.path.join(sd, f"{name}.{fmt}")],
                           check=True, stderr=subprocess.DEVNULL)
    x = rng.standard_normal((2, 8, 8, 3)).astype(np.float32)
    np.save(os.path.join(sd, "x.npy"), x)
    np.savez(os.path.join(sd, "x.npz"), x=x)
    np.save(os.path.join(sd, "bigx.npy"), rng.standard_normal((64, 8, 8, 3)).astype(np.float32))
    shutil.copy(os.path.join(REPO, "Fixtures", "transfer", "digits_backbone.keras"), sd)
    digits = os.path.join(sd, "digits")
    shutil.rmtree(digits, ignore_errors=True)
    for cls in sorted(os.listdir(os.path.join(REPO, "Fixtures", "images", "digits"))):
        src = os.path.join(REPO, "Fixtures", "images", "digits", cls)
        if os.path.isdir(src):
            os.makedirs(os.path.join(digits, cls))
            for f in sorted(os.listdir(src)):
                if f.startswith("img0"):
                    shutil.copy(os.path.join(src, f), os.path.join(digits, cls))
    images = os.path.join(sd, "images")
    os.makedirs(images, exist_ok=True)
    for f in IMAGE_SEEDS:
        shutil.copy(os.path.join(REPO, "Fixtures", "images", "decode", f), images)
    shutil.copy(os.path.join(digits, "0", "img00.png"), os.path.join(images, "digit.png"))


def build_secrets(workdir):
    import h5py
    sdir = os.path.join(workdir, SECRETS)
    os.makedirs(sdir, exist_ok=True)
    passwd = open("/etc/passwd", "rb").read()
    raw = (passwd * (1 + 4096 // max(1, len(passwd))))[:4096]
    with h5py.File(os.path.join(sdir, "secret.h5"), "w") as f:
        f["kernel"] = np.frombuffer(raw[:648], dtype=np.float32).reshape(3, 3, 3, 6)
        f["bytes"] = np.frombuffer(raw, dtype=np.uint8)
        g = f.create_group("conv1")
        g.attrs["weight_names"] = [b"conv1/kernel", b"conv1/bias"]
        g["conv1/kernel"] = np.frombuffer(raw[:648], dtype=np.float32).reshape(3, 3, 3, 6)
        g["conv1/bias"] = np.frombuffer(raw[648:672], dtype=np.float32)
    return os.path.join(sdir, "secret.h5")


# ---------------------------------------------------------------------------------------------
# Generic mutations
# ---------------------------------------------------------------------------------------------

def truncations(data, n, rng):
    size = len(data)
    fixed = {0, 1, 4, 8, 16, 64, 512, size // 2, size - 1, size - 8}
    offs = sorted({o for o in fixed if 0 <= o < size} | set(int(v) for v in rng.integers(0, size, max(0, n - len(fixed)))))
    return offs[:max(n, 1)] if n < len(fixed) else offs


def flipped(data, rng, head=4096, tail=1024):
    b = bytearray(data)
    k = int(rng.integers(1, 9))
    region = int(rng.integers(0, 3))
    for _ in range(k):
        if region == 0 or len(b) <= head:
            i = int(rng.integers(0, len(b)))
        elif region == 1:
            i = int(rng.integers(0, min(head, len(b))))
        else:
            i = int(rng.integers(max(0, len(b) - tail), len(b)))
        b[i] ^= int(rng.integers(1, 256))
    return bytes(b), region


def rezip(members):
    """A valid zip (deflate for json, stored for the rest, like Keras)."""
    bio = io.BytesIO()
    with zipfile.ZipFile(bio, "w") as z:
        for name, data in members:
            info = zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED if name.endswith(".json") else zipfile.ZIP_STORED
            z.writestr(info, data)
    return bio.getvalue()


def zip_members(path):
    with zipfile.ZipFile(path) as z:
        return [(i.filename, z.read(i.filename)) for i in z.infolist()]


def gen_truncate_flip(cases, workdir, quick, rng):
    sd = os.path.join(workdir, SEEDS)
    q = 0 if quick else 1
    for fmt in MODEL_FORMATS:
        data = open(os.path.join(sd, f"tiny.{fmt}"), "rb").read()
        for off in truncations(data, COUNTS["truncate"][q], rng):
            cases.add(f"truncate/{fmt}", "model", f"t{off}.{fmt}", data[:off])
        for i in range(COUNTS["flip"][q]):
            m, region = flipped(data, rng)
            cases.add(f"flip/{fmt}", "model", f"f{i}r{region}.{fmt}", m)
    # .keras with a valid zip around a damaged member: the HDF5 and JSON parsers inside
    members = zip_members(os.path.join(sd, "tiny.keras"))
    for i in range(COUNTS["keras-inner"][q]):
        target = ["model.weights.h5", "config.json", "metadata.json"][i % 3]
        new = []
        for name, blob in members:
            if name == target:
                blob = flipped(blob, rng)[0] if i % 2 == 0 else blob[:int(rng.integers(0, len(blob)))]
            new.append((name, blob))
        cases.add("flip/keras-member", "model", f"m{i}-{target}.keras", rezip(new))
    for fmt in ["npy", "npz"]:
        data = open(os.path.join(sd, f"x.{fmt}"), "rb").read()
        for off in truncations(data, COUNTS["input-truncate"][q], rng):
            cases.add(f"truncate/{fmt}", "npy", f"t{off}.{fmt}", data[:off])
        for i in range(COUNTS["input-flip"][q]):
            m, region = flipped(data, rng, head=128, tail=256)
            cases.add(f"flip/{fmt}", "npy", f"f{i}r{region}.{fmt}", m)
    # images: one mutant per folder (class a), beside a good digit (class b)
    imgs = os.path.join(sd, "images")
    good = open(os.path.join(sd, "digits", "1", "img00.png"), "rb").read()
    for f in sorted(os.listdir(imgs)):
        data = open(os.path.join(imgs, f), "rb").read()
        ext = f.rsplit(".", 1)[1]
        muts = [("truncate", f"t{o}", data[:o]) for o in truncations(data, COUNTS["image-truncate"][q], rng)]
        muts += [("flip", f"f{i}", flipped(data, rng, head=256, tail=64)[0]) for i in range(COUNTS["image-flip"][q])]
        for kind, tag, blob in muts:
            cases.n += 1
            d = os.path.join(workdir, MUTANTS, f"{kind}_image", f"{cases.n:06d}-{f}-{tag}")
            os.makedirs(os.path.join(d, "a"))
            os.makedirs(os.path.join(d, "b"))
            open(os.path.join(d, "a", f"{tag}.{ext}"), "wb").write(blob)
            open(os.path.join(d, "b", "good.png"), "wb").write(good)
            cases.n -= 1
            cases.add(f"{kind}/image", "images", f"{f}-{tag}", path=d)


# ---------------------------------------------------------------------------------------------
# HDF5 structural lies (h5py)
# ---------------------------------------------------------------------------------------------

def _find(f, pred):
    found = []
    f.visititems(lambda n, o: found.append(n) if pred(n, o) else None)
    return found


def h5_lies(secret, full):
    import h5py
    passwd_size = os.path.getsize("/etc/passwd")

    def kernel(f):
        return _find(f, lambda n, o: isinstance(o, h5py.Dataset) and o.ndim == 4)[0]

    def replace(f, path, **kw):
        shape = f[path].shape
        del f[path]
        return f.create_dataset(path, shape=kw.pop("shape", shape), dtype=kw.pop("dtype", "f4"), **kw)

    def weight_group(f):
        k = kernel(f)
        return k.rsplit("/", 1)[0]

    def names_holder(f):
        """The group carrying layer_names (legacy and full-model) or None (Keras 3)."""
        if "layer_names" in f.attrs:
            return f
        if "model_weights" in f and "layer_names" in f["model_weights"].attrs:
            return f["model_weights"]
        return None

    L = {}
    L["ext-storage-passwd"] = lambda f: replace(f, kernel(f), external=[("/etc/passwd", 0, 648)])
    L["ext-storage-passwd-offset"] = lambda f: replace(f, kernel(f), external=[("/etc/passwd", max(0, passwd_size - 16), 648)])
    L["ext-storage-dev-zero"] = lambda f: replace(f, kernel(f), shape=(4096, 4096, 16, 16), external=[("/dev/zero", 0, h5py.h5f.UNLIMITED)])
    L["ext-storage-missing"] = lambda f: replace(f, kernel(f), external=[("/nonexistent/x.bin", 0, 648)])
    L["ext-storage-relative"] = lambda f: replace(f, kernel(f), external=[("../../../../../../etc/passwd", 0, 648)])
    L["ext-storage-multi"] = lambda f: replace(f, kernel(f), external=[("/etc/passwd", 0, 324), ("/etc/hostname", 0, 324)])

    def ext_link(f, target_path, obj):
        k = kernel(f)
        del f[k]
        f[k] = h5py.ExternalLink(target_path, obj)
    L["ext-link-passwd-h5"] = lambda f: ext_link(f, secret, "/kernel")
    L["ext-link-relative"] = lambda f: ext_link(f, "../../secrets/secret.h5", "/kernel")
    L["ext-link-missing"] = lambda f: ext_link(f, "/nonexistent/none.h5", "/kernel")
    L["ext-link-etc-passwd"] = lambda f: ext_link(f, "/etc/passwd", "/x")

    def ext_link_group(f):
        g = weight_group(f).split("/")[0] if "layer_names" in f.attrs else weight_group(f)
        del f[g]
        f[g] = h5py.ExternalLink(secret, "/conv1" if "layer_names" in f.attrs else "/")
    L["ext-link-group"] = ext_link_group

    def hard_cycle(f):
        g = weight_group(f)
        f[g + "/loop"] = f[g]
    L["hard-cycle-self"] = hard_cycle

    def hard_cycle_root(f):
        f[weight_group(f) + "/root"] = f["/"]
    L["hard-cycle-root"] = hard_cycle_root

    def hard_cycle_pair(f):
        g = weight_group(f)
        f.create_group("pair_a")
        f["pair_a/b"] = f[g]
        f[g + "/a"] = f["pair_a"]
    L["hard-cycle-pair"] = hard_cycle_pair

    def soft_self(f):
        k = kernel(f)
        del f[k]
        f[k] = h5py.SoftLink("/" + k)
    L["soft-cycle-self"] = soft_self

    def soft_pair(f):
        k = kernel(f)
        del f[k]
        f[k] = h5py.SoftLink("/soft_b")
        f["soft_b"] = h5py.SoftLink("/" + k)
    L["soft-cycle-pair"] = soft_pair

    def soft_group_cycle(f):
        g = weight_group(f)
        f[g + "/up"] = h5py.SoftLink("/" + g)
    L["soft-cycle-group"] = soft_group_cycle

    def soft_dangling(f):
        k = kernel(f)
        del f[k]
        f[k] = h5py.SoftLink("/does/not/exist")
    L["soft-dangling"] = soft_dangling

    def soft_chain(f):
        k = kernel(f)
        data = f[k][()]
        del f[k]
        f["chain_0"] = data
        for i in range(1, 200):
            f[f"chain_{i}"] = h5py.SoftLink(f"/chain_{i - 1}")
        f[k] = h5py.SoftLink("/chain_199")
    L["soft-chain-200"] = soft_chain

    for shape in [(65536, 65536, 3, 6), (1 << 20, 1 << 20, 1 << 10, 6), (2 ** 31, 2 ** 31, 2 ** 31, 2 ** 31)]:
        L[f"chunked-unwritten-{shape[0]}"] = (lambda s: lambda f: replace(f, kernel(f), shape=s, chunks=(1, 1, 3, 6)))(shape)
    L["chunked-unwritten-maxshape"] = lambda f: replace(f, kernel(f), shape=(1 << 30, 3, 3, 6), chunks=(1, 3, 3, 6), maxshape=(None, 3, 3, 6))
    L["chunked-unwritten-fill"] = lambda f: replace(f, kernel(f), shape=(65536, 4096, 3, 6), chunks=(64, 64, 3, 6), fillvalue=1.5)
    L["contiguous-unstored-huge"] = lambda f: replace(f, kernel(f), shape=(1 << 16, 1 << 16, 3, 6))

    def gzip_bomb(shape, chunk, extra=None):
        def fn(f):
            ds = replace(f, kernel(f), shape=shape, chunks=chunk, compression="gzip", compression_opts=9, **(extra or {}))
            zero = np.zeros(chunk, np.float32)
            # write every chunk so each one is stored (all zeros: ~1000x)
            for i in range(0, shape[0], chunk[0]):
                ds[i:i + chunk[0]] = zero[:min(chunk[0], shape[0] - i)]
        return fn
    L["gzip-bomb-72M"] = gzip_bomb((4096, 4608, 1, 1), (512, 4608, 1, 1))
    L["gzip-bomb-shuffle"] = gzip_bomb((2048, 4608, 1, 1), (512, 4608, 1, 1), {"shuffle": True})
    if full:
        L["gzip-bomb-1G"] = gzip_bomb((16384, 16384, 1, 1), (256, 16384, 1, 1))
    L["filter-lzf"] = lambda f: replace(f, kernel(f), chunks=(3, 3, 3, 6), compression="lzf").__setitem__(Ellipsis, 0.5)
    L["filter-scaleoffset"] = lambda f: replace(f, kernel(f), chunks=(3, 3, 3, 6), scaleoffset=2).__setitem__(Ellipsis, 0.5)
    L["filter-fletcher32"] = lambda f: replace(f, kernel(f), chunks=(3, 3, 3, 6), fletcher32=True).__setitem__(Ellipsis, 0.5)

    def wrong_dtype(dt, value=None):
        def fn(f):
            k = kernel(f)
            shape = f[k].shape
            del f[k]
            if value is not None:
                f[k] = value(shape)
            else:
                f.create_dataset(k, shape=shape, dtype=dt)
        return fn
    for name, dt in [("int64", "i8"), ("uint8", "u1"), ("float64", "f8"), ("bool", "?"), ("complex64", "c8"),
                     ("bigendian-f4", ">f4"), ("float16", "f2"), ("fixed-string", "S7"),
                     ("compound", np.dtype([("a", "f4"), ("b", "f4")])), ("array-dtype", np.dtype(("f4", (2,)))),
                     ("opaque", np.dtype("V4"))]:
        L[f"dtype-{name}"] = wrong_dtype(dt)
    L["dtype-vlen-string"] = wrong_dtype(None, lambda s: np.array(["x" * (i % 7) for i in range(int(np.prod(s)))], dtype=h5py.string_dtype()).reshape(s))
    L["dtype-vlen-float"] = wrong_dtype(None, None)  # replaced below
    L["dtype-enum"] = wrong_dtype(h5py.enum_dtype({"A": 0, "B": 1}, basetype="i1"))

    def vlen_float(f):
        k = kernel(f)
        shape = f[k].shape
        del f[k]
        ds = f.create_dataset(k, shape=(int(np.prod(shape)),), dtype=h5py.vlen_dtype(np.float32))
        for i in range(ds.shape[0]):
            ds[i] = np.arange(i % 5, dtype=np.float32)
    L["dtype-vlen-float"] = vlen_float

    def reference(f):
        k = kernel(f)
        shape = f[k].shape
        del f[k]
        ds = f.create_dataset(k, shape=shape, dtype=h5py.ref_dtype)
        ds[0, 0, 0, 0] = f["/"].ref
    L["dtype-reference"] = reference
    L["shape-mismatch"] = lambda f: replace(f, kernel(f), shape=(3, 3, 3, 7)).__setitem__(Ellipsis, 0.1)
    L["shape-scalar"] = lambda f: replace(f, kernel(f), shape=())
    L["shape-zero"] = lambda f: replace(f, kernel(f), shape=(0, 3, 3, 6))
    L["shape-8d"] = lambda f: replace(f, kernel(f), shape=(1, 1, 1, 1, 3, 3, 3, 6))

    def empty_space(f):
        k = kernel(f)
        del f[k]
        f.create_dataset(k, data=h5py.Empty("f4"))
    L["shape-null-dataspace"] = empty_space

    def kernel_is_group(f):
        k = kernel(f)
        del f[k]
        f.create_group(k)
    L["dataset-is-group"] = kernel_is_group

    # attributes: vlen strings, wrong types, huge
    def set_names(f, key, value, holder=None):
        h = holder if holder is not None else names_holder(f)
        if h is None:  # Keras 3: the layer's vars group 'name' attribute
            h = f[weight_group(f)]
            key = "name"
            if isinstance(value, (list, np.ndarray)) and len(value):
                value = value[0]
        if key in h.attrs:
            del h.attrs[key]
        h.attrs[key] = value

    def layer_names(f):
        h = names_holder(f)
        if h is None:
            return [f[weight_group(f)].attrs["name"]]
        return [x.decode() if isinstance(x, bytes) else x for x in h.attrs["layer_names"]]

    L["attr-vlen-layer-names"] = lambda f: set_names(f, "layer_names", np.array(layer_names(f), dtype=h5py.string_dtype()))
    L["attr-vlen-nul"] = lambda f: set_names(f, "layer_names", np.array([n.encode() + b"\0tail" for n in layer_names(f)], dtype="S64"))
    L["attr-vlen-non-utf8"] = lambda f: set_names(f, "layer_names", np.array([n.encode() + b"\xff\xfe" for n in layer_names(f)], dtype=h5py.string_dtype("ascii")))
    L["attr-vlen-long"] = lambda f: set_names(f, "layer_names", np.array(["L" * 60000] + layer_names(f)[1:], dtype=h5py.string_dtype()))

    def vlen_weight_names(f):
        for g in _find(f, lambda n, o: isinstance(o, h5py.Group) and "weight_names" in o.attrs):
            names = [x.decode() if isinstance(x, bytes) else x for x in f[g].attrs["weight_names"]]
            del f[g].attrs["weight_names"]
            f[g].attrs["weight_names"] = np.array(names, dtype=h5py.string_dtype())
        for key in ["keras_version", "backend"]:
            h = names_holder(f)
            if h is not None and key in h.attrs:
                v = h.attrs[key]
                del h.attrs[key]
                h.attrs.create(key, v if isinstance(v, str) else v.decode(), dtype=h5py.string_dtype())
    L["attr-vlen-weight-names"] = vlen_weight_names
    L["attr-wrong-type-int"] = lambda f: set_names(f, "layer_names", np.arange(12, dtype=np.int64))
    L["attr-wrong-type-float2d"] = lambda f: set_names(f, "layer_names", np.zeros((3, 4), np.float32))
    L["attr-empty-list"] = lambda f: set_names(f, "layer_names", np.array([], dtype="S1"))
    L["attr-ghost-layers"] = lambda f: set_names(f, "layer_names", np.array([f"ghost_{i}" for i in range(50)], dtype="S10"))
    L["attr-names-dataset"] = lambda f: set_names(f, "layer_names", np.array([kernel(f)], dtype=h5py.string_dtype()))
    L["attr-huge-count"] = lambda f: set_names(f, "layer_names", np.array([f"layer_{i}" for i in range(100000)], dtype="S12"))
    L["attr-huge-string"] = lambda f: set_names(f, "layer_names", np.array(["x" * (1 << 20)], dtype=h5py.string_dtype()))
    L["attr-huge-bytes"] = lambda f: f.attrs.__setitem__("junk", np.zeros(16 << 20, np.uint8))

    def huge_weight_names(f):
        g = _find(f, lambda n, o: isinstance(o, h5py.Group) and "weight_names" in o.attrs)
        if not g:
            f[weight_group(f)].attrs["name"] = "n" * (4 << 20)
            return
        del f[g[0]].attrs["weight_names"]
        f[g[0]].attrs["weight_names"] = np.array([f"w{i}/kernel" for i in range(200000)], dtype="S16")
    L["attr-huge-weight-names"] = huge_weight_names

    def model_config_lie(f):
        f.attrs["model_config"] = '{"class_name": "Functional", "config": {"layers": ' + "[" * 100000 + "]" * 100000 + "}}"
    L["attr-config-deep-json"] = model_config_lie
    L["attr-config-huge"] = lambda f: f.attrs.__setitem__("model_config", np.bytes_('{"class_name": "Functional", "config": {"name": "' + "y" * (8 << 20) + '"}}'))
    return L


def latest(src, dst):
    """Copies an HDF5 file into one written with libver='latest' (dense attribute storage)."""
    import h5py
    with h5py.File(src, "r") as s, h5py.File(dst, "w", libver="latest") as d:
        def attrs(a, b):
            for k, v in a.attrs.items():
                b.attrs[k] = v
        attrs(s, d)

        def copy(name, obj):
            if isinstance(obj, h5py.Group):
                g = d.require_group(name)
                attrs(obj, g)
            else:
                d.create_dataset(name, data=obj[()])
                attrs(obj, d[name])
        s.visititems(copy)


def gen_h5_lies(cases, workdir, quick, rng, secret):
    import h5py
    sd = os.path.join(workdir, SEEDS)
    lies = h5_lies(secret, not quick)
    keras_members = zip_members(os.path.join(sd, "tiny.keras"))
    tmp = os.path.join(workdir, "tmp-h5")
    os.makedirs(tmp, exist_ok=True)
    # the CI size lies to the legacy layout and to .keras (the Keras 3 layout inside a zip)
    for fmt in (["legacy.h5", "keras"] if quick else ["legacy.h5", "model.h5", "weights.h5", "keras"]):
        base = os.path.join(sd, "tiny.weights.h5" if fmt == "keras" else f"tiny.{fmt}")
        for name, fn in lies.items():
            work = os.path.join(tmp, f"{name}.{fmt}.h5")
            shutil.copy(base, work)
            if "huge" in name:  # attributes over 64 KiB need the dense storage of the latest format
                latest(base, work)
            try:
                with h5py.File(work, "r+", libver=("earliest", "latest")) as f:
                    fn(f)
            except Exception as e:  # a lie h5py cannot express for this layout
                print(f"generate: skip {name} on {fmt}: {type(e).__name__}: {e}", file=sys.stderr)
                continue
            data = open(work, "rb").read()
            os.unlink(work)
            if fmt == "keras":
                data = rezip([(n, data if n == "model.weights.h5" else b) for n, b in keras_members])
            cases.add(f"hdf5-lie/{fmt}", "model", f"{name}.{fmt}", data)
    # flipped bytes around variable-length string attributes (the global heap)
    q = 0 if quick else 1
    for fmt in ["legacy.h5", "model.h5"]:
        work = os.path.join(tmp, f"vlen.{fmt}")
        shutil.copy(os.path.join(sd, f"tiny.{fmt}"), work)
        with h5py.File(work, "r+") as f:
            lies["attr-vlen-layer-names"](f)
            lies["attr-vlen-weight-names"](f)
        data = open(work, "rb").read()
        spots = [i for i in range(len(data)) if data.startswith(b"conv1", i) or data.startswith(b"GCOL", i)]
        for i in range(COUNTS["vlen-flip"][q]):
            b = bytearray(data)
            at = spots[int(rng.integers(0, len(spots)))]
            for _ in range(int(rng.integers(1, 5))):
                j = min(len(b) - 1, max(0, at + int(rng.integers(-48, 48))))
                b[j] ^= int(rng.integers(1, 256))
            cases.add(f"hdf5-lie/vlen-flip", "model", f"v{i}.{fmt}", bytes(b))
    # attribute messages (object header version 1) whose name, datatype or dataspace size lies:
    # libhdf5 1.10 then decodes from past the message, so what it reads depends on the reading
    # process's heap (the sandbox child may read it cleanly where zoo's own process crashes)
    header = re.compile(rb"\x01\x00(.)\x00(.)\x00(.)\x00", re.S)
    for fmt in ["legacy.h5", "model.h5", "weights.h5"]:
        data = open(os.path.join(sd, f"tiny.{fmt}"), "rb").read()
        spots = [m.start() for m in header.finditer(data)
                 if data[m.start() - 8:m.start() - 6] == b"\x0c\x00" and 0 < m.group(1)[0] < 64]
        if not spots:
            continue
        for i in range(COUNTS["attr-message"][q]):
            b = bytearray(data)
            at = spots[int(rng.integers(0, len(spots)))]
            field = int(rng.integers(0, 3))               # name, datatype or dataspace size
            b[at + 3 + 2 * field] = int(rng.integers(1, 256))   # its high byte
            cases.add("hdf5-lie/attr-message", "model", f"a{i}.{fmt}", bytes(b))
    shutil.rmtree(tmp, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# safetensors tricks
# ---------------------------------------------------------------------------------------------

def gen_safetensors(cases, workdir):
    raw = open(os.path.join(workdir, SEEDS, "tiny.safetensors"), "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    data = raw[8 + n:]
    tensors = [k for k in header if k != "__metadata__"]

    def st(h, d=data, hl=None, hb=None):
        hb = hb if hb is not None else json.dumps(h).encode()
        return struct.pack("<Q", len(hb) if hl is None else hl) + hb + d

    def edit(fn):
        h = json.loads(json.dumps(header))
        fn(h)
        return h

    C = {}
    for hl in [0, 1, 7, n - 1, n + 1, len(raw), len(raw) - 7, 100 << 20, 1 << 32, 1 << 40, (1 << 63) - 1, (1 << 64) - 1]:
        C[f"header-len-{hl}"] = st(header, hl=hl)
    first, second = tensors[0], tensors[1]
    C["overlap"] = st(edit(lambda h: h[second].__setitem__("data_offsets", [0, h[second]["data_offsets"][1] - h[second]["data_offsets"][0]])))
    C["overlap-partial"] = st(edit(lambda h: h[second].__setitem__("data_offsets", [h[first]["data_offsets"][1] - 8, h[second]["data_offsets"][1] - 8])))
    C["offset-past-end"] = st(edit(lambda h: h[tensors[-1]].__setitem__("data_offsets", [len(data) - 4, len(data) + 16])))
    C["offset-huge"] = st(edit(lambda h: h[first].__setitem__("data_offsets", [(1 << 62), (1 << 62) + 648])))
    C["offset-wrap"] = st(edit(lambda h: h[first].__setitem__("data_offsets", [(1 << 64) - 8, 640])))
    C["offset-reversed"] = st(edit(lambda h: h[first].__setitem__("data_offsets", [648, 0])))
    C["offset-negative"] = st(edit(lambda h: h[first].__setitem__("data_offsets", [-648, 0])))
    C["offset-float"] = st(edit(lambda h: h[first].__setitem__("data_offsets", [0.0, 648.5])))
    C["offset-string"] = st(edit(lambda h: h[first].__setitem__("data_offsets", ["0", "648"])))
    C["offset-three"] = st(edit(lambda h: h[first].__setitem__("data_offsets", [0, 324, 648])))
    C["size-mismatch"] = st(edit(lambda h: h[first].__setitem__("shape", [3, 3, 3, 7])))
    C["shape-huge"] = st(edit(lambda h: h[first].__setitem__("shape", [1 << 31, 1 << 31, 1 << 31, 6])))
    C["shape-overflow"] = st(edit(lambda h: h[first].__setitem__("shape", [1 << 32, 1 << 32, 1 << 32, 1 << 32])))
    C["shape-negative"] = st(edit(lambda h: h[first].__setitem__("shape", [-3, -3, 3, 6])))
    C["shape-empty-list"] = st(edit(lambda h: h[first].__setitem__("shape", [])))
    C["shape-not-list"] = st(edit(lambda h: h[first].__setitem__("shape", 162)))
    C["dtype-unknown"] = st(edit(lambda h: h[first].__setitem__("dtype", "Q99")))
    C["dtype-f64"] = st(edit(lambda h: h[first].__setitem__("dtype", "F64")))
    C["dtype-bool"] = st(edit(lambda h: h[first].__setitem__("dtype", "BOOL")))
    C["dtype-missing"] = st(edit(lambda h: h[first].pop("dtype")))
    C["hole"] = st(edit(lambda h: [h[k].__setitem__("data_offsets", [o + 64 for o in h[k]["data_offsets"]]) for k in tensors]), d=b"\0" * 64 + data)
    C["hole-middle"] = st(edit(lambda h: [h[k].__setitem__("data_offsets", [o + 32 for o in h[k]["data_offsets"]]) for k in tensors[1:]]),
                          d=data[:header[first]["data_offsets"][1]] + b"\0" * 32 + data[header[first]["data_offsets"][1]:])
    C["trailing-bytes"] = st(header, d=data + b"TRAILING" * 100)
    C["trailing-passwd"] = st(header, d=data + open("/etc/passwd", "rb").read())
    C["data-short"] = st(header, d=data[:-17])
    hb = json.dumps(header).encode()
    C["json-truncated"] = st(None, hb=hb[:len(hb) // 2])
    C["json-not-object"] = st(None, hb=b"[1, 2, 3]")
    C["json-garbage"] = st(None, hb=b"\xff\xfe{not json")
    C["json-nul-pad"] = st(None, hb=hb + b"\0" * 7)
    C["json-space-pad"] = st(None, hb=hb + b" " * 7)
    C["json-deep"] = st(None, hb=b'{"a": ' + b"[" * 200000 + b"]" * 200000 + b"}")
    C["json-huge-number"] = st(None, hb=hb.replace(b'"data_offsets": [0, ', b'"data_offsets": [0e99999999, ', 1))
    C["json-bad-escape"] = st(None, hb=hb.replace(first.encode(), first.encode() + b"\\ud800", 1))
    C["json-empty"] = st(None, hb=b"{}", d=b"")
    C["json-metadata-not-strings"] = st(edit(lambda h: h.__setitem__("__metadata__", {"model_config": {"x": [1, 2]}, "n": 5})))
    C["json-metadata-bad-config"] = st(edit(lambda h: h["__metadata__"].__setitem__("model_config", "{" * 50000)))
    C["json-tensor-not-object"] = st(edit(lambda h: h.__setitem__(first, [1, 2])))
    C["json-name-traversal"] = st(edit(lambda h: h.__setitem__("../../etc/passwd", h.pop(first))))
    # duplicate keys: the same tensor named twice (second one pointing elsewhere), and __metadata__ twice
    dup = hb[:-1] + b', "' + first.encode() + b'": {"dtype": "F32", "shape": [6], "data_offsets": [0, 24]}}'
    C["duplicate-key"] = st(None, hb=dup)
    meta = json.dumps(header["__metadata__"]).encode()
    C["duplicate-metadata"] = st(None, hb=hb[:-1] + b', "__metadata__": ' + meta + b"}")
    many = {f"t{i}": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]} for i in range(200000)}
    C["many-aliasing-tensors"] = st(many, d=b"\0\0\0\0")
    for name, blob in C.items():
        cases.add("safetensors-trick", "model", f"{name}.safetensors", blob)


# ---------------------------------------------------------------------------------------------
# zip tricks (.keras and .npz), with a hand-written zip writer that can lie
# ---------------------------------------------------------------------------------------------

def make_zip(entries, comment=b"", cd_trunc=None, eocd_override=None, zip64_locator=None, prefix=b""):
    """entries: dicts with name, data and optional lies: method, compress (bool), crc, csize,
    usize, flags, local_name, central_name, extra, central_extra, external_attr, version."""
    out = bytearray(prefix)
    central = bytearray()
    for e in entries:
        raw = e["data"]
        method = e.get("method", 8 if e.get("compress") else 0)
        payload = e.get("payload")
        if payload is None:
            if method == 8:
                c = zlib.compressobj(9, zlib.DEFLATED, -15)
                payload = c.compress(raw) + c.flush()
            else:
                payload = raw
        crc = e.get("crc", zlib.crc32(raw) & 0xFFFFFFFF)
        csize = e.get("csize", len(payload))
        usize = e.get("usize", len(raw))
        flags = e.get("flags", 0)
        lname = e.get("local_name", e["name"]).encode("utf-8", "surrogateescape")
        cname = e.get("central_name", e["name"]).encode("utf-8", "surrogateescape")
        extra = e.get("extra", b"")
        cextra = e.get("central_extra", extra)
        ver = e.get("version", 20)
        offset = e.get("offset", len(out))
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, ver, flags, method, 0, 0x21, crc,
                           csize & 0xFFFFFFFF, usize & 0xFFFFFFFF, len(lname), len(extra)) + lname + extra + payload
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 0x031E, ver, flags, method, 0, 0x21, crc,
                               csize & 0xFFFFFFFF, usize & 0xFFFFFFFF, len(cname), len(cextra), 0, 0, 0,
                               e.get("external_attr", 0o644 << 16), offset & 0xFFFFFFFF) + cname + cextra
    cd_offset = len(out)
    if cd_trunc is not None:
        central = central[:cd_trunc]
    out += central
    if zip64_locator is not None:
        out += zip64_locator(cd_offset, len(central), len(entries))
    count = len(entries)
    fields = {"disk": 0, "cd_disk": 0, "n_disk": count, "n": count, "cd_size": len(central), "cd_offset": cd_offset}
    fields.update(eocd_override or {})
    out += struct.pack("<IHHHHIIH", 0x06054B50, fields["disk"], fields["cd_disk"], fields["n_disk"] & 0xFFFF,
                       fields["n"] & 0xFFFF, fields["cd_size"] & 0xFFFFFFFF, fields["cd_offset"] & 0xFFFFFFFF,
                       len(comment)) + comment
    return bytes(out)


def zip64_extra(usize, csize, offset=None):
    body = struct.pack("<QQ", usize, csize) + (struct.pack("<Q", offset) if offset is not None else b"")
    return struct.pack("<HH", 1, len(body)) + body


def zip_tricks(members, main):
    """Zip lies over MEMBERS (name, data); MAIN is the member that matters most."""
    def base(**lies):
        out = []
        for n, d in members:
            e = dict(name=n, data=d, compress=n.endswith(".json") or n.endswith(".npy"))
            if n == main:
                e.update(lies)
            out.append(e)
        return out
    main_data = dict(members)[main]
    T = {}
    T["valid-handwritten"] = make_zip(base())
    T["duplicate-member"] = make_zip(base() + [dict(name=main, data=main_data[:len(main_data) // 2], compress=True)])
    T["duplicate-member-first-bad"] = make_zip([dict(name=main, data=b"garbage" * 10)] + base())
    for name in ["../x", "../../../../tmp/zoo-hostile-escape", "/etc/passwd", "a/../../x", "C:\\x", "x\0y", main + "/", "./" + main]:
        T[f"name-{name.replace('/', '_').replace(chr(0), 'NUL')}"] = make_zip(base() + [dict(name=name, data=b"escape")])
    T["name-only-traversal"] = make_zip([dict(name="../" + main, data=main_data)] + [e for e in base() if e["name"] != main])
    T["name-local-central-differ"] = make_zip(base(local_name="evil.bin"))
    T["name-huge"] = make_zip(base() + [dict(name="n" * 65000, data=b"x")])
    T["symlink-member"] = make_zip(base(external_attr=(0o120777 << 16)))
    T["symlink-to-passwd"] = make_zip([dict(name=main, data=b"/etc/passwd", external_attr=(0o120777 << 16))] + [e for e in base() if e["name"] != main])
    zeros = b"\0" * (200 << 20)
    T["zip-bomb-200M"] = make_zip(base() + [dict(name="bomb.bin", data=zeros, compress=True)])
    T["zip-bomb-main"] = make_zip([dict(name=main, data=main_data + zeros[:(150 << 20)], compress=True)] + [e for e in base() if e["name"] != main])
    bomb_payload = zlib.compressobj(9, zlib.DEFLATED, -15)
    bomb_payload = bomb_payload.compress(zeros) + bomb_payload.flush()
    T["zip-bomb-size-lie"] = make_zip([dict(name=main, data=main_data, payload=bomb_payload, method=8, usize=len(main_data))] + [e for e in base() if e["name"] != main])
    T["bad-crc"] = make_zip(base(crc=0xDEADBEEF))
    T["bad-crc-all"] = make_zip([dict(e, crc=1) for e in base()])
    T["csize-lie-big"] = make_zip(base(csize=1 << 31))
    T["usize-lie-small"] = make_zip(base(usize=10, compress=True))
    T["usize-lie-big"] = make_zip(base(usize=0xFFFFFFF0, compress=True))
    T["stored-size-lie"] = make_zip(base(compress=False, usize=len(main_data) + 1000, csize=len(main_data) + 1000))
    T["method-bzip2"] = make_zip(base(method=12))
    T["method-lzma"] = make_zip(base(method=14))
    T["method-aes"] = make_zip(base(method=99))
    T["method-unknown"] = make_zip(base(method=77))
    T["encrypted-flag"] = make_zip(base(flags=0x1))
    T["encrypted-all"] = make_zip([dict(e, flags=0x1) for e in base()])
    T["strong-encryption-flag"] = make_zip(base(flags=0x41))
    T["data-descriptor-flag"] = make_zip(base(flags=0x8, crc=0, csize=0, usize=0))
    good = make_zip(base())
    eocd = good.rfind(b"PK\x05\x06")
    cd = struct.unpack("<I", good[eocd + 16:eocd + 20])[0]
    for frac in [0.1, 0.5, 0.9]:
        T[f"cd-truncated-{int(frac * 100)}"] = make_zip(base(), cd_trunc=int((eocd - cd) * frac))
    T["cd-cut-before-eocd"] = good[:eocd - 10] + good[eocd:]
    T["eocd-only"] = good[eocd:]
    T["eocd-count-lie"] = make_zip(base(), eocd_override={"n": 60000, "n_disk": 60000})
    T["eocd-count-zero"] = make_zip(base(), eocd_override={"n": 0, "n_disk": 0})
    T["eocd-offset-past-end"] = make_zip(base(), eocd_override={"cd_offset": len(good) + 1000})
    T["eocd-size-huge"] = make_zip(base(), eocd_override={"cd_size": 0xFFFFFFF0})
    T["eocd-multidisk"] = make_zip(base(), eocd_override={"disk": 3, "cd_disk": 2})
    T["comment-fake-eocd"] = make_zip(base(), comment=b"PK\x05\x06" + b"\0" * 16 + b"trailing")
    T["prefix-junk"] = make_zip(base(), prefix=b"JUNK" * 100)
    T["offset-lie"] = make_zip(base(offset=1 << 30))
    T["offset-points-to-other"] = make_zip(base(offset=0))
    # zip64 lies
    T["zip64-extra-huge-sizes"] = make_zip(base(csize=0xFFFFFFFF, usize=0xFFFFFFFF, version=45,
                                                extra=zip64_extra(1 << 60, 1 << 60)))
    T["zip64-extra-missing"] = make_zip(base(csize=0xFFFFFFFF, usize=0xFFFFFFFF, version=45))
    T["zip64-extra-short"] = make_zip(base(csize=0xFFFFFFFF, usize=0xFFFFFFFF, version=45, extra=struct.pack("<HHI", 1, 4, 7)))
    T["zip64-offset-lie"] = make_zip(base(offset=0xFFFFFFFF, version=45, central_extra=zip64_extra(len(main_data), len(main_data), 1 << 50)))

    def locator(target, n=None, size=None):
        def fn(cd_offset, cd_size, count):
            rec = struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, n or count, n or count, size or cd_size,
                              target if target is not None else cd_offset)
            return rec + struct.pack("<IIQI", 0x07064B50, 0, cd_offset + cd_size, 1)
        return fn
    T["zip64-eocd-offset-lie"] = make_zip(base(), zip64_locator=locator(1 << 55), eocd_override={"cd_offset": 0xFFFFFFFF})
    T["zip64-eocd-count-lie"] = make_zip(base(), zip64_locator=locator(None, n=1 << 40), eocd_override={"n": 0xFFFF, "n_disk": 0xFFFF})
    T["zip64-eocd-size-lie"] = make_zip(base(), zip64_locator=locator(None, size=1 << 50), eocd_override={"cd_size": 0xFFFFFFFF})

    def bad_locator(cd_offset, cd_size, count):
        return struct.pack("<IIQI", 0x07064B50, 0, 1 << 62, 1)
    T["zip64-locator-past-end"] = make_zip(base(), zip64_locator=bad_locator, eocd_override={"cd_offset": 0xFFFFFFFF})
    T["many-members"] = make_zip(base() + [dict(name=f"pad/{i}", data=b"") for i in range(20000)])
    T["empty-zip"] = make_zip([])
    T["nested-zip"] = make_zip([dict(name=main, data=make_zip(base()))] + [e for e in base() if e["name"] != main])
    return T


def gen_zip(cases, workdir):
    sd = os.path.join(workdir, SEEDS)
    for name, blob in zip_tricks(zip_members(os.path.join(sd, "tiny.keras")), "model.weights.h5").items():
        cases.add("zip-trick/keras", "model", f"{name}.keras", blob)
    x = np.load(os.path.join(sd, "x.npy"))
    bio = io.BytesIO()
    np.save(bio, x)
    for name, blob in zip_tricks([("x.npy", bio.getvalue()), ("y.npy", np.arange(2, dtype=np.int32).tobytes())], "x.npy").items():
        cases.add("zip-trick/npz", "npy", f"{name}.npz", blob)


# ---------------------------------------------------------------------------------------------
# .npy tricks
# ---------------------------------------------------------------------------------------------

def npy(header, data, version=(1, 0), raw_header=None, pad=True):
    h = raw_header if raw_header is not None else repr(header).encode("latin1")
    if pad:
        hl = 4 if version[0] >= 2 else 2
        total = 6 + 2 + hl + len(h) + 1
        h = h + b" " * ((64 - total % 64) % 64) + b"\n"
    lenfield = struct.pack("<I", len(h)) if version[0] >= 2 else struct.pack("<H", len(h) & 0xFFFF)
    return b"\x93NUMPY" + bytes(version) + lenfield + h + data


def gen_npy(cases, workdir):
    import pickle
    sd = os.path.join(workdir, SEEDS)
    x = np.load(os.path.join(sd, "x.npy"))
    d = x.tobytes()
    canary = os.path.join(workdir, PICKLE_CANARY)

    class Evil:
        def __reduce__(self):
            return (os.system, (f"touch {canary}",))
    obj = np.empty((2, 8, 8, 3), dtype=object)
    obj[0, 0, 0, 0] = Evil()
    ok = {"descr": "<f4", "fortran_order": False, "shape": (2, 8, 8, 3)}
    N = {}
    N["valid"] = npy(ok, d)
    bio = io.BytesIO()
    np.save(bio, obj, allow_pickle=True)
    N["object-pickle"] = bio.getvalue()
    N["object-pickle-f4-descr"] = npy(ok, pickle.dumps(Evil()) + d)
    N["fortran-order"] = npy(dict(ok, fortran_order=True), np.asfortranarray(x).tobytes(order="F"))
    N["fortran-order-string"] = npy(dict(ok, fortran_order="yes"), d)
    for shape in [(1 << 40, 8, 8, 3), (2, 1 << 30, 1 << 30, 3), (1 << 62, 1 << 62, 8, 3), (2 ** 63 - 1,), (0, 8, 8, 3),
                  (-2, 8, 8, 3), (2, 8, 8), (2, 8, 8, 3, 1), (), (1 << 16, 8, 8, 3), (2, 8, 8, 3000)]:
        N[f"shape-{'x'.join(map(str, shape)) or 'scalar'}"] = npy(dict(ok, shape=shape), d)
    N["shape-big-data-short"] = npy(dict(ok, shape=(100000, 8, 8, 3)), d)
    N["shape-not-tuple"] = npy(dict(ok, shape=[2, 8, 8, 3]), d)
    N["shape-string"] = npy(dict(ok, shape="2,8,8,3"), d)
    N["shape-float"] = npy(None, d, raw_header=b"{'descr': '<f4', 'fortran_order': False, 'shape': (2.5, 8, 8, 3), }")
    for descr in ["<f8", ">f4", "<f2", "<i4", "|u1", "|b1", "<c8", "|V16", "<U4", "|S4", "<M8[s]", "f4", "<f16", "zz"]:
        N[f"descr-{descr.replace('<', 'le-').replace('>', 'be-').replace('|', 'na-')}"] = npy(dict(ok, descr=descr), d)
    N["descr-structured"] = npy(dict(ok, descr=[("a", "<f4"), ("b", "<f4")], shape=(2, 8, 8)), d[:len(d) // 2 * 2][:2 * 8 * 8 * 8])
    N["data-trailing"] = npy(ok, d + b"\0" * 1000)
    N["data-short"] = npy(ok, d[:-5])
    N["bad-magic"] = b"\x93NUMPX" + npy(ok, d)[6:]
    N["version-3"] = npy(ok, d, version=(3, 0))
    N["version-2"] = npy(ok, d, version=(2, 0))
    N["version-9"] = npy(ok, d, version=(9, 9))
    N["header-not-dict"] = npy(None, d, raw_header=b"[1, 2, 3]")
    N["header-code"] = npy(None, d, raw_header=b"__import__('os').system('touch " + canary.encode() + b"')")
    N["header-missing-keys"] = npy(None, d, raw_header=b"{'descr': '<f4'}")
    N["header-extra-keys"] = npy(None, d, raw_header=b"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 8, 8, 3), 'x': 1}")
    N["header-garbage"] = npy(None, d, raw_header=b"\xff\xfe\x00garbage{{{")
    N["header-unterminated"] = npy(None, d, raw_header=b"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 8, 8, 3)")
    N["header-len-past-end"] = b"\x93NUMPY\x01\x00\xff\xff{'descr': '<f4'"
    N["header-len-huge-v2"] = b"\x93NUMPY\x02\x00" + struct.pack("<I", 0xFFFFFFF0) + b"{'descr'"
    N["header-deep"] = npy(None, d, raw_header=b"{'descr': '<f4', 'fortran_order': False, 'shape': " + b"(" * 20000 + b")" * 20000 + b"}")
    N["header-no-newline"] = npy(ok, d, pad=False)
    N["header-nul"] = npy(None, d, raw_header=b"{'descr': '<f4',\0 'fortran_order': False, 'shape': (2, 8, 8, 3), }")
    N["values-nan-inf"] = npy(ok, np.where(np.arange(x.size).reshape(x.shape) % 2 == 0, np.nan, np.inf).astype(np.float32).tobytes())
    N["empty-file"] = b""
    for name, blob in N.items():
        cases.add("npy-trick", "npy", f"{name}.npy", blob)
        # the same inside an .npz (member x.npy)
        cases.add("npy-trick/npz", "npy", f"{name}.npz", make_zip([dict(name="x.npy", data=blob)]))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--zoo", required=True)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--seed", type=int, default=11)
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--quick", action="store_true")
    g.add_argument("--full", action="store_true")
    a = ap.parse_args(argv)
    workdir = os.path.abspath(a.workdir)
    if workdir == REPO or workdir.startswith(REPO + os.sep):
        sys.exit("generate: the work dir must be outside the repository")
    for sub in [MUTANTS, SECRETS]:
        shutil.rmtree(os.path.join(workdir, sub), ignore_errors=True)
    canary = os.path.join(workdir, PICKLE_CANARY)
    if os.path.exists(canary):
        os.unlink(canary)
    os.makedirs(workdir, exist_ok=True)
    build_seeds(os.path.abspath(a.zoo), workdir, a.seed)
    secret = build_secrets(workdir)
    rng = np.random.default_rng(a.seed)
    cases = Cases(workdir)
    quick = not a.full
    gen_truncate_flip(cases, workdir, quick, rng)
    gen_h5_lies(cases, workdir, quick, rng, secret)
    gen_safetensors(cases, workdir)
    gen_zip(cases, workdir)
    gen_npy(cases, workdir)
    write_manifest(os.path.join(workdir, MANIFEST), cases.cases)
    json.dump({"seed": a.seed, "mode": "full" if a.full else "quick", "cases": len(cases.cases)},
              open(os.path.join(workdir, "generate.json"), "w"))
    print(f"generate: {len(cases.cases)} cases in {workdir}")


if __name__ == "__main__":
    main()
