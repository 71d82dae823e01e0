#!/usr/bin/env python3
"""The Python safetensors peer: safe_open + get_tensor (numpy) for every tensor, and load_file.

Usage: safetensors_read.py FILE [ITERATIONS]; prints one JSON line (median ms of each).
"""
import json, statistics, sys, time
from safetensors import safe_open
from safetensors.numpy import load_file

path = sys.argv[1]
iterations = int(sys.argv[2]) if len(sys.argv) > 2 else 20


def all_tensors():
    with safe_open(path, framework="numpy") as f:
        return sum(f.get_tensor(k).nbytes for k in f.keys())


def header_only():
    with safe_open(path, framework="numpy") as f:
        return len(list(f.keys()))


for fn in (all_tensors, header_only, lambda: load_file(path)):
    fn()  # warm-up
out = {}
for name, fn in (("safe_open_get_all_ms", all_tensors), ("safe_open_header_ms", header_only), ("load_file_ms", lambda: load_file(path))):
    times = []
    for _ in range(iterations):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    out[name] = statistics.median(times) * 1000
out["file"] = path
print(json.dumps(out))
