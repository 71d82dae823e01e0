#!/usr/bin/env python3
"""Check Keras op nodes and tf-keras's MobileNetV3 files against real Keras, both eras.

Usage:
    python Tests/Interop/opnode_interop.py --zoo PATH_TO_ZOO --tf-python PATH [--workdir DIR]

Keras 3 records `x + 3.0` in a functional model as an op node (`keras.src.ops.numpy`), its
legacy `.h5` writer drops the node's `module`, and tf-keras records it as a `TFOpLambda`
layer; tf-keras also names MobileNetV3's layers with `/` (`expanded_conv/depthwise`), which
Keras 3 refuses. For MobileNetV3Small (hard swish and squeeze-and-excitation, so every op
node kind) and MobileNetV3Large minimalistic, at 96x96 with seeded weights
(default_rng(7).standard_normal * 0.05, moving variances abs + 0.5), on two seeded images
(default_rng(2024) uniform [0, 255), through the model's own Rescaling):

  Keras 3 side (this interpreter, jax backend):
    a. `zoo predict` on NAME.keras, on the legacy NAME.h5 (which Keras 3 itself cannot load
       back: "Only input tensors may be passed as positional arguments") and on
       NAME.weights.h5 (the builder, detected) = Keras's predictions.
  tf-keras side (--tf-python, a subprocess running this file with --tf-side):
    b. `zoo predict` on tf-keras's full NAME.h5 (TFOpLambda, '/' names) and on its
       weights-only file (builder, keras-v1 naming detected) = tf-keras's predictions, for the
       output and `conv_1_bn` / `Conv_1/BatchNorm` (an intermediate layer).
  Conversions, loaded by the other Keras:
    c. tf-keras NAME.h5 -> `zoo convert` -> .keras loads in Keras 3 (op nodes, `_` names)
       with tf-keras's predictions.
    d. tf-keras NAME.h5 -> .zoo -> .model.h5 loads in tf-keras with its predictions.
    e. Keras 3 NAME.keras -> .weights.h5 loads into keras.applications' model (load_weights).

Each check prints one PASS/FAIL line (rel = max|zoo - keras| / max|keras| <= 1e-4); the last
line is `N passed, M failed`, exit status 1 when any failed.
"""

import json
import os
import shutil
import sys

SEED = 7
INPUT_SEED = 2024
SCALE = 0.05
SIZE = 96
TOLERANCE = 1e-4
MODELS = [("MobileNetV3Small", False), ("MobileNetV3Large", True)]
# A functional model written with Python operators: every op node kind, in both Keras eras.
CUSTOM = "Custom"


def custom_model(keras):
    """`a + b`, `a * pooled(b)` (broadcast), `c - d`, `2.0 - e` (number first), `f / 4.0`."""
    inp = keras.Input((8, 8, 3))
    a = keras.layers.Conv2D(4, 3, padding="same", name="a")(inp)
    b = keras.layers.Conv2D(4, 3, padding="same", name="b")(inp)
    g = keras.layers.GlobalAveragePooling2D(keepdims=True, name="g")(b)
    h = (2.0 - ((a + b) - a * g)) / 4.0
    out = keras.layers.Dense(3, name="out")(keras.layers.Flatten(name="flat")(h))
    return keras.Model(inp, out)
# The intermediate layer checked, in each era's names.
MIDDLE = {"keras3": "conv_1_bn", "tf": "Conv_1/BatchNorm"}


def seed(model, variance_name):
    import numpy as np
    rng = np.random.default_rng(SEED)
    for w in model.weights:
        v = rng.standard_normal(tuple(w.shape)).astype("float32") * SCALE
        if variance_name(w).find("moving_variance") >= 0:
            v = np.abs(v) + 0.5
        w.assign(v)


def tf_side(work):
    """Runs under tf-keras: writes each model's files and references, then loads zoo's outputs."""
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    import numpy as np
    import tf_keras as keras
    x = np.load(os.path.join(work, "x.npy"))
    results = {}
    for name, minimal in MODELS:
        tag = f"tf_{name}{int(minimal)}"
        model = getattr(keras.applications, name)(weights=None, input_shape=(SIZE, SIZE, 3), minimalistic=minimal)
        seed(model, lambda w: w.name)
        probe = keras.Model(model.input, [model.output, model.get_layer(MIDDLE["tf"]).output])
        y, middle = probe.predict(x, verbose=0)
        np.save(os.path.join(work, f"{tag}_y.npy"), y)
        np.save(os.path.join(work, f"{tag}_middle.npy"), middle)
        model.save(os.path.join(work, f"{tag}.h5"))
        model.save_weights(os.path.join(work, f"{tag}_weights.h5"))
        results[tag] = {"op_lambdas": sum(type(l).__name__ == "TFOpLambda" for l in model.layers)}
        keras.backend.clear_session()
    custom = custom_model(keras)
    seed(custom, lambda w: w.name)
    np.save(os.path.join(work, f"tf_{CUSTOM}_y.npy"), custom.predict(x[:, :8, :8, :] / 255.0, verbose=0))
    custom.save(os.path.join(work, f"tf_{CUSTOM}.h5"))
    results[f"tf_{CUSTOM}"] = {"op_lambdas": sum(type(l).__name__ == "TFOpLambda" for l in custom.layers)}
    # Files zoo wrote for tf-keras (check d), if any.
    for tag in list(results):
        path = os.path.join(work, f"{tag}.from_zoo.model.h5")
        if os.path.exists(path):
            try:
                y = keras.models.load_model(path).predict(x[:, :8, :8, :] / 255.0 if tag == f"tf_{CUSTOM}" else x, verbose=0)
                np.save(os.path.join(work, f"{tag}.from_zoo_y.npy"), y)
            except Exception as error:  # noqa: BLE001 (reported as a failed check)
                results[tag]["load_error"] = repr(error)[:400]
    with open(os.path.join(work, "tf_side.json"), "w") as f:
        json.dump(results, f)


def main(argv=None):
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from report import two_era_arguments
    args = two_era_arguments(__doc__, argv, tf_side)
    if args is None:
        return 0

    import make_models  # noqa: F401  (sets the jax CPU backend and quiets logging)
    from report import Report, relative_error, run, scratch_folder
    import numpy as np
    import keras

    report = Report()
    work = scratch_folder(args, "opnode-")
    x = np.random.default_rng(INPUT_SEED).uniform(0, 255, (2, SIZE, SIZE, 3)).astype("float32")
    x_path = os.path.join(work, "x.npy")
    np.save(x_path, x)
    zoo = os.path.abspath(args.zoo)

    def predict(label, path, want, layers=(), extra=()):
        out = os.path.join(work, "y.npz")
        cmd = [zoo, "predict", path, "--input", x_path, "--output", out] + list(extra)
        for layer, _ in layers:
            cmd += ["--layer", layer]
        ok, _, _, message = run(cmd)
        if not report.check(f"{label}: zoo predict", ok, message):
            return
        got = np.load(out)
        outputs = [(key, ref) for key, ref in layers] if layers else [(list(got.keys())[0], want)]
        for key, ref in outputs:
            if key not in got:
                report.check(f"{label}: {key}", False, f"zoo wrote {sorted(got.keys())}")
                continue
            err = relative_error(got[key], ref)
            report.check(f"{label}: {key} = Keras", err <= TOLERANCE, f"rel {err:.2e}")

    # --- Keras 3 files --------------------------------------------------------------------
    keras3_refs = {}
    for name, minimal in MODELS:
        tag = f"k3_{name}{int(minimal)}"
        keras.utils.set_random_seed(SEED)
        model = getattr(keras.applications, name)(weights=None, input_shape=(SIZE, SIZE, 3), minimalistic=minimal)
        seed(model, lambda w: w.path)
        probe = keras.Model(model.input, [model.output, model.get_layer(MIDDLE["keras3"]).output])
        y, middle = probe.predict(x, verbose=0)
        keras3_refs[tag] = y
        ops = sum(1 for entry in json.loads(model.to_json())["config"]["layers"] if str(entry.get("module", "")).startswith("keras.src.ops"))
        for suffix in (".keras", ".h5", ".weights.h5"):
            path = os.path.join(work, tag + suffix)
            model.save_weights(path) if suffix == ".weights.h5" else model.save(path)
        label = f"{name}{' minimalistic' if minimal else ''} ({ops} op nodes)"
        predict(f"{label} .keras", os.path.join(work, tag + ".keras"), y, [("predictions", y), (MIDDLE["keras3"], middle)])
        predict(f"{label} Keras 3 legacy .h5", os.path.join(work, tag + ".h5"), y, [("predictions", y), (MIDDLE["keras3"], middle)])
        predict(f"{label} .weights.h5 (builder)", os.path.join(work, tag + ".weights.h5"), y,
                [("predictions", y), (MIDDLE["keras3"], middle)], extra=["--input-shape", str(SIZE), str(SIZE), "3"])
        # e. Keras 3 .keras -> zoo .weights.h5 -> keras.applications' load_weights.
        out = os.path.join(work, tag + ".from_zoo.weights.h5")
        ok, _, _, message = run([zoo, "convert", os.path.join(work, tag + ".keras"), out])
        if report.check(f"{label}: zoo convert .keras -> .weights.h5", ok, message):
            fresh = getattr(keras.applications, name)(weights=None, input_shape=(SIZE, SIZE, 3), minimalistic=minimal)
            fresh.load_weights(out)
            err = relative_error(fresh.predict(x, verbose=0), y)
            report.check(f"{label}: zoo's .weights.h5 in Keras 3 load_weights = Keras", err <= TOLERANCE, f"rel {err:.2e}")
        keras.backend.clear_session()

    # The operator model: .keras and legacy .h5, and zoo's .model.h5 (tf-keras flavor, checked
    # by tf-keras below) from its .zoo.
    small_x = x[:, :8, :8, :] / 255.0
    small_path = os.path.join(work, "x_small.npy")
    np.save(small_path, small_x)
    keras.utils.set_random_seed(SEED)
    custom = custom_model(keras)
    seed(custom, lambda w: w.path)
    y = custom.predict(small_x, verbose=0)
    ops = sum(1 for entry in json.loads(custom.to_json())["config"]["layers"] if str(entry.get("module", "")).startswith("keras.src.ops"))
    for suffix in (".keras", ".h5"):
        custom.save(os.path.join(work, f"k3_{CUSTOM}{suffix}"))
    for suffix in (".keras", ".h5"):
        out = os.path.join(work, "y_custom.npz")
        ok, _, _, message = run([zoo, "predict", os.path.join(work, f"k3_{CUSTOM}{suffix}"), "--input", small_path, "--output", out])
        if report.check(f"operator model ({ops} op nodes) {suffix}: zoo predict", ok, message):
            err = relative_error(np.load(out)["out"], y)
            report.check(f"operator model ({ops} op nodes) {suffix}: out = Keras", err <= TOLERANCE, f"rel {err:.2e}")
    keras.backend.clear_session()

    def convert_tf_file(label, tag, x_in, y):
        """c. tf-keras .h5 -> .keras, loaded by Keras 3; d. -> .zoo -> .model.h5 (tf-keras loads it later)."""
        out = os.path.join(work, tag + ".from_zoo.keras")
        ok, _, _, message = run([zoo, "convert", os.path.join(work, tag + ".h5"), out])
        if report.check(f"{label}: zoo convert .h5 -> .keras", ok, message):
            try:
                err = relative_error(keras.models.load_model(out).predict(x_in, verbose=0), y)
                report.check(f"{label}: zoo's .keras in Keras 3 = tf-keras", err <= TOLERANCE, f"rel {err:.2e}")
            except Exception as error:  # noqa: BLE001
                report.check(f"{label}: zoo's .keras in Keras 3", False, repr(error)[:300])
            keras.backend.clear_session()
        zoo_file = os.path.join(work, tag + ".zoo")
        ok1, _, _, m1 = run([zoo, "convert", os.path.join(work, tag + ".h5"), zoo_file])
        ok2, _, _, m2 = run([zoo, "convert", zoo_file, os.path.join(work, tag + ".from_zoo.model.h5")]) if ok1 else (False, 0, "", "")
        report.check(f"{label}: zoo convert .h5 -> .zoo -> .model.h5", ok1 and ok2, m1 or m2)

    # --- tf-keras files -------------------------------------------------------------------
    ok, _, _, message = run([args.tf_python, os.path.abspath(__file__), "--tf-side", work])
    if report.check("tf-keras side: models written", ok, message):
        with open(os.path.join(work, "tf_side.json")) as f:
            tf_info = json.load(f)
        for name, minimal in MODELS:
            tag = f"tf_{name}{int(minimal)}"
            y = np.load(os.path.join(work, f"{tag}_y.npy"))
            middle = np.load(os.path.join(work, f"{tag}_middle.npy"))
            label = f"tf-keras {name}{' minimalistic' if minimal else ''} ({tf_info[tag]['op_lambdas']} TFOpLambda)"
            predict(f"{label} full .h5", os.path.join(work, tag + ".h5"), y, [("Predictions", y), (MIDDLE["tf"], middle)])
            predict(f"{label} weights .h5 (builder, keras-v1)", os.path.join(work, tag + "_weights.h5"), y,
                    [("predictions", y), (MIDDLE["keras3"], middle)], extra=["--input-shape", str(SIZE), str(SIZE), "3"])
            convert_tf_file(label, tag, x, y)
        tag = f"tf_{CUSTOM}"
        y = np.load(os.path.join(work, f"{tag}_y.npy"))
        label = f"tf-keras operator model ({tf_info[tag]['op_lambdas']} TFOpLambda)"
        out = os.path.join(work, "y_custom.npz")
        ok, _, _, message = run([zoo, "predict", os.path.join(work, tag + ".h5"), "--input", small_path, "--output", out])
        if report.check(f"{label} .h5: zoo predict", ok, message):
            err = relative_error(np.load(out)["out"], y)
            report.check(f"{label} .h5: out = tf-keras", err <= TOLERANCE, f"rel {err:.2e}")
        convert_tf_file(label, tag, small_x, y)
        ok, _, _, message = run([args.tf_python, os.path.abspath(__file__), "--tf-side", work])
        if report.check("tf-keras side: zoo's files loaded", ok, message):
            with open(os.path.join(work, "tf_side.json")) as f:
                tf_info = json.load(f)
            for name, minimal in MODELS + [(CUSTOM, None)]:
                tag = f"tf_{name}" if minimal is None else f"tf_{name}{int(minimal)}"
                label = f"tf-keras {name}{' minimalistic' if minimal else ''}"
                result = os.path.join(work, f"{tag}.from_zoo_y.npy")
                if not os.path.exists(result):
                    report.check(f"{label}: zoo's .model.h5 in tf-keras", False, tf_info[tag].get("load_error", "not loaded"))
                    continue
                err = relative_error(np.load(result), np.load(os.path.join(work, f"{tag}_y.npy")))
                report.check(f"{label}: zoo's .model.h5 in tf-keras = tf-keras", err <= TOLERANCE, f"rel {err:.2e}")

    if not os.environ.get("ZOO_INTEROP_KEEP"):
        shutil.rmtree(work, ignore_errors=True)
    return report.finish(lambda message: print(message, file=sys.stderr))


if __name__ == "__main__":
    sys.exit(main())
