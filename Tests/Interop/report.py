"""What the interop scripts share: the PASS/FAIL tally they print and exit on, the relative
error they compare tensors with, the way they run a command, and the arguments and scratch
folder of the scripts that check both Keras eras (a tf-keras subprocess)."""

import argparse
import os
import subprocess
import tempfile
import time

import numpy as np

COMMAND_TIMEOUT = 900


def relative_error(actual, expected, scale=None):
    """max|actual - expected| / max|expected| (or / scale), in float64."""
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    if scale is None:
        scale = float(np.max(np.abs(expected))) if expected.size else 0.0
    diff = float(np.max(np.abs(actual - expected))) if expected.size else 0.0
    if scale == 0.0:
        return 0.0 if diff == 0.0 else float("inf")
    return diff / scale


def run(args, timeout=COMMAND_TIMEOUT):
    """Runs a command; returns (ok, seconds, stdout, message), message naming a failure."""
    start = time.monotonic()
    try:
        done = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return False, time.monotonic() - start, "", f"timed out after {timeout} s"
    seconds = time.monotonic() - start
    if done.returncode != 0:
        text = (done.stderr or done.stdout or "").strip().splitlines()
        return False, seconds, done.stdout, f"exit {done.returncode}: " + " | ".join(text[-5:])
    return True, seconds, done.stdout, ""


class Report:
    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.failures = []

    def check(self, label, ok, detail=""):
        """Prints one PASS or FAIL line and counts it; returns `ok`."""
        if ok:
            self.passed += 1
            print(f"PASS  {label}" + (f" ({detail})" if detail else ""), flush=True)
        else:
            self.failed += 1
            self.failures.append(label)
            print(f"FAIL  {label}: {detail}", flush=True)
        return ok

    def finish(self, log):
        """Prints the failures (through `log`) and the tally; returns the exit status."""
        if self.failures:
            log("failed: " + ", ".join(self.failures))
        print(f"{self.passed} passed, {self.failed} failed", flush=True)
        return 1 if self.failed else 0


def two_era_arguments(doc, argv, tf_side):
    """Parses --zoo, --tf-python, --workdir and the hidden --tf-side DIR of a script that runs
    itself under tf-keras as a subprocess; runs `tf_side(DIR)` and returns None for that call."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--zoo")
    parser.add_argument("--tf-python")
    parser.add_argument("--workdir")
    parser.add_argument("--tf-side", metavar="DIR", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.tf_side:
        tf_side(args.tf_side)
        return None
    if not args.zoo or not args.tf_python:
        parser.error("--zoo and --tf-python are required")
    return args


def scratch_folder(args, prefix):
    """A fresh folder under --workdir (default $TMPDIR)."""
    base = args.workdir or os.environ.get("TMPDIR", "/tmp")
    os.makedirs(base, exist_ok=True)
    return tempfile.mkdtemp(prefix=prefix, dir=base)

