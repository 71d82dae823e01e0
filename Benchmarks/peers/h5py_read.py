#!/usr/bin/env python3
"""The h5py peer of ZooBench: read every weight of a legacy Keras .h5 file into numpy.

Usage:
    python Benchmarks/peers/h5py_read.py FILE [--iterations N] [--warmup W]

Each read opens FILE with h5py, walks layer_names / weight_names (joining Keras's split
name0, name1, ... chunks, and looking under model_weights/ for a full-model file), and reads
every listed weight dataset into a fresh numpy array (np.empty + Dataset.read_direct), keeping
all arrays alive until the file is closed, as ZooBench keeps the whole checkpoint. W untimed
reads (default 1), then N timed ones (default 20). Prints one JSON line with the same fields as
ZooBench: median and minimum wall time in ms, GB/s (1 GB = 1e9 bytes), and peak memory as
resource.getrusage ru_maxrss (KiB on Linux) minus the same value taken after the imports.
"""

import argparse
import gc
import json
import os
import resource
import statistics
import sys
import time

import h5py
import numpy as np

BASELINE_MAXRSS = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def vm_status(field):
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


BASELINE_RSS = vm_status("VmRSS")


def names(obj, attr):
    if attr in obj.attrs:
        chunks = [obj.attrs[attr]]
    else:
        chunks = []
        while f"{attr}{len(chunks)}" in obj.attrs:
            chunks.append(obj.attrs[f"{attr}{len(chunks)}"])
    out = []
    for chunk in chunks:
        array = np.asarray(chunk)
        if array.dtype.kind == "f":  # Keras stores an empty weight_names as float64 []
            continue
        out += [v.decode("utf-8") if isinstance(v, bytes) else str(v) for v in array.reshape(-1)]
    return out


def read_once(path):
    """Reads every weight; returns (weight count, params, bytes)."""
    arrays = []
    with h5py.File(path, "r") as f:
        group = f if ("layer_names" in f.attrs or "layer_names0" in f.attrs) else f["model_weights"]
        for layer in names(group, "layer_names"):
            layer_group = group[layer]
            for weight in names(layer_group, "weight_names"):
                dataset = layer_group[weight]
                array = np.empty(dataset.shape, dtype=dataset.dtype)
                if array.size:
                    dataset.read_direct(array)
                arrays.append(array)
    return len(arrays), sum(a.size for a in arrays), sum(a.nbytes for a in arrays)


def main(argv=None):
    parser = argparse.ArgumentParser(description="Read every weight of a legacy Keras .h5 with h5py.")
    parser.add_argument("file")
    parser.add_argument("--iterations", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=1)
    args = parser.parse_args(argv)
    if args.iterations < 1 or args.warmup < 0:
        parser.error("--iterations must be >= 1 and --warmup >= 0")

    shape = (0, 0, 0)
    for _ in range(args.warmup):
        shape = read_once(args.file)
    times = []
    for _ in range(args.iterations):
        gc.collect()
        start = time.perf_counter()
        shape = read_once(args.file)
        times.append((time.perf_counter() - start) * 1e3)

    weights, params, nbytes = shape
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    median, best = statistics.median(times), min(times)
    result = {
        "tool": "h5py",
        "file": args.file,
        "h5py": h5py.__version__,
        "libhdf5": h5py.version.hdf5_version,
        "numpy": np.__version__,
        "iterations": args.iterations,
        "warmup": args.warmup,
        "weights": weights,
        "params": params,
        "weight_bytes": nbytes,
        "median_ms": round(median, 3),
        "min_ms": round(best, 3),
        "gbps_median": round(nbytes / (median / 1e3) / 1e9, 3),
        "gbps_best": round(nbytes / (best / 1e3) / 1e9, 3),
        "baseline_maxrss_bytes": BASELINE_MAXRSS,
        "baseline_rss_bytes": BASELINE_RSS,
        "peak_rss_bytes": peak,
        "peak_over_baseline_bytes": peak - BASELINE_MAXRSS,
        "peak_rss_per_weight_byte": round(peak / nbytes, 4) if nbytes else None,
        "peak_over_baseline_per_weight_byte": round((peak - BASELINE_MAXRSS) / nbytes, 4) if nbytes else None,
        "times_ms": [round(t, 3) for t in times],
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
