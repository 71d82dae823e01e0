#!/usr/bin/env bash
# Builds the libFuzzer target ZooFuzz and fuzzes the .zoo, safetensors, NumPy, Keras config and
# .keras zip parsers and the image decoders (Tests/Fuzz/README.md).
#
#   Tests/Fuzz/run.sh [SECONDS]      build, replay the committed corpus, fuzz SECONDS (default 60)
#   FUZZ_SMOKE=1 Tests/Fuzz/run.sh   what CI runs: build, replay the corpus, fuzz 30 seconds
#   ZOOFUZZ_TARGET=npy FUZZ_RUNS=10000000 nice -n 19 Tests/Fuzz/run.sh 86400
#                                    a campaign on one target: 10 million executions (or a day)
#
# Exits non-zero on any crash, sanitizer report, leak, timeout or out-of-memory, after printing
# the reproducer's path. Environment:
#   FUZZ_CONFIG=release|debug   build configuration (default release: ~6x the execs/s of debug;
#                               debug gives exact stacks when minimising a crash)
#   FUZZ_SCRATCH=DIR            SwiftPM scratch path (default .build-fuzz; never the default .build)
#   FUZZ_ARTIFACTS=DIR          where crash-*/leak-*/timeout-*/oom-* inputs go
#                               (default $FUZZ_SCRATCH/artifacts)
#   FUZZ_CORPUS_OUT=DIR         keep the grown corpus there (default: a temp dir, deleted)
#   FUZZ_JOBS=N                 run N fuzzing processes in parallel (-fork=N; default 1)
#   ZOOFUZZ_TARGET=NAME         fuzz one target only: zoo, safetensors, npy, npz, config, zip or
#                               image (default: all, dispatched on each input's byte 0). The
#                               fuzzing corpus then starts from that target's seeds only (the
#                               replay still runs every seed through its own target), and -max_len
#                               and the dictionary default to the target's (below)
#   FUZZ_MAX_LEN=N              -max_len (default 65536; per target: zoo 65536, safetensors,
#                               config and zip 16384, npz and image 8192, npy 4096)
#   FUZZ_DICT=FILE              -dict (default Tests/Fuzz/zoo.dict; config, zip: keras.dict)
#   FUZZ_RUNS=N                 stop after N executions (-runs=N) or SECONDS, whichever is first
#   ZOOFUZZ_GRAPH=0             do not query decoded graphs through ZooGraph (Docs/FUZZING.md)
#   FUZZ_ARGS="..."             extra libFuzzer flags
set -euo pipefail

cd "$(dirname "$0")/../.."
ROOT=$PWD
SECONDS_TO_FUZZ=${1:-60}
if [[ "${FUZZ_SMOKE:-0}" != 0 ]]; then SECONDS_TO_FUZZ=30; fi
CONFIG=${FUZZ_CONFIG:-release}
SCRATCH=${FUZZ_SCRATCH:-.build-fuzz}
ARTIFACTS=${FUZZ_ARTIFACTS:-$SCRATCH/artifacts}
CORPUS=Tests/Fuzz/corpus
JOBS=${FUZZ_JOBS:-1}
TARGET=${ZOOFUZZ_TARGET:-all}
# Per target: the seed names it starts from, -max_len and the dictionary.
case "$TARGET" in
    all)         SEEDS="*";                         MAX_LEN=65536; DICT=zoo.dict ;;
    zoo)         SEEDS="zoo-* regress-graph-* regress-zoo-*"; MAX_LEN=65536; DICT=zoo.dict ;;
    safetensors) SEEDS="st-* regress-st-*";           MAX_LEN=16384; DICT=zoo.dict ;;
    npy)         SEEDS="npy-* regress-npy-*";         MAX_LEN=4096;  DICT=zoo.dict ;;
    npz)         SEEDS="npz-* regress-npz-*";         MAX_LEN=8192;  DICT=zoo.dict ;;
    config)      SEEDS="config-* regress-config-*";   MAX_LEN=16384; DICT=keras.dict ;;
    zip)         SEEDS="zip-* regress-zip-*";         MAX_LEN=16384; DICT=keras.dict ;;
    image)       SEEDS="image-* regress-image-*";     MAX_LEN=8192;  DICT=zoo.dict ;;
    *) echo "run.sh: unknown ZOOFUZZ_TARGET '$TARGET' (all, zoo, safetensors, npy, npz, config, zip, image)" >&2; exit 2 ;;
esac
MAX_LEN=${FUZZ_MAX_LEN:-$MAX_LEN}
DICT=${FUZZ_DICT:-Tests/Fuzz/$DICT}

case "$SCRATCH" in
    .build|./.build|"$ROOT/.build") echo "run.sh: refusing to use the default .build as scratch path" >&2; exit 2 ;;
esac

# --- Build ----------------------------------------------------------------------------------
# SwiftPM passes -Xswiftc flags to every Swift module it compiles and to the link, so the
# library modules get coverage and AddressSanitizer instrumentation too. -D FUZZING swaps the
# replayer's @main for LLVMFuzzerTestOneInput (and a ZooFuzz_main that starts libFuzzer; see
# ZooFuzz.swift). Package.swift stays free of unsafeFlags.
echo "== building ZooFuzz ($CONFIG, -sanitize=fuzzer,address) in $SCRATCH"
BUILD_LOG=$(mktemp)
start=$(date +%s)
if ! swift build -c "$CONFIG" --scratch-path "$SCRATCH" --product ZooFuzz \
        -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library -Xswiftc -DFUZZING >"$BUILD_LOG" 2>&1; then
    # ld.gold warns once per ASan helper symbol ("Cannot export local symbol"); skip those.
    grep -v "Cannot export local symbol" "$BUILD_LOG" | tail -40 >&2
    rm -f "$BUILD_LOG"
    echo "run.sh: fuzz build failed" >&2
    exit 1
fi
rm -f "$BUILD_LOG"
echo "   built in $(( $(date +%s) - start )) s"
FUZZER=$SCRATCH/$CONFIG/ZooFuzz
[[ -x "$FUZZER" ]] || FUZZER=$(find "$SCRATCH" -path "*/$CONFIG/ZooFuzz" -type f -perm -u+x | head -1)

# Swift's own crash backtracer reads memory from a helper thread, which AddressSanitizer then
# reports instead of the real failure; libFuzzer's handler prints the trap's stack
# ("Swift runtime failure: ...", file:line) on its own.
export SWIFT_BACKTRACE=${SWIFT_BACKTRACE:-enable=no}

mkdir -p "$ARTIFACTS"
LOG_DIR=$(mktemp -d)
# The harness's per-process temporary files (safetensors, npy, npz, keras) outlive a process that crashed; drop those whose
# process is gone.
cleanup() {
    rm -rf "$LOG_DIR"
    local f pid
    for f in /dev/shm/zoofuzz-*.*; do
        [[ -e "$f" ]] || continue
        pid=${f##*/zoofuzz-}; pid=${pid%%.*}
        kill -0 "$pid" 2>/dev/null || rm -f "$f"
    done
}
trap cleanup EXIT

# Prints the reproducer libFuzzer wrote (if any) and how to re-run it.
report_failure() {
    local log=$1 what=$2
    echo "---- last lines of the $what log ($log) ----" >&2
    if command -v swift-demangle >/dev/null 2>&1; then
        tail -60 "$log" | swift-demangle --simplified >&2
    else
        tail -60 "$log" >&2
    fi
    echo "--------------------------------------------" >&2
    local unit
    unit=$(grep -o "Test unit written to [^ ]*" "$log" | tail -1 | sed 's/Test unit written to //' || true)
    if [[ -n "$unit" ]]; then
        echo "run.sh: FAILED ($what): reproducer: $unit" >&2
        echo "        re-run:   $FUZZER $unit" >&2
        echo "        minimise: $FUZZER -minimize_crash=1 -runs=100000 -exact_artifact_path=$unit.min $unit" >&2
    else
        echo "run.sh: FAILED ($what); see the log above" >&2
    fi
    cp "$log" "$ARTIFACTS/" 2>/dev/null || true
}

# --- Replay the committed corpus ------------------------------------------------------------
# Each seed runs once (file arguments make libFuzzer run them and exit), through the target its
# byte 0 selects whatever ZOOFUZZ_TARGET says.
echo "== replaying $CORPUS ($(ls "$CORPUS" | wc -l) inputs)"
if ! env -u ZOOFUZZ_TARGET "$FUZZER" -timeout=5 -rss_limit_mb=2048 -artifact_prefix="$ARTIFACTS/" "$CORPUS"/* >"$LOG_DIR/replay.log" 2>&1; then
    report_failure "$LOG_DIR/replay.log" "corpus replay"
    exit 1
fi
echo "   ok"

# --- Fuzz ------------------------------------------------------------------------------------
if [[ -n "${FUZZ_CORPUS_OUT:-}" ]]; then
    WORK=$FUZZ_CORPUS_OUT
    mkdir -p "$WORK"
else
    WORK=$LOG_DIR/corpus
    mkdir -p "$WORK"
fi
WORK=$(cd "$WORK" && pwd)
# shellcheck disable=SC2086
(cd "$CORPUS" && shopt -s nullglob && for seed in $SEEDS; do cp -n "$seed" "$WORK"/; done)
PARALLEL=()
if [[ "$JOBS" -gt 1 ]]; then PARALLEL=(-fork="$JOBS"); fi
RUNS=()
if [[ -n "${FUZZ_RUNS:-}" ]]; then RUNS=(-runs="$FUZZ_RUNS"); fi
echo "== fuzzing target $TARGET for $SECONDS_TO_FUZZ s${FUZZ_RUNS:+ or $FUZZ_RUNS runs} (-max_len=$MAX_LEN -dict=$DICT; corpus: $WORK)"
# shellcheck disable=SC2086
if ! "$FUZZER" "$WORK" -max_total_time="$SECONDS_TO_FUZZ" -max_len="$MAX_LEN" -timeout=5 -rss_limit_mb=2048 \
        -dict="$DICT" -artifact_prefix="$ARTIFACTS/" -print_final_stats=1 "${PARALLEL[@]}" "${RUNS[@]}" \
        ${FUZZ_ARGS:-} >"$LOG_DIR/fuzz.log" 2>&1; then
    report_failure "$LOG_DIR/fuzz.log" "fuzzing"
    [[ -z "${FUZZ_CORPUS_OUT:-}" ]] && cp -r "$WORK" "$ARTIFACTS/corpus-$(date +%s)" 2>/dev/null || true
    exit 1
fi
grep -E "^#[0-9]+[[:space:]]+DONE|stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb)" "$LOG_DIR/fuzz.log" || tail -5 "$LOG_DIR/fuzz.log"
echo "   corpus now $(ls "$WORK" | wc -l) inputs"
echo "run.sh: no crash, leak or timeout"
