#!/usr/bin/env python3
"""Check `zoo predict` against Keras `model.predict` on full-size, seeded ResNet50 and VGG16.

Usage:
    python Tests/Interop/compute_interop.py --zoo PATH_TO_ZOO --workdir DIR [--quick]

The input is np.random.default_rng(INPUT_SEED).standard_normal((2, 224, 224, 3)) * 60 as
float32 NHWC, i.e. already "preprocessed": it goes to both sides unchanged. The models are the
seeded ones of make_models.py (written into DIR when missing or stale). Each Keras model is
built and seeded once; one multi-output keras.Model(model.input, [model.get_layer(L).output
for L in LAYERS]) gives the reference for every checked layer in a single predict, which is
the same as one keras.Model(model.input, model.get_layer(L).output) per layer.

For every model and every source file (NAME.h5; NAME.zoo from `zoo convert NAME.h5 NAME.zoo`;
for ResNet50 also NAME.folded.zoo from `zoo convert NAME.h5 NAME.folded.zoo --fold-bn`), one
`zoo predict SOURCE --input x.npy --output y.npz --layer L ...` call asks for all the layers
of that model, and each layer is one check:

    rel = max|zoo - keras| / max|keras|  <=  1e-4

    resnet50_top:   predictions, conv2_block3_out, conv3_block4_out, conv4_block6_out,
                    conv5_block3_out
    resnet50_notop: conv5_block3_out
    vgg16_top:      predictions, fc2, block1_pool ... block5_pool
    vgg16_notop:    block5_pool

One more check runs resnet50_notop.h5 with `--batch 1` and `--batch 2` on the 2-image input
and requires the same numbers within a relative 1e-6 (same measure).

--quick keeps resnet50_notop and vgg16_notop from .h5 and .zoo (and the batch check).

Each check prints one PASS/FAIL line with its measured error; the last line is
`N passed, M failed`, and the exit status is 1 when any check failed. Scratch files go to
DIR/compute/ and are deleted at the end (set ZOO_INTEROP_KEEP=1 to keep them).
"""

import argparse
import gc
import os
import shlex
import shutil
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

# make_models sets the Keras backend (jax, CPU) and quiets its logging before Keras is imported.
import make_models as mm  # noqa: E402
from report import Report, relative_error, run  # noqa: E402

import numpy as np  # noqa: E402

import keras  # noqa: E402


INPUT_SEED = 2024
INPUT_SCALE = 60.0
INPUT_SHAPE = (2, 224, 224, 3)
TOLERANCE = 1e-4
BATCH_TOLERANCE = 1e-6

RESNET_STAGES = ["conv2_block3_out", "conv3_block4_out", "conv4_block6_out", "conv5_block3_out"]
VGG_POOLS = [f"block{i}_pool" for i in range(1, 6)]

# name -> layers checked
LAYERS = {
    "resnet50_top": ["predictions"] + RESNET_STAGES,
    "resnet50_notop": ["conv5_block3_out"],
    "vgg16_top": ["predictions", "fc2"] + VGG_POOLS,
    "vgg16_notop": ["block5_pool"],
}
HAS_BN = {"resnet50_top": True, "resnet50_notop": True, "vgg16_top": False, "vgg16_notop": False}
ORDER = ["resnet50_top", "resnet50_notop", "vgg16_top", "vgg16_notop"]
QUICK = ["resnet50_notop", "vgg16_notop"]
BATCH_MODEL = "resnet50_notop"


def log(message):
    print(message, flush=True)


def make_input(path):
    rng = np.random.default_rng(INPUT_SEED)
    x = (rng.standard_normal(INPUT_SHAPE) * INPUT_SCALE).astype(np.float32)
    np.save(path, x)
    return x


def keras_reference(name, workdir, x):
    """Builds and seeds NAME once (making sure its files exist) and returns {layer: output}."""
    start = time.monotonic()
    model = mm.build_model(name)
    mm.ensure(workdir, name, model=model)
    layers = LAYERS[name]
    probe = keras.Model(model.input, [model.get_layer(layer).output for layer in layers])
    outputs = probe.predict(x, batch_size=len(x), verbose=0)
    if not isinstance(outputs, (list, tuple)):
        outputs = [outputs]
    reference = {layer: np.asarray(out) for layer, out in zip(layers, outputs)}
    del probe, model, outputs
    gc.collect()
    keras.backend.clear_session()
    log(f"{name}: Keras reference ({', '.join(layers)}) in {time.monotonic() - start:.1f} s")
    return reference


def zoo_predict(zoo, model_file, input_path, output_path, layers, batch=None):
    args = [zoo, "predict", model_file, "--input", input_path, "--output", output_path]
    for layer in layers:
        args += ["--layer", layer]
    if batch is not None:
        args += ["--batch", str(batch)]
    ok, seconds, _, message = run(args)
    return args, ok, seconds, message


def load_npz(path):
    with np.load(path) as data:
        return {key: np.asarray(data[key]) for key in data.files}


def compare(report, label, command, got, reference):
    """One check per reference layer."""
    for layer, expected in reference.items():
        tag = f"{label} {layer}"
        if layer not in got:
            report.check(tag, False, f"no array '{layer}' in output (keys {sorted(got)}); "
                                     f"command: {shlex.join(command)}")
            continue
        actual = got[layer]
        if actual.shape != expected.shape:
            report.check(tag, False, f"shape {actual.shape}, Keras {expected.shape}; "
                                     f"command: {shlex.join(command)}")
            continue
        rel = relative_error(actual, expected)
        ok = rel <= TOLERANCE
        detail = f"rel {rel:.3e}, max|keras| {float(np.max(np.abs(expected))):.4g}"
        if not ok:
            detail += f"; command: {shlex.join(command)}"
        report.check(tag, ok, detail)


def check_model(report, zoo, workdir, scratch, name, input_path, x, quick):
    reference = keras_reference(name, workdir, x)
    layers = LAYERS[name]
    h5 = os.path.join(workdir, name + ".h5")
    sources = [("h5", h5)]
    converted = [("zoo", os.path.join(scratch, name + ".zoo"), [])]
    if HAS_BN[name] and not quick:
        converted.append(("folded.zoo", os.path.join(scratch, name + ".folded.zoo"), ["--fold-bn"]))
    for tag, path, flags in converted:
        for stale in (path,):
            if os.path.exists(stale):
                os.remove(stale)
        args = [zoo, "convert", h5, path] + flags
        ok, seconds, _, message = run(args)
        if report.check(f"{name} convert -> {tag}", ok and os.path.exists(path),
                        f"{seconds:.1f} s" if ok else f"{message}; command: {shlex.join(args)}"):
            sources.append((tag, path))
    for tag, path in sources:
        output = os.path.join(scratch, f"{name}.{tag}.out.npz")
        if os.path.exists(output):
            os.remove(output)
        args, ok, seconds, message = zoo_predict(zoo, path, input_path, output, layers)
        label = f"{name} [{tag}]"
        if not ok or not os.path.exists(output):
            for layer in layers:
                report.check(f"{label} {layer}", False,
                             (message or "no output file") + f"; command: {shlex.join(args)}")
            continue
        log(f"{label}: zoo predict in {seconds:.1f} s")
        compare(report, label, args, load_npz(output), reference)
        os.remove(output)
        if path != h5:
            os.remove(path)
    del reference
    gc.collect()


def check_batch(report, zoo, workdir, scratch, input_path):
    name = BATCH_MODEL
    h5 = os.path.join(workdir, name + ".h5")
    layer = LAYERS[name][-1]
    results = {}
    for batch in (2, 1):
        output = os.path.join(scratch, f"{name}.batch{batch}.npz")
        if os.path.exists(output):
            os.remove(output)
        args, ok, seconds, message = zoo_predict(zoo, h5, input_path, output, [layer], batch=batch)
        if not ok or not os.path.exists(output):
            report.check(f"{name} --batch 1 vs --batch 2 {layer}", False,
                         (message or "no output file") + f"; command: {shlex.join(args)}")
            return
        log(f"{name} --batch {batch}: zoo predict in {seconds:.1f} s")
        got = load_npz(output)
        os.remove(output)
        if layer not in got:
            report.check(f"{name} --batch 1 vs --batch 2 {layer}", False,
                         f"no array '{layer}' (keys {sorted(got)}); command: {shlex.join(args)}")
            return
        results[batch] = got[layer]
    if results[1].shape != results[2].shape:
        report.check(f"{name} --batch 1 vs --batch 2 {layer}", False,
                     f"shapes {results[1].shape} vs {results[2].shape}")
        return
    rel = relative_error(results[1], results[2])
    report.check(f"{name} --batch 1 vs --batch 2 {layer}", rel <= BATCH_TOLERANCE,
                 f"rel {rel:.3e}, tolerance {BATCH_TOLERANCE:g}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--zoo", required=True, help="path to the zoo executable")
    parser.add_argument("--workdir", required=True, help="directory of make_models.py files")
    parser.add_argument("--quick", action="store_true",
                        help="resnet50_notop and vgg16_notop from .h5 and .zoo only")
    args = parser.parse_args(argv)

    zoo = os.path.abspath(args.zoo)
    workdir = os.path.abspath(args.workdir)
    scratch = os.path.join(workdir, "compute")
    os.makedirs(scratch, exist_ok=True)
    start = time.monotonic()
    report = Report()

    input_path = os.path.join(scratch, "input.npy")
    x = make_input(input_path)
    log(f"input: {INPUT_SHAPE} float32, seed {INPUT_SEED}, scale {INPUT_SCALE:g}")

    for name in (QUICK if args.quick else ORDER):
        try:
            check_model(report, zoo, workdir, scratch, name, input_path, x, args.quick)
        except Exception as error:  # report and go on with the next model
            report.check(f"{name}", False, f"{type(error).__name__}: {error}")
    try:
        check_batch(report, zoo, workdir, scratch, input_path)
    except Exception as error:
        report.check("batch", False, f"{type(error).__name__}: {error}")

    if os.environ.get("ZOO_INTEROP_KEEP") != "1":
        shutil.rmtree(scratch, ignore_errors=True)
    log(f"total {time.monotonic() - start:.1f} s")
    return report.finish(log)


if __name__ == "__main__":
    sys.exit(main())
