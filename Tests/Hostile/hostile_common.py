"""Shared by generate.py and run.py: the work-dir layout, the manifest, the passwd marker."""
import json
import os

MANIFEST = "manifest.jsonl"
SEEDS = "seeds"
MUTANTS = "mutants"
SECRETS = "secrets"
# the canary file for pickled .npy payloads: if it ever exists, zoo unpickled something
PICKLE_CANARY = "PICKLE_EXECUTED"


def passwd_marker():
    """The bytes of /etc/passwd that must never appear in any output (its first line, at least
    12 bytes; the whole file when it is short)."""
    try:
        data = open("/etc/passwd", "rb").read()
    except OSError:
        return None
    line = data.split(b"\n", 1)[0]
    return line if len(line) >= 12 else (data[:64] or None)


def write_manifest(path, cases):
    with open(path, "w") as f:
        for case in cases:
            f.write(json.dumps(case, sort_keys=True) + "\n")


def read_manifest(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def rel(workdir, path):
    return os.path.relpath(path, workdir)
