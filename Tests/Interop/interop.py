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
   model config, so those are converted only from .model.h5 and .keras sources; converting a
   legacy weights-only or Keras 3 weights file to them must fail with exit status 1, a
   `zoo: error:` line naming the output file, and no output (or temporary) file left behind.
   A Keras 3 .weights.h5 holds no layer order, so its legacy .h5 conversion is loaded by
   order first and, if that fails, with by_name=True.

Each check prints one PASS/FAIL line; the last line is `N passed, M failed`. The exit status is
1 when any check failed. Converted files go to DIR/converted/ and are deleted once checked.

Set ZOO_INTEROP_KEEP=1 to keep the converted files.
"""

import argparse
import gc
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

os.environ["KERAS_BACKEND"] = "jax"
os.environ["JAX_PLATFORMS"] = "cpu"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import h5py  # noqa: E402
import numpy as np  # noqa: E402

import keras  # noqa: E402

import make_models as mm  # noqa: E402

try:  # keep Keras's "HDF5 is legacy" warning out of the report
    import absl.logging

    absl.logging.set_verbosity(absl.logging.ERROR)
except ImportError:
    pass

QUICK = ["resnet50_notop", "vgg16_notop"]
FORMAT_OF_LAYOUT = {layout: layout for layout in mm.LAYOUTS}
# Short tags used in converted file names.
TAG = {"keras-h5-weights": "legacy", "keras-h5-model": "model", "keras3-weights": "k3", "keras-archive": "archive"}
NEEDS_CONFIG = {"keras-h5-model", "keras-archive"}
HAS_CONFIG = {"keras-h5-model", "keras-archive"}
SUM_RTOL = 1e-6


class Report:
    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.failures = []

    def check(self, label, ok, detail=""):
        if ok:
            self.passed += 1
            print(f"PASS  {label}" + (f" ({detail})" if detail else ""), flush=True)
        else:
            self.failed += 1
            self.failures.append(label)
            print(f"FAIL  {label}: {detail}", flush=True)
        return ok


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
    first_failure = True
    for source_layout in mm.LAYOUTS:
        source = os.path.join(workdir, mm.file_name(name, source_layout))
        for layout in mm.LAYOUTS:
            out = os.path.join(outdir, f"{name}.{TAG[source_layout]}-to-{TAG[layout]}{mm.LAYOUTS[layout]}")
            if layout in NEEDS_CONFIG and source_layout not in HAS_CONFIG:
                check_failed_convert(report, zoo, source, out, layout)
                if first_failure:
                    check_existing_output_kept(report, zoo, source, out, layout)
                    first_failure = False
                continue
            label = f"convert {os.path.basename(source)} -> {layout}" + (" (same layout)" if layout == source_layout else "")
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
