#!/usr/bin/env python3
"""Runs the hostile-input suite: every mutant from generate.py through the zoo commands that read
it, then the output faults (missing / read-only directory, full disk), kills mid-write, inputs
truncated while zoo runs, and parallel identical runs. Prints a table per class and exits 1 when
any run breaks a rule (unless --allow'ed):

  exit status 0 or 1 (a signal, another status, or a hang over --timeout s is a violation);
  on exit 1 exactly one 'zoo: error:' line on stderr, on exit 0 none; every stderr line starts
  with 'zoo: ' (no libhdf5 dumps); max RSS (wait4's ru_maxrss) at most --max-rss-mb;
  no byte of /etc/passwd in any output or in stdout; no pickle executed; after a failure the
  output directory is left as it was (no output, no temporary file); a successful output parses.

Usage: run.py --zoo PATH [--workdir DIR] [--seed N] [--quick | --full] [--json FILE]
              [--allow KIND | --allow CLASS=KIND]... [--known-failures FILE] [--no-generate]
"""
import argparse
import collections
import concurrent.futures as cf
import fnmatch
import hashlib
import io
import json
import os
import random
import shlex
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hostile_common import MANIFEST, PICKLE_CANARY, SEEDS, passwd_marker, read_manifest  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
OUT_NAMES = {"zoo": "out.zoo", "safetensors": "out.safetensors", "keras": "out.keras", "h5": "out.h5",
             "weights.h5": "out.weights.h5", "model.h5": "out.model.h5"}
EXTRACT_ARGS = ["--layer", "avg_pool", "--image-size", "8", "8", "--color-mode", "grayscale", "--preprocessing", "none"]


class PipeCapture:
    """A pipe whose read end a thread drains; seek/read/close like the capture files."""
    def __init__(self):
        self.r, self.w = os.pipe()
        self.chunks = []
        self.t = threading.Thread(target=self._drain, daemon=True)

    def start(self):
        os.close(self.w)
        self.t.start()

    def _drain(self):
        while True:
            b = os.read(self.r, 65536)
            if not b:
                break
            self.chunks.append(b)
        os.close(self.r)

    def seek(self, _):
        self.t.join(5)

    def read(self):
        return b"".join(self.chunks)

    def close(self):
        pass


class Suite:
    def __init__(self, a):
        self.a = a
        self.zoo = os.path.abspath(a.zoo)
        self.workdir = os.path.abspath(a.workdir)
        self.seeds = os.path.join(self.workdir, SEEDS)
        self.marker = passwd_marker()
        self.canary = os.path.join(self.workdir, PICKLE_CANARY)
        self.lock = threading.Lock()
        self.stats = collections.OrderedDict()
        self.violations = []
        self.notes = collections.Counter()
        self.rng = random.Random(a.seed)
        self.local = threading.local()
        self.runs_root = os.path.join(self.workdir, "runs")
        self.kept = os.path.join(self.workdir, "kept")
        shutil.rmtree(self.runs_root, ignore_errors=True)
        shutil.rmtree(self.kept, ignore_errors=True)
        os.makedirs(self.runs_root)
        os.makedirs(self.kept)
        self.counter = 0
        self.allow = list(a.allow or [])
        if a.known_failures:
            self.allow += [l.split("#", 1)[0].strip() for l in open(a.known_failures) if l.split("#", 1)[0].strip()]
        self.disk_full_mode = None

    # ------------------------------------------------------------------------------------------
    # one child

    def spawn(self, argv, cwd, fsize=None, user=None):
        lim = ["prlimit", f"--as={self.a.max_as_mb << 20}"]
        if fsize is not None:
            lim.append(f"--fsize={fsize}")
        self.counter += 1
        tag = f"{threading.get_ident()}-{self.counter}"
        if fsize is not None:
            # RLIMIT_FSIZE limits every regular file the child writes, so stdout and stderr go
            # through pipes here (a capture file would make zoo's own stderr writes fail)
            out, err = PipeCapture(), PipeCapture()
        else:
            out = open(os.path.join(self.runs_root, f"stdout-{tag}"), "w+b")
            err = open(os.path.join(self.runs_root, f"stderr-{tag}"), "w+b")
        # restore_signals=False: the child keeps SIGXFSZ ignored (Python ignores it), so a write
        # past RLIMIT_FSIZE fails with EFBIG instead of killing zoo
        p = subprocess.Popen(lim + ["--"] + argv, cwd=cwd, stdin=subprocess.DEVNULL,
                             stdout=out.w if fsize is not None else out, stderr=err.w if fsize is not None else err,
                             restore_signals=fsize is None, user=user)
        if fsize is not None:
            out.start()
            err.start()
        return p, out, err

    def wait(self, p, out, err, timeout=None):
        timeout = timeout or self.a.timeout
        hung = threading.Event()

        def kill():
            hung.set()
            try:
                os.kill(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        t = threading.Timer(timeout, kill)
        t.start()
        start = time.monotonic()
        _, status, ru = os.wait4(p.pid, 0)
        t.cancel()
        p.returncode = 0  # reaped here; keep Popen from waiting again
        wall = time.monotonic() - start
        out.seek(0)
        err.seek(0)
        r = {"stdout": out.read(), "stderr": err.read(), "rss_kb": ru.ru_maxrss, "wall": wall, "hang": hung.is_set()}
        for f in (out, err):
            f.close()
            if not isinstance(f, PipeCapture):
                os.unlink(f.name)
        if os.WIFSIGNALED(status):
            r["signal"] = signal.Signals(os.WTERMSIG(status)).name
            r["rc"] = None
        else:
            r["signal"] = None
            r["rc"] = os.WEXITSTATUS(status)
        return r

    def run(self, argv, cwd, **kw):
        timeout = kw.pop("timeout", None)
        p, out, err = self.spawn(argv, cwd, **kw)
        return self.wait(p, out, err, timeout)

    # ------------------------------------------------------------------------------------------
    # checks

    def check_process(self, r, sent=None):
        """Violations of the exit / stderr / RSS rules. SENT: the signal the suite sent itself."""
        v = []
        if r["hang"]:
            v.append("hang")
        elif r["signal"]:
            if r["signal"] != sent:
                v.append(f"signal:{r['signal']}")
        elif r["rc"] not in (0, 1):
            v.append(f"exit:{r['rc']}")
        if r["rss_kb"] > self.a.max_rss_mb * 1024:
            v.append("rss")
        lines = r["stderr"].decode("utf-8", "replace").splitlines()
        if not r["hang"] and not r["signal"]:
            errors = sum(1 for l in lines if l.startswith("zoo: error:"))
            if (r["rc"] == 1 and errors != 1) or (r["rc"] == 0 and errors != 0):
                v.append("error-lines")
        if not r["signal"] and any(not l.startswith("zoo: ") for l in lines if l.strip()):
            v.append("hdf5-dump" if any("HDF5" in l or l.startswith("  #") for l in lines) else "stderr-junk")
        if self.marker and self.marker in r["stdout"]:
            v.append("leak-passwd")
        if os.path.exists(self.canary):
            v.append("pickle-executed")
        return v

    def scan_outputs(self, d):
        """Files under D, and whether any holds /etc/passwd bytes."""
        files, leak = [], False
        for root, dirs, names in os.walk(d):
            for n in names:
                p = os.path.join(root, n)
                files.append(os.path.relpath(p, d))
                if self.marker:
                    try:
                        with open(p, "rb") as f:
                            if self.marker in f.read():
                                leak = True
                    except OSError:
                        pass
            for n in dirs:
                if not os.listdir(os.path.join(root, n)):
                    files.append(os.path.relpath(os.path.join(root, n), d) + "/")
        return sorted(files), leak

    def valid_output(self, path):
        """A structural check of a finished output (None when it parses, else the reason)."""
        try:
            if os.path.isdir(path):
                return None
            if path.endswith(".npy"):
                import numpy as np
                np.load(path, allow_pickle=False)
            elif path.endswith(".npz"):
                import numpy as np
                with np.load(path, allow_pickle=False) as z:
                    for k in z.files:
                        z[k]
            elif path.endswith(".safetensors"):
                raw = open(path, "rb").read()
                n = struct.unpack("<Q", raw[:8])[0]
                h = json.loads(raw[8:8 + n])
                end = max([v["data_offsets"][1] for k, v in h.items() if k != "__metadata__"] or [0])
                if 8 + n + end != len(raw):
                    return "safetensors size"
            elif path.endswith(".h5"):
                h5_digest(open(path, "rb").read())
            elif path.endswith(".keras"):
                with zipfile.ZipFile(path) as z:
                    if z.testzip() is not None:
                        return "bad zip member"
                    h5_digest(z.read("model.weights.h5"))
            elif path.endswith(".zoo"):
                if os.path.getsize(path) < 16:
                    return "short .zoo"
        except Exception as e:
            return f"{type(e).__name__}: {e}"[:200]
        return None

    def record(self, cls, r, violations, repro, kept=None, sent=None, extra=None):
        with self.lock:
            s = self.stats.setdefault(cls, {"runs": 0, "ok": 0, "error": 0, "signalled": 0, "violations": collections.Counter(),
                                            "allowed": collections.Counter()})
            s["runs"] += 1
            s["wall_s"] = round(s.get("wall_s", 0) + r.get("wall", 0), 2)
            if r.get("rc") == 0:
                s["ok"] += 1
            elif r.get("rc") == 1:
                s["error"] += 1
            else:
                s["signalled"] += 1
            for kind in violations:
                allowed = self.allowed(cls, kind)
                (s["allowed"] if allowed else s["violations"])[kind] += 1
                if sum(1 for x in self.violations if x["class"] == cls and x["kind"] == kind) < self.a.keep_per_kind:
                    self.violations.append({"class": cls, "kind": kind, "allowed": allowed, "repro": repro,
                                            "kept": kept, "rc": r.get("rc"), "signal": r.get("signal"),
                                            "stderr": r.get("stderr", b"").decode("utf-8", "replace")[-600:],
                                            "stderr_head": r.get("stderr", b"").decode("utf-8", "replace")[:300],
                                            "rss_mb": r.get("rss_kb", 0) // 1024, **(extra or {})})

    def allowed(self, cls, kind):
        for pat in self.allow:
            if "=" in pat:
                c, k = pat.split("=", 1)
                if fnmatch.fnmatch(cls, c) and fnmatch.fnmatch(kind, k):
                    return True
            elif fnmatch.fnmatch(kind, pat):
                return True
        return False

    def fresh_dir(self, name="out"):
        d = os.path.join(self.runs_root, f"{name}-{threading.get_ident()}")
        if os.path.lexists(d):
            subprocess.run(["chmod", "-R", "u+w", d], stderr=subprocess.DEVNULL)
            shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        return d

    def repro(self, argv, outdir, note=""):
        cmd = " ".join(shlex.quote(x) for x in argv).replace(outdir, "/tmp/zoo-repro")
        return (note + ": " if note else "") + "mkdir -p /tmp/zoo-repro && cd /tmp/zoo-repro && " + cmd

    # ------------------------------------------------------------------------------------------
    # mutants

    def commands(self, case, path, outdir):
        z = self.zoo
        if case["type"] == "model":
            if not self.a.full:  # the CI size: one command per reader path
                cmds = [[z, "inspect", path], [z, "verify", path], [z, "convert", path, os.path.join(outdir, "out.zoo")]]
            else:
                cmds = [[z, "inspect", path], [z, "summary", path], [z, "verify", path], [z, "inspect", path, "--stats", "--json"]]
                cmds += [[z, "convert", path, os.path.join(outdir, OUT_NAMES[f])] for f in ["zoo", "safetensors", "keras", "h5"]]
            cmds.append([z, "predict", path, "--input", os.path.join(self.seeds, "x.npy"), "--output", os.path.join(outdir, "o.npy")])
            return cmds
        if case["type"] == "npy":
            return [[z, "predict", os.path.join(self.seeds, m), "--input", path, "--output", os.path.join(outdir, "o.npy")]
                    for m in ["tiny.keras", "tiny.zoo"]]
        if case["type"] == "images":
            model = os.path.join(self.seeds, "digits_backbone.keras")
            return [[z, "extract", model, path] + EXTRACT_ARGS + ["-o", os.path.join(outdir, "f.npz")],
                    [z, "extract", model, path] + EXTRACT_ARGS + ["--on-error", "fail", "-o", os.path.join(outdir, "f.npz")],
                    [z, "predict", model, "--images", path, "--image-size", "8", "8", "--color-mode", "grayscale",
                     "--preprocessing", "none", "--top", "1"]]
        raise ValueError(case["type"])

    def run_case(self, case):
        path = os.path.join(self.workdir, case["path"])
        for argv in self.commands(case, path, "@OUT@"):
            outdir = self.fresh_dir()
            argv = [x.replace("@OUT@", outdir) for x in argv]
            r = self.run(argv, cwd=outdir)
            v = self.check_process(r)
            files, leak = self.scan_outputs(outdir)
            if leak:
                v.append("leak-passwd")
            if r["rc"] == 1 and files:
                v.append("left-behind")
            if r["rc"] == 0:
                for f in files:
                    if f.startswith(".") or ".tmp-" in f:
                        v.append("left-behind")
                    else:
                        why = self.valid_output(os.path.join(outdir, f))
                        if why:
                            v.append("bad-output")
            self.record(case["class"], r, v, self.repro(argv, outdir), kept=path)

    # ------------------------------------------------------------------------------------------
    # scenarios

    def targets(self, big=False):
        """(name, argv with @OUT@ for the output directory, output file name)."""
        z, s = self.zoo, self.seeds
        model = os.path.join(s, "big.keras" if big else "tiny.keras")
        t = [(f"convert-{f}", [z, "convert", model, "@OUT@/" + OUT_NAMES[f]], OUT_NAMES[f]) for f in OUT_NAMES]
        t.append(("predict-npy", [z, "predict", os.path.join(s, "big.zoo" if big else "tiny.zoo"), "--input",
                                  os.path.join(s, "bigx.npy" if big else "x.npy"), "--output", "@OUT@/o.npy"], "o.npy"))
        t.append(("predict-npz", [z, "predict", os.path.join(s, "big.keras" if big else "tiny.keras"), "--input",
                                  os.path.join(s, "x.npz"), "--output", "@OUT@/o.npz", "--layer", "fc",
                                  "--layer", "c3" if big else "conv1"], "o.npz"))
        t.append(("extract", [z, "extract", os.path.join(s, "digits_backbone.keras"), os.path.join(s, "digits")]
                  + EXTRACT_ARGS + ["-o", "@OUT@/f.npz"], "f.npz"))
        return t

    def reference(self, argv, name):
        d = self.fresh_dir("ref")
        r = self.run([x.replace("@OUT@", d) for x in argv], cwd=d)
        if r["rc"] != 0:
            raise RuntimeError(f"reference run failed: {argv}: {r['stderr'][-500:]}")
        p = os.path.join(d, name)
        return digest(p), r["wall"], open(p, "rb").read()

    def output_faults(self):
        cls = "output-fault/missing-dir"
        for name, argv, out in self.targets():
            d = self.fresh_dir()
            a = [x.replace("@OUT@", os.path.join(d, "missing", "deeper")) for x in argv]
            r = self.run(a, cwd=d)
            v = self.check_process(r)
            files, _ = self.scan_outputs(d)
            if r["rc"] == 0:
                # creating the missing folders is allowed (zoo extract does): the output must be whole
                self.notes[f"missing output directory: {name} creates it and succeeds"] += 1
                p = os.path.join(d, "missing", "deeper", out)
                if [f for f in files if f != os.path.join("missing", "deeper", out)] or not os.path.exists(p) or self.valid_output(p):
                    v.append("bad-output")
            elif files:
                v.append("left-behind")
            self.record(cls, r, v, self.repro(a, d))
        cls = "output-fault/read-only-dir"
        ro_mode = self.read_only_mode()
        for name, argv, out in self.targets():
            d = self.fresh_dir()
            ro = os.path.join(d, "ro")
            os.makedirs(ro)
            user = None
            if ro_mode == "tmpfs-ro":
                subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", ro], check=True)
            else:
                os.chmod(ro, 0o555)
                if os.geteuid() == 0:
                    user = 65534
                    os.chmod(d, 0o755)
                    os.chmod(self.runs_root, 0o755)
            a = [x.replace("@OUT@", ro) for x in argv]
            try:
                r = self.run(a, cwd=d, user=user)
            finally:
                if ro_mode == "tmpfs-ro":
                    subprocess.run(["umount", ro])
            v = self.check_process(r)
            if r["rc"] != 1:
                v.append("not-refused")
            if ro_mode != "tmpfs-ro":
                files, _ = self.scan_outputs(ro)
                if files:
                    v.append("left-behind")
            self.record(cls, r, v, self.repro(a, d, f"read-only ({ro_mode})"))
        self.notes[f"read-only directory: {ro_mode}"] += 1
        self.disk_full()

    def read_only_mode(self):
        probe = tempfile.mkdtemp(dir=self.runs_root)
        ok = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", probe],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0
        if ok:
            subprocess.run(["umount", probe])
        os.rmdir(probe)
        return "tmpfs-ro" if ok else ("chmod-555+uid-65534" if os.geteuid() == 0 else "chmod-555")

    def disk_full(self):
        mode = self.a.disk_full
        can_mount = False
        fs = os.path.join(self.runs_root, "fullfs")
        os.makedirs(fs, exist_ok=True)
        if mode in ("auto", "tmpfs", "both"):
            can_mount = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", fs],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0
            if not can_mount and mode == "tmpfs":
                raise SystemExit("run: --disk-full tmpfs: mount failed")
        modes = []
        if can_mount:
            modes.append("tmpfs")
        if mode in ("rlimit", "both") or (mode == "auto" and not can_mount):
            modes.append("rlimit")
        self.disk_full_mode = "+".join(modes)
        self.notes[f"disk full: {self.disk_full_mode}"] += 1
        frees = list(range(0, 64 << 10, 4 << 10)) + [96 << 10, 160 << 10]
        if self.a.full:
            frees = list(range(0, 192 << 10, 2 << 10))
        try:
            for big in ([False, True] if self.a.full else [False]):
                for name, argv, out in self.targets(big):
                    ref, _, _ = self.reference(argv, out)
                    for m in modes:
                        for free in (frees if not big else [0, 64 << 10, 1 << 20]):
                            self.disk_full_one(m, fs, name, argv, out, ref, free, big)
        finally:
            if can_mount:
                subprocess.run(["umount", fs])

    def disk_full_one(self, m, fs, name, argv, out, ref, free, big):
        cls = f"output-fault/disk-full-{m}"
        if m == "tmpfs":
            for e in os.listdir(fs):
                p = os.path.join(fs, e)
                shutil.rmtree(p) if os.path.isdir(p) and not os.path.islink(p) else os.unlink(p)
            st = os.statvfs(fs)
            avail = st.f_bavail * st.f_frsize
            with open(os.path.join(fs, ".filler"), "wb") as f:
                f.write(b"\0" * max(0, avail - free))
            d = fs
            a = [x.replace("@OUT@", d) for x in argv]
            r = self.run(a, cwd=d)
            note = (f"disk full ({'big' if big else 'tiny'} model): mkdir -p /tmp/zoo-repro && mount -t tmpfs -o size=2m tmpfs /tmp/zoo-repro && "
                    f"head -c $(( $(df --output=avail -B1 /tmp/zoo-repro | tail -1) - {free} )) /dev/zero > /tmp/zoo-repro/.filler; then")
        else:
            d = self.fresh_dir()
            a = [x.replace("@OUT@", d) for x in argv]
            r = self.run(a, cwd=d, fsize=max(free, 1))
            note = f"disk full: RLIMIT_FSIZE={max(free, 1)}, SIGXFSZ ignored: wrap the command in (trap '' XFSZ; prlimit --fsize={max(free, 1)} -- ...)"
        v = self.check_process(r)
        files, _ = self.scan_outputs(d)
        files = [f for f in files if f != ".filler"]
        if name == "extract" and r["rc"] == 1:
            partial = [f for f in files if f.startswith(out + ".partial/")]
            if partial:  # kept on purpose for --resume (zoo says so on stderr)
                self.notes["disk full: zoo extract keeps OUT.partial/ for --resume"] += 1
                files = [f for f in files if f not in partial]
        if r["rc"] == 0:
            if files != [out] and not (name == "extract" and out in files):
                v.append("left-behind")
            if out in files and digest(os.path.join(d, out)) != ref:
                v.append("bad-output")
        elif files:
            v.append("left-behind")
        kept = None
        if v:
            kept = os.path.join(self.kept, f"diskfull-{self.counter}")
            os.makedirs(kept)
            for f in files:
                if os.path.isfile(os.path.join(d, f)):
                    shutil.copy(os.path.join(d, f), kept)
        self.record(cls, r, v, self.repro(a, d, note), kept=kept, extra={"free": free, "target": name})

    def kills(self):
        rounds = self.a.kill_rounds
        for name, argv, out in self.targets(big=True):
            ref, wall, ref_bytes = self.reference(argv, out)
            prev = self.previous_good(name, argv, out)
            for i in range(rounds):
                for sig in (signal.SIGKILL, signal.SIGTERM, signal.SIGINT):
                    delay = self.rng.uniform(0, wall * 1.2)
                    with_prev = (i % 2 == 0)
                    self.kill_one(name, argv, out, ref, prev, with_prev, sig, delay)

    def previous_good(self, name, argv, out):
        """A good output of the same kind but different content (from the tiny model)."""
        for n, a, o in self.targets(big=False):
            if n == name:
                _, _, data = self.reference(a, o)
                return data

    def kill_one(self, name, argv, out, ref, prev, with_prev, sig, delay):
        cls = f"kill/{sig.name}"
        d = self.fresh_dir()
        target = os.path.join(d, out)
        if with_prev:
            with open(target, "wb") as f:
                f.write(prev)
        a = [x.replace("@OUT@", d) for x in argv]
        p, o, e = self.spawn(a, d)
        time.sleep(delay)
        # prlimit execs zoo in place, so the pid is zoo's
        try:
            os.kill(p.pid, sig)
        except ProcessLookupError:
            pass
        r = self.wait(p, o, e)
        v = self.check_process(r, sent=sig.name)
        files, leak = self.scan_outputs(d)
        if leak:
            v.append("leak-passwd")
        state = "absent"
        if os.path.isfile(target):
            data = open(target, "rb").read()
            if digest(target) == ref:
                state = "new"
            elif with_prev and data == prev:
                state = "previous"
            else:
                state = "corrupt"
                v.append("half-written")
        elif with_prev and not (r["rc"] == 0):
            # the previous good file vanished although the run did not finish
            state = "previous-lost"
            v.append("previous-lost")
        temps = [f for f in files if f != out and not f.startswith(out + ".partial")]
        if temps:
            if sig == signal.SIGKILL:
                self.notes["temp files left after SIGKILL (expected: nothing can clean up)"] += 1
            else:
                v.append("temp-left")
        if r["rc"] == 0 and state not in ("new",):
            v.append("half-written")
        self.notes[f"kill {sig.name}: final output {state}"] += 1
        kept = None
        if v:
            kept = os.path.join(self.kept, f"kill-{self.counter}")
            shutil.copytree(d, kept)
        self.record(cls, r, v, self.repro(a, d, f"{'with a previous good ' + out if with_prev else 'no previous file'}; "
                                               f"send {sig.name} {delay:.3f} s after start"), kept=kept, sent=sig.name,
                    extra={"target": name, "delay": round(delay, 4), "final": state, "left": temps})

    def truncate_while_running(self):
        cls_base = "truncate-during-run"
        s = self.seeds
        jobs = []
        for fmt in ["zoo", "safetensors", "legacy.h5", "keras"]:
            model = f"big.{fmt}"
            jobs.append((fmt, "predict", lambda m, d: [self.zoo, "predict", m, "--input", os.path.join(s, "bigx.npy"), "--output", os.path.join(d, "o.npy")]))
            jobs.append((fmt, "convert", lambda m, d: [self.zoo, "convert", m, os.path.join(d, "out.zoo")]))
            jobs.append((fmt, "verify", lambda m, d: [self.zoo, "verify", m]))
        walls = {}
        for i in range(self.a.truncate_rounds):
            for fmt, cmd, make in jobs:
                d = self.fresh_dir()
                m = os.path.join(d, f"model.{fmt}" if fmt != "legacy.h5" else "model.h5")
                shutil.copy(os.path.join(s, f"big.{fmt}"), m)
                argv = make(m, os.path.join(d, "o"))
                os.makedirs(os.path.join(d, "o"))
                key = (fmt, cmd)
                if key not in walls:
                    walls[key] = self.run(argv, cwd=d)["wall"]
                    shutil.copy(os.path.join(s, f"big.{fmt}"), m)
                    shutil.rmtree(os.path.join(d, "o"))
                    os.makedirs(os.path.join(d, "o"))
                delay = self.rng.uniform(0, walls[key])
                size = os.path.getsize(m)
                cut = self.rng.choice([0, self.rng.randrange(size), size // 2, self.rng.randrange(size // 2, size)])
                p, o, e = self.spawn(argv, d)
                time.sleep(delay)
                os.truncate(m, cut)
                r = self.wait(p, o, e)
                v = self.check_process(r)
                files, _ = self.scan_outputs(os.path.join(d, "o"))
                if r["rc"] == 1 and files:
                    v.append("left-behind")
                kept = None
                if v:
                    kept = os.path.join(self.kept, f"truncate-{self.counter}-big.{fmt}")
                    shutil.copy(os.path.join(s, f"big.{fmt}"), kept)
                rep = (f"cp {shlex.quote(os.path.join(s, 'big.' + fmt))} /tmp/zoo-repro/{os.path.basename(m)}; "
                       f"({' '.join(shlex.quote(x) for x in argv)} &) ; sleep {delay:.3f}; truncate -s {cut} /tmp/zoo-repro/{os.path.basename(m)}")
                rep = "mkdir -p /tmp/zoo-repro/o && cd /tmp/zoo-repro && " + rep.replace(d, "/tmp/zoo-repro")
                self.record(f"{cls_base}/{fmt}", r, v, rep, kept=kept, extra={"command": cmd, "cut": cut, "delay": round(delay, 4)})

    def concurrency(self):
        n_list = [4] if not self.a.full else [2, 4, 8]
        rounds = 1 if not self.a.full else 2
        for big in ([False] if not self.a.full else [False, True]):
            for name, argv, out in self.targets(big):
                ref, _, _ = self.reference(argv, out)
                for n in n_list:
                    for _ in range(rounds):
                        for shared in (False, True):
                            self.concurrent_one(name, argv, out, ref, n, shared)

    def concurrent_one(self, name, argv, out, ref, n, shared):
        cls = f"concurrency/{'same-output' if shared else 'own-output'}"
        base = self.fresh_dir()
        dirs = [base] * n if shared else [os.path.join(base, f"r{i}") for i in range(n)]
        for x in dirs:
            os.makedirs(x, exist_ok=True)
        procs = []
        for x in dirs:
            a = [y.replace("@OUT@", x) for y in argv]
            procs.append((a, self.spawn(a, x)))
        results = [None] * n
        threads = []
        for i, (a, (p, o, e)) in enumerate(procs):
            def w(i=i, p=p, o=o, e=e):
                results[i] = self.wait(p, o, e)
            t = threading.Thread(target=w)
            t.start()
            threads.append(t)
        for t in threads:
            t.join()
        for i, r in enumerate(results):
            v = self.check_process(r)
            if r["rc"] != 0:
                v.append("concurrent-failure")
            if not shared:
                files, _ = self.scan_outputs(dirs[i])
                if out not in files or digest(os.path.join(dirs[i], out)) != ref:
                    v.append("differs-from-solo")
                if [f for f in files if f != out]:
                    v.append("left-behind")
            elif i == n - 1:
                files, _ = self.scan_outputs(base)
                if out not in files or digest(os.path.join(base, out)) != ref:
                    v.append("differs-from-solo")
                if [f for f in files if f != out]:
                    v.append("left-behind")
            note = f"{n} copies at once, {'all writing the same output' if shared else 'each its own output'}"
            self.record(cls, r, v, self.repro(procs[i][0], dirs[i], note), extra={"target": name, "n": n})


# ------------------------------------------------------------------------------------------------
# canonical digests (HDF5 and zip outputs carry timestamps)

def h5_digest(data):
    import h5py
    h = hashlib.sha256()
    with h5py.File(io.BytesIO(data), "r") as f:
        def attrs(o):
            for k in sorted(o.attrs):
                h.update(k.encode() + repr(o.attrs[k]).encode())

        def visit(name, o):
            h.update(name.encode())
            attrs(o)
            if isinstance(o, h5py.Dataset):
                h.update(str(o.dtype).encode() + str(o.shape).encode())
                h.update(o[()].tobytes() if o.shape != () or o.dtype.kind != "O" else repr(o[()]).encode())
        attrs(f)
        f.visititems(visit)
    return h.hexdigest()


def digest(path):
    if os.path.isdir(path):
        return "dir"
    data = open(path, "rb").read()
    if path.endswith(".h5"):
        return h5_digest(data)
    if path.endswith(".keras") or path.endswith(".npz"):
        h = hashlib.sha256()
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            for name in sorted(z.namelist()):
                blob = z.read(name)
                if name == "metadata.json":  # Keras's date_saved changes every second
                    try:
                        meta = json.loads(blob)
                        meta.pop("date_saved", None)
                        blob = json.dumps(meta, sort_keys=True).encode()
                    except ValueError:
                        pass
                h.update(name.encode() + (h5_digest(blob) if name.endswith(".h5") else hashlib.sha256(blob).hexdigest()).encode())
        return h.hexdigest()
    return hashlib.sha256(data).hexdigest()


# ------------------------------------------------------------------------------------------------

def table(suite):
    rows = [("class", "runs", "ok exits", "error exits", "signalled", "violations", "allowed")]
    tot = [0, 0, 0, 0]
    for cls, s in suite.stats.items():
        fmt = lambda c: ", ".join(f"{k} {n}" for k, n in sorted(c.items())) or "-"
        rows.append((cls, str(s["runs"]), str(s["ok"]), str(s["error"]), str(s["signalled"]), fmt(s["violations"]), fmt(s["allowed"])))
        for i, k in enumerate(["runs", "ok", "error", "signalled"]):
            tot[i] += s[k]
    rows.append(("total", *map(str, tot), str(sum(sum(s["violations"].values()) for s in suite.stats.values())),
                 str(sum(sum(s["allowed"].values()) for s in suite.stats.values()))))
    w = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for j, r in enumerate(rows):
        lines.append("| " + " | ".join(c.ljust(w[i]) for i, c in enumerate(r)) + " |")
        if j == 0:
            lines.append("|" + "|".join("-" * (x + 2) for x in w) + "|")
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--zoo", required=True)
    ap.add_argument("--workdir", default=os.path.join(tempfile.gettempdir(), "swiftzoo-hostile"))
    ap.add_argument("--seed", type=int, default=11)
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--quick", action="store_true", help="the CI size (the default)")
    g.add_argument("--full", action="store_true", help="the big run")
    ap.add_argument("--json", help="write the summary (counts per class, every violation) here")
    ap.add_argument("--allow", action="append", help="KIND or CLASS=KIND (fnmatch patterns): report, do not fail")
    ap.add_argument("--known-failures", help="a file of --allow patterns, one a line (# comments)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=10.0)
    ap.add_argument("--max-rss-mb", type=int, default=2048)
    ap.add_argument("--max-as-mb", type=int, default=16384, help="RLIMIT_AS safety net per child")
    ap.add_argument("--disk-full", choices=["auto", "tmpfs", "rlimit", "both"], default="auto")
    ap.add_argument("--kill-rounds", type=int)
    ap.add_argument("--truncate-rounds", type=int)
    ap.add_argument("--keep-per-kind", type=int, default=25, help="violations listed per (class, kind)")
    ap.add_argument("--only", help="fnmatch pattern of classes to run (mutants and scenarios)")
    ap.add_argument("--no-generate", action="store_true", help="reuse the work dir's mutants")
    a = ap.parse_args(argv)
    if a.kill_rounds is None:
        a.kill_rounds = 10 if a.full else 2
    if a.truncate_rounds is None:
        a.truncate_rounds = 10 if a.full else 1
    start = time.time()
    if not a.no_generate:
        env = dict(os.environ, KERAS_BACKEND="jax", JAX_PLATFORMS="cpu", TF_CPP_MIN_LOG_LEVEL="3")
        subprocess.run([sys.executable, os.path.join(HERE, "generate.py"), "--zoo", a.zoo, "--workdir", a.workdir,
                        "--seed", str(a.seed), "--full" if a.full else "--quick"], check=True, env=env)
    suite = Suite(a)
    cases = read_manifest(os.path.join(suite.workdir, MANIFEST))
    if a.only:
        cases = [c for c in cases if fnmatch.fnmatch(c["class"], a.only)]
    gen_time = time.time() - start
    print(f"run: {len(cases)} mutants, {a.workers} workers, zoo {suite.zoo}", flush=True)
    done = 0
    with cf.ThreadPoolExecutor(a.workers) as pool:
        for _ in pool.map(suite.run_case, cases):
            done += 1
            if done % 500 == 0:
                print(f"run: {done}/{len(cases)} mutants ({time.time() - start:.0f} s)", flush=True)
    scen = [("output-fault/*", suite.output_faults), ("kill/*", suite.kills),
            ("truncate-during-run/*", suite.truncate_while_running), ("concurrency/*", suite.concurrency)]
    for pat, fn in scen:
        if a.only and not fnmatch.fnmatch(pat.replace("*", "x"), a.only) and not fnmatch.fnmatch(pat, a.only):
            continue
        print(f"run: {pat[:-2]} ({time.time() - start:.0f} s)", flush=True)
        fn()
    leaked = [p for p in ["/tmp/zoo-hostile-escape", os.path.join(suite.runs_root, "x"), os.path.join(suite.workdir, "x")]
              if os.path.exists(p)]
    if leaked:
        suite.record("zip-trick/escape", {"rc": 1}, ["path-traversal-write"], f"files written outside: {leaked}")
    wall = time.time() - start
    print(table(suite))
    for k, n in sorted(suite.notes.items()):
        print(f"note: {k}: {n}")
    bad = [v for v in suite.violations if not v["allowed"]]
    total_bad = sum(sum(s["violations"].values()) for s in suite.stats.values())
    for v in suite.violations:
        print(f"{'ALLOWED' if v['allowed'] else 'VIOLATION'} {v['class']} {v['kind']}: {v['repro']}")
        if v.get("kept"):
            print(f"    kept: {v['kept']}")
    runs = sum(s["runs"] for s in suite.stats.values())
    print(f"run: {runs} runs in {wall:.0f} s (generation {gen_time:.0f} s); {total_bad} violations"
          f"{'' if not suite.allow else ' not allowed'}; disk full via {suite.disk_full_mode}")
    if a.json:
        summary = {"zoo": suite.zoo, "seed": a.seed, "mode": "full" if a.full else "quick", "runs": runs,
                   "wall_s": round(wall, 1), "disk_full_mode": suite.disk_full_mode,
                   "classes": {c: {k: (dict(v) if isinstance(v, collections.Counter) else v) for k, v in s.items()}
                               for c, s in suite.stats.items()},
                   "notes": dict(suite.notes), "violations": suite.violations, "allow": suite.allow}
        with open(a.json, "w") as f:
            json.dump(summary, f, indent=1)
    shutil.rmtree(suite.runs_root, ignore_errors=True)
    return 1 if total_bad else 0


if __name__ == "__main__":
    sys.exit(main())
