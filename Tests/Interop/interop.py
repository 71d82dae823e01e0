#!/usr/bin/env python3
"""Check the `zoo` CLI against real Keras and h5py on full-size ResNet50 and VGG16 files.

Usage:
    python Tests/Interop/interop.py --zoo PATH_TO_ZOO --workdir DIR [--quick] [--only NAME,...]

Steps, for each model (resnet50_top, resnet50_notop, vgg16_top, vgg16_notop; --quick keeps
resnet50_notop and vgg16_notop):

1. make_models.py writes the model's four files into DIR (skipped when DIR already holds
   them with a matching manifest): NAME.h5 (legacy weights-only), NAME.model.h5 (legacy full
   model), NAME.weights.h5 (Keras 3 weights) and NAME.keras (Keras 3 archive).
2. inspect: `zoo inspect --json --stats FILE` must agree with what h5py reads from the file:
   the format, keras_version and backend; the layers (legacy files: `layer_names` order;
   .weights.h5: the set of group names under layers/, which carry no order; .keras: the real
   layer names in config.json order, matched to their groups through each vars group's
   `name` attribute); and for every weight its path, shape and dtype exactly, its name
   (legacy: last part of the stored weight name; Keras 3: the Keras variable name), min and
   max exactly, sum and abs_sum to a relative 1e-6 of the numpy float64 sums (sum: relative
   to max(|sum|, 1e-6 * abs_sum), so a sum that happens to land near zero does not fail on
   rounding), and total_params (also against the known ResNet50/VGG16 counts).
3. convert: `zoo convert` each file to every layout it can be converted to (its own layout
   included, as a lossless-rewrite check), then load
   the output with Keras and require every weight to be bit-identical (np.array_equal, same
   dtype) to the seeded original. Weights outputs are loaded with model.load_weights into the
   model of the same architecture after every weight was set to zero (so a weight the load
   misses shows up); .model.h5 and .keras outputs with keras.models.load_model(compile=False),
   which must give the same layer names and weights. keras-h5-model and keras-archive need a
   model config: from a weights-only source (.h5, .weights.h5) zoo writes the config of the
   architecture it detects from the names, and Keras must load that the same way. A Keras 3
   .weights.h5 holds no layer order, so its legacy .h5 conversion is loaded by order first and,
   if that fails, with by_name=True. (Converting a weights-only file that binds to no
   architecture to keras-h5-model or keras-archive must fail cleanly; see the binding checks in 4.)

4. model zoo (`zoo summary`, `zoo convert --naming`, `zoo slice`):
   - `zoo summary FILE --json` for each of the four files: architecture resnet50/vgg16 (null for
     .model.h5 and .keras, whose config is used), naming (keras; keras3 for .weights.h5), matched
     = the number of weights (320/318/32/26) with nothing missing, unexpected or mismatched;
     total/trainable/non-trainable params = Keras's count_params() and its trainable split; and
     every layer's name, class, output shape, params, trainable, inputs (and BN epsilon) as in
     the Keras model.
   - ResNet50: keras-v1. h5py rewrites NAME.h5 the way Keras 2.2.4 on h5py 2 wrote it (conv1,
     bn_conv1, res2a_branch2a, ..., fc1000; ':0' weight names; fixed-length string attributes;
     Keras 2.2.4's layer order, where a conv block lists res2a_branch2c, res2a_branch1,
     bn2a_branch2c, bn2a_branch1, so two same-shaped convolutions would swap if bound by order).
     `zoo summary` must say keras-v1, resnet50, every BN epsilon 0.001, no problems; `zoo convert
     v1.h5 --naming keras` must load bit-identical into the Keras model; and `zoo convert NAME.h5
     --naming keras-v1` must hold the same weighted layers, weight names and values.
   - ResNet50: binding problems. A copy of NAME.h5 without conv3_block2_1_conv and with
     predictions/kernel reshaped to (2048, 999) (notop: conv5_block3_3_conv/kernel to
     (1, 1, 512, 2047)): the summary's binding must list exactly those two missing weights and that
     one mismatched kernel, and `zoo convert --naming keras` must refuse it (exit 1, no output).
     Converting it to keras-h5-model or keras-archive (no config to write, no architecture to
     make one from) must fail with exit status 1, a `zoo: error:` line naming the output file and
     no output (or temporary) file left behind; once, over an existing file, which must be kept.
   - VGG16: torchvision. `zoo convert NAME.h5 tv.h5 --naming torchvision`: features.0/weight must
     be the block1_conv1 kernel transposed to (3, 2, 0, 1), classifier.0/weight the fc1 kernel
     with NCHW-ordered inputs, transposed; `zoo summary tv.h5` must say torchvision with no
     problems; converting back with --naming keras must load bit-identical into Keras.
   - slice: `zoo slice NAME.h5 cut{.h5,.model.h5,.keras} --at P` (ResNet50: conv4_block6_out;
     VGG16: block5_pool, and fc2 with the top). The .h5 is loaded with model.load_weights into
     keras.Model(base.input, base.get_layer(P).output), the others with load_model; layer names
     and every weight must equal the Keras cut's, and the .h5's provenance must name the source's
     SHA-256. ResNet50 also gets `--head-classes 5 --pooling avg --freeze-through P` to .keras:
     load_model, a (1024, 5) head kernel, every layer through P trainable False in Keras, only the
     head counted trainable, and a forward pass to (1, 5).

Each check prints one PASS/FAIL line; the last line is `N passed, M failed`. The exit status is
1 when any check failed. Converted files go to DIR/converted/ (model-zoo files to
DIR/converted/NAME-zoo/) and are deleted once checked.

Set ZOO_INTEROP_KEEP=1 to keep the converted files.
"""

import argparse
import gc
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import time
import traceback
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

# make_models sets the Keras backend (jax, CPU) and quiets its logging before Keras is imported.
import make_models as mm  # noqa: E402
from report import Report  # noqa: E402

import h5py  # noqa: E402
import numpy as np  # noqa: E402

import keras  # noqa: E402


QUICK = ["resnet50_notop", "vgg16_notop"]
FORMAT_OF_LAYOUT = {layout: layout for layout in mm.LAYOUTS}
# Short tags used in converted file names.
TAG = {"keras-h5-weights": "legacy", "keras-h5-model": "model", "keras3-weights": "k3", "keras-archive": "archive"}
NEEDS_CONFIG = {"keras-h5-model", "keras-archive"}
HAS_CONFIG = {"keras-h5-model", "keras-archive"}
SUM_RTOL = 1e-6


# ------------------------------------------------------------------------------------------
# What h5py sees


def decode(value):
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def string_attr(obj, name):
    if name not in obj.attrs:
        return None
    value = obj.attrs[name]
    if isinstance(value, np.ndarray) and value.shape == ():
        value = value[()]
    return decode(value)


def string_list_attr(obj, name):
    """A legacy string-list attribute, joining Keras's name0, name1, ... chunks."""
    if name in obj.attrs:
        chunks = [obj.attrs[name]]
    else:
        chunks = []
        while f"{name}{len(chunks)}" in obj.attrs:
            chunks.append(obj.attrs[f"{name}{len(chunks)}"])
        if not chunks:
            return None
    out = []
    for chunk in chunks:
        array = np.asarray(chunk)
        if array.dtype.kind == "f":  # an empty weight_names is stored as float64 []
            if array.size:
                raise ValueError(f"{obj.name}@{name}: unexpected numeric values")
            continue
        out += [decode(v) for v in array.reshape(-1)]
    return out


def weight_entry(dataset, name):
    data = dataset[()]
    wide = np.asarray(data, dtype=np.float64)
    return {
        "name": name,
        "path": dataset.name.lstrip("/"),
        "shape": list(dataset.shape),
        "dtype": np.dtype(dataset.dtype).name,
        "sum": float(np.sum(wide)),
        "abs_sum": float(np.sum(np.abs(wide))),
        "min": float(wide.min()) if wide.size else 0.0,
        "max": float(wide.max()) if wide.size else 0.0,
        "size": int(data.size),
    }


def short_name(stored):
    last = stored.split("/")[-1]
    return re.sub(r":\d+$", "", last)


def legacy_reference(group):
    """Layers of a legacy layout group (root of NAME.h5, model_weights of NAME.model.h5)."""
    layers = []
    names = string_list_attr(group, "layer_names")
    for layer_name in names:
        g = group[layer_name]
        weights = [weight_entry(g[stored], short_name(stored)) for stored in (string_list_attr(g, "weight_names") or [])]
        layers.append({"name": layer_name, "weights": weights})
    if "top_level_model_weights" in group and "top_level_model_weights" not in names:
        g = group["top_level_model_weights"]
        weights = [weight_entry(g[s], short_name(s)) for s in (string_list_attr(g, "weight_names") or [])]
        if weights:
            layers.append({"name": "top_level_model_weights", "weights": weights})
    return layers


def keras3_group_weights(group, model, layer_name):
    """Weights of a Keras 3 layer group, named after the Keras variables of `layer_name`."""
    vars_group = group["vars"]
    keys = sorted(vars_group.keys(), key=int)
    variables = model.get_layer(layer_name).weights if layer_name is not None else []
    out = []
    for index, key in enumerate(keys):
        name = variables[index].name if index < len(variables) else key
        out.append(weight_entry(vars_group[key], name))
    return out


def keras3_reference(root, model):
    """{group name: (real layer name, weights)} of a Keras 3 weights file."""
    groups = {}
    for group_name, group in root["layers"].items():
        layer_name = string_attr(group["vars"], "name") if "vars" in group else None
        groups[group_name] = (layer_name, keras3_group_weights(group, model, layer_name))
    return groups


def reference(path, layout, model):
    """What the file holds according to h5py/zipfile: the expected `zoo inspect` JSON."""
    if layout == "keras-archive":
        with zipfile.ZipFile(path) as z:
            config = json.loads(z.read("config.json"))
            metadata = json.loads(z.read("metadata.json"))
            image = z.read("model.weights.h5")
        with h5py.File(io.BytesIO(image), "r") as f:
            groups = keras3_reference(f, model)
        by_layer = {layer_name: (group_name, weights) for group_name, (layer_name, weights) in groups.items()}
        layers = []
        for entry in config["config"]["layers"]:
            name = entry.get("config", {}).get("name") or entry.get("name")
            if name in by_layer:
                layers.append({"name": name, "weights": by_layer.pop(name)[1]})
        for group_name, weights in sorted(by_layer.values()):
            layers.append({"name": group_name, "weights": weights})
        return {"format": layout, "keras_version": metadata.get("keras_version"), "backend": None,
                "layers": layers, "config_names": [l.get("config", {}).get("name") for l in config["config"]["layers"]]}
    with h5py.File(path, "r") as f:
        if layout == "keras3-weights":
            groups = keras3_reference(f, model)
            layers = [{"name": g, "weights": w, "keras_name": n} for g, (n, w) in groups.items()]
            if "vars" in f and len(f["vars"]):
                layers.append({"name": "vars", "weights": [weight_entry(f["vars"][k], k) for k in sorted(f["vars"], key=int)]})
            return {"format": layout, "keras_version": string_attr(f, "keras_version"),
                    "backend": string_attr(f, "backend"), "layers": layers}
        group = f["model_weights"] if layout == "keras-h5-model" else f
        version = string_attr(f, "keras_version") or string_attr(group, "keras_version")
        backend = string_attr(f, "backend") or string_attr(group, "backend")
        return {"format": layout, "keras_version": version, "backend": backend, "layers": legacy_reference(group)}


# ------------------------------------------------------------------------------------------
# zoo


def run_zoo(zoo, *args, timeout=900):
    start = time.monotonic()
    proc = subprocess.run([zoo, *args], capture_output=True, text=True, timeout=timeout)
    return proc, time.monotonic() - start


def close(a, b, rtol, scale=None):
    scale = max(abs(b), scale or 0.0)
    return abs(a - b) <= rtol * scale


def compare_weight(got, want):
    """Problems with one weight of `zoo inspect --json --stats` against the h5py reference."""
    problems = []
    for key in ("name", "path", "shape", "dtype"):
        if got.get(key) != want[key]:
            problems.append(f"{key} {got.get(key)!r} != {want[key]!r}")
    for key in ("min", "max"):
        if got.get(key) != want[key]:
            problems.append(f"{key} {got.get(key)!r} != {want[key]!r}")
    if not isinstance(got.get("sum"), (int, float)) or not close(got["sum"], want["sum"], SUM_RTOL, 1e-6 * want["abs_sum"]):
        problems.append(f"sum {got.get('sum')!r} != {want['sum']!r}")
    if not isinstance(got.get("abs_sum"), (int, float)) or not close(got["abs_sum"], want["abs_sum"], SUM_RTOL):
        problems.append(f"abs_sum {got.get('abs_sum')!r} != {want['abs_sum']!r}")
    return problems


def check_inspect(report, zoo, path, layout, model, name):
    label = f"inspect {os.path.basename(path)}"
    proc, seconds = run_zoo(zoo, "inspect", path, "--json", "--stats")
    if not report.check(f"{label}: exit 0 and one JSON object", proc.returncode == 0 and proc.stdout.count("\n") == 1,
                        f"{seconds:.1f} s" if proc.returncode == 0 else f"exit {proc.returncode}: {proc.stderr.strip()[:500]}"):
        return
    try:
        got = json.loads(proc.stdout)
    except ValueError as error:
        report.check(f"{label}: JSON parses", False, str(error))
        return
    want = reference(path, layout, model)
    report.check(f"{label}: format/keras_version/backend",
                 (got.get("format"), got.get("keras_version"), got.get("backend")) == (want["format"], want["keras_version"], want["backend"]),
                 f"zoo {(got.get('format'), got.get('keras_version'), got.get('backend'))} vs h5py {(want['format'], want['keras_version'], want['backend'])}")

    got_layers = got.get("layers", [])
    got_names = [l.get("name") for l in got_layers]
    want_names = [l["name"] for l in want["layers"]]
    if layout == "keras3-weights":
        ok = sorted(got_names) == sorted(want_names) and len(set(got_names)) == len(got_names)
        detail = f"{len(got_names)} groups, as a set" if ok else \
            f"only in zoo {sorted(set(got_names) - set(want_names))[:5]}, only in file {sorted(set(want_names) - set(got_names))[:5]}, zoo count {len(got_names)} vs {len(want_names)}"
        report.check(f"{label}: layer groups", ok, detail)
    else:
        if layout == "keras-archive":
            real = [l.name for l in model.layers]
            report.check(f"{label}: config.json layers are model.layers", want["config_names"] == real,
                         f"{len(real)} layers" if want["config_names"] == real else "config.json layer order differs from the Keras model")
        ok = got_names == want_names
        first = next((i for i, (a, b) in enumerate(zip(got_names, want_names)) if a != b), min(len(got_names), len(want_names)))
        report.check(f"{label}: layer names in order", ok,
                     f"{len(got_names)} layers" if ok else
                     f"first difference at #{first}: zoo {got_names[first:first + 3]} vs file {want_names[first:first + 3]} (counts {len(got_names)} vs {len(want_names)})")

    # Weights, per layer name.
    want_by_name = {l["name"]: l for l in want["layers"]}
    problems = []
    count = 0
    for layer in got_layers:
        ref = want_by_name.get(layer.get("name"))
        if ref is None:
            continue
        gw, ww = layer.get("weights", []), ref["weights"]
        if len(gw) != len(ww):
            problems.append(f"layer {layer['name']}: {len(gw)} weights vs {len(ww)}")
            continue
        for g, w in zip(gw, ww):
            count += 1
            for p in compare_weight(g, w):
                problems.append(f"{layer['name']}/{w['name']}: {p}")
    report.check(f"{label}: weights (path, name, shape, dtype, sum, abs_sum, min, max)", not problems,
                 f"{count} weights" if not problems else f"{len(problems)} problems, first: {problems[:3]}")

    h5_total = sum(w["size"] for l in want["layers"] for w in l["weights"])
    expected_total = mm.MODELS[name][2]
    report.check(f"{label}: total_params", got.get("total_params") == h5_total == expected_total,
                 f"zoo {got.get('total_params'):,} h5py {h5_total:,} expected {expected_total:,}"
                 if isinstance(got.get("total_params"), int) else f"zoo {got.get('total_params')!r}")


# ------------------------------------------------------------------------------------------
# convert + load with Keras


def zero_model(model):
    for variable in model.weights:
        variable.assign(np.zeros(tuple(variable.shape), dtype=variable.dtype))


def compare_model(model_weights, originals, paths=None):
    """Names of weights that are not bit-identical to the originals."""
    bad = []
    for variable, original in zip(model_weights, originals):
        value = np.asarray(variable.value)
        if value.dtype != original.dtype or not np.array_equal(value, original):
            bad.append(variable.path)
    if len(model_weights) != len(originals):
        bad.append(f"<{len(model_weights)} weights, expected {len(originals)}>")
    return bad


def leftovers(out):
    directory, base = os.path.split(out)
    return [n for n in os.listdir(directory) if n.startswith("." + base + ".tmp")]


def check_failed_convert(report, zoo, source, out, layout):
    label = f"convert {os.path.basename(source)} -> {layout} fails cleanly"
    proc, _ = run_zoo(zoo, "convert", source, out, "--layout", layout)
    error_lines = [l for l in proc.stderr.splitlines() if l.startswith("zoo: error:")]
    report.check(f"{label}: exit 1 with a 'zoo: error:' line", proc.returncode == 1 and bool(error_lines),
                 f"exit {proc.returncode}, stderr {proc.stderr.strip()[:300]!r}")
    left = leftovers(out)
    report.check(f"{label}: no output or temporary file", not os.path.exists(out) and not left,
                 f"output exists: {os.path.exists(out)}, temporary files: {left}")
    # The message should name the file the user asked for, not an internal temporary file.
    mentions_tmp = any(".tmp-" in l for l in error_lines)
    report.check(f"{label}: error names the output file", bool(error_lines) and out in error_lines[0] and not mentions_tmp,
                 f"message: {error_lines[0] if error_lines else proc.stderr.strip()[:300]!r}")


def check_existing_output_kept(report, zoo, source, out, layout):
    """A failed convert over an existing file leaves that file as it was."""
    label = f"convert {os.path.basename(source)} -> {layout} over an existing file"
    with open(out, "wb") as f:
        f.write(b"keep me")
    proc, _ = run_zoo(zoo, "convert", source, out, "--layout", layout)
    with open(out, "rb") as f:
        kept = f.read() == b"keep me"
    report.check(f"{label}: fails and keeps it", proc.returncode == 1 and kept and not leftovers(out),
                 f"exit {proc.returncode}, kept {kept}, temporary files {leftovers(out)}")
    os.remove(out)


def load_and_compare(report, label, out, layout, model, originals, source_layout):
    if layout in HAS_CONFIG:
        loaded = None
        try:
            loaded = keras.models.load_model(out, compile=False)
        except Exception as error:  # noqa: BLE001
            report.check(f"{label}: keras.models.load_model", False, f"{type(error).__name__}: {str(error)[:300]}")
            return
        names_ok = [l.name for l in loaded.layers] == [l.name for l in model.layers]
        report.check(f"{label}: keras.models.load_model gives the same layers", names_ok,
                     f"{len(loaded.layers)} layers" if names_ok else f"{len(loaded.layers)} layers vs {len(model.layers)}")
        by_path = {v.path: o for v, o in zip(model.weights, originals)}
        paths_ok = sorted(v.path for v in loaded.weights) == sorted(by_path)
        bad = compare_model(loaded.weights, [by_path.get(v.path, np.empty(0)) for v in loaded.weights])
        report.check(f"{label}: every weight bit-identical", paths_ok and not bad,
                     f"{len(loaded.weights)} weights" if paths_ok and not bad else f"paths match: {paths_ok}, {len(bad)} differ: {bad[:3]}")
        del loaded
        gc.collect()
        return
    zero_model(model)
    attempts = [{}] + ([{"by_name": True}] if source_layout == "keras3-weights" and layout == "keras-h5-weights" else [])
    errors = []
    loaded_with = None
    for kwargs in attempts:
        try:
            model.load_weights(out, **kwargs)
        except Exception as error:  # noqa: BLE001
            errors.append(f"load_weights({', '.join(f'{k}={v}' for k, v in kwargs.items())}): {type(error).__name__}: {str(error)[:240]}")
            continue
        bad = compare_model(model.weights, originals)
        if not bad:
            loaded_with = kwargs
            break
        errors.append(f"load_weights({', '.join(f'{k}={v}' for k, v in kwargs.items())}) loaded, but {len(bad)} of "
                      f"{len(originals)} weights differ from the originals (first {bad[:3]})")
        zero_model(model)
    how = "model.load_weights" + ("(by_name=True)" if loaded_with else "")
    report.check(f"{label}: model.load_weights, every weight bit-identical", loaded_with is not None,
                 f"{len(originals)} weights via {how}" if loaded_with is not None else " | ".join(errors))


def check_converts(report, zoo, workdir, name, model, originals):
    outdir = os.path.join(workdir, "converted", name)
    shutil.rmtree(outdir, ignore_errors=True)
    os.makedirs(outdir)
    keep = os.environ.get("ZOO_INTEROP_KEEP") == "1"
    for source_layout in mm.LAYOUTS:
        source = os.path.join(workdir, mm.file_name(name, source_layout))
        for layout in mm.LAYOUTS:
            out = os.path.join(outdir, f"{name}.{TAG[source_layout]}-to-{TAG[layout]}{mm.LAYOUTS[layout]}")
            label = f"convert {os.path.basename(source)} -> {layout}" + (" (same layout)" if layout == source_layout else "")
            if layout in NEEDS_CONFIG and source_layout not in HAS_CONFIG:
                label += " (config from the detected architecture)"
            proc, seconds = run_zoo(zoo, "convert", source, out, "--layout", layout)
            if not report.check(f"{label}: exit 0", proc.returncode == 0 and os.path.exists(out) and not leftovers(out),
                                f"{seconds:.1f} s" if proc.returncode == 0 else f"exit {proc.returncode}: {proc.stderr.strip()[:400]}"):
                continue
            try:
                load_and_compare(report, label, out, layout, model, originals, source_layout)
            finally:
                if not keep:
                    os.remove(out)
    if not keep:
        shutil.rmtree(outdir, ignore_errors=True)


# ------------------------------------------------------------------------------------------
# Model zoo: summary, keras-v1 and torchvision naming, binding problems, slicing

ARCH_OF = {"resnet50_top": "resnet50", "resnet50_notop": "resnet50", "vgg16_top": "vgg16", "vgg16_notop": "vgg16"}
# Naming `zoo summary` reports for each layout (files with a config are read as Keras names).
NAMING_OF_LAYOUT = {"keras-h5-weights": "keras", "keras-h5-model": "keras", "keras3-weights": "keras3", "keras-archive": "keras"}
LETTERS = "abcdefghijklmnopqrstuvwxyz"
RESNET50_STAGES = [(2, 3), (3, 4), (4, 6), (5, 3)]


def zoo_json(report, zoo, label, *args):
    """Runs zoo with --json; the parsed object, or None after a FAIL line."""
    proc, seconds = run_zoo(zoo, *args)
    if proc.returncode != 0:
        report.check(f"{label}: exit 0", False, f"exit {proc.returncode}: {proc.stderr.strip()[:400]}")
        return None
    try:
        return json.loads(proc.stdout)
    except ValueError as error:
        report.check(f"{label}: JSON parses", False, str(error))
        return None


def zoo_ok(report, label, zoo, *args):
    """Runs zoo; True on exit 0 (a FAIL line otherwise)."""
    proc, seconds = run_zoo(zoo, *args)
    return report.check(f"{label}: exit 0", proc.returncode == 0,
                        f"{seconds:.1f} s" if proc.returncode == 0 else f"exit {proc.returncode}: {proc.stderr.strip()[:400]}")


def param_split(model):
    trainable = sum(int(np.prod(v.shape)) for v in model.trainable_weights)
    return model.count_params(), trainable, model.count_params() - trainable


def keras_inputs(layer):
    nodes = getattr(layer, "_inbound_nodes", [])
    if not nodes:
        return []
    return [t._keras_history.operation.name for t in nodes[0].input_tensors]


def keras_layer_rows(model):
    """What `zoo summary --json` should list per layer, read from the Keras model."""
    rows = []
    for layer in model.layers:
        row = {"name": layer.name, "type": type(layer).__name__, "output_shape": list(layer.output.shape),
               "params": layer.count_params(), "trainable": layer.trainable, "inputs": keras_inputs(layer)}
        if isinstance(layer, keras.layers.BatchNormalization):
            row["epsilon"] = layer.epsilon
        rows.append(row)
    return rows


def layer_differences(got_layers, want_rows):
    problems = []
    if [l.get("name") for l in got_layers] != [r["name"] for r in want_rows]:
        return [f"layer names differ: {len(got_layers)} vs {len(want_rows)} layers"]
    for got, want in zip(got_layers, want_rows):
        for key, value in want.items():
            if key == "epsilon":
                ok = isinstance(got.get(key), (int, float)) and abs(got[key] - value) <= 1e-12
            else:
                ok = got.get(key) == value
            if not ok:
                problems.append(f"{want['name']}.{key}: zoo {got.get(key)!r} vs Keras {value!r}")
    return problems


def binding_problems(binding):
    return {key: binding.get(key) for key in ("missing", "unexpected", "mismatched") if binding.get(key)}


def check_summary(report, zoo, path, layout, model, name):
    label = f"summary {os.path.basename(path)}"
    got = zoo_json(report, zoo, label, "summary", path, "--json")
    if got is None:
        return
    arch = ARCH_OF[name]
    want_arch = None if layout in HAS_CONFIG else arch
    want_naming = NAMING_OF_LAYOUT[layout]
    binding = got.get("binding", {})
    weights = len(model.weights)
    total, trainable, frozen = param_split(model)
    ok = (got.get("architecture") == want_arch and got.get("naming") == want_naming and binding.get("matched") == weights
          and not binding_problems(binding))
    report.check(f"{label}: architecture {want_arch or 'null (config)'}, naming {want_naming}, {weights} matched, no binding problems", ok,
                 f"architecture {got.get('architecture')!r}, naming {got.get('naming')!r}, matched {binding.get('matched')}, "
                 f"problems {binding_problems(binding) or 'none'}")
    got_split = (got.get("total_params"), got.get("trainable_params"), got.get("non_trainable_params"))
    report.check(f"{label}: total/trainable/non-trainable params = Keras", got_split == (total, trainable, frozen),
                 f"zoo {got_split} vs Keras {(total, trainable, frozen)}")
    problems = layer_differences(got.get("layers", []), keras_layer_rows(model))
    report.check(f"{label}: layers = Keras (name, type, output shape, params, trainable, inputs, BN epsilon)", not problems,
                 f"{len(model.layers)} layers" if not problems else f"{len(problems)} differences, first {problems[:3]}")


def zoo_workdir(workdir, name):
    directory = os.path.join(workdir, "converted", name + "-zoo")
    shutil.rmtree(directory, ignore_errors=True)
    os.makedirs(directory)
    return directory


def cleanup(*paths):
    if os.environ.get("ZOO_INTEROP_KEEP") == "1":
        return
    for path in paths:
        if os.path.isdir(path):
            shutil.rmtree(path, ignore_errors=True)
        elif os.path.exists(path):
            os.remove(path)


def by_path(model, originals):
    return {v.path: o for v, o in zip(model.weights, originals)}


def keras_v1_name(name):
    """The Keras <= 2.2.4 name of a Keras 3 ResNet50 layer (None for weightless layers)."""
    fixed = {"conv1_conv": "conv1", "conv1_bn": "bn_conv1", "predictions": "fc1000"}
    if name in fixed:
        return fixed[name]
    match = re.fullmatch(r"conv(\d)_block(\d+)_(\d)_(conv|bn)", name)
    if not match:
        return None
    stage, block, index, kind = match.groups()
    branch = "branch1" if index == "0" else "branch2" + "abc"[int(index) - 1]
    return ("res" if kind == "conv" else "bn") + f"{stage}{LETTERS[int(block) - 1]}_{branch}"


def keras_v1_layer_order(top):
    """model.layers of Keras 2.2.4's ResNet50: in a conv block branch2c comes before branch1."""
    order = ["input_1", "conv1_pad", "conv1", "bn_conv1", "activation_1", "pool1_pad", "max_pooling2d_1"]
    activation, add = 1, 0
    for stage, blocks in RESNET50_STAGES:
        for block in range(blocks):
            p = f"{stage}{LETTERS[block]}"
            order += [f"res{p}_branch2a", f"bn{p}_branch2a", f"activation_{activation + 1}",
                      f"res{p}_branch2b", f"bn{p}_branch2b", f"activation_{activation + 2}"]
            if block == 0:
                order += [f"res{p}_branch2c", f"res{p}_branch1", f"bn{p}_branch2c", f"bn{p}_branch1"]
            else:
                order += [f"res{p}_branch2c", f"bn{p}_branch2c"]
            order += [f"add_{add + 1}", f"activation_{activation + 3}"]
            activation, add = activation + 3, add + 1
    if top:
        order += ["avg_pool", "fc1000"]
    return order


def write_keras_v1(source, out, top):
    """Rewrites a Keras 3 legacy ResNet50 weights file the way Keras 2.2.4 on h5py 2 wrote it.

    Fixed-length byte-string attributes, weight names with ':0', all layers listed (weightless
    ones with an empty float64 weight_names, as Keras 2 stored it), Keras 2.2.4's layer order.
    Returns {v1 layer name: [(Keras 3 weight path, v1 weight name)]}."""
    written = {}
    with h5py.File(source, "r") as src:
        weights_of = {}
        for layer in string_list_attr(src, "layer_names"):
            names = string_list_attr(src[layer], "weight_names") or []
            if names:
                weights_of[keras_v1_name(layer)] = (layer, names)
        order = keras_v1_layer_order(top)
        missing = set(weights_of) - set(order)
        if missing or None in weights_of:
            raise RuntimeError(f"no Keras 2.2.4 place for {sorted(map(str, missing))}")
        with h5py.File(out, "w") as dst:
            dst.attrs["layer_names"] = np.array([n.encode("utf-8") for n in order])  # fixed-length |S
            dst.attrs["backend"] = np.bytes_(b"tensorflow")
            dst.attrs["keras_version"] = np.bytes_(b"2.2.4")
            for v1 in order:
                group = dst.create_group(v1)
                if v1 not in weights_of:
                    group.attrs["weight_names"] = np.array([], dtype=np.float64)
                    continue
                layer, names = weights_of[v1]
                v1_names = []
                for stored in names:
                    short = stored.split("/")[-1]
                    v1_name = f"{v1}/{short}:0"
                    group.create_dataset(v1_name, data=src[layer][stored][()])
                    v1_names.append(v1_name)
                    written.setdefault(v1, []).append((f"{layer}/{short}", v1_name))
                group.attrs["weight_names"] = np.array([n.encode("utf-8") for n in v1_names])
    return written


def check_keras_v1(report, zoo, workdir, name, model, originals):
    directory = zoo_workdir(workdir, name)
    source = os.path.join(workdir, mm.file_name(name, "keras-h5-weights"))
    v1 = os.path.join(directory, "v1.h5")
    back = os.path.join(directory, "v1-back.h5")
    ours = os.path.join(directory, "zoo-v1.h5")
    label = f"keras-v1 {name}"
    try:
        written = write_keras_v1(source, v1, top=name.endswith("_top"))
        got = zoo_json(report, zoo, f"{label}: summary v1.h5", "summary", v1, "--json")
        if got is not None:
            binding = got.get("binding", {})
            epsilons = sorted({l.get("epsilon") for l in got.get("layers", []) if l.get("type") == "BatchNormalization"}, key=str)
            bn_count = sum(1 for l in got.get("layers", []) if l.get("type") == "BatchNormalization")
            ok = (got.get("naming") == "keras-v1" and got.get("architecture") == "resnet50" and epsilons == [0.001]
                  and binding.get("matched") == len(model.weights) and not binding_problems(binding)
                  and got.get("total_params") == model.count_params())
            report.check(f"{label}: summary says keras-v1, resnet50, BN epsilon 0.001, {len(model.weights)} matched, no problems", ok,
                         f"naming {got.get('naming')!r}, architecture {got.get('architecture')!r}, epsilons {epsilons} over {bn_count} BN layers, "
                         f"matched {binding.get('matched')}, problems {binding_problems(binding) or 'none'}, total {got.get('total_params')}")
        if zoo_ok(report, f"{label}: convert v1.h5 --naming keras", zoo, "convert", v1, back, "--naming", "keras"):
            load_and_compare(report, f"{label}: converted back to keras naming", back, "keras-h5-weights", model, originals, "keras-h5-weights")
        # The other direction: zoo's own keras-v1 file holds what the hand-made one holds.
        if zoo_ok(report, f"{label}: convert {os.path.basename(source)} --naming keras-v1", zoo, "convert", source, ours, "--naming", "keras-v1"):
            want = [(v1_layer, [n.split(":")[0] for _, n in pairs]) for v1_layer, pairs in
                    ((l, written[l]) for l in keras_v1_layer_order(name.endswith("_top")) if l in written)]
            values = by_path(model, originals)
            problems = []
            with h5py.File(ours, "r") as f:
                got_layers = [(l, string_list_attr(f[l], "weight_names") or []) for l in string_list_attr(f, "layer_names")]
                got_layers = [(l, [n.split(":")[0] for n in names]) for l, names in got_layers if names]
                if got_layers != want:
                    first = next((i for i, (a, b) in enumerate(zip(got_layers, want)) if a != b), min(len(got_layers), len(want)))
                    problems.append(f"layers differ at #{first}: zoo {got_layers[first:first + 2]} vs Keras 2.2.4 {want[first:first + 2]}")
                else:
                    for v1_layer, pairs in written.items():
                        for keras_path, v1_name in pairs:
                            stored = next(n for n in string_list_attr(f[v1_layer], "weight_names") if n.split(":")[0] == v1_name.split(":")[0])
                            data = f[v1_layer][stored][()]
                            if data.dtype != np.float32 or not np.array_equal(data, values[keras_path]):
                                problems.append(f"{v1_layer}/{stored} is not {keras_path}")
            report.check(f"{label}: zoo's keras-v1 output = the Keras 2.2.4 layer order, weight names and values", not problems,
                         f"{len(want)} weighted layers" if not problems else "; ".join(problems[:3]))
    finally:
        cleanup(directory)


def rewrite_string_list(obj, name, values):
    del obj.attrs[name]
    obj.attrs.create(name, np.array(values, dtype=h5py.string_dtype()))


def check_binding_problems(report, zoo, workdir, name, model):
    """A ResNet50 file with one weighted layer deleted and one weight reshaped."""
    directory = zoo_workdir(workdir, name)
    source = os.path.join(workdir, mm.file_name(name, "keras-h5-weights"))
    broken = os.path.join(directory, "broken.h5")
    out = os.path.join(directory, "broken-out.h5")
    deleted = "conv3_block2_1_conv"
    # The classifier when there is one, else the last convolution.
    layer, weight, shape = ("predictions", "kernel", (2048, 999)) if name.endswith("_top") else ("conv5_block3_3_conv", "kernel", (1, 1, 512, 2047))
    label = f"binding {name} without {deleted}, {layer}/{weight} reshaped to {list(shape)}"
    try:
        shutil.copyfile(source, broken)
        with h5py.File(broken, "r+") as f:
            expected = list(f[layer][f"{layer}/{weight}"].shape)
            rewrite_string_list(f, "layer_names", [n for n in string_list_attr(f, "layer_names") if n != deleted])
            del f[deleted]
            del f[layer][f"{layer}/{weight}"]
            f[layer].create_dataset(f"{layer}/{weight}", data=np.zeros(shape, np.float32))
        got = zoo_json(report, zoo, f"{label}: summary", "summary", broken, "--json")
        if got is not None:
            binding = got.get("binding", {})
            want = {"missing": [f"{deleted}/kernel", f"{deleted}/bias"], "unexpected": [],
                    "mismatched": [{"name": f"{layer}/{weight}", "expected": expected, "found": list(shape)}]}
            got_problems = {key: binding.get(key) for key in want}
            report.check(f"{label}: summary lists exactly these problems", got_problems == want and binding.get("matched") == len(model.weights) - 3,
                         f"zoo {got_problems}, matched {binding.get('matched')}" if got_problems != want or binding.get("matched") != len(model.weights) - 3
                         else f"{binding.get('matched')} matched")
        # Renaming needs a complete binding: convert --naming must refuse, leaving nothing.
        proc, _ = run_zoo(zoo, "convert", broken, out, "--naming", "keras")
        errors = [l for l in proc.stderr.splitlines() if l.startswith("zoo: error:")]
        report.check(f"{label}: convert --naming keras fails with a 'zoo: error:', no output",
                     proc.returncode == 1 and bool(errors) and not os.path.exists(out) and not leftovers(out),
                     f"exit {proc.returncode}, stderr {proc.stderr.strip()[:300]!r}, output exists {os.path.exists(out)}")
        # A weights-only file that binds to no architecture has no config to give a full model.
        for index, layout in enumerate(sorted(NEEDS_CONFIG)):
            target = os.path.join(directory, "broken-out" + mm.LAYOUTS[layout])
            check_failed_convert(report, zoo, broken, target, layout)
            if index == 0:
                check_existing_output_kept(report, zoo, broken, target, layout)
    finally:
        cleanup(directory)


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def check_slice_output(report, label, out, sub, values, head=None):
    """Loads one `zoo slice` output with Keras and compares it with `sub`, the Keras cut of the original."""
    want_names = [l.name for l in sub.layers]
    if out.endswith(".model.h5") or out.endswith(".keras"):
        try:
            loaded = keras.models.load_model(out, compile=False)
        except Exception as error:  # noqa: BLE001
            report.check(f"{label}: keras.models.load_model", False, f"{type(error).__name__}: {str(error)[:300]}")
            return
        names = [l.name for l in loaded.layers]
        kept = names[:len(want_names)]
        report.check(f"{label}: load_model gives the cut's layer names", kept == want_names and len(names) == len(want_names) + (2 if head else 0),
                     f"{len(names)} layers" if kept == want_names else f"{len(names)} layers vs {len(want_names)}; first difference "
                     f"{next(((a, b) for a, b in zip(kept, want_names) if a != b), None)}")
        kept_weights = [v for v in loaded.weights if v.path in values]
        bad = [v.path for v in kept_weights if np.asarray(v.value).dtype != values[v.path].dtype or not np.array_equal(np.asarray(v.value), values[v.path])]
        want_paths = sorted(v.path for v in sub.weights)
        report.check(f"{label}: every kept weight bit-identical", not bad and sorted(v.path for v in kept_weights) == want_paths,
                     f"{len(kept_weights)} weights" if not bad and sorted(v.path for v in kept_weights) == want_paths
                     else f"{len(kept_weights)} of {len(want_paths)} kept weights found, {len(bad)} differ: {bad[:3]}")
        if head:
            classes, frozen_through = head
            dense = [l for l in loaded.layers[len(want_names):] if isinstance(l, keras.layers.Dense)]
            kernels = [tuple(l.kernel.shape) for l in dense]
            want_kernel = (sub.output.shape[-1], classes)
            report.check(f"{label}: head Dense kernel {want_kernel}", kernels == [want_kernel], f"head Dense kernels {kernels}")
            cut = want_names.index(frozen_through)
            trainable = [l.name for l in loaded.layers[:cut + 1] if l.trainable and not isinstance(l, keras.layers.InputLayer)]
            frozen_head = [l.name for l in loaded.layers[len(want_names):] if not l.trainable]
            report.check(f"{label}: layers through {frozen_through} trainable False, head trainable", not trainable and not frozen_head,
                         f"{cut} frozen" if not trainable and not frozen_head else f"trainable {trainable[:5]}, frozen head {frozen_head}")
            _, trainable_params, _ = param_split(loaded)
            want_trainable = sum(l.count_params() for l in dense)
            report.check(f"{label}: Keras counts only the head as trainable", trainable_params == want_trainable,
                         f"{trainable_params:,} trainable vs head {want_trainable:,}")
            output = loaded(np.zeros((1,) + tuple(sub.input.shape[1:]), np.float32))
            report.check(f"{label}: runs a forward pass to (1, {classes})", tuple(output.shape) == (1, classes), f"output {tuple(output.shape)}")
        del loaded
        gc.collect()
        return
    with h5py.File(out, "r") as f:
        names = string_list_attr(f, "layer_names")
    report.check(f"{label}: layer_names are the cut's layers", names == want_names,
                 f"{len(names)} layers" if names == want_names else f"{len(names)} vs {len(want_names)}")
    for variable in sub.weights:
        variable.assign(np.zeros(tuple(variable.shape), dtype=variable.dtype))
    try:
        sub.load_weights(out)
    except Exception as error:  # noqa: BLE001
        report.check(f"{label}: model.load_weights into the Keras cut", False, f"{type(error).__name__}: {str(error)[:300]}")
        return
    bad = [v.path for v in sub.weights if not np.array_equal(np.asarray(v.value), values[v.path])]
    report.check(f"{label}: model.load_weights into the Keras cut, every weight bit-identical", not bad,
                 f"{len(sub.weights)} weights" if not bad else f"{len(bad)} differ: {bad[:3]}")


def check_slices(report, zoo, workdir, name, model, originals):
    directory = zoo_workdir(workdir, name)
    source = os.path.join(workdir, mm.file_name(name, "keras-h5-weights"))
    values = by_path(model, originals)
    source_sha = sha256_of(source)
    arch = ARCH_OF[name]
    points = ["conv4_block6_out"] if arch == "resnet50" else ["block5_pool"] + (["fc2"] if name.endswith("_top") else [])
    try:
        for point in points:
            sub = keras.Model(model.input, model.get_layer(point).output)
            for suffix in (".h5", ".model.h5", ".keras"):
                out = os.path.join(directory, f"cut-{point}{suffix}")
                label = f"slice {os.path.basename(source)} --at {point} -> {suffix}"
                if not zoo_ok(report, label, zoo, "slice", source, out, "--at", point):
                    continue
                if suffix == ".h5":
                    with h5py.File(out, "r") as f:
                        record = json.loads(string_attr(f, "swiftzoo_provenance") or "{}")
                    ok = record.get("sourceSHA256") == source_sha and record.get("cutPoint") == point and record.get("parentArchitecture") == arch
                    report.check(f"{label}: provenance names the source's SHA-256 and the cut", ok, json.dumps(record)[:300])
                check_slice_output(report, label, out, sub, values)
                cleanup(out)
            del sub
        if arch == "resnet50":
            point = "conv4_block6_out"
            sub = keras.Model(model.input, model.get_layer(point).output)
            out = os.path.join(directory, "head.keras")
            label = f"slice {os.path.basename(source)} --at {point} --head-classes 5 --freeze-through {point} -> .keras"
            if zoo_ok(report, label, zoo, "slice", source, out, "--at", point, "--head-classes", "5", "--pooling", "avg",
                      "--freeze-through", point):
                check_slice_output(report, label, out, sub, values, head=(5, point))
            del sub
    finally:
        cleanup(directory)
        gc.collect()


def check_torchvision(report, zoo, workdir, name, model, originals):
    directory = zoo_workdir(workdir, name)
    source = os.path.join(workdir, mm.file_name(name, "keras-h5-weights"))
    tv = os.path.join(directory, "tv.h5")
    back = os.path.join(directory, "tv-back.h5")
    values = by_path(model, originals)
    top = name.endswith("_top")
    label = f"torchvision {name}"
    try:
        if not zoo_ok(report, f"{label}: convert {os.path.basename(source)} --naming torchvision", zoo, "convert", source, tv, "--naming", "torchvision"):
            return
        with h5py.File(tv, "r") as f:
            def stored(layer, weight):
                names = string_list_attr(f[layer], "weight_names") or []
                return f[layer][next(n for n in names if short_name(n) == weight)][()]
            conv = stored("features.0", "weight")
            want = values["block1_conv1/kernel"].transpose(3, 2, 0, 1)
            report.check(f"{label}: features.0/weight = block1_conv1 kernel transposed to (3, 2, 0, 1)",
                         conv.dtype == np.float32 and np.array_equal(conv, want), f"shape {conv.shape}")
            if top:
                dense = stored("classifier.0", "weight")
                kernel = values["fc1/kernel"]
                want = kernel.reshape(7, 7, 512, 4096).transpose(2, 0, 1, 3).reshape(25088, 4096).T
                report.check(f"{label}: classifier.0/weight = fc1 kernel with NCHW-ordered inputs, transposed",
                             dense.dtype == np.float32 and np.array_equal(dense, want), f"shape {dense.shape}")
        got = zoo_json(report, zoo, f"{label}: summary tv.h5", "summary", tv, "--json")
        if got is not None:
            binding = got.get("binding", {})
            ok = got.get("naming") == "torchvision" and got.get("architecture") == "vgg16" and binding.get("matched") == len(model.weights) \
                and not binding_problems(binding)
            report.check(f"{label}: summary tv.h5 says torchvision, vgg16, {len(model.weights)} matched, no problems", ok,
                         f"naming {got.get('naming')!r}, architecture {got.get('architecture')!r}, matched {binding.get('matched')}, "
                         f"problems {binding_problems(binding) or 'none'}")
        if zoo_ok(report, f"{label}: convert tv.h5 --naming keras", zoo, "convert", tv, back, "--naming", "keras"):
            load_and_compare(report, f"{label}: converted back to keras naming", back, "keras-h5-weights", model, originals, "keras-h5-weights")
    finally:
        cleanup(directory)


def check_model_zoo(report, zoo, workdir, name, model, originals):
    for layout in mm.LAYOUTS:
        check_summary(report, zoo, os.path.join(workdir, mm.file_name(name, layout)), layout, model, name)
    if ARCH_OF[name] == "resnet50":
        check_keras_v1(report, zoo, workdir, name, model, originals)
        check_binding_problems(report, zoo, workdir, name, model)
    else:
        check_torchvision(report, zoo, workdir, name, model, originals)
    check_slices(report, zoo, workdir, name, model, originals)


# ------------------------------------------------------------------------------------------


def main(argv=None):
    parser = argparse.ArgumentParser(description="Check zoo against Keras and h5py on ResNet50/VGG16 files.")
    parser.add_argument("--zoo", required=True, help="path to the zoo binary")
    parser.add_argument("--workdir", required=True, help="directory for the model files (kept between runs)")
    parser.add_argument("--quick", action="store_true", help="only " + " and ".join(QUICK))
    parser.add_argument("--only", action="append", metavar="NAME[,NAME...]", help="limit to these models")
    args = parser.parse_args(argv)

    zoo = os.path.abspath(args.zoo)
    if not os.access(zoo, os.X_OK):
        print(f"interop: error: --zoo {args.zoo} is not an executable file", file=sys.stderr)
        return 2
    names = mm.parse_only(args.only) if args.only else (QUICK if args.quick else list(mm.MODELS))
    workdir = os.path.abspath(args.workdir)
    os.makedirs(workdir, exist_ok=True)

    report = Report()
    started = time.monotonic()
    for name in names:
        model_start = time.monotonic()
        print(f"== {name}", flush=True)
        model = None
        try:
            model = mm.build_model(name)
            originals = mm.ensure(workdir, name, model=model)
            for layout in mm.LAYOUTS:
                check_inspect(report, zoo, os.path.join(workdir, mm.file_name(name, layout)), layout, model, name)
            check_converts(report, zoo, workdir, name, model, originals)
            check_model_zoo(report, zoo, workdir, name, model, originals)
        except Exception as error:  # noqa: BLE001
            traceback.print_exc()
            report.check(f"{name}: ran to the end", False, f"{type(error).__name__}: {error}")
        finally:
            del model
            originals = None
            gc.collect()
            keras.backend.clear_session()
        print(f"== {name}: {time.monotonic() - model_start:.0f} s", flush=True)

    print(f"interop: {len(names)} models in {time.monotonic() - started:.0f} s", flush=True)
    if report.failures:
        print("failed checks:")
        for label in report.failures:
            print(f"  {label}")
    print(f"{report.passed} passed, {report.failed} failed", flush=True)
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
