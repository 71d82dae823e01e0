#!/usr/bin/env python3
"""Compute-core benchmark: zoo against tf-keras (tf.function) and ONNX Runtime (CPU) on
ResNet50 / VGG16, 224x224, batch 1 and 8. Driven by Benchmarks/compute/run.sh.

  bench.py worker tf  MODEL BATCH WARMUP ITERS       -> one JSON line
  bench.py worker ort ONNX_PATH BATCH WARMUP ITERS   -> one JSON line
  bench.py to-onnx MODEL OUT.onnx                    -> tf-keras (weights=None) -> tf2onnx
  bench.py main ...                                  -> runs everything, writes the report
"""
import argparse, datetime, json, os, platform, subprocess, sys, time

def _has_openvino():
    try:
        import importlib.util
        return importlib.util.find_spec("openvino") is not None
    except Exception:  # noqa: BLE001
        return False


# OpenVINO is measured when the bench venv has it (run.sh installs it).
RUNTIMES = ("zoo", "ort", "ov", "tf") if _has_openvino() else ("zoo", "ort", "tf")

MODELS = {"resnet50": "ResNet50", "vgg16": "VGG16",
          # Issue 12's backbones (Benchmarks/compute/backbones.sh).
          "efficientnetb0": "EfficientNetB0", "mobilenetv2": "MobileNetV2", "densenet121": "DenseNet121",
          "mobilenetv3small": "MobileNetV3Small", "mobilenetv3large": "MobileNetV3Large", "convnexttiny": "ConvNeXtTiny"}


def keras_model(name):
    import tf_keras
    return getattr(tf_keras.applications, MODELS[name])(weights=None, include_top=True,
                                                        input_shape=(224, 224, 3))


def random_input(batch):
    import numpy as np
    rng = np.random.default_rng(0)
    return rng.uniform(-100, 100, size=(batch, 224, 224, 3)).astype(np.float32)


def timed(fn, warmup, iters):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(iters):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    times.sort()
    return times


def worker(args):
    x = random_input(args.batch)
    if args.runtime == "tf":
        import tensorflow as tf
        model = keras_model(args.model)
        f = tf.function(lambda t: model(t, training=False))
        xt = tf.constant(x)
        run = lambda: f(xt).numpy()
        extra = {"intra_op_threads": tf.config.threading.get_intra_op_parallelism_threads()}
    elif args.runtime == "ov":
        # OpenVINO (CPU plugin, f32 inference precision, 2 threads, latency hint) on the same
        # ONNX file, reshaped to the batch.
        import openvino as ov
        core = ov.Core()
        model = core.read_model(args.model)
        model.reshape({model.inputs[0]: [args.batch, 224, 224, 3]})
        compiled = core.compile_model(model, "CPU", {"INFERENCE_NUM_THREADS": 2, "INFERENCE_PRECISION_HINT": "f32",
                                                     "PERFORMANCE_HINT": "LATENCY"})
        request = compiled.create_infer_request()
        run = lambda: request.infer({0: x})
        extra = {"intra_op_threads": 2}
    else:
        import onnxruntime as ort
        so = ort.SessionOptions()
        so.intra_op_num_threads = 2
        so.inter_op_num_threads = 1
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        sess = ort.InferenceSession(args.model, so, providers=["CPUExecutionProvider"])
        name = sess.get_inputs()[0].name
        run = lambda: sess.run(None, {name: x})
        extra = {"intra_op_threads": 2}
    times = timed(run, args.warmup, args.iters)
    med = times[len(times) // 2]
    print(json.dumps({"median_ms": med * 1e3, "min_ms": times[0] * 1e3,
                      "images_per_second": args.batch / med, "iterations": args.iters, **extra}))


def to_onnx(args):
    import tensorflow as tf, tf2onnx
    model = keras_model(args.model)
    spec = (tf.TensorSpec((None, 224, 224, 3), tf.float32, name="input"),)
    f = tf.function(lambda t: model(t, training=False))
    tf2onnx.convert.from_function(f, input_signature=spec, opset=17, output_path=args.out)
    # tf2onnx leaves a Normalization layer's mean and variance (EfficientNet's) as graph inputs
    # (`.../normalization/sub/y:0`, `.../normalization/Sqrt/x:0`): make them constants holding
    # the layer's values, so ORT runs the same model with one input.
    import numpy as np, onnx
    from onnx import numpy_helper
    extra = {}
    for layer in model.layers:
        if type(layer).__name__ == "Normalization":
            extra[f"{layer.name}/sub/y:0"] = np.asarray(layer.mean, np.float32)
            extra[f"{layer.name}/Sqrt/x:0"] = np.asarray(layer.variance, np.float32)
    graph_model = onnx.load(args.out)
    kept = []
    for graph_input in graph_model.graph.input:
        value = next((v for k, v in extra.items() if graph_input.name.endswith(k)), None)
        if graph_input.name == "input" or value is None:
            kept.append(graph_input)
            continue
        dims = [d.dim_value for d in graph_input.type.tensor_type.shape.dim]
        graph_model.graph.initializer.append(numpy_helper.from_array(value.reshape(dims), graph_input.name))
    if len(kept) != len(graph_model.graph.input):
        del graph_model.graph.input[:]
        graph_model.graph.input.extend(kept)
        onnx.save(graph_model, args.out)
    if len(kept) != 1:
        raise SystemExit(f"to-onnx {args.model}: the ONNX model has inputs {[i.name for i in kept]}; expected one")


def save_h5(args):
    """The tf-keras model (weights=None, seeded by TensorFlow's initializers) as a full .h5."""
    model = keras_model(args.model)
    model.save(args.out)


def run_measured(cmd):
    """Runs cmd as a child and returns (returncode, stdout, stderr, peak RSS bytes)."""
    import tempfile
    with tempfile.TemporaryFile("w+") as fo, tempfile.TemporaryFile("w+") as fe:
        p = subprocess.Popen(cmd, stdout=fo, stderr=fe, text=True)
        _, status, ru = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
        fo.seek(0); fe.seek(0)
        return p.returncode, fo.read(), fe.read(), ru.ru_maxrss * 1024


def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout.strip()
    except Exception as e:  # noqa
        return f"? ({e})"


def main(args):
    py = sys.executable
    me = os.path.abspath(__file__)
    results = []   # dicts: runtime, model, batch, ips, median_ms, gflops, rss
    problems = []
    waited = 0
    while os.getloadavg()[0] >= args.quiet_load and waited < args.max_wait:
        if waited == 0:
            print(f"== waiting up to {args.max_wait} s for the 1-min load average to drop below {args.quiet_load}", flush=True)
        time.sleep(10)
        waited += 10
    args.waited = waited
    uptime_before = sh("uptime")
    print("== load before measuring:", uptime_before, flush=True)
    plan = []
    for model in args.models:
        for batch in (1, 8):
            if batch == 1:
                warm, iters = 3, args.iters1
            else:
                warm, iters = 1, (max(3, args.iters8 - 2) if model == "vgg16" else args.iters8)
            plan.append((model, batch, warm, iters))
    for model, batch, warm, iters in plan:
        for runtime in RUNTIMES:
            if runtime == "zoo":
                cmd = [args.zoo, "bench", os.path.join(args.work, f"{model}.zoo"), "--batch", str(batch),
                       "--iterations", str(iters), "--json"]
            elif runtime == "ort":
                onnx = os.path.join(args.work, f"{model}.onnx")
                if not os.path.exists(onnx):
                    msg = (f"ORT {MODELS[model]}: no ONNX file ({onnx}); not measured (tf2onnx of VGG16 needs "
                           "~14 GB and minutes, so run.sh converts it only with BENCH_VGG16_ONNX=1)")
                    if msg not in problems:
                        problems.append(msg)
                    continue
                cmd = [py, me, "worker", "ort", onnx, str(batch), str(warm), str(iters)]
            elif runtime == "ov":
                onnx = os.path.join(args.work, f"{model}.onnx")
                if not os.path.exists(onnx):
                    continue  # said once for ORT
                cmd = [py, me, "worker", "ov", onnx, str(batch), str(warm), str(iters)]
            else:
                cmd = [py, me, "worker", "tf", model, str(batch), str(warm), str(iters)]
            print(f"== {runtime} {model} batch {batch}: {iters} timed runs", flush=True)
            load1 = os.getloadavg()[0]
            rc, out, err, rss = run_measured(cmd)
            if rc != 0:
                problems.append(f"{runtime} {model} batch {batch}: exit {rc}: {err.strip()[-400:]}")
                print(err[-2000:], flush=True)
                continue
            d = json.loads(out.strip().splitlines()[-1])
            r = {"runtime": runtime, "model": model, "batch": batch, "ips": d["images_per_second"],
                 "median_ms": d["median_ms"], "min_ms": d.get("min_ms"), "iters": iters,
                 "gflops": d.get("gflops"), "flops": d.get("flops_per_run"), "rss": rss,
                 "peak_act": d.get("peak_activation_bytes"), "threads": d.get("threads", d.get("intra_op_threads")),
                 "kernel": d.get("kernel"), "load1": load1}
            print("   ", json.dumps(r), flush=True)
            results.append(r)
    uptime_after = sh("uptime")
    print("== load after measuring:", uptime_after, flush=True)
    # Where zoo's time goes: every step timed (medians), after the comparison so it does not
    # disturb it.
    profiles = {}
    for model, batch, warm, iters in plan:
        cmd = [args.zoo, "bench", os.path.join(args.work, f"{model}.zoo"), "--batch", str(batch),
               "--iterations", str(max(3, iters - 2)), "--json", "--profile"]
        print(f"== zoo profile {model} batch {batch}", flush=True)
        rc, out, err, _ = run_measured(cmd)
        if rc == 0:
            profiles[f"{model}/{batch}"] = json.loads(out.strip().splitlines()[-1])
        else:
            problems.append(f"zoo profile {model} batch {batch}: exit {rc}: {err.strip()[-400:]}")
    # Loading: a plain .zoo (kernels packed at plan time) against a packed one (used in place).
    loading = []
    for model, batch in (("resnet50", 8), ("vgg16", 1)):
        if model not in args.models:
            continue
        for variant in ("zoo", "packed.zoo"):
            path = os.path.join(args.work, f"{model}.{variant}")
            if not os.path.exists(path):
                continue
            rc, out, err, rss = run_measured([args.zoo, "bench", path, "--batch", str(batch), "--iterations", "3", "--json"])
            if rc != 0:
                problems.append(f"zoo loading {model} {variant}: exit {rc}: {err.strip()[-400:]}")
                continue
            d = json.loads(out.strip().splitlines()[-1])
            loading.append({"model": model, "batch": batch, "variant": variant, "load_ms": d.get("load_ms"),
                            "plan_ms": d.get("plan_ms"), "rss": rss, "ips": d["images_per_second"]})
    args.loading = loading
    json.dump({"results": results, "problems": problems, "profiles": profiles, "loading": loading},
              open(os.path.join(args.work, "results.json"), "w"), indent=1)
    write_report(args, results, problems, uptime_before, uptime_after, profiles)


def versions():
    v = {}
    try:
        import importlib.metadata as md
        for p in ("tensorflow-cpu", "tensorflow", "tf-keras", "onnxruntime", "openvino", "tf2onnx", "onnx", "numpy"):
            try:
                v[p] = md.version(p)
            except md.PackageNotFoundError:
                pass
    except Exception:
        pass
    return v


def write_report(args, results, problems, up_before, up_after, profiles=None):
    get = {(r["runtime"], r["model"], r["batch"]): r for r in results}
    v = versions()
    mem = sh("free -g | awk '/Mem:/{print $2}'")
    lines = []
    A = lines.append
    names_short = {"zoo": "zoo", "ort": "ORT", "ov": "OpenVINO", "tf": "tf-keras"}
    A("# Compute-core benchmark")
    A("")
    A("zoo's CPU executor (`zoo bench`) against tf-keras (`tf.function(model(x, training=False))`) and ONNX Runtime "
      "(CPU execution provider, `intra_op_num_threads=2`, model converted from tf-keras with tf2onnx) on "
      f"{', '.join(MODELS[m] for m in args.models)} (with top, 224x224x3, float32), batch 1 and 8. Generated by `Benchmarks/compute/run.sh`; the numbers are "
      "from one run on the machine described, all measured in that one run, not a promise for other machines.")
    A("")
    A("## Setup")
    A("")
    A(f"- Command: `{args.command}`")
    A(f"- Date: {datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}")
    cpu_model = sh("lscpu | sed -n 's/^Model name: *//p'")
    avx = "AVX-512" if "avx512f" in sh("lscpu | sed -n 's/^Flags://p'") else "no AVX-512"
    A(f"- Machine: {cpu_model}, {os.cpu_count()} CPUs ({avx}), {mem} GiB memory; {platform.platform()}")
    A(f"- Load: before measuring `{up_before}`; after `{up_after}`. The machine is shared with other processes "
      "(builds and tests of other sessions), so a load average near or above the 2 cores means the timings are "
      "pessimistic for every runtime alike; they were interleaved (zoo, then each peer, for each model and batch) so "
      "that all three see the same conditions.")
    loads = [r["load1"] for r in results if r.get("load1") is not None]
    if loads:
        A(f"  Before measuring, run.sh waited {getattr(args, 'waited', 0)} s (at most {args.max_wait}) for the 1-min "
          f"load average to fall below {args.quiet_load}; at the start of each measured process it was "
          f"{min(loads):.2f} to {max(loads):.2f} (per process: " +
          ", ".join(f"{names_short[r['runtime']]} {MODELS[r['model']]} b{r['batch']} {r['load1']:.2f}" for r in results) + ").")
    A(f"- Swift: {sh('swift --version 2>&1 | head -1')}; zoo built with "
      "`swift build -c release --product zoo --scratch-path .build-bench` at commit "
      f"`{sh('git rev-parse --short HEAD')}`")
    A("- Python packages: " + ", ".join(f"{k} {x}" for k, x in v.items()) + f" (Python {platform.python_version()})")
    A("- Environment: OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE left as they were "
      f"(`{os.environ.get('OPENBLAS_CORETYPE', 'unset')}` / `{os.environ.get('OPENBLAS_L2_SIZE', 'unset')}`)")
    seeded = [MODELS[m] for m in args.models if m in ("resnet50", "vgg16")]
    saved = [MODELS[m] for m in args.models if m not in ("resnet50", "vgg16")]
    A("- Models: zoo runs " + "; ".join(
        ([f"`/tmp/swiftzoo-interop/<name>_top.h5` for {', '.join(seeded)} (legacy Keras weights files with seeded weights)"] if seeded else []) +
        ([f"tf-keras's own full-model `.h5` (`bench.py save-h5`, weights=None) for {', '.join(saved)}"] if saved else [])) +
      ", converted with `zoo convert X.h5 X.zoo`; tf-keras builds `tf_keras.applications.<Name>("
      "weights=None)` (same architecture; weight values do not change the work done); ORT runs that tf-keras model "
      "converted with `tf2onnx.convert.from_function` (opset 17, dynamic batch, NHWC input as in Keras)" +
      ("; OpenVINO (CPU plugin) runs the same ONNX file reshaped to the batch, with `INFERENCE_PRECISION_HINT=f32`, "
       "`INFERENCE_NUM_THREADS=2`, `PERFORMANCE_HINT=LATENCY`." if "ov" in RUNTIMES else "."))
    conv = []
    for m in args.models:
        t = os.path.join(args.work, f"{m}.onnx.time")
        if os.path.exists(t):
            try:
                kb, sec = open(t).read().split()[-2:]
                conv.append(f"{MODELS[m]} {float(sec):.0f} s, peak RSS {int(kb) / 2**20:.1f} GiB")
            except ValueError:
                pass
    if conv:
        A("- tf2onnx conversion (done once, cached in the work folder): " + "; ".join(conv) + ".")
    A("- Method: every runtime/model/batch runs in its own fresh process on the same random input range. zoo: "
      "`zoo bench MODEL.zoo --batch N --iterations K --json` (one warm-up run, default threads = all cores). "
      "tf-keras, ORT and OpenVINO: 3 warm-up runs at batch 1, 1 at batch 8, then K timed runs; tf-keras uses TensorFlow's default threading (intra-op 0 = all cores). K = "
      f"{args.iters1} at batch 1, {args.iters8} at batch 8 ({max(3, args.iters8 - 2)} for VGG16). "
      "Reported: images/s = batch / median run time. Peak memory is the process's peak RSS (`ru_maxrss` from "
      "`wait4`), so it includes the runtime's libraries and the weights.")
    A("")
    A("## Images per second")
    A("")
    def ips_table(images_per_second, label):
        """One row per model and batch: each runtime's images/s (labelled) and zoo's ratios."""
        peers = [rt for rt in RUNTIMES if rt != "zoo"]
        titles = {"ort": "ONNX Runtime", "ov": "OpenVINO", "tf": "tf-keras"}
        A("| model | batch | zoo | " + " | ".join(titles[rt] for rt in peers) + " | " +
          " | ".join(f"zoo / {names_short[rt]}" for rt in peers) + " |")
        A("|---|---:|---:|" + "---:|" * (2 * len(peers)))
        ratio = lambda x, y: f"{x / y:.2f}" if x and y else "n/a"  # noqa: E731
        for m in args.models:
            for b in (1, 8):
                z = images_per_second("zoo", m, b)
                cells = [label(rt, m, b, images_per_second(rt, m, b)) for rt in peers]
                ratios = [ratio(z, images_per_second(rt, m, b)) for rt in peers]
                A(f"| {MODELS[m]} | {b} | {label('zoo', m, b, z)} | " + " | ".join(cells) + " | " + " | ".join(ratios) + " |")

    def median_ips(rt, m, b):
        r = get.get((rt, m, b))
        return r["ips"] if r else None

    def best_ips(rt, m, b):
        r = get.get((rt, m, b))
        return b * 1e3 / r["min_ms"] if r and r.get("min_ms") else None

    def with_time(rt, m, b, ips):
        return f"{ips:.1f} ({get[(rt, m, b)]['median_ms']:.0f} ms)" if ips else "n/a"

    ips_table(median_ips, with_time)
    A("")
    A("Cells are images/s with the median time of one batch in brackets. Ratios above 1 mean zoo is faster.")
    A("")
    A("Best single run (images/s from the minimum time), to show how noisy the medians are on this shared machine:")
    A("")
    ips_table(best_ips, lambda rt, m, b, ips: f"{ips:.1f}" if ips else "n/a")
    A("")
    first = args.models[0]
    A(f"## Peak memory ({MODELS[first]}, batch 8)")
    A("")
    A("| runtime | peak RSS |")
    A("|---|---:|")
    names = {"zoo": "zoo", "ort": "ONNX Runtime", "ov": "OpenVINO", "tf": "tf-keras"}
    for rt in RUNTIMES:
        r = get.get((rt, first, 8))
        A(f"| {names[rt]} | {r['rss'] / 2**20:.0f} MiB |" if r else f"| {names[rt]} | n/a |")
    z = get.get(("zoo", first, 8))
    if z and z.get("peak_act"):
        A("")
        A(f"zoo's planned peak activation memory for this run is {z['peak_act'] / 2**20:.1f} MiB (`peak_activation_bytes`).")
    others = [r for r in results if not (r["model"] == first and r["batch"] == 8)]
    if others:
        A("")
        A("Peak RSS of the other processes: " + "; ".join(
            f"{names[r['runtime']]} {MODELS[r['model']]} b{r['batch']} {r['rss'] / 2**20:.0f} MiB" for r in others) + ".")
    A("")
    A("## zoo GFLOP/s")
    A("")
    A("| model | batch | GFLOP per run | median ms | GFLOP/s | kernel | threads |")
    A("|---|---:|---:|---:|---:|---|---:|")
    for m in args.models:
        for b in (1, 8):
            r = get.get(("zoo", m, b))
            if r and r.get("gflops") is not None:
                A(f"| {MODELS[m]} | {b} | {r['flops'] / 1e9:.1f} | {r['median_ms']:.1f} | {r['gflops']:.1f} | "
                  f"{r['kernel']} | {r['threads']} |")
    A("")
    A(f"Machine peak: about {args.core_peak:.0f} GFLOP/s of FP32 FMA per core ({args.peak_note}), so about "
      f"{args.core_peak * (os.cpu_count() or 1):.0f} GFLOP/s for the {os.cpu_count()} cores. `zoo bench`'s GFLOP/s "
      "is the FLOPs of the convolution and Dense layers (2 per multiply-add, `flops_per_run`) divided by the "
      "median wall time of the whole run, which also includes pooling, padding, softmax and the other layers; so it "
      "is a lower bound for what the convolution kernels themselves reach. It counts the FLOPs of the direct "
      "convolution: 3x3 stride-1 layers run as Winograd (F(4x4, 3x3) from 28x28 up, 4x fewer multiplications; "
      "F(2x2, 3x3) on smaller images, 2.25x fewer), so for VGG16 (almost all such layers) and part of ResNet50 this is "
      "an effective rate that can exceed the machine's peak.")
    best = max((r for r in results if r["runtime"] == "zoo" and r.get("gflops")), key=lambda r: r["gflops"], default=None)
    if best:
        A(f"Best here: {best['gflops']:.1f} GFLOP/s ({MODELS[best['model']]} batch {best['batch']}), "
          f"{100 * best['gflops'] / (args.core_peak * (os.cpu_count() or 1)):.0f}% of that peak.")
    loading = getattr(args, "loading", [])
    if loading:
        A("")
        A("## Loading: plain .zoo against `--pack`")
        A("")
        A("`zoo convert X.h5 X.packed.zoo --pack` folds BatchNormalization and stores the Dense and direct-convolution "
          "kernels in the compute core's GEMM panel layout, which the core multiplies by in place from the mapping; a "
          "plain .zoo has its kernels folded and packed when the first plan is made (`plan_ms`: BatchNorm folding, "
          "packing, Winograd kernel transforms). Separate processes, after the comparison above.")
        A("")
        A("| model | batch | file | open ms | plan ms | images/s | peak RSS |")
        A("|---|---:|---|---:|---:|---:|---:|")
        for r in loading:
            A(f"| {MODELS[r['model']]} | {r['batch']} | {r['variant']} | {r['load_ms']:.1f} | {r['plan_ms']:.0f} | "
              f"{r['ips']:.1f} | {r['rss'] / 2**20:.0f} MiB |")
    if profiles:
        A("")
        A("## Where zoo's time goes (profile)")
        A("")
        A("`zoo bench MODEL.zoo --batch N --profile --json` times every step of the plan (median over the runs), "
          "run after the comparison above. At batch 1 every layer is split across both cores; at batch 8 each core "
          "runs its own 4 images as one batch through a single-threaded plan, so the step times there are one core's "
          "for 4 images while the other core runs the other 4. GFLOP/s per step are that step's direct-convolution "
          "FLOPs over its median time (effective rates for Winograd layers).")
        A("")
        A("| model | batch | summed step ms | conv share | conv GFLOP/s (time-weighted) | slowest convolutions (ms, GFLOP/s) |")
        A("|---|---:|---:|---:|---:|---|")
        for m in args.models:
            for b in (1, 8):
                pr = profiles.get(f"{m}/{b}")
                if not pr:
                    continue
                steps = pr.get("profile", [])
                total = sum(x["ms"] for x in steps) or 1e-9
                convs = [x for x in steps if x.get("gflops")]
                conv_ms = sum(x["ms"] for x in convs)
                conv_rate = sum(x["flops"] for x in convs) / (conv_ms or 1e-9) / 1e6
                slow = sorted(convs, key=lambda x: x["gflops"])[:4]
                A(f"| {MODELS[m]} | {b} | {total:.1f} | {100 * conv_ms / total:.0f}% | {conv_rate:.0f} | " +
                  "; ".join(f"{x['name']} ({x['kind'].split(' rows')[0]}) {x['ms']:.2f} ms, {x['gflops']:.0f}" for x in slow) + " |")
        # What bounds the slowest layers: Dense layers at small batch stream their weights once per
        # run, so their time is memory bandwidth, not arithmetic.
        notes = []
        for key, pr in profiles.items():
            m, b = key.split("/")
            steps = pr.get("profile", [])
            total = sum(x["ms"] for x in steps) or 1e-9
            dense = [x for x in steps if x.get("flops") and " rows " in x["kind"] and
                     int(x["kind"].split(" rows ")[1].split()[0]) <= int(b)]
            if dense:
                ms = sum(x["ms"] for x in dense)
                mb = 0.0
                for x in dense:
                    a, c = x["kind"].split()[2].split("->")
                    mb += int(a) * int(c) * 4 / 2**20
                per_thread = " per core" if pr.get("images_per_thread") else ""
                notes.append(f"{MODELS[m]} b{b}: the Dense layers take {ms:.1f} ms ({100 * ms / total:.0f}% of the summed "
                             f"step time) to stream {mb:.0f} MiB of weights{per_thread}, {mb / 1024 / (ms / 1000):.1f} GiB/s")
        if notes:
            A("")
            A("What bounds the rest: " + "; ".join(notes) + ". The convolutions run near the kernels' speed; at batch 8 "
              "ResNet50's 1x1 convolutions on 56x56 maps (64 input channels) are the least efficient, as they move more "
              "activation bytes per FLOP than any other layer.")
        A("")
        A("Per-kind totals (ms): " + "; ".join(
            f"{MODELS[k.split('/')[0]]} b{k.split('/')[1]}: " +
            ", ".join(f"{kind} {ms:.2f}" for kind, ms in pr.get("profile_ms_by_kind", {}).items())
            for k, pr in profiles.items()) + ".")
    if problems:
        A("")
        A("## Problems")
        A("")
        for p in problems:
            A(f"- {p}")
    open(args.output, "w").write("\n".join(lines) + "\n")
    print(f"== wrote {args.output}")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    w = sub.add_parser("worker")
    w.add_argument("runtime", choices=["tf", "ort", "ov"]); w.add_argument("model")
    w.add_argument("batch", type=int); w.add_argument("warmup", type=int); w.add_argument("iters", type=int)
    c = sub.add_parser("to-onnx"); c.add_argument("model", choices=list(MODELS)); c.add_argument("out")
    s = sub.add_parser("save-h5"); s.add_argument("model", choices=list(MODELS)); s.add_argument("out")
    m = sub.add_parser("main")
    m.add_argument("--zoo", required=True); m.add_argument("--work", required=True)
    m.add_argument("--output", required=True); m.add_argument("--command", required=True)
    m.add_argument("--models", nargs="+", default=["resnet50", "vgg16"])
    m.add_argument("--iters1", type=int, default=7); m.add_argument("--iters8", type=int, default=5)
    m.add_argument("--core-peak", type=float, default=117.0)
    m.add_argument("--quiet-load", type=float, default=1.5)
    m.add_argument("--max-wait", type=int, default=300)
    m.add_argument("--peak-note", default="Zen 4 class, AVX-512 double-pumped: measured with an FMA loop, not in this run")
    a = ap.parse_args()
    {"worker": worker, "to-onnx": to_onnx, "save-h5": save_h5, "main": main}[a.cmd](a)
