#!/usr/bin/env python3
"""Check `zoo gradients`, `zoo train` and `zoo slice` + train against real Keras on full-size ResNet50.

Usage:
    python Tests/Interop/train_interop.py --zoo PATH_TO_ZOO [--workdir DIR] [--models DIR]
        [--tf-python PATH] [--quick]

--models is the make_models.py directory (default $TMPDIR/swiftzoo-interop); resnet50_notop is
written there when it is missing or stale. Scratch files go to --workdir (default
$TMPDIR/swiftzoo-train-interop) and are deleted at the end (ZOO_INTEROP_KEEP=1 keeps them).
--quick skips check 1b. Without --tf-python the tf_keras part of check 3 prints a SKIP line.

The model of checks 1-3 is resnet50_notop (make_models' seeded weights, loaded from
resnet50_notop.h5) + GlobalAveragePooling2D(name="head_pool") + Dense(10, softmax,
name="head_predictions") with a seeded kernel and bias. Every layer before conv5_block1_1_conv
(model.layers order) is trainable=False, and the model is saved with Keras 3 as conv5_head.keras
(and, all trainable, as conv5_head_all_trainable.keras). Before saving, the moving statistics of
every BatchNormalization are calibrated on a separate seeded batch: one training-mode forward
pass with momentum 0, so moving_mean/moving_variance become that batch's statistics, as in a
pretrained network. Kernels, biases, gamma and beta keep their seeded values. Without this step
the seeded statistics map every image to nearly the same conv4 feature (per-channel batch std
about 1e-3 of the mean), and the gradient of conv5's training-mode BatchNormalization is then
dominated by float32 rounding of that feature.

Images are np.random.default_rng(SEED).standard_normal(...) * 50 as float32 NHWC (the range of
caffe-preprocessed images). Labels are seeded integers.

Why some references are not "the whole Keras model on x". Measured on this model with Keras
float64 (jax x64) as the truth:
  - conv5 gradients through the frozen prefix are ill conditioned. Keras float32 is itself
    1e-3..1e-1 off the float64 gradient, and the float64 gradient moves by up to 5e-2 when x is
    scaled by 1 + 1e-7. The trainable part on a fixed conv4_block6_out feature is well
    conditioned (1e-6 input noise moves it by 4e-6). So conv5 is checked on zoo's own feature,
    which is how zoo trains anyway: it computes the frozen feature once.
  - Adam (lr 1e-4, 3 steps) divides each gradient element by its own RMS. Elements whose
    gradient is at float32 noise level then still take steps of up to ~lr, and from step 2 on the
    relu masks they move change other channels' gradients. Keras float32 against Keras float32
    on the feature times (1 + 1e-7 noise) differs by 1.1e-3 of max|value| and by up to 2.6e-2 in
    the L2 norm of a tensor's update. Adam is therefore checked by the L2 error of each update,
    with the head tight and conv5 loose.
  - An all-trainable ResNet50 with batch 4 at 64x64 has 64 (conv4) and 16 (conv5) samples per
    BatchNormalization channel, so one relu pre-activation within float32 rounding of zero moves
    every earlier gradient by ~1e-2. This happens for about half of the input seeds, to Keras
    float32 as well as to zoo. Seed 1 is one where Keras float32, zoo and a perturbed float64
    run all agree with float64 to <= 5e-5. A future FAIL of 1b alone, with 1 and 2 passing, may be
    such a kink rather than a bug.

1. gradients, conv5 + head (224x224, 4 images): `zoo gradients conv5_head.keras --data
   batch.npz -o g.npz`. The Keras gradient is jax.grad of the mean sparse categorical
   cross-entropy of model.stateless_call(trainable, non_trainable, x, training=True). Checks:
   - the set of gradient names equals Keras's trainable weights (LAYER/WEIGHT);
   - loss within 1e-5 relative, 'output' within 1e-4 (relative to max|output|);
   - the conv4_block6_out feature of `zoo predict` within 1e-4 of Keras's;
   - every gradient within 1e-4 (relative to the tensor's max|value|) of the Keras gradient of the
     trainable part, keras.Model(conv4_block6_out, output) of the same layers, on zoo's feature;
   - the head's gradients within 1e-4 of the whole-model gradient. conv5's error against the
     whole-model gradient is printed as `info`;
   - `zoo gradients conv5_head_all_trainable.keras --train-from conv5_block1_1_conv` gives the
     same arrays (<= 1e-6) as the file's own flags.
   A bias gradient is measured against the larger of its own and its layer's kernel gradient
   scale. A conv bias that feeds a training-mode BatchNormalization has an exactly zero gradient
   (the batch mean is subtracted), so its computed value is rounding noise.
1b. (not with --quick) all trainable: ResNet50 built with input_shape (64, 64, 3), the same
   seeded weights (make_models.seed_model, no calibration: every BatchNormalization is in
   training mode) + the same head, saved as all64.keras. Names, loss, output and every gradient
   are checked against the whole-model Keras gradient, with the same tolerances.
2. steps, conv5 + head: 12 images, batch 4, 1 epoch (3 steps), --no-shuffle. SGD(0.01,
   momentum 0.9) writes sgd.keras and Adam(1e-4) writes adam.model.h5 (`zoo train
   conv5_head.keras --data steps.npz --epochs 1 --batch 4 --optimizer ... --no-shuffle --json -o
   OUT`). The Keras reference is model.fit (shuffle=False) of the trainable part of the loaded
   conv5_head.keras (shared layers) on zoo's conv4_block6_out feature of the 12 images. That
   feature is checked within 1e-4 of Keras's, and the weights are reset and the model recompiled
   between the two optimizers. zoo's output is loaded with keras.models.load_model and compared
   on every weight of the trainable part (kernels, biases, gamma, beta and conv5's BN moving
   statistics):
   - SGD: each tensor within 1e-4 of max|value|, and each update (zoo - start) within 1e-3 of
     Keras's update in L2 norm (zero-gradient conv biases excepted);
   - Adam: the head within 1e-4 of max|value| and its updates within 1e-3 (L2). conv5's updates
     (BN statistics included) each within 0.1 (L2) with a median <= 1e-2. Zero-gradient conv
     biases moved at most 3.2 lr per step. The max error / max|value| of every tensor is
     printed as `info`.
   For both: every trainable kernel changed; every weight of the frozen prefix (frozen BN
   statistics included) is bit-identical to conv5_head.keras; the epoch loss of --json is within
   1e-5 of history['loss'].
   A 10% error in Adam's learning rate, SGD momentum 0.89 instead of 0.9, or RMSprop instead
   of Adam each fail these checks.
3. export: sgd.keras and adam.model.h5, loaded with Keras 3, must predict within 1e-5 (relative
   to max|prediction|) of `zoo predict` on the same 2 images. They must keep the layer names and
   every layer's trainable flag (conv4 frozen, conv5 and the head trainable), and have the
   head_predictions (2048, 10) kernel. adam.model.h5 is also loaded with tf_keras 2.x in
   --tf-python (a subprocess) and gets the same checks.
4. slice then train: `zoo slice resnet50_notop.h5 cut.keras --at conv4_block6_out
   --freeze-through conv4_block6_out --head-classes 5`, then `zoo train cut.keras` for 2 epochs
   of SGD(0.01, momentum 0.9), batch 4, --no-shuffle on 8 images. The Keras reference is
   load_model(cut.keras) + model.fit(epochs=2, batch_size=4, shuffle=False). The head must be
   within 1e-4 (and its updates within 1e-3), the frozen part bit-identical to cut.keras, and the
   epoch losses within 1e-5.

Each check prints one PASS/FAIL line with its measured errors; the last line is
`N passed, M failed`, and the exit status is 1 when any check failed.
"""

import argparse
import gc
import json
import os
import shlex
import shutil
import sys
import tempfile
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

# make_models sets the Keras backend (jax, CPU) and quiets its logging before Keras is imported.
import make_models as mm  # noqa: E402
from report import Report, relative_error, run  # noqa: E402

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

import keras  # noqa: E402


MODEL = "resnet50_notop"
CUT = "conv4_block6_out"              # last frozen layer (conv4) of checks 1-3 and the slice point of 4
FIRST_TRAINABLE = "conv5_block1_1_conv"
HEAD_CLASSES = 10
SLICE_CLASSES = 5
IMAGE_SCALE = 50.0
HEAD_SEED, HEAD_KERNEL_SCALE, HEAD_BIAS_SCALE = 11, 0.5, 0.1
CALIBRATION_SEED, CALIBRATION_IMAGES = 99, 8
BATCH_SEED = 1          # check 1, 224x224
SMALL_SEED, SMALL_SIZE = 1, 64    # check 1, all trainable
STEPS_SEED, STEPS_IMAGES = 3, 12  # check 2
PREDICT_SEED = 2024     # check 3
SLICE_SEED, SLICE_IMAGES = 5, 8   # check 4
BATCH = 4

GRAD_TOL = 1e-4
LOSS_TOL = 1e-5
OUTPUT_TOL = 1e-4
FEATURE_TOL = 1e-4
WEIGHT_TOL = 1e-4
UPDATE_TOL = 1e-3
ADAM_UPDATE_MEDIAN_TOL = 1e-2
ADAM_UPDATE_MAX_TOL = 0.1
ADAM_STEP_BOUND = 3.2   # (1 - beta_1) / sqrt(1 - beta_2): the most one Adam step can move a weight, in lr
PREDICT_TOL = 1e-5

TF_SCRIPT = r"""
import json, os, sys
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
import numpy as np
import tf_keras
model = tf_keras.models.load_model(sys.argv[1], compile=False)
x = np.load(sys.argv[2])
np.save(sys.argv[3], model.predict(x, batch_size=len(x), verbose=0))
head = model.get_layer("head_predictions")
json.dump({"version": tf_keras.__version__,
           "layers": [[layer.name, bool(layer.trainable)] for layer in model.layers],
           "head_kernel": list(head.kernel.shape)}, open(sys.argv[4], "w"))
"""


def log(message):
    print(message, flush=True)


def zoo_step(report, label, args, output):
    """Runs a zoo command that must write `output`; a FAIL line when it does not."""
    if os.path.exists(output):
        os.remove(output)
    ok, seconds, stdout, message = run(args)
    if not ok or not os.path.exists(output):
        report.check(label, False, (message or "no output file") + f"; command: {shlex.join(args)}")
        return None
    log(f"  {label}: {seconds:.1f} s")
    return stdout


def images(seed, count, size=224):
    return (np.random.default_rng(seed).standard_normal((count, size, size, 3)) * IMAGE_SCALE).astype(np.float32)


def labels(seed, count, classes):
    return np.random.default_rng(seed + 1000).integers(0, classes, count).astype(np.int32)


def load_npz(path):
    with np.load(path) as data:
        return {key: np.asarray(data[key]) for key in data.files}


def weights_of(model):
    """{LAYER/WEIGHT: value} of every weight of `model` (float arrays)."""
    return {f"{layer.name}/{w.name}": np.asarray(w.numpy()) for layer in model.layers for w in layer.weights}


def reset(model, values):
    for variable, value in zip(model.weights, values):
        variable.assign(value)


def keys_of(model, variables):
    names = {id(w): f"{layer.name}/{w.name}" for layer in model.layers for w in layer.weights}
    return [names[id(v)] for v in variables]


def layer_names_after(model, first):
    """Names of `first` and every later layer of model.layers."""
    names = [layer.name for layer in model.layers]
    return set(names[names.index(first):])


def add_head(base, classes):
    pooled = keras.layers.GlobalAveragePooling2D(name="head_pool")(base.output)
    out = keras.layers.Dense(classes, activation="softmax", name="head_predictions")(pooled)
    return keras.Model(base.input, out)


def seed_head(model):
    rng = np.random.default_rng(HEAD_SEED)
    head = model.get_layer("head_predictions")
    kernel_shape = tuple(head.kernel.shape)
    head.set_weights([rng.standard_normal(kernel_shape, dtype=np.float32) * np.float32(HEAD_KERNEL_SCALE),
                      rng.standard_normal(kernel_shape[1:], dtype=np.float32) * np.float32(HEAD_BIAS_SCALE)])


def calibrate_batch_norm(model, x):
    """Sets every BN's moving statistics to the batch statistics of `x` (training-mode forward)."""
    layers = [layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)]
    momenta = [layer.momentum for layer in layers]
    for layer in layers:
        layer.momentum = 0.0
    model(x, training=True)
    for layer, momentum in zip(layers, momenta):
        layer.momentum = momentum


def freeze_before(model, first):
    for layer in model.layers:
        if layer.name == first:
            break
        layer.trainable = False


def keras_gradients(model, x, y, extra_output=None):
    """Loss, output, {LAYER/WEIGHT: gradient} of `model` in training mode (and a layer's output)."""
    probe = model if extra_output is None else keras.Model(model.inputs, [model.output, model.get_layer(extra_output).output])
    trainable = [v.value for v in probe.trainable_variables]
    non_trainable = [v.value for v in probe.non_trainable_variables]

    def loss_fn(trainable, non_trainable, x, y):
        outputs, _ = probe.stateless_call(trainable, non_trainable, x, training=True)
        output = outputs if extra_output is None else outputs[0]
        loss = jnp.mean(keras.losses.sparse_categorical_crossentropy(y, output))
        return loss, outputs

    (loss, outputs), grads = jax.jit(jax.value_and_grad(loss_fn, has_aux=True))(trainable, non_trainable, x, y)
    grads = dict(zip(keys_of(probe, probe.trainable_variables), (np.asarray(g) for g in grads)))
    if extra_output is None:
        return float(loss), np.asarray(outputs), grads, None
    return float(loss), np.asarray(outputs[0]), grads, np.asarray(outputs[1])


def gradient_errors(got, want):
    """{key: relative error}; a bias is measured against max(own, its layer's kernel) gradient scale."""
    errors = {}
    for key, expected in want.items():
        scale = float(np.max(np.abs(expected)))
        layer, weight = key.rsplit("/", 1)
        if weight == "bias" and f"{layer}/kernel" in want:
            scale = max(scale, float(np.max(np.abs(want[f"{layer}/kernel"]))))
        if got[key].shape != expected.shape:
            errors[key] = float("inf")
        else:
            errors[key] = relative_error(got[key], expected, scale)
    return errors


def summarize(errors, tol):
    worst = max(errors, key=errors.get)
    bad = sorted((k for k, e in errors.items() if not e <= tol), key=lambda k: -errors[k])
    text = f"{len(errors)} tensors, worst {errors[worst]:.2e} ({worst}), median {np.median(list(errors.values())):.2e}"
    if bad:
        text += f"; {len(bad)} over {tol:g}: " + ", ".join(f"{k} {errors[k]:.2e}" for k in bad[:8])
    return not bad, text


def check_gradient_names(report, label, got, want_keys):
    names = set(got) - {"loss", "output"}
    want = set(want_keys)
    return report.check(f"{label}: gradient names = Keras trainable weights", names == want,
                        f"{len(names)} gradients" if names == want else
                        f"only in zoo {sorted(names - want)[:5]}, missing {sorted(want - names)[:5]}")


def check_loss_output(report, label, got, loss, output):
    zoo_loss = float(got["loss"])
    rel = abs(zoo_loss - loss) / abs(loss)
    report.check(f"{label}: loss", rel <= LOSS_TOL, f"zoo {zoo_loss:.9g}, Keras {loss:.9g}, rel {rel:.2e}")
    if got["output"].shape != output.shape:
        report.check(f"{label}: output", False, f"shape {got['output'].shape}, Keras {output.shape}")
    else:
        rel = relative_error(got["output"], output)
        report.check(f"{label}: output", rel <= OUTPUT_TOL, f"rel {rel:.2e}")


# ------------------------------------------------------------------------------------------
# 1. gradients


def make_conv5_model(models_dir, path, all_trainable_path):
    """Builds and calibrates the conv5 + head model, saves it all trainable and then frozen."""
    start = time.monotonic()
    keras.utils.set_random_seed(mm.SEED)
    base = keras.applications.ResNet50(weights=None, include_top=False, input_shape=(224, 224, 3))
    base.load_weights(os.path.join(models_dir, MODEL + ".h5"))
    model = add_head(base, HEAD_CLASSES)
    seed_head(model)
    calibrate_batch_norm(model, images(CALIBRATION_SEED, CALIBRATION_IMAGES))
    model.save(all_trainable_path)
    freeze_before(model, FIRST_TRAINABLE)
    model.save(path)
    del model, base
    gc.collect()
    keras.backend.clear_session()
    log(f"  built, calibrated and saved {os.path.basename(path)} and {os.path.basename(all_trainable_path)} "
        f"in {time.monotonic() - start:.1f} s")


def check_gradients_conv5(report, zoo, work, path, all_trainable_path, model):
    label = "gradients conv5+head 224"
    x, y = images(BATCH_SEED, BATCH), labels(BATCH_SEED, BATCH, HEAD_CLASSES)
    data = os.path.join(work, "batch.npz")
    np.savez(data, x=x, y=y)
    out = os.path.join(work, "g224.npz")
    if zoo_step(report, f"{label}: zoo gradients", [zoo, "gradients", path, "--data", data, "-o", out], out) is None:
        return
    got = load_npz(out)
    features_out = os.path.join(work, "features224.npy")
    if zoo_step(report, f"{label}: zoo predict {CUT}",
                [zoo, "predict", path, "--input", data, "--output", features_out, "--layer", CUT], features_out) is None:
        return
    zoo_features = np.load(features_out)

    start = time.monotonic()
    loss, output, whole, keras_features = keras_gradients(model, x, y, extra_output=CUT)
    tail = keras.Model(model.get_layer(CUT).output, model.output)
    _, _, reference, _ = keras_gradients(tail, zoo_features, y)
    log(f"  Keras gradients in {time.monotonic() - start:.1f} s")

    if not check_gradient_names(report, label, got, whole):
        return
    check_loss_output(report, label, got, loss, output)
    rel = relative_error(zoo_features, keras_features) if zoo_features.shape == keras_features.shape else float("inf")
    report.check(f"{label}: zoo {CUT} feature", rel <= FEATURE_TOL, f"rel {rel:.2e}, shape {zoo_features.shape}")
    ok, text = summarize(gradient_errors(got, reference), GRAD_TOL)
    report.check(f"{label}: every gradient vs Keras on zoo's {CUT} feature", ok, text)
    head = {k: v for k, v in whole.items() if k.startswith("head_")}
    ok, text = summarize(gradient_errors(got, head), GRAD_TOL)
    report.check(f"{label}: head gradients vs whole Keras model on x", ok, text)
    conv5 = {k: v for k, v in whole.items() if not k.startswith("head_")}
    _, text = summarize(gradient_errors(got, conv5), float("inf"))
    log(f"info  {label}: conv5 gradients vs whole Keras model on x (float32 feature noise amplified; not checked): {text}")

    flagged = os.path.join(work, "g224_train_from.npz")
    args = [zoo, "gradients", all_trainable_path, "--data", data, "--train-from", FIRST_TRAINABLE, "-o", flagged]
    if zoo_step(report, f"{label}: zoo gradients --train-from {FIRST_TRAINABLE}", args, flagged) is None:
        return
    again = load_npz(flagged)
    same = set(again) == set(got)
    errors = {k: relative_error(again[k], got[k]) for k in got if k in again and again[k].shape == got[k].shape}
    worst = max(errors.values()) if errors else float("inf")
    report.check(f"{label}: --train-from {FIRST_TRAINABLE} on the all-trainable file = the file's flags",
                 same and len(errors) == len(got) and worst <= 1e-6,
                 f"{len(again)} arrays, worst {worst:.2e}" if same else
                 f"only with --train-from {sorted(set(again) - set(got))[:5]}, missing {sorted(set(got) - set(again))[:5]}")


def check_gradients_all(report, zoo, work):
    label = f"gradients all trainable {SMALL_SIZE}x{SMALL_SIZE}"
    start = time.monotonic()
    keras.utils.set_random_seed(mm.SEED)
    base = keras.applications.ResNet50(weights=None, include_top=False, input_shape=(SMALL_SIZE, SMALL_SIZE, 3))
    mm.seed_model(base)
    model = add_head(base, HEAD_CLASSES)
    seed_head(model)
    path = os.path.join(work, f"all{SMALL_SIZE}.keras")
    model.save(path)
    x, y = images(SMALL_SEED, BATCH, SMALL_SIZE), labels(SMALL_SEED, BATCH, HEAD_CLASSES)
    data = os.path.join(work, f"batch{SMALL_SIZE}.npz")
    np.savez(data, x=x, y=y)
    loss, output, whole, _ = keras_gradients(model, x, y)
    log(f"  built {os.path.basename(path)} and Keras gradients in {time.monotonic() - start:.1f} s")
    del model, base
    gc.collect()
    keras.backend.clear_session()
    out = os.path.join(work, f"g{SMALL_SIZE}.npz")
    if zoo_step(report, f"{label}: zoo gradients", [zoo, "gradients", path, "--data", data, "-o", out], out) is None:
        return
    got = load_npz(out)
    if not check_gradient_names(report, label, got, whole):
        return
    check_loss_output(report, label, got, loss, output)
    ok, text = summarize(gradient_errors(got, whole), GRAD_TOL)
    report.check(f"{label}: every gradient vs whole Keras model", ok, text)


# ------------------------------------------------------------------------------------------
# 2. steps and 4. slice then train


def epoch_losses(stdout):
    losses = []
    for line in stdout.splitlines():
        line = line.strip()
        if line.startswith("{"):
            event = json.loads(line)
            if event.get("event") == "epoch":
                losses.append(float(event["loss"]))
    return losses


def zero_gradient_biases(model, layers):
    """Conv layers of `layers` whose only consumer is a BatchNormalization in `layers` (training
    mode): their bias cancels in the batch mean, so its true gradient is exactly zero."""
    out = set()
    for layer in model.layers:
        if layer.name not in layers or not isinstance(layer, keras.layers.Conv2D) or not layer.use_bias:
            continue
        consumers = [node.operation for node in getattr(layer, "_outbound_nodes", [])]
        if consumers and all(isinstance(c, keras.layers.BatchNormalization) and c.name in layers for c in consumers):
            out.add(layer.name)
    return out


def update_error(got, want, original):
    """||(got - original) - (want - original)||_2 / ||want - original||_2, in float64."""
    want_update = np.asarray(want, np.float64) - original
    norm = float(np.linalg.norm(want_update))
    diff = float(np.linalg.norm(np.asarray(got, np.float64) - want))
    if norm == 0.0:
        return 0.0 if diff == 0.0 else float("inf")
    return diff / norm


def check_trained(report, label, trained, keras_weights, originals, trainable_layers, zero_bias_layers,
                  zoo_losses, keras_losses, adam_steps=None, learning_rate=None):
    """zoo's trained model (Keras-loaded) against Keras fit's weights and the starting weights.

    SGD (adam_steps None): every trained tensor within WEIGHT_TOL of max|value|, and every update
    (except zero-gradient conv biases) within UPDATE_TOL (L2, relative to Keras's update).
    Adam: head and BN moving statistics as for SGD; conv kernels, gamma and beta by the L2 update
    error (median <= ADAM_UPDATE_MEDIAN_TOL, each <= ADAM_UPDATE_MAX_TOL); zero-gradient conv
    biases moved at most ADAM_STEP_BOUND * learning rate per step.
    """
    got = weights_of(trained)
    if set(got) != set(originals):
        report.check(f"{label}: weight names", False,
                     f"only in zoo {sorted(set(got) - set(originals))[:5]}, missing {sorted(set(originals) - set(got))[:5]}")
        return
    shapes = [k for k in got if got[k].shape != originals[k].shape]
    if shapes:
        report.check(f"{label}: weight shapes", False, f"differ: {shapes[:5]}")
        return
    trained_keys = [k for k in originals if k.split("/")[0] in trainable_layers]
    frozen_keys = [k for k in originals if k.split("/")[0] not in trainable_layers]
    zero_bias = [k for k in trained_keys if k.split("/")[0] in zero_bias_layers and k.endswith("/bias")]
    value_errors = {k: relative_error(got[k], keras_weights[k]) for k in trained_keys}
    update_errors = {k: update_error(got[k], keras_weights[k], originals[k]) for k in trained_keys if k not in zero_bias}
    moved = max(relative_error(keras_weights[k], originals[k], float(np.max(np.abs(keras_weights[k]))))
                for k in trained_keys)
    _, value_text = summarize(value_errors, WEIGHT_TOL)
    if adam_steps is None:
        ok, text = summarize(value_errors, WEIGHT_TOL)
        report.check(f"{label}: trained weights vs Keras fit (max error / max|value|)", ok,
                     text + f"; largest Keras update {moved:.2e} of max|value|")
        ok, text = summarize(update_errors, UPDATE_TOL)
        report.check(f"{label}: updates vs Keras fit (L2 error / L2 Keras update)", ok, text)
    else:
        head = [k for k in update_errors if k.startswith("head_")]
        ok, text = summarize({k: value_errors[k] for k in head}, WEIGHT_TOL)
        report.check(f"{label}: head vs Keras fit (max error / max|value|)", ok, text)
        ok, text = summarize({k: update_errors[k] for k in head}, UPDATE_TOL)
        report.check(f"{label}: head updates vs Keras fit (L2 error / L2 Keras update)", ok, text)
        rest = {k: e for k, e in update_errors.items() if k not in head}
        if rest:
            median = float(np.median(list(rest.values())))
            ok, text = summarize(rest, ADAM_UPDATE_MAX_TOL)
            report.check(f"{label}: conv5 updates vs Keras fit (L2; each <= {ADAM_UPDATE_MAX_TOL:g}, "
                         f"median <= {ADAM_UPDATE_MEDIAN_TOL:g})", ok and median <= ADAM_UPDATE_MEDIAN_TOL, text)
        if zero_bias:
            bound = ADAM_STEP_BOUND * learning_rate * adam_steps
            step = max(float(np.max(np.abs(got[k] - originals[k]))) for k in zero_bias)
            report.check(f"{label}: zero-gradient conv biases moved at most {ADAM_STEP_BOUND:g} lr per step",
                         step <= bound, f"{len(zero_bias)} biases, largest move {step:.2e}, bound {bound:.2e}")
        log(f"info  {label}: max error / max|value| of every trained tensor (the brief's measure; "
            f"Adam turns float32 noise into whole steps, see the docstring): {value_text}")
    unchanged = [k for k in trained_keys if k.endswith("/kernel") and np.array_equal(got[k], originals[k])]
    report.check(f"{label}: every trainable kernel changed", not unchanged,
                 f"{sum(k.endswith('/kernel') for k in trained_keys)} kernels" if not unchanged else f"unchanged: {unchanged[:5]}")
    differ = [k for k in frozen_keys if got[k].dtype != originals[k].dtype or not np.array_equal(got[k], originals[k])]
    report.check(f"{label}: frozen weights bit-identical", not differ,
                 f"{len(frozen_keys)} tensors" if not differ else f"{len(differ)} differ, e.g. {differ[:5]}")
    if len(zoo_losses) != len(keras_losses):
        report.check(f"{label}: epoch losses", False, f"zoo {zoo_losses}, Keras {keras_losses}")
    else:
        rel = max(abs(a - b) / abs(b) for a, b in zip(zoo_losses, keras_losses))
        report.check(f"{label}: epoch losses", rel <= LOSS_TOL,
                     f"zoo {['%.9g' % v for v in zoo_losses]}, Keras {['%.9g' % v for v in keras_losses]}, rel {rel:.2e}")


# name -> (Keras optimizer, zoo flags, learning rate)
OPTIMIZERS = {
    "sgd": (lambda: keras.optimizers.SGD(learning_rate=0.01, momentum=0.9), ["--learning-rate", "0.01", "--momentum", "0.9"], 0.01),
    "adam": (lambda: keras.optimizers.Adam(learning_rate=1e-4), ["--learning-rate", "0.0001"], 1e-4),
}
STEP_OUTPUTS = {"sgd": "sgd.keras", "adam": "adam.model.h5"}


def check_steps(report, zoo, work, path, model, originals):
    """Returns {optimizer: trained output path} of the zoo runs that wrote their output."""
    x, y = images(STEPS_SEED, STEPS_IMAGES), labels(STEPS_SEED, STEPS_IMAGES, HEAD_CLASSES)
    data = os.path.join(work, "steps.npz")
    np.savez(data, x=x, y=y)
    features_out = os.path.join(work, "features_steps.npy")
    if zoo_step(report, f"steps: zoo predict {CUT}",
                [zoo, "predict", path, "--input", data, "--output", features_out, "--layer", CUT], features_out) is None:
        return {}
    zoo_features = np.load(features_out)
    keras_features = keras.Model(model.input, model.get_layer(CUT).output).predict(x, batch_size=BATCH, verbose=0)
    rel = relative_error(zoo_features, keras_features) if zoo_features.shape == keras_features.shape else float("inf")
    report.check(f"steps: zoo {CUT} feature of the {STEPS_IMAGES} images", rel <= FEATURE_TOL, f"rel {rel:.2e}")

    tail = keras.Model(model.get_layer(CUT).output, model.output)
    trainable_layers = layer_names_after(model, FIRST_TRAINABLE)
    initial = [np.asarray(v.numpy()) for v in model.weights]
    outputs = {}
    zero_bias = zero_gradient_biases(model, trainable_layers)
    for name, (make_optimizer, flags, learning_rate) in OPTIMIZERS.items():
        label = f"steps {name} conv5+head"
        out = os.path.join(work, STEP_OUTPUTS[name])
        args = [zoo, "train", path, "--data", data, "--epochs", "1", "--batch", str(BATCH), "--optimizer", name,
                *flags, "--no-shuffle", "--json", "-o", out]
        stdout = zoo_step(report, f"{label}: zoo train", args, out)
        start = time.monotonic()
        reset(model, initial)
        tail.compile(optimizer=make_optimizer(), loss="sparse_categorical_crossentropy")
        history = tail.fit(zoo_features, y, batch_size=BATCH, epochs=1, shuffle=False, verbose=0)
        keras_weights = weights_of(model)
        log(f"  {label}: Keras fit in {time.monotonic() - start:.1f} s")
        if stdout is None:
            continue
        outputs[name] = out
        trained = keras.models.load_model(out, compile=False)
        check_trained(report, label, trained, keras_weights, originals, trainable_layers, zero_bias,
                      epoch_losses(stdout), [float(v) for v in history.history["loss"]],
                      adam_steps=STEPS_IMAGES // BATCH if name == "adam" else None, learning_rate=learning_rate)
        del trained
        gc.collect()
    reset(model, initial)
    return outputs


def check_slice_train(report, zoo, work, models_dir):
    label = "slice+train"
    cut = os.path.join(work, "cut.keras")
    args = [zoo, "slice", os.path.join(models_dir, MODEL + ".h5"), cut, "--at", CUT, "--freeze-through", CUT,
            "--head-classes", str(SLICE_CLASSES)]
    if zoo_step(report, f"{label}: zoo slice", args, cut) is None:
        return
    x, y = images(SLICE_SEED, SLICE_IMAGES), labels(SLICE_SEED, SLICE_IMAGES, SLICE_CLASSES)
    data = os.path.join(work, "slice_train.npz")
    np.savez(data, x=x, y=y)
    out = os.path.join(work, "cut_trained.keras")
    args = [zoo, "train", cut, "--data", data, "--epochs", "2", "--batch", str(BATCH), "--optimizer", "sgd",
            "--learning-rate", "0.01", "--momentum", "0.9", "--no-shuffle", "--json", "-o", out]
    stdout = zoo_step(report, f"{label}: zoo train", args, out)
    if stdout is None:
        return
    start = time.monotonic()
    model = keras.models.load_model(cut, compile=False)
    originals = weights_of(model)
    names = [layer.name for layer in model.layers]
    frozen = names[:names.index(CUT) + 1]
    # Keras does not keep an InputLayer's trainable flag (it has no weights).
    flags_ok = all(not model.get_layer(n).trainable for n in frozen
                   if not isinstance(model.get_layer(n), keras.layers.InputLayer)) and \
        all(model.get_layer(n).trainable for n in names[len(frozen):])
    report.check(f"{label}: cut.keras frozen through {CUT}, head trainable", flags_ok and "head_predictions" in names,
                 f"{len(frozen)} frozen layers, head {names[len(frozen):]}")
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01, momentum=0.9), loss="sparse_categorical_crossentropy")
    history = model.fit(x, y, batch_size=BATCH, epochs=2, shuffle=False, verbose=0)
    keras_weights = weights_of(model)
    trainable_layers = {layer.name for layer in model.layers if layer.trainable}
    log(f"  {label}: Keras load + fit in {time.monotonic() - start:.1f} s")
    trained = keras.models.load_model(out, compile=False)
    check_trained(report, label, trained, keras_weights, originals, trainable_layers,
                  zero_gradient_biases(model, trainable_layers),
                  epoch_losses(stdout), [float(v) for v in history.history["loss"]])
    del model, trained
    gc.collect()
    keras.backend.clear_session()


# ------------------------------------------------------------------------------------------
# 3. export


def check_flags(report, label, layers, want, head_kernel):
    """layers: [(name, trainable)] of the loaded model; want: the same of conv5_head.keras."""
    if [n for n, _ in layers] != [n for n, _ in want]:
        report.check(f"{label}: layer names", False, f"{len(layers)} layers vs {len(want)}")
        return
    wrong = [n for (n, t), (_, w) in zip(layers, want) if t != w]
    frozen = sum(not t for _, t in want)
    report.check(f"{label}: trainable flags kept", not wrong,
                 f"{frozen} frozen through {CUT}, {len(want) - frozen} trainable" if not wrong else f"differ: {wrong[:5]}")
    report.check(f"{label}: head_predictions kernel", list(head_kernel) == [2048, HEAD_CLASSES], f"shape {list(head_kernel)}")


def check_export(report, zoo, work, outputs, want_flags, tf_python):
    x = images(PREDICT_SEED, 2)
    x_path = os.path.join(work, "predict_x.npy")
    np.save(x_path, x)
    for name, out in outputs.items():
        label = f"export {os.path.basename(out)}"
        zoo_y = os.path.join(work, f"zoo_{name}.npy")
        if zoo_step(report, f"{label}: zoo predict", [zoo, "predict", out, "--input", x_path, "--output", zoo_y], zoo_y) is None:
            continue
        zoo_pred = np.load(zoo_y)
        model = keras.models.load_model(out, compile=False)
        pred = model.predict(x, batch_size=len(x), verbose=0)
        rel = relative_error(zoo_pred, pred) if zoo_pred.shape == pred.shape else float("inf")
        report.check(f"{label}: Keras {keras.__version__} load_model predicts as zoo", rel <= PREDICT_TOL,
                     f"rel {rel:.2e}, shape {pred.shape}")
        check_flags(report, f"{label} (Keras {keras.__version__})", [(l.name, l.trainable) for l in model.layers],
                    want_flags, model.get_layer("head_predictions").kernel.shape)
        del model
        gc.collect()
        if not out.endswith(".model.h5"):
            continue
        tf_label = f"{label} (tf_keras)"
        if not tf_python:
            log(f"SKIP  {tf_label}: --tf-python not given")
            continue
        if not os.access(tf_python, os.X_OK):
            log(f"SKIP  {tf_label}: --tf-python {tf_python} is not an executable file")
            continue
        tf_y, tf_json = os.path.join(work, "tf_pred.npy"), os.path.join(work, "tf_model.json")
        script = os.path.join(work, "tf_load.py")
        with open(script, "w") as f:
            f.write(TF_SCRIPT)
        args = [tf_python, script, out, x_path, tf_y, tf_json]
        if zoo_step(report, f"{tf_label}: load_model + predict", args, tf_json) is None:
            continue
        with open(tf_json) as f:
            info = json.load(f)
        tf_pred = np.load(tf_y)
        rel = relative_error(tf_pred, zoo_pred) if tf_pred.shape == zoo_pred.shape else float("inf")
        report.check(f"{tf_label}: tf_keras {info['version']} load_model predicts as zoo", rel <= PREDICT_TOL,
                     f"rel {rel:.2e}, shape {tf_pred.shape}")
        check_flags(report, tf_label, [tuple(l) for l in info["layers"]], want_flags, info["head_kernel"])


# ------------------------------------------------------------------------------------------


def section(report, title, function, *args):
    start = time.monotonic()
    log(f"== {title}")
    try:
        return function(report, *args)
    except Exception as error:  # report and go on with the next check
        traceback.print_exc()
        report.check(f"{title}: ran to the end", False, f"{type(error).__name__}: {error}")
    finally:
        log(f"== {title}: {time.monotonic() - start:.0f} s")
    return None


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--zoo", required=True, help="path to the zoo executable")
    parser.add_argument("--workdir", default=os.path.join(tempfile.gettempdir(), "swiftzoo-train-interop"),
                        help="scratch directory (default: %(default)s)")
    parser.add_argument("--models", default=os.path.join(tempfile.gettempdir(), "swiftzoo-interop"),
                        help="make_models.py directory with resnet50_notop.h5 (written when missing; default: %(default)s)")
    parser.add_argument("--tf-python", metavar="PATH",
                        help="a python with tf_keras 2.x, to load the trained .model.h5 there too (else SKIP)")
    parser.add_argument("--quick", action="store_true", help="skip the all-trainable gradient check")
    args = parser.parse_args(argv)

    zoo = os.path.abspath(args.zoo)
    if not os.access(zoo, os.X_OK):
        print(f"train_interop: error: --zoo {args.zoo} is not an executable file", file=sys.stderr)
        return 2
    models_dir = os.path.abspath(args.models)
    work = os.path.abspath(args.workdir)
    os.makedirs(work, exist_ok=True)
    start = time.monotonic()
    report = Report()

    mm.ensure(models_dir, MODEL)
    path = os.path.join(work, "conv5_head.keras")
    all_trainable_path = os.path.join(work, "conv5_head_all_trainable.keras")
    model = None
    try:
        make_conv5_model(models_dir, path, all_trainable_path)
        model = keras.models.load_model(path, compile=False)
        originals = weights_of(model)
        want_flags = [(layer.name, layer.trainable) for layer in model.layers]
        section(report, "1. gradients, ResNet50 conv5 + head (224x224)", check_gradients_conv5, zoo, work, path,
                all_trainable_path, model)
        outputs = section(report, "2. steps, ResNet50 conv5 + head", check_steps, zoo, work, path, model, originals) or {}
        section(report, "3. export back to Keras", check_export, zoo, work, outputs, want_flags, args.tf_python)
    except Exception as error:
        traceback.print_exc()
        report.check("conv5 + head model", False, f"{type(error).__name__}: {error}")
    del model
    gc.collect()
    keras.backend.clear_session()
    if not args.quick:
        section(report, f"1b. gradients, ResNet50 all trainable ({SMALL_SIZE}x{SMALL_SIZE})", check_gradients_all, zoo, work)
    section(report, "4. slice then train", check_slice_train, zoo, work, models_dir)

    if os.environ.get("ZOO_INTEROP_KEEP") != "1":
        shutil.rmtree(work, ignore_errors=True)
    log(f"total {time.monotonic() - start:.1f} s")
    return report.finish(log)


if __name__ == "__main__":
    sys.exit(main())
