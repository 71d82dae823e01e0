#!/usr/bin/env python3
"""Check every keras.applications backbone zoo builds against Keras, variant by variant.

Usage:
    python Tests/Interop/applications_interop.py --zoo PATH_TO_ZOO [--workdir DIR] [--quick]
        [--only NAME[,NAME...]]

The architectures come from the binary: `zoo models --json` lists them ({"architectures":
[{"name": "resnet50", "keras_name": "ResNet50", "transfer_points": [...], ...}]}), and each one
is built in Keras with getattr(keras.applications, keras_name). An architecture Keras does not
have is skipped with a SKIP line. --only limits the run to some of zoo's names.

Variants (weights=None; --quick keeps the first two):

    top        include_top=True at Keras's default input
    notop      include_top=False, pooling=None
    avg        include_top=False, pooling="avg"
    max        include_top=False, pooling="max"
    classes10  include_top=True, classes=10
    input160   include_top=False, input_shape=(160, 160, 3)

The default input shape is the one Keras's top model has (model.input.shape); notop variants
are built with it explicitly (Keras would otherwise leave height and width as None).

For each architecture, once: the `zoo models` entry must agree with Keras (params_top,
params_notop, layers_top, input_shape) and its `preprocessing` mode, applied in numpy, must give
what the family's keras.applications.<module>.preprocess_input gives on seeded pixels.

For each variant:
  a. The Keras model is built after keras.utils.set_random_seed(7), and every weight, in
     model.weights order, is set to numpy.random.default_rng(7).standard_normal(shape, float32)
     * SCALE; BatchNormalization moving_variance and Normalization variance get abs(value) + 0.5 (make_models.py's scheme),
    Normalization's count 1000, and Normalization layers are finalized as loading a file does.
     SCALE starts at 0.05. The outputs of the checked layers, every transfer point and the
     layer under the final one must be finite and at most 1e4 in magnitude, and a softmax on
     top must not be saturated (max <= 0.99; past that the logits are so large that comparing
     probabilities means nothing: VGG16's top at 0.05 gives a one-hot softmax). If not, the
     weights are seeded again with SCALE / 2.5 (down to 0.002) and the report says so.
  b. The model is written as a legacy weights-only HDF5, NAME_weights_tf_dim_ordering_tf_kernels.h5
     (_notop.h5 without the top; legacy_h5_format.save_weights_to_hdf5_group, as make_models.py),
     and as a Keras 3 NAME.weights.h5 (model.save_weights), into WORKDIR/NAME/VARIANT/.
  c. `zoo summary FILE --arch NAME --json` on both files: architecture NAME, naming keras (keras3
     for .weights.h5), every weight matched with nothing missing, unexpected or mismatched;
     total/trainable/non-trainable params; and every layer's name, class, output shape,
     params, trainable, inputs and BatchNormalization epsilon, in model.layers order.
  d. The input: 2 images of seeded uniform pixels in [0, 255) (default_rng(2024)) through the
     family's preprocess_input, as float32 .npy. `zoo predict FILE --arch NAME --input x.npy
     --output y.npz --layer L ...` for the final layer and two intermediate layers (the zoo
     transfer points nearest a third and two thirds of the way through model.layers, else the
     layers there), against keras.Model(model.input, [those layers' outputs]).predict on the same
     input: max|zoo - keras| / max(max|keras|, 1e-6) <= 1e-4 per layer, per file.

include_top and classes are detected by zoo from the file. Pooling and the input size leave no
trace in a weights file, so zoo needs flags for them: the script looks for `--pooling` and
`--input-shape` in the help of `zoo summary` and `zoo predict` and, when both have the flag,
passes `--pooling avg|max` / `--input-shape H W C`. Without it the variant is NOT EXPRESSIBLE:
the files are still written and the binding is still checked (every weight must match), the
script prints what zoo built instead of Keras's model on a `NOT EXPRESSIBLE` line, and predict is
skipped. Such lines do not fail the run; they are listed again at the end with the missing flags.

Each check prints one PASS/FAIL line; the last line is `N passed, M failed`; the exit status is 1
when any check failed, 2 on bad arguments. One model is in memory at a time
(keras.backend.clear_session() after each variant), and each variant's files are deleted once
checked (ZOO_INTEROP_KEEP=1 keeps them). WORKDIR defaults to $TMPDIR/swiftzoo-applications.
"""

import argparse
import gc
import inspect
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

# make_models sets the Keras backend (jax, CPU) and quiets its logging before Keras is imported.
import make_models as mm  # noqa: E402
from interop import binding_problems, keras_layer_rows, layer_differences, param_split  # noqa: E402
from report import Report, run  # noqa: E402

import h5py  # noqa: E402
import numpy as np  # noqa: E402

import keras  # noqa: E402
from keras.src.legacy.saving import legacy_h5_format  # noqa: E402


SEED = mm.SEED
SCALES = [0.05, 0.02, 0.008, 0.002]  # each retry divides by 2.5
BLOW_UP = 1e4
SATURATED = 0.99
INPUT_SEED = 2024
BATCH = 2
TOLERANCE = 1e-4
PREPROCESS_TOLERANCE = 1e-6
CUSTOM_SIZE = 160
QUICK_ARCHITECTURES = 3

# name -> (Keras keyword arguments, description); the input shape is filled in per architecture.
VARIANTS = [
    ("top", {"include_top": True}, "include_top=True, default input"),
    ("notop", {"include_top": False, "pooling": None}, "include_top=False, pooling=None"),
    ("avg", {"include_top": False, "pooling": "avg"}, "include_top=False, pooling=avg"),
    ("max", {"include_top": False, "pooling": "max"}, "include_top=False, pooling=max"),
    ("classes10", {"include_top": True, "classes": 10}, "include_top=True, classes=10"),
    ("input160", {"include_top": False, "custom_input": True}, f"include_top=False, input {CUSTOM_SIZE}x{CUSTOM_SIZE}"),
]
QUICK_VARIANTS = 2

# zoo's preprocessing modes, as keras.applications.imagenet_utils computes them (pixels RGB 0..255).
IMAGENET_MEAN_BGR = np.array([103.939, 116.779, 123.68], np.float32)
TORCH_MEAN = np.array([0.485, 0.456, 0.406], np.float32)
TORCH_STD = np.array([0.229, 0.224, 0.225], np.float32)
PREPROCESSING = {
    "caffe": lambda x: x[..., ::-1] - IMAGENET_MEAN_BGR,
    "tf": lambda x: x / np.float32(127.5) - np.float32(1),
    "torch": lambda x: (x / np.float32(255) - TORCH_MEAN) / TORCH_STD,
    "none": lambda x: x,
}


def log(message):
    print(message, flush=True)


class Notes:
    """SKIP and NOT EXPRESSIBLE lines: printed like checks, counted apart, never failures."""

    def __init__(self):
        self.skipped = []
        self.inexpressible = []

    def skip(self, label, detail):
        self.skipped.append(f"{label}: {detail}")
        print(f"SKIP  {label}: {detail}", flush=True)

    def inexpressible_variant(self, label, detail):
        self.inexpressible.append(f"{label}: {detail}")
        print(f"NOT EXPRESSIBLE  {label}: {detail}", flush=True)


# ------------------------------------------------------------------------------------------
# Keras side


def family_module(keras_name):
    """(name, module) of the keras.applications submodule with the family's preprocess_input:
    the one named after the source file that defines the constructor (keras.src.applications.resnet
    for ResNet50), which also covers families whose public module exports no constructor
    (mobilenet_v3). (None, None) when there is none."""
    constructor = getattr(keras.applications, keras_name)
    module_name = getattr(inspect.unwrap(constructor), "__module__", "").rsplit(".", 1)[-1]
    module = getattr(keras.applications, module_name, None)
    if inspect.ismodule(module) and hasattr(module, "preprocess_input"):
        return module_name, module
    return None, None


def seeded_values(model, scale):
    """make_models.seeded_values with a chosen scale."""
    rng = np.random.default_rng(SEED)
    values = []
    for variable in model.weights:
        value = rng.standard_normal(tuple(variable.shape), dtype=np.float32)
        value *= np.float32(scale)
        if variable.path.endswith("variance"):  # BatchNormalization moving_variance, Normalization variance
            np.abs(value, out=value)
            value += np.float32(0.5)
        if variable.path.endswith("/count"):  # Normalization's sample count (an integer)
            value = np.asarray(1000, dtype=np.int64).reshape(tuple(variable.shape))
        values.append(value)
    return values


def seed(model, scale):
    for variable, value in zip(model.weights, seeded_values(model, scale)):
        variable.assign(value)
    # Normalization keeps a broadcast copy of mean/variance that assigning the variables does
    # not refresh (loading a file does, through finalize_state): refresh it the same way.
    for layer in model.layers:
        if isinstance(layer, keras.layers.Normalization) and hasattr(layer, "finalize_state"):
            layer.finalize_state()


def build(constructor, kwargs):
    keras.backend.clear_session()
    gc.collect()
    keras.utils.set_random_seed(SEED)
    return constructor(weights=None, **kwargs)


def pixels(shape):
    rng = np.random.default_rng(INPUT_SEED)
    return rng.uniform(0.0, 255.0, size=shape).astype(np.float32)


def keras_outputs(model, layers, x):
    probe = keras.Model(model.input, [model.get_layer(name).output for name in layers])
    outputs = probe.predict(x, batch_size=len(x), verbose=0)
    if not isinstance(outputs, (list, tuple)):
        outputs = [outputs]
    result = {name: np.asarray(out) for name, out in zip(layers, outputs)}
    del probe
    return result


def watched_layers(model, layers, transfer_points):
    """The checked layers plus every transfer point in the model and the layer under the last
    one: what must stay finite and moderate (a checked layer can look fine while the deeper
    layers in between, which feed the classifier, blow up)."""
    names = [layer.name for layer in model.layers]
    extra = [p for p in transfer_points if p in names] + ([names[-2]] if len(names) > 2 else [])
    return layers + [n for n in dict.fromkeys(extra) if n not in layers and n != names[0]]


def is_softmax(layer):
    activation = getattr(layer, "activation", None)
    return activation is keras.activations.softmax or getattr(activation, "__name__", "") == "softmax"


def sane(model, outputs):
    """None when every output is finite and at most BLOW_UP in magnitude and a softmax on top is
    not saturated (max below SATURATED: logits so large that the comparison means nothing),
    else what is wrong."""
    for name, out in outputs.items():
        if not np.all(np.isfinite(out)):
            return f"{name} is not finite"
        peak = float(np.max(np.abs(out))) if out.size else 0.0
        if peak > BLOW_UP:
            return f"max|{name}| = {peak:.3g}"
        if is_softmax(model.get_layer(name)) and peak > SATURATED:
            return f"{name} softmax saturated (max {peak:.4g})"
    return None


def pick_layers(model, transfer_points):
    """The final layer and two intermediate ones: the transfer points nearest 1/3 and 2/3 of
    model.layers, else the layers at those positions."""
    names = [layer.name for layer in model.layers]
    final = names[-1]
    index = {name: i for i, name in enumerate(names)}
    candidates = [p for p in transfer_points if p in index and p != final]
    chosen = []
    for fraction in (1 / 3, 2 / 3):
        target = fraction * (len(names) - 1)
        pool = [p for p in candidates if p not in chosen]
        if pool:
            chosen.append(min(pool, key=lambda p: (abs(index[p] - target), index[p])))
    if len(chosen) < 2:
        for fraction in (1 / 3, 2 / 3):
            name = names[max(1, min(len(names) - 2, round(fraction * (len(names) - 1))))]
            if name not in chosen and len(chosen) < 2 and name != final:
                chosen.append(name)
    chosen.sort(key=lambda p: index[p])
    return chosen + [final]


# ------------------------------------------------------------------------------------------
# zoo side


def zoo_json(report, label, args):
    ok, seconds, stdout, message = run(args)
    if not ok:
        report.check(f"{label}: exit 0", False, f"{message}; command: {shlex.join(args)}")
        return None, seconds
    try:
        return json.loads(stdout), seconds
    except ValueError as error:
        report.check(f"{label}: JSON parses", False, f"{error}; command: {shlex.join(args)}")
        return None, seconds


def help_flags(zoo, command):
    done = subprocess.run([zoo, command, "--help"], capture_output=True, text=True, timeout=60)
    return done.stdout + done.stderr


def variant_flags(capabilities, kwargs, input_shape, default_shape):
    """(zoo flags for the variant, missing flags) — options zoo cannot detect from a weights file."""
    flags, missing = [], []
    pooling = kwargs.get("pooling")
    if pooling:
        if capabilities["--pooling"]:
            flags += ["--pooling", pooling]
        else:
            missing.append(f"--pooling {pooling}")
    if list(input_shape) != list(default_shape):
        if capabilities["--input-shape"]:
            flags += ["--input-shape"] + [str(v) for v in input_shape]
        else:
            missing.append("--input-shape " + " ".join(str(v) for v in input_shape))
    return flags, missing


def what_zoo_built(got, want_rows):
    layers = got.get("layers", [])
    last = layers[-1] if layers else {}
    want = want_rows[-1]
    return (f"zoo built {len(layers)} layers ending {last.get('name')} {tuple(last.get('output_shape') or ())}, "
            f"Keras has {len(want_rows)} ending {want['name']} {tuple(want['output_shape'])}")


# ------------------------------------------------------------------------------------------
# Checks


def check_models_entry(report, entry, constructor, module_name, module):
    """The `zoo models` entry against Keras's default top and notop models and preprocess_input."""
    name = entry["name"]
    top = build(constructor, {"include_top": True})
    if None in top.input.shape[1:]:
        # MobileNetV3 leaves the input size open (input_shape=None gives (None, None, 3)) and
        # documents 224x224 as the default its weights were trained at.
        top = build(constructor, {"include_top": True, "input_shape": (224, 224, 3)})
    default_shape = [int(v) for v in top.input.shape[1:]]
    top_params, top_layers = top.count_params(), len(top.layers)
    del top
    notop = build(constructor, {"include_top": False, "input_shape": tuple(default_shape)})
    notop_params = notop.count_params()
    del notop
    keras.backend.clear_session()
    got = (entry.get("params_top"), entry.get("params_notop"), entry.get("layers_top"), entry.get("input_shape"))
    want = (top_params, notop_params, top_layers, default_shape)
    report.check(f"{name}: zoo models params_top/params_notop/layers_top/input_shape = Keras", got == want,
                 f"zoo {got} vs Keras {want}")
    mode = entry.get("preprocessing")
    if module is None:
        report.check(f"{name}: zoo models preprocessing {mode!r} = Keras", False,
                     f"no keras.applications submodule with {entry['keras_name']} and preprocess_input")
        return default_shape
    raw = pixels((BATCH, 8, 8, 3))
    want_x = np.asarray(module.preprocess_input(raw.copy()), np.float32)
    if mode not in PREPROCESSING:
        report.check(f"{name}: zoo models preprocessing {mode!r} = keras.applications.{module_name}.preprocess_input", False,
                     f"unknown mode {mode!r}; zoo knows {sorted(PREPROCESSING)}")
        return default_shape
    got_x = PREPROCESSING[mode](raw.copy())
    diff = float(np.max(np.abs(got_x - want_x))) / max(float(np.max(np.abs(want_x))), 1e-6)
    report.check(f"{name}: zoo models preprocessing {mode!r} = keras.applications.{module_name}.preprocess_input",
                 diff <= PREPROCESS_TOLERANCE, f"rel {diff:.2e}")
    return default_shape


def check_summary(report, label, zoo, path, name, naming, flags, model, missing, notes):
    args = [zoo, "summary", path, "--arch", name, "--json"] + flags
    got, seconds = zoo_json(report, label, args)
    if got is None:
        return
    binding = got.get("binding", {})
    weights = len(model.weights)
    ok = (got.get("architecture") == name and got.get("naming") == naming and binding.get("matched") == weights
          and not binding_problems(binding))
    report.check(f"{label}: architecture {name}, naming {naming}, {weights} weights matched, no binding problems", ok,
                 f"{seconds:.1f} s" if ok else
                 f"architecture {got.get('architecture')!r}, naming {got.get('naming')!r}, matched {binding.get('matched')}, "
                 f"problems {binding_problems(binding) or 'none'}; command: {shlex.join(args)}")
    want_rows = keras_layer_rows(model)
    # Op nodes (MobileNetV3's `x + 3.0`) are graph nodes but not Keras layers.
    problems = layer_differences([l for l in got.get("layers", []) if not l.get("operation")], want_rows)
    total, trainable, frozen = param_split(model)
    got_split = (got.get("total_params"), got.get("trainable_params"), got.get("non_trainable_params"))
    if missing:
        same = not problems and got_split == (total, trainable, frozen)
        notes.inexpressible_variant(f"{label}: layers", f"zoo has no {', '.join(missing)}; " +
                                    ("yet zoo's model equals Keras's" if same else what_zoo_built(got, want_rows)))
        return
    report.check(f"{label}: total/trainable/non-trainable params = Keras", got_split == (total, trainable, frozen),
                 f"zoo {got_split} vs Keras {(total, trainable, frozen)}")
    report.check(f"{label}: layers = Keras (name, class, output shape, params, trainable, inputs, BN epsilon), in order", not problems,
                 f"{len(want_rows)} layers" if not problems else f"{len(problems)} differences, first {problems[:3]}")


def check_predict(report, label, zoo, path, name, flags, input_path, reference, scratch):
    output = os.path.join(scratch, "zoo-out.npz")
    if os.path.exists(output):
        os.remove(output)
    args = [zoo, "predict", path, "--arch", name, "--input", input_path, "--output", output] + flags
    for layer in reference:
        args += ["--layer", layer]
    ok, seconds, _, message = run(args)
    if not ok or not os.path.exists(output):
        for layer in reference:
            report.check(f"{label}: predict {layer}", False, f"{message or 'no output file'}; command: {shlex.join(args)}")
        return
    with np.load(output) as data:
        got = {key: np.asarray(data[key]) for key in data.files}
    os.remove(output)
    for layer, expected in reference.items():
        tag = f"{label}: predict {layer}"
        if layer not in got:
            report.check(tag, False, f"no array '{layer}' in the output (keys {sorted(got)}); command: {shlex.join(args)}")
            continue
        actual = got[layer]
        if actual.shape != expected.shape:
            report.check(tag, False, f"shape {actual.shape}, Keras {expected.shape}; command: {shlex.join(args)}")
            continue
        peak = float(np.max(np.abs(expected))) if expected.size else 0.0
        diff = float(np.max(np.abs(actual.astype(np.float64) - expected.astype(np.float64)))) if expected.size else 0.0
        ratio = diff / max(peak, 1e-6)
        detail = f"max|diff|/max|keras| {ratio:.3e}, max|keras| {peak:.4g}, {seconds:.1f} s for the call"
        report.check(tag, ratio <= TOLERANCE, detail if ratio <= TOLERANCE else f"{detail}; command: {shlex.join(args)}")


def file_names(entry, include_top):
    base = entry["name"] + "_weights_tf_dim_ordering_tf_kernels" + ("" if include_top else "_notop")
    return base + ".h5", entry["name"] + ".weights.h5"


def check_variant(report, notes, zoo, entry, constructor, module, variant, default_shape, capabilities, workdir):
    tag, spec, description = variant
    name = entry["name"]
    label = f"{name} [{tag}]"
    kwargs = {k: v for k, v in spec.items() if k != "custom_input"}
    input_shape = [CUSTOM_SIZE, CUSTOM_SIZE, default_shape[2]] if spec.get("custom_input") else list(default_shape)
    kwargs["input_shape"] = tuple(input_shape)
    flags, missing = variant_flags(capabilities, kwargs, input_shape, default_shape)
    scratch = os.path.join(workdir, name, tag)
    shutil.rmtree(scratch, ignore_errors=True)
    os.makedirs(scratch)
    model = None
    start = time.monotonic()
    try:
        try:
            model = build(constructor, kwargs)
        except Exception as error:  # noqa: BLE001 - a variant the family does not allow
            notes.skip(label, f"Keras refuses {description}: {type(error).__name__}: {str(error)[:200]}")
            return
        log(f"-- {label}: {description}, input {tuple(input_shape)}, {model.count_params():,} params, {len(model.layers)} layers")
        layers = pick_layers(model, entry.get("transfer_points") or [])
        x = np.asarray(module.preprocess_input(pixels((BATCH, *input_shape))), np.float32) if module else pixels((BATCH, *input_shape))
        watched = watched_layers(model, layers, entry.get("transfer_points") or [])
        outputs, scale, trouble, problem = None, None, [], None
        for scale in SCALES:
            seed(model, scale)
            outputs = keras_outputs(model, watched, x)
            problem = sane(model, outputs)
            if problem is None:
                break
            trouble.append(f"{scale:g}: {problem}")
        if trouble:
            log(f"{label}: seed scale {scale:g} ({'; '.join(f'scale {t}' for t in trouble)})")
        reference = {name: outputs[name] for name in layers}
        report.check(f"{label}: Keras outputs of {len(watched)} layers finite, at most {BLOW_UP:g}, softmax not saturated, "
                     f"at seed scale {scale:g}", problem is None,
                     (problem + "; " if problem else "") + ", ".join(f"max|{k}| {float(np.max(np.abs(v))):.3g}" for k, v in outputs.items()))
        del outputs
        legacy, keras3 = (os.path.join(scratch, f) for f in file_names(entry, kwargs["include_top"]))
        with h5py.File(legacy, "w") as f:
            legacy_h5_format.save_weights_to_hdf5_group(f, model)
        model.save_weights(keras3)
        input_path = os.path.join(scratch, "x.npy")
        np.save(input_path, x)
        log(f"{label}: wrote {os.path.basename(legacy)} ({os.path.getsize(legacy) / 1e6:.1f} MB) and {os.path.basename(keras3)}; "
            f"checking layers {', '.join(layers)}")
        for path, naming in ((legacy, "keras"), (keras3, "keras3")):
            file_label = f"{label} {os.path.basename(path)}"
            check_summary(report, f"{file_label} summary", zoo, path, name, naming, flags, model, missing, notes)
            if missing:
                notes.inexpressible_variant(f"{file_label} predict", f"skipped: zoo has no {', '.join(missing)}")
                continue
            check_predict(report, file_label, zoo, path, name, flags, input_path, reference, scratch)
    finally:
        del model
        gc.collect()
        keras.backend.clear_session()
        if os.environ.get("ZOO_INTEROP_KEEP") != "1":
            shutil.rmtree(scratch, ignore_errors=True)
        log(f"-- {label}: {time.monotonic() - start:.0f} s")


def check_imagenet_efficientnet(report, zoo, workdir):
    """EfficientNetB0 as `weights="imagenet"` builds it: Keras adds Rescaling(1/sqrt(std)) after
    the Normalization and loads the published file. No file can be downloaded here, so the
    seeded weights=None model gets ImageNet's Normalization statistics (mean [0.485, 0.456,
    0.406], variance std^2) and is saved as the published file's layout (legacy weights .h5);
    Keras's own `EfficientNetB0(weights="imagenet")`, its download pointed at that file, is the
    reference. zoo must detect the statistics, add `rescaling_1` and predict what Keras does."""
    import keras.src.applications.efficientnet as efficientnet
    label = "efficientnetb0 [imagenet statistics]"
    scratch = os.path.join(workdir, "efficientnetb0", "imagenet")
    os.makedirs(scratch, exist_ok=True)
    model = build(keras.applications.EfficientNetB0, {"include_top": True})
    seed(model, 0.02)
    norm = model.get_layer("normalization")
    mean, variance = norm.weights[0], norm.weights[1]  # adapt_mean, adapt_variance
    mean.assign(np.array([0.485, 0.456, 0.406], np.float32).reshape(tuple(mean.shape)))
    variance.assign((np.array(efficientnet.IMAGENET_STDDEV_RGB, np.float32) ** 2).reshape(tuple(variance.shape)))
    norm.finalize_state()
    path = os.path.join(scratch, "efficientnetb0.h5")
    with h5py.File(path, "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, model)
    saved = efficientnet.file_utils.get_file
    efficientnet.file_utils.get_file = lambda *args, **kwargs: path
    try:
        keras.backend.clear_session()
        reference_model = keras.applications.EfficientNetB0(weights="imagenet")
    finally:
        efficientnet.file_utils.get_file = saved
    x = pixels((BATCH, 224, 224, 3))
    input_path = os.path.join(scratch, "x.npy")
    np.save(input_path, x)
    reference = keras_outputs(reference_model, ["predictions", "stem_activation"], x)
    got, _ = zoo_json(report, label, [zoo, "summary", path, "--json"])
    if got is not None:
        names = [layer.get("name") for layer in got.get("layers", [])]
        report.check(f"{label}: zoo summary detects efficientnetb0 with rescaling_1 after normalization",
                     got.get("architecture") == "efficientnetb0" and names[:4] == ["input_layer", "rescaling", "normalization", "rescaling_1"],
                     f"architecture {got.get('architecture')}, first layers {names[:4]}")
    check_predict(report, label, zoo, path, "efficientnetb0", [], input_path, reference, scratch)
    if not os.environ.get("ZOO_INTEROP_KEEP"):
        shutil.rmtree(scratch, ignore_errors=True)
    del model, reference_model
    keras.backend.clear_session()


def quick_selection(entries):
    """The smallest architecture (params with the top) of each family, the smallest families first.
    The family is the preprocess_input module without a trailing size (vgg16 and vgg19: vgg;
    mobilenet_v2 stays mobilenet_v2)."""
    smallest = {}
    for entry in entries:
        family = re.sub(r"(?<!_v)\d+$", "", family_module(entry["keras_name"])[0] or entry["name"])
        if family not in smallest or entry.get("params_top", 0) < smallest[family].get("params_top", 0):
            smallest[family] = entry
    chosen = sorted(smallest.values(), key=lambda e: e.get("params_top", 0))[:QUICK_ARCHITECTURES]
    return [e for e in entries if e in chosen]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--zoo", required=True, help="path to the zoo executable")
    parser.add_argument("--workdir", help="scratch directory (default: $TMPDIR/swiftzoo-applications)")
    parser.add_argument("--quick", action="store_true",
                        help=f"the smallest architecture of up to {QUICK_ARCHITECTURES} families, first {QUICK_VARIANTS} variants")
    parser.add_argument("--only", action="append", metavar="NAME[,NAME...]", help="limit to these zoo architectures")
    args = parser.parse_args(argv)

    zoo = os.path.abspath(args.zoo)
    if not os.access(zoo, os.X_OK):
        print(f"applications_interop: error: --zoo {args.zoo} is not an executable file", file=sys.stderr)
        return 2
    workdir = os.path.abspath(args.workdir or os.path.join(tempfile.gettempdir(), "swiftzoo-applications"))
    os.makedirs(workdir, exist_ok=True)

    ok, _, stdout, message = run([zoo, "models", "--json"])
    if not ok:
        print(f"applications_interop: error: zoo models --json failed: {message}", file=sys.stderr)
        return 2
    entries = json.loads(stdout)["architectures"]
    known = [e["name"] for e in entries]
    only = [n for value in args.only or [] for n in value.split(",") if n]
    unknown = [n for n in only if n not in known]
    if unknown:
        print(f"applications_interop: error: unknown architecture(s) {unknown}; zoo models lists {known}", file=sys.stderr)
        return 2
    if only:
        entries = [e for e in entries if e["name"] in only]
    elif args.quick:
        entries = quick_selection([e for e in entries if hasattr(keras.applications, e["keras_name"])])
    variants = VARIANTS[:QUICK_VARIANTS] if args.quick else VARIANTS
    capabilities = {}
    helps = [help_flags(zoo, "summary"), help_flags(zoo, "predict")]
    for flag in ("--pooling", "--input-shape"):
        capabilities[flag] = all(flag in text for text in helps)
    log(f"zoo models lists {', '.join(known)}; checking {', '.join(e['name'] for e in entries)} "
        f"({len(variants)} variants each: {', '.join(v[0] for v in variants)})")
    log("zoo summary/predict flags for variants: " + ", ".join(f"{k} {'yes' if v else 'missing'}" for k, v in capabilities.items()))
    log(f"Keras {keras.__version__}, seed {SEED}, scales {SCALES}, input seed {INPUT_SEED}, workdir {workdir}")

    report = Report()
    notes = Notes()
    timings = []
    started = time.monotonic()
    for entry in entries:
        name = entry["name"]
        constructor = getattr(keras.applications, entry["keras_name"], None)
        if constructor is None:
            notes.skip(name, f"keras.applications has no {entry['keras_name']} (Keras {keras.__version__})")
            continue
        arch_start = time.monotonic()
        log(f"== {name} ({entry['keras_name']})")
        try:
            module_name, module = family_module(entry["keras_name"])
            default_shape = check_models_entry(report, entry, constructor, module_name, module)
            for variant in variants:
                try:
                    check_variant(report, notes, zoo, entry, constructor, module, variant, default_shape, capabilities, workdir)
                except Exception as error:  # noqa: BLE001
                    traceback.print_exc()
                    report.check(f"{name} [{variant[0]}]: ran to the end", False, f"{type(error).__name__}: {error}")
        except Exception as error:  # noqa: BLE001
            traceback.print_exc()
            report.check(f"{name}: ran to the end", False, f"{type(error).__name__}: {error}")
        seconds = time.monotonic() - arch_start
        timings.append((name, seconds))
        log(f"== {name}: {seconds:.0f} s")

    if any(entry["name"] == "efficientnetb0" for entry in entries) or (args.quick and "efficientnetb0" in known):
        try:
            check_imagenet_efficientnet(report, zoo, workdir)
        except Exception as error:  # noqa: BLE001
            traceback.print_exc()
            report.check("efficientnetb0 [imagenet statistics]: ran to the end", False, f"{type(error).__name__}: {error}")

    log(f"applications_interop: {len(timings)} architectures in {time.monotonic() - started:.0f} s "
        f"({', '.join(f'{n} {s:.0f} s' for n, s in timings)})")
    if notes.skipped:
        log("skipped:")
        for line in notes.skipped:
            log(f"  {line}")
    if notes.inexpressible:
        missing = sorted(flag for flag, present in capabilities.items() if not present)
        log(f"not expressible with this zoo (missing flags: {', '.join(missing) or 'none'}):")
        for line in notes.inexpressible:
            log(f"  {line}")
    return report.finish(log)


if __name__ == "__main__":
    sys.exit(main())
