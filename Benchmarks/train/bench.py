#!/usr/bin/env python3
"""Training benchmark: `zoo train` against tf-keras 2.18 (TensorFlow CPU) and Keras 3 + JAX (CPU)
`model.fit`. Driven by Benchmarks/train/run.sh; writes Docs/BENCHMARKS_TRAIN.md.

  bench.py make-data WORK                 -> WORK/{finetune,full}.npz, features.npz, head.keras (Keras 3)
  bench.py worker tfkeras|jax TASK ...    -> trains, prints one JSON line (per-epoch seconds)
  bench.py main ...                       -> runs everything (each run its own process), writes the report
  bench.py report --work W --output MD    -> writes the report again from W/results.json

Tasks (the same model, data and settings in every runtime):
  finetune       ResNet50 notop (seeded weights) + GlobalAveragePooling + Dense(10, softmax); every layer
                 before conv5_block1_1_conv frozen (trainable=False, so its BatchNormalization runs in
                 inference mode); Adam(1e-4), sparse categorical cross-entropy, batch 16, shuffle off
  head           Input(2048) -> Dense(10, softmax) on 2048-d features, Adam(1e-3), batch 256
  full-vgg16     VGG16 notop + the same head, every layer trainable, batch 8
  full-resnet50  ResNet50 notop + the same head, every layer trainable, batch 8
"""
import argparse, datetime, json, os, platform, statistics, subprocess, sys, tempfile, threading, time

HERE = os.path.abspath(__file__)
TASKS = {
    # task: (data file, backbone, train-from layer (None: head only), batch, learning rate)
    "finetune": ("finetune.npz", "ResNet50", "conv5_block1_1_conv", 16, 1e-4),
    "head": ("features.npz", None, None, 256, 1e-3),
    "full-vgg16": ("full.npz", "VGG16", "block1_conv1", 8, 1e-4),
    "full-resnet50": ("full.npz", "ResNet50", "conv1_conv", 8, 1e-4),
}
WEIGHTS = {"ResNet50": "resnet50_notop.h5", "VGG16": "vgg16_notop.h5"}
CLASSES = 10


# ----------------------------------------------------------------------------------------------
# Data


def make_data(args):
    os.environ.setdefault("KERAS_BACKEND", "jax")
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    import numpy as np
    rng = np.random.default_rng(1234)
    w = args.work
    for name, n in (("finetune", args.finetune_samples), ("full", args.full_samples)):
        x = rng.uniform(-1, 1, size=(n, 224, 224, 3)).astype(np.float32)
        y = rng.integers(0, CLASSES, size=(n,)).astype(np.int32)
        np.savez(os.path.join(w, f"{name}.npz.tmp.npz"), x=x, y=y)
        os.replace(os.path.join(w, f"{name}.npz.tmp.npz"), os.path.join(w, f"{name}.npz"))
    x = rng.standard_normal((args.head_samples, 2048)).astype(np.float32)
    y = rng.integers(0, CLASSES, size=(args.head_samples,)).astype(np.int32)
    np.savez(os.path.join(w, "features.tmp.npz"), x=x, y=y)
    os.replace(os.path.join(w, "features.tmp.npz"), os.path.join(w, "features.npz"))
    import keras
    keras.utils.set_random_seed(0)
    inp = keras.Input((2048,), name="features")
    out = keras.layers.Dense(CLASSES, activation="softmax", name="predictions")(inp)
    keras.Model(inp, out, name="head").save(os.path.join(w, "head.keras"))
    print(json.dumps({"made": sorted(os.listdir(w))}))


# ----------------------------------------------------------------------------------------------
# Peers


def build_model(keras, task, interop):
    _, backbone, train_from, _, _ = TASKS[task]
    if backbone is None:
        inp = keras.Input((2048,), name="features")
        out = keras.layers.Dense(CLASSES, activation="softmax", name="predictions")(inp)
        return keras.Model(inp, out)
    base = getattr(keras.applications, backbone)(weights=None, include_top=False, input_shape=(224, 224, 3))
    base.load_weights(os.path.join(interop, WEIGHTS[backbone]))
    names = [layer.name for layer in base.layers]
    first = names.index(train_from)
    for layer in base.layers[:first]:
        layer.trainable = False
    x = keras.layers.GlobalAveragePooling2D(name="avg_pool")(base.output)
    out = keras.layers.Dense(CLASSES, activation="softmax", name="predictions")(x)
    return keras.Model(base.input, out)


def worker(args):
    started = time.perf_counter()
    if args.peer == "jax":
        os.environ["KERAS_BACKEND"] = "jax"
        os.environ["JAX_PLATFORMS"] = "cpu"
        import keras
        import jax
        versions = {"keras": keras.__version__, "jax": jax.__version__}
    else:
        import tf_keras as keras
        import tensorflow as tf
        versions = {"tf-keras": keras.__version__, "tensorflow": tf.__version__}
    import numpy as np
    versions[f"numpy ({'Keras 3' if args.peer == 'jax' else 'tf-keras'} venv)"] = np.__version__
    data_file, _, _, batch, lr = TASKS[args.task]
    d = np.load(os.path.join(args.work, data_file))
    x, y = d["x"], d["y"]
    model = build_model(keras, args.task, args.interop)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=lr), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    trainable = int(sum(int(np.prod(w.shape)) for w in model.trainable_weights))
    epochs_s, losses = [], []

    class Timer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.t = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            epochs_s.append(time.perf_counter() - self.t)
            losses.append(float((logs or {}).get("loss", float("nan"))))

    setup = time.perf_counter() - started
    model.fit(x, y, batch_size=batch, epochs=args.epochs, shuffle=False, verbose=0, callbacks=[Timer()])
    print(json.dumps({"epoch_seconds": epochs_s, "losses": losses, "samples": int(len(x)), "batch": batch,
                      "trainable_parameters": trainable, "jit_compile": str(getattr(model, "jit_compile", "?")),
                      "setup_seconds": setup, "versions": versions}))


# ----------------------------------------------------------------------------------------------
# Orchestration


def run_measured(cmd, timeout):
    """Runs cmd as a child; returns (returncode, stdout, stderr, peak RSS bytes, wall seconds, timed_out)."""
    with tempfile.TemporaryFile("w+") as fo, tempfile.TemporaryFile("w+") as fe:
        t = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=fo, stderr=fe, text=True)
        fired = []
        timer = threading.Timer(timeout, lambda: (fired.append(1), p.kill()))
        timer.start()
        _, status, ru = os.wait4(p.pid, 0)
        timer.cancel()
        wall = time.perf_counter() - t
        p.returncode = os.waitstatus_to_exitcode(status)
        fo.seek(0); fe.seek(0)
        return p.returncode, fo.read(), fe.read(), ru.ru_maxrss * 1024, wall, bool(fired)


def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout.strip()
    except Exception as e:  # noqa
        return f"? ({e})"


RUNTIMES = {
    # name: label
    "zoo": "zoo",
    "zoo-cache": "zoo feature-cache mode",
    "tfkeras": "tf-keras fit",
    "jax": "Keras 3 + JAX fit",
}


def command(args, task, runtime, epochs, out_dir):
    data_file, backbone, train_from, batch, lr = TASKS[task]
    data = os.path.join(args.work, data_file)
    if runtime in ("zoo", "zoo-cache"):
        if backbone is None:
            model, extra = os.path.join(args.work, "head.keras"), []
        else:
            model = os.path.join(args.interop, WEIGHTS[backbone])
            extra = ["--head-classes", str(CLASSES), "--train-from", train_from]
        cmd = [args.zoo, "train", model, "--data", data, *extra, "--epochs", str(epochs), "--batch", str(batch),
               "--optimizer", "adam", "--learning-rate", repr(lr), "--no-shuffle", "--json",
               "-o", os.path.join(out_dir, f"{task}.keras")]
        if runtime == "zoo":
            cmd.insert(cmd.index("--json"), "--no-feature-cache")
        return cmd
    py = args.tf_python if runtime == "tfkeras" else args.jax_python
    return [py, HERE, "worker", runtime, task, "--epochs", str(epochs), "--work", args.work, "--interop", args.interop]


def parse(runtime, out, err):
    if runtime.startswith("zoo"):
        epochs = [json.loads(l) for l in out.splitlines() if l.startswith("{") and '"epoch"' in l and '"event":"epoch"' in l.replace(" ", "")]
        info = next((l for l in err.splitlines() if l.startswith("zoo: training")), "")
        trainable = None
        if "(" in info and "parameters)" in info:
            try:
                trainable = int(info.split("(")[1].split(" parameters")[0])
            except ValueError:
                pass
        return {"epoch_seconds": [e["seconds"] for e in epochs], "losses": [e["loss"] for e in epochs],
                "trainable_parameters": trainable, "zoo_info": info}
    return json.loads(out.strip().splitlines()[-1])


def main(args):
    os.makedirs(args.work, exist_ok=True)
    out_dir = tempfile.mkdtemp(prefix="out-", dir=args.work)
    waited = 0
    while os.getloadavg()[0] >= args.quiet_load and waited < args.max_wait:
        if waited == 0:
            print(f"== waiting up to {args.max_wait} s for the 1-min load average to drop below {args.quiet_load}", flush=True)
        time.sleep(10)
        waited += 10
    args.waited = waited
    up_before = sh("uptime")
    print("== load before measuring:", up_before, flush=True)
    plan = []  # (task, runtimes, epochs, rounds)
    for task in args.tasks:
        if task == "finetune":
            plan.append((task, ["zoo", "tfkeras", "jax", "zoo-cache"], args.finetune_epochs, args.rounds))
        elif task == "head":
            plan.append((task, ["zoo", "tfkeras", "jax"], args.head_epochs, args.rounds))
        else:
            plan.append((task, ["zoo", "tfkeras", "jax"], args.full_epochs, args.full_rounds))
    runs, problems, skipped = [], [], set()
    for task, runtimes, epochs, rounds in plan:
        for r in range(rounds):
            for rt in runtimes:
                if (task, rt) in skipped:
                    continue
                cmd = command(args, task, rt, epochs, out_dir)
                load1 = os.getloadavg()[0]
                print(f"== {task} {rt} round {r + 1}/{rounds} (load {load1:.2f}): {' '.join(cmd)}", flush=True)
                rc, out, err, rss, wall, timed_out = run_measured(cmd, args.timeout)
                if rc != 0:
                    why = f"killed after {args.timeout} s" if timed_out else f"exit {rc}"
                    problems.append({"task": task, "runtime": rt, "command": " ".join(cmd), "why": why,
                                     "stderr": err.strip()[-1500:], "stdout": out.strip()[-500:]})
                    print(f"   FAILED ({why}):\n{err[-3000:]}", flush=True)
                    skipped.add((task, rt))
                    continue
                try:
                    d = parse(rt, out, err)
                except Exception as e:  # noqa
                    problems.append({"task": task, "runtime": rt, "command": " ".join(cmd), "why": f"unparsable output: {e}",
                                     "stderr": err.strip()[-1500:], "stdout": out.strip()[-500:]})
                    skipped.add((task, rt))
                    continue
                secs = d["epoch_seconds"]
                if len(secs) < 2:
                    problems.append({"task": task, "runtime": rt, "command": " ".join(cmd), "why": "fewer than 2 epochs timed",
                                     "stderr": err.strip()[-1500:], "stdout": out.strip()[-500:]})
                    skipped.add((task, rt))
                    continue
                data_file, _, _, batch, _ = TASKS[task]
                n = args.samples[data_file]
                steps = -(-n // batch)
                steady = sum(secs[1:])
                run = {"task": task, "runtime": rt, "round": r + 1, "load1": load1, "rss": rss, "wall": wall,
                       "epoch_seconds": secs, "losses": d.get("losses"), "ips": n * (len(secs) - 1) / steady,
                       "ms_per_step": 1e3 * steady / (steps * (len(secs) - 1)), "first_epoch": secs[0],
                       "trainable_parameters": d.get("trainable_parameters"), "jit_compile": d.get("jit_compile"),
                       "versions": d.get("versions"), "zoo_info": d.get("zoo_info"), "setup_seconds": d.get("setup_seconds")}
                print("   ", json.dumps({k: run[k] for k in ("ips", "ms_per_step", "first_epoch", "rss", "wall", "losses", "trainable_parameters")}), flush=True)
                runs.append(run)
    up_after = sh("uptime")
    print("== load after measuring:", up_after, flush=True)
    meta = {k: getattr(args, k) for k in META}
    json.dump({"runs": runs, "problems": problems, "plan": plan, "meta": meta, "up_before": up_before, "up_after": up_after},
              open(os.path.join(args.work, "results.json"), "w"), indent=1)
    write_report(args, plan, runs, problems, up_before, up_after)


META = ("command", "waited", "max_wait", "quiet_load", "kernel", "samples", "tf_python", "jax_python")


def report(args):
    """Writes the report again from WORK/results.json (e.g. after changing the text)."""
    d = json.load(open(os.path.join(args.work, "results.json")))
    for k, v in d["meta"].items():
        setattr(args, k, v)
    write_report(args, [tuple(p) for p in d["plan"]], d["runs"], d["problems"], d["up_before"], d["up_after"])


def fmt_rss(b):
    return f"{b / 2**20:.0f} MiB"


def write_report(args, plan, runs, problems, up_before, up_after):
    by = {}
    for r in runs:
        by.setdefault((r["task"], r["runtime"]), []).append(r)

    def med(task, rt, key):
        xs = [r[key] for r in by.get((task, rt), [])]
        return statistics.median(xs) if xs else None

    def spread(task, rt, key, f="{:.1f}"):
        xs = [r[key] for r in by.get((task, rt), [])]
        return f"{f.format(min(xs))}–{f.format(max(xs))}" if len(xs) > 1 else "one run"

    L = []
    A = L.append
    A("# Training benchmark")
    A("")
    A("`zoo train` against `model.fit` in tf-keras 2.18 (TensorFlow CPU) and Keras 3 + JAX (CPU): fine-tuning "
      "ResNet50's last stage with a new 10-class head, training a Dense head on 2048-d features, and full-network "
      "backward passes through VGG16 and ResNet50. Generated by `Benchmarks/train/run.sh`; all numbers are from one "
      "run on the machine described, measured in that run, not a promise for other machines.")
    A("")
    A("## Setup")
    A("")
    A(f"- Command: `{args.command}`")
    A(f"- Date: {datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}")
    cpu_model = sh("sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1")
    flags = sh("sed -n 's/^flags[[:space:]]*: //p' /proc/cpuinfo | head -1").split()
    simd = "AVX-512 (avx512f)" if "avx512f" in flags else ("AVX2 only, no avx512f" if "avx2" in flags else "no AVX2")
    mem = sh("free -g | awk '/Mem:/{print $2}'")
    A(f"- Machine: {cpu_model}, {os.cpu_count()} CPUs (`nproc` {sh('nproc')}), {simd}, {mem} GiB memory; "
      f"{platform.platform()}")
    A(f"- zoo kernel: `{args.kernel}` (from `zoo bench Fixtures/compute/stem.keras --batch 2 --iterations 3 --json`); "
      f"zoo uses every core (`--threads` default).")
    A(f"- Swift: {sh('swift --version 2>&1 | head -1')}; zoo built with "
      f"`swift build -c release --product zoo --scratch-path .build-bench` at commit `{sh('git rev-parse --short HEAD')}`"
      + (" (with uncommitted changes in the work tree)" if sh("git status --porcelain -- Sources Package.swift") else ""))
    vers = {}
    for r in runs:
        for k, v in (r.get("versions") or {}).items():
            vers[k] = v
    jit = {rt: next((r["jit_compile"] for r in runs if r["runtime"] == rt and r.get("jit_compile")), "?") for rt in ("tfkeras", "jax")}
    A("- Peers: " + ", ".join(f"{k} {v}" for k, v in vers.items()) +
      f"; tf-keras in `{args.tf_python}`, Keras 3 in `{args.jax_python}` (`KERAS_BACKEND=jax JAX_PLATFORMS=cpu`). "
      f"Keras defaults for compilation: tf-keras `model.jit_compile` = {jit['tfkeras']} (fit runs a `tf.function` "
      f"graph, no XLA), Keras 3 + JAX `model.jit_compile` = {jit['jax']} (the train step is `jax.jit`-compiled by XLA). "
      "Both use TensorFlow's / XLA's default threading (all cores).")
    A(f"- Load: before measuring `{up_before}`; after `{up_after}`. run.sh waited {args.waited} s (at most "
      f"{args.max_wait}) for the 1-min load average to fall below {args.quiet_load}. The machine is shared (builds and "
      "tests of other sessions), so a load near or above the 2 cores makes every runtime slower alike; runs were "
      "interleaved (zoo, tf-keras, Keras 3 + JAX in turn, each round) so that all see the same conditions. The 1-min "
      "load average at the start of every run is in the tables.")
    A(f"- Data (seeded, `bench.py make-data`): fine-tuning {args.samples['finetune.npz']} images, full-network "
      f"{args.samples['full.npz']} images, 224x224x3 float32 uniform in [-1, 1], labels in 0..9; head "
      f"{args.samples['features.npz']} standard-normal 2048-d features. Weights: the seeded "
      "`/tmp/swiftzoo-interop/{resnet50,vgg16}_notop.h5` (`Tests/Interop/make_models.py`), loaded by zoo directly and "
      "by the peers with `keras.applications.X(weights=None, include_top=False, input_shape=(224, 224, 3))` + "
      "`load_weights`; the new head is GlobalAveragePooling2D + Dense(10, softmax) (zoo: `--head-classes 10`, whose "
      "initial head weights differ from Keras's, which does not change the work).")
    A("- Method: every run is its own process. Each runtime trains for E epochs with shuffle off, Adam, sparse "
      "categorical cross-entropy (+ accuracy metric); the first epoch (tracing / XLA compilation / zoo's planning) "
      "is left out and the throughput is samples x (E - 1) / (sum of the other epochs' seconds): zoo's from the "
      "`--json` epoch lines, the peers' from a Keras callback timing `on_epoch_begin` to `on_epoch_end`. "
      "Medians over the rounds, with the range (min–max over rounds). Peak RSS = the whole process's `ru_maxrss` "
      "(`wait4`), including the runtime's libraries, the data and the weights. \"Wall\" = the whole process, "
      "start to exit (imports, loading, compilation, every epoch, and for zoo writing the trained model). "
      "With two rounds the median is their mean.")
    loads = [r["load1"] for r in runs]
    if loads and max(loads) >= 1.5:
        A(f"- **Caveat:** the 1-min load average at the start of the runs was {min(loads):.2f} to {max(loads):.2f} on "
          f"{os.cpu_count()} cores: other work was running during the whole measurement, so every runtime got only part "
          "of the machine, the absolute numbers are pessimistic and the ranges are wide. The ratios come from "
          "interleaved runs under the same conditions, but a quiet machine could shift them.")
    A("")

    def table(task, rts, unit):
        A("| runtime | " + ("ms / step" if unit == "ms" else "images/s") + " (median) | range over rounds | first epoch s | "
          "wall s | peak RSS | loss (epoch 1 → last) | loads at start |")
        A("|---|---:|---:|---:|---:|---:|---|---|")
        for rt in rts:
            rs = by.get((task, rt), [])
            if not rs:
                A(f"| {RUNTIMES[rt]} | n/a | | | | | | |")
                continue
            key = "ms_per_step" if unit == "ms" else "ips"
            f = "{:.2f}" if unit == "ms" else "{:.1f}"
            losses = rs[0].get("losses") or []
            ls = f"{losses[0]:.4f} → {losses[-1]:.4f}" if losses else ""
            A(f"| {RUNTIMES[rt]} | {f.format(med(task, rt, key))} | {spread(task, rt, key, f)} | "
              f"{med(task, rt, 'first_epoch'):.2f} | {med(task, rt, 'wall'):.1f} | {fmt_rss(med(task, rt, 'rss'))} | {ls} | "
              + ", ".join(f"{r['load1']:.2f}" for r in rs) + " |")

    def ratios(task, rt_zoo, unit, peers=("tfkeras", "jax")):
        key = "ms_per_step" if unit == "ms" else "ips"
        z = med(task, rt_zoo, key)
        out = []
        for p in peers:
            v = med(task, p, key)
            if z and v:
                speed = (v / z) if unit == "ms" else (z / v)
                out.append(f"{RUNTIMES[rt_zoo].split(' (')[0]} / {RUNTIMES[p]}: **{speed:.2f}x** the speed, "
                           f"{med(task, rt_zoo, 'rss') / med(task, p, 'rss'):.2f}x the peak RSS")
        return out

    def params_note(task, rts):
        ps = {RUNTIMES[rt]: by[(task, rt)][0].get("trainable_parameters") for rt in rts if by.get((task, rt))}
        vals = set(v for v in ps.values() if v is not None)
        if not ps:
            return
        if len(vals) == 1:
            A(f"Trainable parameters: {vals.pop():,} in every runtime.")
        else:
            A("Trainable parameters differ: " + ", ".join(f"{k} {v:,}" if v is not None else f"{k} ?" for k, v in ps.items()) + ".")

    tasks_here = [p[0] for p in plan]
    epochs_of = {p[0]: p[2] for p in plan}
    rounds_of = {p[0]: p[3] for p in plan}
    if "finetune" in tasks_here:
        n = args.samples["finetune.npz"]
        A("## 1. Fine-tuning ResNet50 from conv5_block1 (batch 16)")
        A("")
        A(f"ResNet50 notop + new head; every layer before `conv5_block1_1_conv` frozen (in Keras's layer order, which "
          "also freezes the stage's shortcut `conv5_block1_0_conv` / `_0_bn`; frozen BatchNormalization in inference "
          f"mode), the rest trains. {n} images, batch 16 ({-(-n // 16)} steps per epoch), {epochs_of['finetune']} "
          f"epochs per run, {rounds_of['finetune']} rounds. zoo: `zoo train resnet50_notop.h5 --data finetune.npz "
          "--head-classes 10 --train-from conv5_block1_1_conv --epochs E --batch 16 --optimizer adam --learning-rate "
          "1e-4 --no-shuffle --json --no-feature-cache -o out.keras`; the feature-cache row is the same without "
          "`--no-feature-cache`.")
        A("")
        A("zoo's row is with `--no-feature-cache` (the frozen prefix runs on every step, as in Keras).")
        A("")
        table("finetune", ["zoo", "tfkeras", "jax"], "ips")
        A("")
        for line in ratios("finetune", "zoo", "ips"):
            A(f"- {line}")
        A("")
        params_note("finetune", ["zoo", "tfkeras", "jax"])
        A("")
        A("**zoo feature-cache mode** (a zoo feature, not comparable with Keras's fit: the frozen prefix runs once over "
          "the data before the first epoch, and each step then runs only the trainable layers on the cached "
          "conv4_block6_out features; the cache pass is not in any epoch's seconds but is in the wall time):")
        A("")
        table("finetune", ["zoo-cache"], "ips")
        zc, zn = med("finetune", "zoo-cache", "ips"), med("finetune", "zoo", "ips")
        if zc and zn:
            per_img_all = 1e3 / zn
            per_img_train = 1e3 / zc
            A("")
            A(f"Where zoo's fine-tuning step goes: with the prefix every step, {per_img_all:.1f} ms per image; the "
              f"trainable part alone (cache mode) {per_img_train:.1f} ms per image; so the frozen prefix's forward pass "
              f"(conv1 .. conv4, inference core) is about {per_img_all - per_img_train:.1f} ms per image, "
              f"{100 * (1 - per_img_train / per_img_all):.0f}% of a step. Cache mode's steps are "
              f"{zc / zn:.1f}x faster; end to end (wall, {epochs_of['finetune']} epochs, including the cache pass) "
              f"{med('finetune', 'zoo', 'wall'):.1f} s against {med('finetune', 'zoo-cache', 'wall'):.1f} s.")
        A("")
    if "head" in tasks_here:
        n = args.samples["features.npz"]
        A("## 2. Head-only training on cached features (batch 256)")
        A("")
        A(f"Input(2048) -> Dense(10, softmax) (zoo: `head.keras` written by Keras 3), {n} features of 2048 floats "
          f"(`features.npz`, x of shape ({n}, 2048)), batch 256 ({-(-n // 256)} steps per epoch), Adam(1e-3), "
          f"{epochs_of['head']} epochs per run, {rounds_of['head']} rounds; time per step = epoch seconds / steps "
          "(epochs after the first). zoo: `zoo train head.keras --data features.npz --epochs E --batch 256 --optimizer "
          "adam --learning-rate 1e-3 --no-shuffle --json --no-feature-cache -o out.keras`.")
        A("")
        table("head", ["zoo", "tfkeras", "jax"], "ms")
        A("")
        for line in ratios("head", "zoo", "ms"):
            A(f"- {line}")
        A("")
        params_note("head", ["zoo", "tfkeras", "jax"])
        A("")
    for task, title, first in (("full-vgg16", "VGG16", "block1_conv1"), ("full-resnet50", "ResNet50", "conv1_conv")):
        if task not in tasks_here:
            continue
        n = args.samples["full.npz"]
        A(f"## 3{'a' if title == 'VGG16' else 'b'}. Full-network backward: {title} (batch 8)")
        A("")
        A(f"{title} notop + new head, every layer trainable (zoo `--train-from {first}`), {n} images, batch 8 "
          f"({-(-n // 8)} steps per epoch), {epochs_of[task]} epochs per run (the first left out), {rounds_of[task]} rounds.")
        A("")
        table(task, ["zoo", "tfkeras", "jax"], "ips")
        A("")
        for line in ratios(task, "zoo", "ips"):
            A(f"- {line}")
        A("")
        params_note(task, ["zoo", "tfkeras", "jax"])
        if task == "full-vgg16":
            A("")
            A("The losses differ because VGG16 has no BatchNormalization and its seeded weights give very large logits: "
              "tf-keras's sparse categorical cross-entropy on a softmax output takes the softmax's logits and is "
              "unbounded (hundreds), Keras 3 clips the probabilities to [1e-7, 1 - 1e-7] (saturated here, about 13.1, "
              "barely moving), and zoo's new head starts from other weights. The arithmetic of a step is the same.")
        A("")
    A("## Summary (median images/s or ms/step; zoo's speed relative to each peer)")
    A("")
    A("| measurement | zoo | tf-keras | Keras 3 + JAX | zoo / tf-keras | zoo / JAX |")
    A("|---|---:|---:|---:|---:|---:|")
    for task, label, unit in (("finetune", "ResNet50 fine-tune conv5, b16 (img/s)", "ips"),
                              ("head", "Dense head on features, b256 (ms/step)", "ms"),
                              ("full-vgg16", "VGG16 full backward, b8 (img/s)", "ips"),
                              ("full-resnet50", "ResNet50 full backward, b8 (img/s)", "ips")):
        if task not in tasks_here:
            continue
        key = "ms_per_step" if unit == "ms" else "ips"
        z, t, j = (med(task, rt, key) for rt in ("zoo", "tfkeras", "jax"))
        f = (lambda v: f"{v:.2f}" if v else "n/a") if unit == "ms" else (lambda v: f"{v:.1f}" if v else "n/a")
        rat = lambda a, b: ("n/a" if not (a and b) else f"{(b / a) if unit == 'ms' else (a / b):.2f}")  # noqa: E731
        A(f"| {label} | {f(z)} | {f(t)} | {f(j)} | {rat(z, t)} | {rat(z, j)} |")
    A("")
    A("Ratios are speed ratios: above 1 means zoo is faster (for ms/step, peer time / zoo time).")
    if problems:
        A("")
        A("## Problems")
        A("")
        for p in problems:
            A(f"- {p['task']} / {RUNTIMES[p['runtime']]}: {p['why']}; not measured further. Command: `{p['command']}`")
            tail = (p["stderr"] or p["stdout"]).strip().splitlines()[-6:]
            if tail:
                A("")
                A("  ```")
                for line in tail:
                    A("  " + line[:400])
                A("  ```")
    open(args.output, "w").write("\n".join(L) + "\n")
    print(f"== wrote {args.output}")


def cli():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("make-data")
    m.add_argument("work")
    m.add_argument("--finetune-samples", type=int, default=64)
    m.add_argument("--full-samples", type=int, default=16)
    m.add_argument("--head-samples", type=int, default=2048)
    w = sub.add_parser("worker")
    w.add_argument("peer", choices=["tfkeras", "jax"])
    w.add_argument("task", choices=list(TASKS))
    w.add_argument("--epochs", type=int, required=True)
    w.add_argument("--work", required=True)
    w.add_argument("--interop", required=True)
    mm = sub.add_parser("main")
    mm.add_argument("--zoo", required=True)
    mm.add_argument("--kernel", default="?")
    mm.add_argument("--work", required=True)
    mm.add_argument("--interop", required=True)
    mm.add_argument("--tf-python", required=True)
    mm.add_argument("--jax-python", required=True)
    mm.add_argument("--output", required=True)
    mm.add_argument("--command", default="bash Benchmarks/train/run.sh")
    mm.add_argument("--tasks", nargs="+", default=list(TASKS))
    mm.add_argument("--rounds", type=int, default=3)
    mm.add_argument("--full-rounds", type=int, default=2)
    mm.add_argument("--finetune-epochs", type=int, default=4)
    mm.add_argument("--head-epochs", type=int, default=10)
    mm.add_argument("--full-epochs", type=int, default=3)
    mm.add_argument("--finetune-samples", type=int, default=64)
    mm.add_argument("--full-samples", type=int, default=16)
    mm.add_argument("--head-samples", type=int, default=2048)
    mm.add_argument("--timeout", type=float, default=600)
    mm.add_argument("--quiet-load", type=float, default=1.5)
    mm.add_argument("--max-wait", type=float, default=300)
    rp = sub.add_parser("report")
    rp.add_argument("--work", required=True)
    rp.add_argument("--output", required=True)
    a = p.parse_args()
    if a.cmd == "report":
        report(a)
    elif a.cmd == "make-data":
        make_data(a)
    elif a.cmd == "worker":
        worker(a)
    else:
        a.samples = {"finetune.npz": a.finetune_samples, "full.npz": a.full_samples, "features.npz": a.head_samples}
        main(a)


if __name__ == "__main__":
    cli()
