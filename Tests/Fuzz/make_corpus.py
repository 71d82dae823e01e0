#!/usr/bin/env python3
"""Regenerates the seed corpus in Tests/Fuzz/corpus/ (see Tests/Fuzz/README.md).

Usage: python3 Tests/Fuzz/make_corpus.py PATH/TO/zoo
       python3 Tests/Fuzz/make_corpus.py --no-cli   # only the seeds that need no `zoo` binary;
                                                    # the CLI-converted ones are left as they are

Each seed is one selector byte (see ZooFuzz.swift: even = .zoo, odd = safetensors, NumPy, Keras
config, .keras zip or image; higher bits = options) followed by a file: real files the `zoo` CLI
converts from Fixtures/, plus small hand-built ones that reach edge cases (empty tables, zero-size
and scalar tensors, JSON escapes, Keras 2 and 3 config forms, zip64 and duplicate members).
The seed's name prefix says its target (zoo-, st-, npy-, npz-, config-, zip-, image-; regress-*
by the word after it), which is how run.sh picks a ZOOFUZZ_TARGET campaign's seeds.
Only the standard library is needed; XXH64 is implemented below for the hand-built .zoo files.
"""
import json
import os
import struct
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORPUS = os.path.join(ROOT, "Tests", "Fuzz", "corpus")
FIXTURES = os.path.join(ROOT, "Fixtures")

# Selector bits (mirrors ZooFuzz.swift).
ZOO, SAFETENSORS = 0x00, 0x01
FIX_HEADER, FIX_FILE = 0x02, 0x04
LAZY, EAGER = 0x08, 0x10
VIA_FILE = 0x02  # safetensors: regular file (mmap) instead of a pipe
NPY, NPZ = 0x05, 0x09  # odd selectors with bits 2-3 = 1 / 2: the NumPy readers
CONFIG, ZIP = 0x1D, 0x2D  # odd, bits 2-3 = 3, bit 1 clear, bits 4-5 = 1 / 2: Keras config, .keras zip

M64 = (1 << 64) - 1
P1, P2, P3, P4, P5 = (0x9E3779B185EBCA87, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9,
                      0x85EBCA77C2B2AE63, 0x27D4EB2F165667C5)


def _rotl(x, r):
    return ((x << r) | (x >> (64 - r))) & M64


def _round(acc, lane):
    return (_rotl((acc + lane * P2) & M64, 31) * P1) & M64


def _merge(acc, val):
    return ((acc ^ _round(0, val)) * P1 + P4) & M64


def xxh64(data, seed=0):
    n, i = len(data), 0
    if n >= 32:
        v = [(seed + P1 + P2) & M64, (seed + P2) & M64, seed, (seed - P1) & M64]
        while i + 32 <= n:
            for k in range(4):
                v[k] = _round(v[k], struct.unpack_from("<Q", data, i + 8 * k)[0])
            i += 32
        h = (_rotl(v[0], 1) + _rotl(v[1], 7) + _rotl(v[2], 12) + _rotl(v[3], 18)) & M64
        for k in range(4):
            h = _merge(h, v[k])
    else:
        h = (seed + P5) & M64
    h = (h + n) & M64
    while i + 8 <= n:
        h = ((_rotl(h ^ _round(0, struct.unpack_from("<Q", data, i)[0]), 27) * P1) + P4) & M64
        i += 8
    if i + 4 <= n:
        h = ((_rotl(h ^ ((struct.unpack_from("<I", data, i)[0] * P1) & M64), 23) * P2) + P3) & M64
        i += 4
    while i < n:
        h = (_rotl(h ^ ((data[i] * P5) & M64), 11) * P1) & M64
        i += 1
    h ^= h >> 33
    h = (h * P2) & M64
    h ^= h >> 29
    h = (h * P3) & M64
    h ^= h >> 32
    return h


DTYPE_CODES = {"float16": 1, "bfloat16": 2, "float32": 3, "float64": 4, "int32": 5, "int64": 6, "uint8": 7}
DTYPE_SIZES = {"float16": 2, "bfloat16": 2, "float32": 4, "float64": 8, "int32": 4, "int64": 8, "uint8": 1}


TOOL = {"tool_name": "swiftzoo", "tool_version": "0.1.0"}


def zoo_file(tensors, metadata=json.dumps(TOOL).encode(), graph=b"", alignment=64):
    """A valid .zoo file (Docs/FORMAT.md): tensors are (name, dtype, layout, shape, bytes)."""
    data_offset = 4096
    offsets, cursor = [], data_offset
    for _, _, _, _, raw in tensors:
        cursor = (cursor + alignment - 1) // alignment * alignment
        offsets.append(cursor)
        cursor += len(raw)
    table = struct.pack("<I", len(tensors))
    for (name, dtype, layout, shape, raw), offset in zip(tensors, offsets):
        encoded = name.encode()
        table += struct.pack("<H", len(encoded)) + encoded + bytes([DTYPE_CODES[dtype], layout, len(shape)])
        table += b"".join(struct.pack("<Q", d) for d in shape)
        table += struct.pack("<QQQ", offset, len(raw), xxh64(raw))
    header = table + metadata + graph
    assert 64 + len(header) <= data_offset
    body = bytearray(header + bytes(data_offset - 64 - len(header)))
    for (_, _, _, _, raw), offset in zip(tensors, offsets):
        body += bytes(offset - 64 - len(body)) + raw
    pre = b"\x89ZOO\r\n\x1a\n" + struct.pack("<HHIQQQQ", 1, 0, alignment, len(table), len(metadata), len(graph), data_offset)
    # Whole-file checksum: bytes 64 ..< data_offset, then every tensor checksum (u64 LE, table order).
    chained = bytes(body[:data_offset - 64]) + b"".join(struct.pack("<Q", xxh64(t[4])) for t in tensors)
    pre += struct.pack("<QQ", xxh64(header), xxh64(chained))
    return pre + bytes(body)


def safetensors_file(header, data=b""):
    encoded = header.encode() if isinstance(header, str) else header
    return struct.pack("<Q", len(encoded)) + encoded + data


def npy_file(descr, shape, data, version=1, fortran=False):
    """A .npy file as numpy writes it: magic, version, little-endian header length, a padded
    Python-literal dict, then the raw data."""
    header = "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }" % (descr, "True" if fortran else "False",
                                                                      "(%s)" % "".join("%d, " % d for d in shape) if len(shape) != 1 else "(%d,)" % shape[0])
    size_field = 2 if version == 1 else 4
    total = 6 + 2 + size_field + len(header) + 1
    header += " " * ((64 - total % 64) % 64) + "\n"
    length = struct.pack("<H", len(header)) if version == 1 else struct.pack("<I", len(header))
    return b"\x93NUMPY" + bytes([version, 0]) + length + header.encode("latin1") + data


def npz_file(members, compress):
    import io
    import zipfile
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED) as z:
        for name, blob in members:
            z.writestr(name, blob)
    return buffer.getvalue()


def compact_config(text):
    """A Keras config JSON without what neither KerasConfigImporter nor KerasModelConfig reads
    (initializers, constraints, module paths, registered names), compact, to keep seeds small."""
    def strip(value):
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items()
                    if not (k.endswith("_initializer") or k.endswith("_constraint") or k in ("module", "registered_name"))}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value
    return json.dumps(strip(json.loads(text)), separators=(",", ":")).encode()


def keras2_functional():
    """A tf-keras 2.x functional config (nested-list inbound nodes) using every layer class the
    importer maps, with the options it reads."""
    def layer(cls, name, inbound, **config):
        return {"class_name": cls, "name": name, "config": dict(name=name, **config),
                "inbound_nodes": [[[n, 0, 0, {}] for n in inbound]] if inbound else []}
    layers = [
        layer("InputLayer", "in", [], batch_input_shape=[None, 8, 8, 3], dtype="float32"),
        layer("Rescaling", "rescale", ["in"], scale=0.00392156862745098, offset=-1.0),
        layer("ZeroPadding2D", "pad", ["rescale"], padding=[[1, 1], [1, 1]], data_format="channels_last"),
        layer("Conv2D", "conv", ["pad"], filters=4, kernel_size=[3, 3], strides=[1, 1], padding="valid",
              dilation_rate=[1, 1], groups=1, activation="linear", use_bias=False, data_format="channels_last",
              kernel_regularizer={"class_name": "L2", "config": {"l2": 0.0001}}),
        layer("BatchNormalization", "bn", ["conv"], axis=-1, epsilon=0.001, momentum=0.99, center=True, scale=False),
        layer("ReLU", "relu", ["bn"], max_value=None, negative_slope=0.0, threshold=0.0),
        layer("DepthwiseConv2D", "dw", ["relu"], kernel_size=[3, 3], strides=[1, 1], padding="same",
              depth_multiplier=1, activation="relu", use_bias=True),
        layer("Add", "add", ["relu", "dw"]),
        layer("MaxPooling2D", "pool", ["add"], pool_size=[2, 2], strides=[2, 2], padding="valid"),
        layer("AveragePooling2D", "apool", ["add"], pool_size=[2, 2], strides=None, padding="same"),
        layer("Concatenate", "cat", ["pool", "apool"], axis=-1),
        layer("GlobalAveragePooling2D", "gap", ["cat"], keepdims=False),
        layer("Dropout", "drop", ["gap"], rate=0.5),
        layer("Dense", "fc", ["drop"], units=3, activation="softmax", use_bias=True,
              kernel_regularizer={"class_name": "L1L2", "config": {"l1": 0.0, "l2": 0.001}}),
    ]
    model = {"class_name": "Functional", "config": {"name": "k2", "layers": layers, "input_layers": [["in", 0, 0]],
                                                     "output_layers": [["fc", 0, 0]]},
             "keras_version": "2.15.0", "backend": "tensorflow"}
    return json.dumps(model, separators=(",", ":")).encode()


def keras2_bare_list():
    """Keras 2.0's Sequential config: a bare list of layers, the input from batch_input_shape."""
    layers = [{"class_name": "Conv2D", "config": {"name": "c", "batch_input_shape": [None, 6, 6, 1], "filters": 2,
                                                  "kernel_size": [3, 3], "strides": [2, 2], "padding": "same",
                                                  "activation": "relu"}},
              {"class_name": "GlobalMaxPooling2D", "config": {"name": "g"}},
              {"class_name": "Flatten", "config": {"name": "f"}},
              {"class_name": "Activation", "config": {"name": "a", "activation": "sigmoid"}}]
    return json.dumps({"class_name": "Sequential", "config": layers}, separators=(",", ":")).encode()


def keras_archive(members, compress=False, zip64=False, comment=b""):
    """A .keras archive (a zip) with the given (name, bytes) members, in order."""
    import io
    import warnings
    import zipfile
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # duplicate names are on purpose
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED) as z:
            for name, blob in members:
                info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
                with z.open(info, "w", force_zip64=zip64) as f:
                    f.write(blob)
            z.comment = comment
    return buffer.getvalue()


def keras_seeds():
    """Seeds for the Keras config importer and the .keras zip reader; no `zoo` binary needed."""
    import zipfile
    seeds = {}
    with zipfile.ZipFile(os.path.join(FIXTURES, "tiny.keras")) as z:
        tiny = {name: z.read(name) for name in z.namelist()}
    with open(os.path.join(FIXTURES, "architectures", "sequential_small.config.json")) as f:
        sequential = compact_config(f.read())
    seeds["config-tiny-functional"] = bytes([CONFIG]) + compact_config(tiny["config.json"].decode())
    seeds["config-sequential-small"] = bytes([CONFIG]) + sequential
    seeds["config-keras2-functional"] = bytes([CONFIG]) + keras2_functional()
    seeds["config-keras2-bare-list"] = bytes([CONFIG]) + keras2_bare_list()

    metadata = tiny["metadata.json"]
    fake_h5 = b"\x89HDF\r\n\x1a\n" + bytes(56)
    small = [("metadata.json", metadata), ("config.json", sequential), ("model.weights.h5", fake_h5)]
    # The real archive, deflated (Keras stores; ZipReader inflates either), config compacted.
    seeds["zip-tiny-keras-deflated"] = bytes([ZIP]) + keras_archive(
        [("metadata.json", metadata), ("config.json", compact_config(tiny["config.json"].decode())),
         ("model.weights.h5", tiny["model.weights.h5"])], compress=True)
    seeds["zip-stored-fake-weights"] = bytes([ZIP]) + keras_archive(small)
    seeds["zip-zip64-deflated"] = bytes([ZIP]) + keras_archive(small, compress=True, zip64=True)
    seeds["zip-duplicate-config"] = bytes([ZIP]) + keras_archive(small + [("config.json", b"{}")])
    seeds["zip-one-member-comment"] = bytes([ZIP]) + keras_archive([("config.json", b"{}")], comment=b"PK\x05\x06 in a comment")
    return seeds


def regressions():
    """Hand-minimised inputs that crashed ZooGraph before f8e760f (stored graphs were decoded with
    synthesized Codable and never re-validated; Docs/FUZZING.md). Each is selector 0x00 plus the
    smallest valid .zoo file (no tensors) whose graph JSON holds one bad value."""
    node_in = {"name": "in", "op": {"input": {"shape": [4, 4, 3]}}, "inputs": [], "weights": [],
               "outputShape": [4, 4, 3], "trainable": True}

    def conv(**overrides):
        attributes = {"kernel": [1, 1], "filters": 1, "padding": "valid", "strides": [1, 1], "dilation": [1, 1],
                      "useBias": False, "activation": "linear"}
        attributes.update(overrides)
        return {"name": "c", "op": {"conv2D": {"_0": attributes}}, "inputs": ["in"],
                "weights": [{"name": "kernel", "shape": [1, 1, 3, 1], "dtype": "float32", "trainable": True}],
                "outputShape": [4, 4, 1], "trainable": True}

    graphs = {
        # Graph.node(_:) trusted a stored name -> position index: nodes[1] of one node.
        "regress-graph-index-out-of-range": {"nodes": [node_in], "outputs": ["in"], "index": {"in": 1}},
        # ShapeInference.infer read dilation[1] of a one-element array (via Graph.cut(at:)).
        "regress-graph-conv-short-array": {"nodes": [node_in, conv(dilation=[1])], "outputs": ["c"],
                                           "index": {"in": 0, "c": 1}},
        # ShapeInference.outputLength divided by a zero stride.
        "regress-graph-conv-zero-stride": {"nodes": [node_in, conv(strides=[0, 0])], "outputs": ["c"],
                                           "index": {"in": 0, "c": 1}},
        # WeightSpec.elementCount (shape.reduce(1, *)) overflowed.
        "regress-graph-weight-count-overflow": {
            "nodes": [dict(node_in, weights=[{"name": "w", "shape": [1 << 32, 1 << 32], "dtype": "float32",
                                              "trainable": True}])],
            "outputs": ["in"], "index": {"in": 0}},
    }
    return {name: bytes([ZOO]) + zoo_file([], graph=json.dumps(graph, separators=(",", ":")).encode())
            for name, graph in graphs.items()}


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    use_cli = sys.argv[1] != "--no-cli"
    zoo = os.path.abspath(sys.argv[1])
    os.makedirs(CORPUS, exist_ok=True)
    seeds = {}
    cli_seeds = ("zoo-tiny-keras", "zoo-tiny-bf16-lazy", "zoo-fold-bn-fixsums", "zoo-f16-eager",
                 "zoo-nograph-align256", "st-tiny-keras", "st-f16-file", "st-weights", "st-legacy-file")
    if use_cli:
        with tempfile.TemporaryDirectory() as tmp:
            def convert(source, out, *flags):
                path = os.path.join(tmp, out)
                subprocess.run([zoo, "convert", os.path.join(FIXTURES, source), path, *flags], check=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                with open(path, "rb") as f:
                    return f.read()

            # Real files the writers produce (a graph and Keras config in the first two).
            seeds["zoo-tiny-keras"] = bytes([ZOO]) + convert("tiny.keras", "a.zoo")
            seeds["zoo-tiny-bf16-lazy"] = bytes([ZOO | FIX_HEADER | LAZY]) + convert("tiny.keras", "b.zoo", "--dtype", "bfloat16")
            seeds["zoo-fold-bn-fixsums"] = bytes([ZOO | FIX_HEADER | FIX_FILE]) + convert("tiny.keras", "c.zoo", "--fold-bn")
            seeds["zoo-f16-eager"] = bytes([ZOO | FIX_HEADER | EAGER]) + convert("tiny.f16.h5", "d.zoo")
            seeds["zoo-nograph-align256"] = bytes([ZOO | FIX_HEADER]) + convert("tiny.weights.h5", "e.zoo", "--align", "256")
            seeds["st-tiny-keras"] = bytes([SAFETENSORS]) + convert("tiny.keras", "a.safetensors")
            seeds["st-f16-file"] = bytes([SAFETENSORS | VIA_FILE]) + convert("tiny.f16.h5", "b.safetensors")
            seeds["st-weights"] = bytes([SAFETENSORS]) + convert("tiny.weights.h5", "c.safetensors")
            seeds["st-legacy-file"] = bytes([SAFETENSORS | VIA_FILE]) + convert("tiny.legacy.h5", "d.safetensors")
        assert set(cli_seeds) <= set(seeds)
    else:
        for name in cli_seeds:  # --no-cli: the committed ones stay as they are
            with open(os.path.join(CORPUS, name), "rb") as f:
                seeds[name] = f.read()

    # Hand-built .zoo files.
    seeds["zoo-min-empty"] = bytes([ZOO | EAGER]) + zoo_file([])
    every_dtype = [(f"layer.{i}/w_{dtype}", dtype, i % 6, [2, 1], bytes(range(2 * DTYPE_SIZES[dtype])))
                   for i, dtype in enumerate(DTYPE_CODES)]
    every_dtype += [("scalar", "float32", 0, [], b"\x00\x00\x80\x3f"), ("empty.t", "uint8", 0, [0, 5], b"")]
    meta = json.dumps({"architecture": "resnet50", "naming": "keras", "input_shape": [8, 8, 3], "classes": 2,
                       "preprocessing": {"mode": "caffe", "channel_order": "BGR", "mean": [1.0, 2.0, 3.0], "scale": 1.0},
                       "source": {"file": "x", "sha256": "00", "format": "zoo", "keras_version": "3"}, **TOOL}).encode()
    seeds["zoo-every-dtype-eager"] = bytes([ZOO | EAGER]) + zoo_file(every_dtype, metadata=meta)

    # Hand-built safetensors files: JSON edge cases the strict parser handles.
    seeds["st-min-empty"] = bytes([SAFETENSORS]) + safetensors_file("{}")
    f32 = struct.pack("<6f", 0.5, -1, 2, 3.25, 0, 7)
    seeds["npy-f32-2x3"] = bytes([NPY]) + npy_file("<f4", (2, 3), f32)
    seeds["npy-v2-scalar"] = bytes([NPY]) + npy_file("<f4", (), struct.pack("<f", 1.5), version=2)
    seeds["npy-fortran"] = bytes([NPY]) + npy_file("<f4", (3, 2), f32, fortran=True)
    seeds["npz-stored"] = bytes([NPZ]) + npz_file([("a.npy", npy_file("<f4", (2, 3), f32)), ("b.npy", npy_file("<f4", (6,), f32))], False)
    seeds["npz-deflated"] = bytes([NPZ]) + npz_file([("layer/out.npy", npy_file("<f4", (1, 2, 3), f32))], True)
    edge = ('{"__metadata__":{"k\\u00e9y":"v\\ud83d\\ude00\\n\\"\\\\\\/","backend":"jax"},'
            '"a.weight":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},'
            '"b/c":{"dtype":"BF16","shape":[],"data_offsets":[8,10]},'
            '"z":{"dtype":"U8","shape":[0,3],"data_offsets":[10,10]},'
            '"d":{"dtype":"I64","shape":[1],"data_offsets":[10,18],"extra":[-0,1.5e-3,true,false,null,{}]}}  ')
    seeds["st-json-edge"] = bytes([SAFETENSORS]) + safetensors_file(edge, bytes(range(18)))
    seeds["st-json-edge-file"] = bytes([SAFETENSORS | VIA_FILE]) + safetensors_file(edge, bytes(range(18)))

    seeds.update(keras_seeds())
    seeds.update(regressions())

    # Remove stale seeds; keep committed `regress-*` inputs this script cannot rebuild (ones
    # libFuzzer found, kept byte for byte) and the `image-*` seeds (Fixtures/images/decode files
    # with a selector byte, made by hand).
    for name in os.listdir(CORPUS):
        if name not in seeds and not name.startswith(("regress-", "image-")):
            os.remove(os.path.join(CORPUS, name))
    for name, data in sorted(seeds.items()):
        assert len(data) < 64 * 1024, (name, len(data))
        with open(os.path.join(CORPUS, name), "wb") as f:
            f.write(data)
        print(f"{name}: {len(data)} bytes")
    names = os.listdir(CORPUS)
    total = sum(os.path.getsize(os.path.join(CORPUS, name)) for name in names)
    print(f"{len(names)} seeds, {total} bytes")
    assert total < 300 * 1024


if __name__ == "__main__":
    main()
