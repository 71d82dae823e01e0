#!/usr/bin/env python3
"""Check nested models (a Sequential or Functional used as a layer) against real Keras, both eras.

Usage:
    python Tests/Interop/nested_interop.py --zoo PATH_TO_ZOO --tf-python PATH [--workdir DIR]

Two kinds of file hold a model inside a model:
  * keras.applications' ConvNeXt: its stem and three downsampling blocks are nested
    `Sequential`s (and its 7x7 convolutions are Conv2D with groups = channels);
  * the transfer-learning model everyone writes: a frozen backbone (a Functional with
    BatchNormalization) called as a layer, `base(x, training=False)`, under a new head, and the
    same as `Sequential([base, GlobalAveragePooling2D(), Dense(3)])`.
Legacy `.h5` files keep a nested model's weights in one group, trainable ones first across its
layers (tf-keras names them `inner/kernel:0`, Keras 3 `nested/inner/kernel`); Keras 3
`.weights.h5` files nest groups (`layers/sequential/layers/conv2d/vars`).

Models: ConvNeXtTiny at 64x64 with 10 classes, and the two transfer models at 32x32, with seeded
weights (default_rng(7).standard_normal * 0.05; moving variances abs + 0.5), on two seeded
images (default_rng(2024) uniform [0, 255)).

  Keras 3 side (this interpreter, jax backend):
    a. `zoo predict` on NAME.keras and the legacy NAME.h5 = Keras, for the output and an
       intermediate layer (ConvNeXt also NAME.weights.h5 through the builder, detected).
    b. zoo's conversions loaded by Keras 3: .h5 -> .keras (load_model), .keras -> .weights.h5
       and -> legacy weights .h5 (load_weights into the Keras model), .keras -> .zoo -> .keras.
  tf-keras side (--tf-python, a subprocess running this file with --tf-side):
    c. `zoo predict` on tf-keras's full NAME.h5 (ConvNeXt also its weights-only file, through
       the builder) = tf-keras.
    d. tf-keras NAME.h5 -> `zoo convert` -> .keras loads in Keras 3 with tf-keras's predictions;
       NAME.h5 -> .zoo -> .model.h5 loads in tf-keras with them (the transfer models; tf-keras
       cannot load its own ConvNeXt .h5: LayerScale is not registered).

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
TOLERANCE = 1e-4
CONVNEXT_SIZE = 64
SMALL = 32
# (tag, intermediate layer checked): the intermediate sits inside a nested model, or past one.
MODELS = {
    "convnext": "convnext_tiny_stage_1_block_0_layer_scale",
    "functional": "base_bn2",
    "sequential": "base_bn2",
}
OUTPUTS = {"convnext": "convnext_tiny_head_dense", "functional": "head", "sequential": "head"}


def build(keras, tag):
    """The model `tag` in this Keras."""
    if tag == "convnext":
        return keras.applications.ConvNeXtTiny(weights=None, input_shape=(CONVNEXT_SIZE, CONVNEXT_SIZE, 3), classes=10)
    inp = keras.Input((SMALL, SMALL, 3), name="base_input")
    x = keras.layers.Conv2D(8, 3, padding="same", use_bias=False, name="base_conv1")(inp)
    x = keras.layers.BatchNormalization(name="base_bn1")(x)
    x = keras.layers.ReLU(name="base_relu1")(x)
    y = keras.layers.Conv2D(8, 3, padding="same", use_bias=False, name="base_conv2")(x)
    y = keras.layers.BatchNormalization(name="base_bn2")(y)
    x = keras.layers.Add(name="base_add")([x, y])
    base = keras.Model(inp, x, name="base")
    base.trainable = False
    if tag == "functional":
        outer = keras.Input((SMALL, SMALL, 3), name="image")
        z = keras.layers.Rescaling(1.0 / 255, name="scale")(outer)
        z = base(z, training=False)
        z = keras.layers.GlobalAveragePooling2D(name="pool")(z)
        z = keras.layers.Dense(3, activation="softmax", name="head")(z)
        return keras.Model(outer, z, name="transfer")
    return keras.Sequential([keras.Input((SMALL, SMALL, 3), name="image"), base,
                             keras.layers.GlobalAveragePooling2D(name="pool"),
                             keras.layers.Dense(3, activation="softmax", name="head")], name="transfer_seq")


def seed(model, name_of):
    import numpy as np
    rng = np.random.default_rng(SEED)
    for w in model.weights:
        v = rng.standard_normal(tuple(w.shape)).astype("float32") * SCALE
        if "moving_variance" in name_of(w):
            v = np.abs(v) + 0.5
        w.assign(v)


def size(tag):
    return CONVNEXT_SIZE if tag == "convnext" else SMALL


def outputs(keras, model, tag, x):
    """The output and the intermediate layer (inside the nested model when it is there) on x."""
    middle = MODELS[tag]
    if tag == "convnext":
        return keras.Model(model.input, [model.output, model.get_layer(middle).output]).predict(x, verbose=0)
    base = model.get_layer("base")
    inner = keras.Model(base.input, base.get_layer(middle).output)
    return model.predict(x, verbose=0), inner.predict(x / 255.0 if tag == "functional" else x, verbose=0)


def tf_side(work):
    """Runs under tf-keras: writes each model's files and references, then loads zoo's outputs."""
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    import numpy as np
    import tf_keras as keras
    results = {}
    for tag in MODELS:
        x = np.load(os.path.join(work, f"x_{size(tag)}.npy"))
        model = build(keras, tag)
        seed(model, lambda w: w.name)
        y, middle = outputs(keras, model, tag, x)
        np.save(os.path.join(work, f"tf_{tag}_y.npy"), y)
        np.save(os.path.join(work, f"tf_{tag}_middle.npy"), middle)
        model.save(os.path.join(work, f"tf_{tag}.h5"))
        model.save_weights(os.path.join(work, f"tf_{tag}_weights.h5"))
        results[tag] = {"layers": len(model.layers)}
        path = os.path.join(work, f"tf_{tag}.from_zoo.model.h5")
        if os.path.exists(path):
            try:
                got = keras.models.load_model(path).predict(x, verbose=0)
                np.save(os.path.join(work, f"tf_{tag}.from_zoo_y.npy"), got)
            except Exception as error:  # noqa: BLE001 (reported as a failed check)
                results[tag]["load_error"] = repr(error)[:400]
        keras.backend.clear_session()
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
    work = scratch_folder(args, "nested-")
    rng = np.random.default_rng(INPUT_SEED)
    inputs = {}
    for s in sorted({size(t) for t in MODELS}):
        inputs[s] = os.path.join(work, f"x_{s}.npy")
        np.save(inputs[s], rng.uniform(0, 255, (2, s, s, 3)).astype("float32"))
    zoo = os.path.abspath(args.zoo)

    def predict(label, path, tag, y, middle, middle_name=None, extra=()):
        out = os.path.join(work, "y.npz")
        cmd = [zoo, "predict", path, "--input", inputs[size(tag)], "--output", out, "--layer", OUTPUTS[tag],
               "--layer", middle_name or MODELS[tag]] + list(extra)
        ok, _, _, message = run(cmd)
        if not report.check(f"{label}: zoo predict", ok, message):
            return
        got = np.load(out)
        for key, ref in ((OUTPUTS[tag], y), (middle_name or MODELS[tag], middle)):
            if key not in got:
                report.check(f"{label}: {key}", False, f"zoo wrote {sorted(got.keys())}")
                continue
            err = relative_error(got[key], ref)
            report.check(f"{label}: {key} = Keras", err <= TOLERANCE, f"rel {err:.2e}")

    def keras_predict(label, load, x, y):
        try:
            err = relative_error(load().predict(x, verbose=0), y)
            report.check(label, err <= TOLERANCE, f"rel {err:.2e}")
        except Exception as error:  # noqa: BLE001
            report.check(label, False, repr(error)[:300])
        keras.backend.clear_session()

    def convert(label, source, target):
        ok, _, _, message = run([zoo, "convert", source, target])
        return report.check(f"{label}: zoo convert {os.path.basename(source)} -> {os.path.basename(target)}", ok, message)

    # --- Keras 3 files --------------------------------------------------------------------
    for tag in MODELS:
        x = np.load(inputs[size(tag)])
        keras.utils.set_random_seed(SEED)
        model = build(keras, tag)
        seed(model, lambda w: w.path)
        y, middle = outputs(keras, model, tag, x)
        nested = [l.name for l in model.layers if isinstance(l, keras.Model)]
        label = f"Keras 3 {tag} ({len(nested)} nested: {', '.join(nested)})"
        paths = {suffix: os.path.join(work, f"k3_{tag}{suffix}") for suffix in (".keras", ".h5", ".weights.h5")}
        model.save(paths[".keras"])
        model.save(paths[".h5"])
        model.save_weights(paths[".weights.h5"])
        predict(f"{label} .keras", paths[".keras"], tag, y, middle)
        predict(f"{label} legacy .h5", paths[".h5"], tag, y, middle)
        if tag == "convnext":
            predict(f"{label} .weights.h5 (builder, detected)", paths[".weights.h5"], tag, y, middle,
                    extra=["--input-shape", str(CONVNEXT_SIZE), str(CONVNEXT_SIZE), "3"])
        # b. conversions, loaded by Keras 3.
        out = os.path.join(work, f"k3_{tag}.from_h5.keras")
        if convert(label, paths[".h5"], out):
            keras_predict(f"{label}: zoo's .keras (from the legacy .h5) in Keras 3 load_model = Keras", lambda: keras.models.load_model(out), x, y)
        for suffix in (".weights.h5", "_weights.h5"):
            out = os.path.join(work, f"k3_{tag}.from_zoo{suffix}")
            if convert(label, paths[".keras"], out):
                def load(path=out):
                    fresh = build(keras, tag)
                    fresh.load_weights(path)
                    return fresh
                keras_predict(f"{label}: zoo's {suffix} in Keras 3 load_weights = Keras", load, x, y)
        zoo_file = os.path.join(work, f"k3_{tag}.zoo")
        out = os.path.join(work, f"k3_{tag}.from_zoo.keras")
        if convert(label, paths[".keras"], zoo_file) and convert(label, zoo_file, out):
            keras_predict(f"{label}: .keras -> .zoo -> .keras in Keras 3 load_model = Keras", lambda: keras.models.load_model(out), x, y)
        keras.backend.clear_session()

    # --- tf-keras files -------------------------------------------------------------------
    ok, _, _, message = run([args.tf_python, os.path.abspath(__file__), "--tf-side", work])
    if report.check("tf-keras side: models written", ok, message):
        for tag in MODELS:
            x = np.load(inputs[size(tag)])
            y = np.load(os.path.join(work, f"tf_{tag}_y.npy"))
            middle = np.load(os.path.join(work, f"tf_{tag}_middle.npy"))
            label = f"tf-keras {tag}"
            path = os.path.join(work, f"tf_{tag}.h5")
            predict(f"{label} full .h5", path, tag, y, middle)
            if tag == "convnext":
                predict(f"{label} weights .h5 (builder, detected)", os.path.join(work, f"tf_{tag}_weights.h5"), tag, y, middle,
                        extra=["--input-shape", str(CONVNEXT_SIZE), str(CONVNEXT_SIZE), "3"])
            out = os.path.join(work, f"tf_{tag}.from_zoo.keras")
            if convert(label, path, out):
                keras_predict(f"{label}: zoo's .keras in Keras 3 load_model = tf-keras", lambda: keras.models.load_model(out), x, y)
            if tag != "convnext":
                zoo_file = os.path.join(work, f"tf_{tag}.zoo")
                if convert(label, path, zoo_file):
                    convert(label, zoo_file, os.path.join(work, f"tf_{tag}.from_zoo.model.h5"))
        ok, _, _, message = run([args.tf_python, os.path.abspath(__file__), "--tf-side", work])
        if report.check("tf-keras side: zoo's files loaded", ok, message):
            with open(os.path.join(work, "tf_side.json")) as f:
                tf_info = json.load(f)
            for tag in MODELS:
                if tag == "convnext":
                    continue
                result = os.path.join(work, f"tf_{tag}.from_zoo_y.npy")
                if not os.path.exists(result):
                    report.check(f"tf-keras {tag}: zoo's .model.h5 in tf-keras", False, tf_info[tag].get("load_error", "not loaded"))
                    continue
                err = relative_error(np.load(result), np.load(os.path.join(work, f"tf_{tag}_y.npy")))
                report.check(f"tf-keras {tag}: zoo's .model.h5 in tf-keras load_model = tf-keras", err <= TOLERANCE, f"rel {err:.2e}")

    if not os.environ.get("ZOO_INTEROP_KEEP"):
        shutil.rmtree(work, ignore_errors=True)
    return report.finish(lambda message: print(message, file=sys.stderr))


if __name__ == "__main__":
    sys.exit(main())
