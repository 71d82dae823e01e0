#!/usr/bin/env python3
"""Renders run.py's --json summary as Markdown (the tables of Docs/HARDENING.md): counts per class,
then every violation kind per class with its count and one-line reproducers.

Usage: report.py SUMMARY.json [--per-group N]
"""
import argparse
import collections
import json
import re


def subcommand(repro):
    m = re.search(r"zoo (\w+) ", repro.split(" && ")[-1] if "&&" in repro else repro)
    return m.group(1) if m else "?"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("summary")
    ap.add_argument("--per-group", type=int, default=1, help="reproducers per file or target")
    ap.add_argument("--groups", type=int, default=4, help="files or targets listed per (class, kind)")
    a = ap.parse_args()
    s = json.load(open(a.summary))
    print("| class | runs | exit 0 | exit 1 | signalled | violations | allowed |")
    print("|-------|-----:|-------:|-------:|----------:|------------|---------|")
    tot = collections.Counter()
    for cls, c in s["classes"].items():
        v = ", ".join(f"{k} {n}" for k, n in sorted(c["violations"].items())) or "-"
        al = ", ".join(f"{k} {n}" for k, n in sorted(c["allowed"].items())) or "-"
        print(f"| {cls} | {c['runs']} | {c['ok']} | {c['error']} | {c['signalled']} | {v} | {al} |")
        for k in ["runs", "ok", "error", "signalled"]:
            tot[k] += c[k]
        tot["v"] += sum(c["violations"].values())
        tot["a"] += sum(c["allowed"].values())
    print(f"| **total** | **{tot['runs']}** | {tot['ok']} | {tot['error']} | {tot['signalled']} | **{tot['v']}** | {tot['a']} |")
    print()
    groups = collections.OrderedDict()
    for v in s["violations"]:
        groups.setdefault((v["class"], v["kind"]), []).append(v)
    for (cls, kind), vs in groups.items():
        n = s["classes"][cls]["violations"].get(kind, 0) + s["classes"][cls]["allowed"].get(kind, 0)
        by_key = collections.OrderedDict()
        for v in vs:  # one group per mutant file (mutant classes) or per target (scenarios)
            key = v.get("kept") if v.get("kept") and "/mutants/" in v["kept"] else v.get("target") or subcommand(v["repro"])
            by_key.setdefault(key, []).append(v)
        cmds = collections.Counter(subcommand(v["repro"]) for v in vs)
        allowed = " (allowed)" if all(v["allowed"] for v in vs) else ""
        print(f"* **{cls} — {kind}**{allowed}: {n} runs; the {len(vs)} listed in the JSON: {len(by_key)} distinct "
              f"{'files' if '/mutants/' in str(vs[0].get('kept')) else 'targets'}, commands "
              + ", ".join(f"{c} {k}" for c, k in cmds.items()))
        for key, x in list(by_key.items())[:a.groups]:
            for v in x[:a.per_group]:
                print(f"  * `{v['repro']}`")
    print()


if __name__ == "__main__":
    main()
