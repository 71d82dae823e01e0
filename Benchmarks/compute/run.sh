#!/usr/bin/env bash
# Compute-core benchmark: zoo against tf-keras (tf.function) and ONNX Runtime CPU on ResNet50 and
# VGG16 (or BENCH_MODELS), 224x224, batch 1 and 8, written into Docs/BENCHMARKS_COMPUTE.md. The
# lighter backbones: BENCH_MODELS="efficientnetb0 mobilenetv2 densenet121 mobilenetv3small"
# BENCH_OUTPUT=Docs/BENCHMARKS_BACKBONES.md (what `make bench` runs second).
#
#   bash Benchmarks/compute/run.sh
#
# Environment (all optional):
#   BENCH_VENV       venv with tensorflow, tf-keras, onnxruntime, tf2onnx (default /tmp/bench-venv; made if missing)
#   BENCH_WORK       where converted models go (default /tmp/swiftzoo-bench-compute)
#   INTEROP_DIR      where the seeded .h5 files are (default /tmp/swiftzoo-interop; made with
#                    Tests/Interop/make_models.py if missing)
#   BENCH_VGG16_ONNX 1 to also convert VGG16 with tf2onnx (needs ~14 GB of memory and minutes); default 0
#   BENCH_MODELS     default "resnet50 vgg16"; also efficientnetb0 mobilenetv2 densenet121
#                    mobilenetv3small mobilenetv3large (tf-keras's own .h5 of each, made in BENCH_WORK)
#   BENCH_ITERS1 / BENCH_ITERS8  timed runs at batch 1 / 8 (default 7 / 5; VGG16 batch 8 uses ITERS8-2, at least 3)
#   BENCH_QUIET_LOAD / BENCH_MAX_WAIT  wait up to MAX_WAIT s (default 300) for the 1-min load average to fall
#                    below QUIET_LOAD (default 1.5) before measuring; the loads seen go into the report
#   BENCH_OUTPUT     the report (default Docs/BENCHMARKS_COMPUTE.md)
set -euo pipefail
cd "$(dirname "$0")/../.."

command_line="bash Benchmarks/compute/run.sh"
for var in BENCH_OUTPUT BENCH_MAX_WAIT BENCH_QUIET_LOAD BENCH_ITERS8 BENCH_ITERS1 BENCH_MODELS BENCH_VGG16_ONNX INTEROP_DIR BENCH_WORK BENCH_VENV; do
  if [ -n "${!var:-}" ]; then command_line="$var=${!var} $command_line"; fi
done

VENV=${BENCH_VENV:-/tmp/bench-venv}
WORK=${BENCH_WORK:-/tmp/swiftzoo-bench-compute}
INTEROP=${INTEROP_DIR:-/tmp/swiftzoo-interop}
MODELS=${BENCH_MODELS:-resnet50 vgg16}
OUTPUT=${BENCH_OUTPUT:-Docs/BENCHMARKS_COMPUTE.md}
export TF_CPP_MIN_LOG_LEVEL=3 CUDA_VISIBLE_DEVICES=""
mkdir -p "$WORK"

if [ ! -x "$VENV/bin/python" ]; then
  echo "== making $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --upgrade pip
  # tf-keras must match tensorflow's minor version; onnx 1.17 / protobuf 3.20.3 satisfy tf2onnx 1.16.1 and TF 2.18;
  # numpy 1.26 because tf2onnx 1.16.1's constant-folding rewriter still calls np.cast (gone in numpy 2).
  "$VENV/bin/pip" install "tensorflow-cpu==2.18.1" "tf-keras==2.18.0" onnxruntime "tf2onnx==1.16.1" \
    "onnx==1.17.0" "protobuf==3.20.3" "numpy==1.26.4" "ml-dtypes==0.4.1"
fi
PY="$VENV/bin/python"
# OpenVINO is a second peer on the same ONNX files (added after the venv was first made).
"$PY" -c "import openvino" 2>/dev/null || "$VENV/bin/pip" install -q openvino

echo "== building zoo (release)"
swift build -c release --product zoo --scratch-path .build-bench
ZOO=.build-bench/release/zoo

for m in $MODELS; do
  case $m in
    resnet50|vgg16)
      source_h5="$INTEROP/${m}_top.h5"
      if [ ! -f "$source_h5" ]; then
        echo "run.sh: $source_h5 missing; generate it with Tests/Interop/make_models.py $INTEROP --only ${m}_top" >&2
        exit 1
      fi ;;
    *)
      # The other backbones: tf-keras's own full-model .h5 (weights=None), the model ORT and
      # tf-keras run too.
      source_h5="$WORK/$m.tf.h5"
      if [ ! -f "$source_h5" ]; then
        echo "== tf-keras $m -> $source_h5"
        "$PY" Benchmarks/compute/bench.py save-h5 "$m" "$source_h5.tmp.h5"
        mv "$source_h5.tmp.h5" "$source_h5"
      fi ;;
  esac
  if [ ! -f "$WORK/$m.zoo" ]; then
    echo "== zoo convert $m"
    "$ZOO" convert "$source_h5" "$WORK/$m.zoo"
  fi
  # The same model folded with its kernels in the compute core's layout (rewritten each run: the
  # layout follows the build).
  echo "== zoo convert --pack $m"
  "$ZOO" convert "$source_h5" "$WORK/$m.packed.zoo" --pack
  if [ ! -f "$WORK/$m.onnx" ] && { [ "$m" != vgg16 ] || [ "${BENCH_VGG16_ONNX:-0}" = 1 ]; }; then
    echo "== tf2onnx $m"
    /usr/bin/time -o "$WORK/$m.onnx.time" -f '%M %e' \
      "$PY" Benchmarks/compute/bench.py to-onnx "$m" "$WORK/$m.onnx.tmp"
    mv "$WORK/$m.onnx.tmp" "$WORK/$m.onnx"
  fi
done

echo "== measuring"
# shellcheck disable=SC2086
"$PY" Benchmarks/compute/bench.py main --zoo "$ZOO" --work "$WORK" --output "$OUTPUT" \
  --command "$command_line" --models $MODELS \
  --iters1 "${BENCH_ITERS1:-7}" --iters8 "${BENCH_ITERS8:-5}" \
  --quiet-load "${BENCH_QUIET_LOAD:-1.5}" --max-wait "${BENCH_MAX_WAIT:-300}"
