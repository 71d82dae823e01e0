#!/usr/bin/env bash
# Training benchmark: `zoo train` against tf-keras 2.18 (TensorFlow CPU) and Keras 3 + JAX (CPU)
# `model.fit` on ResNet50 fine-tuning (conv5 + new head), a Dense head on 2048-d features, and
# full-network backward through VGG16 / ResNet50; written into Docs/BENCHMARKS_TRAIN.md.
#
#   bash Benchmarks/train/run.sh
#
# Environment (all optional):
#   BENCH_VENV        venv with tensorflow-cpu + tf-keras (default /tmp/bench-venv, the compute benchmark's;
#                     made with just what this benchmark needs if missing)
#   ZOO_PYTHON        Python with Keras 3 + JAX (default .venv/bin/python; made with `make venv` if missing)
#   BENCH_WORK        data, head model and trained outputs (default /tmp/swiftzoo-bench-train)
#   INTEROP_DIR       seeded .h5 files (default /tmp/swiftzoo-interop; missing ones are made with
#                     Tests/Interop/make_models.py)
#   BENCH_TASKS       default "finetune head full-vgg16 full-resnet50"
#   BENCH_ROUNDS      interleaved rounds of finetune and head (default 3)
#   BENCH_FULL_ROUNDS rounds of the full-network runs (default 2)
#   BENCH_TIMEOUT     seconds before a run is killed and that runtime skipped for the task (default 600)
#   BENCH_QUIET_LOAD / BENCH_MAX_WAIT  wait up to MAX_WAIT s (default 300) for the 1-min load average to fall
#                     below QUIET_LOAD (default 1.5) before measuring
#   BENCH_OUTPUT      the report (default Docs/BENCHMARKS_TRAIN.md)
set -euo pipefail
cd "$(dirname "$0")/../.."

command_line="bash Benchmarks/train/run.sh"
for var in BENCH_OUTPUT BENCH_MAX_WAIT BENCH_QUIET_LOAD BENCH_TIMEOUT BENCH_FULL_ROUNDS BENCH_ROUNDS BENCH_TASKS \
           INTEROP_DIR BENCH_WORK ZOO_PYTHON BENCH_VENV; do
  if [ -n "${!var:-}" ]; then command_line="$var=${!var} $command_line"; fi
done

VENV=${BENCH_VENV:-/tmp/bench-venv}
JAX_PY=${ZOO_PYTHON:-.venv/bin/python}
WORK=${BENCH_WORK:-/tmp/swiftzoo-bench-train}
INTEROP=${INTEROP_DIR:-/tmp/swiftzoo-interop}
TASKS=${BENCH_TASKS:-finetune head full-vgg16 full-resnet50}
OUTPUT=${BENCH_OUTPUT:-Docs/BENCHMARKS_TRAIN.md}
export TF_CPP_MIN_LOG_LEVEL=3 CUDA_VISIBLE_DEVICES=""
mkdir -p "$WORK" "$INTEROP"

if [ ! -x "$VENV/bin/python" ]; then
  echo "== making $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --upgrade pip
  # tf-keras must match tensorflow's minor version (the compute benchmark adds ONNX tools to this venv).
  "$VENV/bin/pip" install "tensorflow-cpu==2.18.1" "tf-keras==2.18.0" "numpy==1.26.4"
fi
if [ ! -x "$JAX_PY" ]; then
  echo "== making .venv (make venv)"
  make venv
fi
TF_PY="$VENV/bin/python"

for name in resnet50_notop vgg16_notop; do
  if [ ! -f "$INTEROP/$name.h5" ]; then
    echo "== making $INTEROP/$name.h5"
    "$JAX_PY" Tests/Interop/make_models.py "$INTEROP" --only "$name"
  fi
done

echo "== building zoo (release)"
swift build -c release --product zoo --scratch-path .build-bench
ZOO=.build-bench/release/zoo
KERNEL=$("$ZOO" bench Fixtures/compute/stem.keras --batch 2 --iterations 3 --json |
         "$JAX_PY" -c 'import json, sys; print(json.loads(sys.stdin.read().strip().splitlines()[-1]).get("kernel", "?"))')
echo "== zoo kernel: $KERNEL"

echo "== making the data in $WORK"
KERAS_BACKEND=jax JAX_PLATFORMS=cpu "$JAX_PY" Benchmarks/train/bench.py make-data "$WORK"

echo "== measuring"
# shellcheck disable=SC2086
"$JAX_PY" Benchmarks/train/bench.py main --zoo "$ZOO" --kernel "$KERNEL" --work "$WORK" --interop "$INTEROP" \
  --tf-python "$TF_PY" --jax-python "$JAX_PY" --output "$OUTPUT" --command "$command_line" --tasks $TASKS \
  --rounds "${BENCH_ROUNDS:-3}" --full-rounds "${BENCH_FULL_ROUNDS:-2}" --timeout "${BENCH_TIMEOUT:-600}" \
  --quiet-load "${BENCH_QUIET_LOAD:-1.5}" --max-wait "${BENCH_MAX_WAIT:-300}"
rm -rf "$WORK"/out-*
