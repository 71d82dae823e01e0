# SwiftZoo: every target installs what it needs (apt packages as root or through sudo,
# a Python virtualenv under .venv for the Keras cross-checks) and then runs.

SWIFT        ?= swift
VENV         ?= .venv
VENV_TF      ?= .venv-tf
PYTHON       ?= python3
APT_PACKAGES := libhdf5-dev zlib1g-dev pkg-config libssl-dev libjpeg62-turbo-dev libpng-dev libgif-dev
SUDO         := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
DEMO_DIR     ?= $(or $(TMPDIR),/tmp)/swiftzoo-demo
INTEROP_DIR  ?= $(or $(TMPDIR),/tmp)/swiftzoo-interop
APPS_DIR     ?= $(or $(TMPDIR),/tmp)/swiftzoo-applications
HOSTILE_DIR  ?= $(or $(TMPDIR),/tmp)/swiftzoo-hostile
HOSTILE_ARGS ?=
APPS_ARGS    ?=
ZOO_RELEASE  := .build/release/zoo
ZOO_DEMO     := .build/release/ZooTransferDemo

.PHONY: deps build release test demo interop interop-quick interop-applications hostile hostile-quick venv venv-tf bench fixtures clean

## deps: install the Debian packages the build links against (libhdf5, zlib, pkg-config)
deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "make: installing$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release --product zoo
	$(SWIFT) build -c release --product ZooTransferDemo

## test: the unit and CLI tests (Swift Testing) on the shipped fixtures
test: deps
	$(SWIFT) test

## demo: the transfer experiment on real data (scikit-learn's digits, shipped in Fixtures/transfer):
## a small CNN pretrained by Keras on digits 0-4, moved to digits 5-9 with 10 images per class,
## trained from the CLI, then the three runs (scratch, feature extraction, fine-tuning) on the
## Swift API beside Keras's numbers; the format tools on the same models; and zoo extract on a folder
## of digit PNGs (one of them truncated: it is skipped and reported)
demo: release
	@rm -rf $(DEMO_DIR) && mkdir -p $(DEMO_DIR)
	$(ZOO_RELEASE) summary Fixtures/transfer/digits_backbone.keras
	$(ZOO_RELEASE) train Fixtures/transfer/digits_backbone.keras --data Fixtures/transfer/digits_target_train.npz \
	  --at avg_pool --head-classes 5 --freeze-through block2_pool --epochs 60 --batch 10 --optimizer adam --learning-rate 1e-3 \
	  -o $(DEMO_DIR)/digits_finetuned.keras
	$(ZOO_RELEASE) evaluate $(DEMO_DIR)/digits_finetuned.keras --data Fixtures/transfer/digits_target_test.npz
	$(ZOO_RELEASE) convert $(DEMO_DIR)/digits_finetuned.keras $(DEMO_DIR)/digits_finetuned.zoo
	$(ZOO_RELEASE) verify $(DEMO_DIR)/digits_finetuned.zoo
	$(ZOO_RELEASE) predict $(DEMO_DIR)/digits_finetuned.zoo --input Fixtures/transfer/digits_target_test.npz --output $(DEMO_DIR)/probabilities.npy
	$(ZOO_RELEASE) extract Fixtures/transfer/digits_backbone.keras Fixtures/images/digits --layer avg_pool --image-size 8 8 \
	  --color-mode grayscale --preprocessing none -o $(DEMO_DIR)/digit_features.npz
	$(ZOO_DEMO) Fixtures/transfer --markdown $(DEMO_DIR)/TRANSFER.md
	@echo "make demo: the table is in $(DEMO_DIR)/TRANSFER.md (Docs/TRANSFER.md keeps a copy)"

## venv: Python with real Keras (jax CPU backend), h5py and numpy, for cross-checks only
venv: $(VENV)/.stamp
$(VENV)/.stamp: Fixtures/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check --no-cache-dir -r Fixtures/requirements.txt
	touch $@

## venv-tf: tf-keras 2.18 (TensorFlow CPU), to check that trained models load in tf-keras too
venv-tf: $(VENV_TF)/.stamp
$(VENV_TF)/.stamp: Tests/Interop/requirements-tf.txt
	$(PYTHON) -m venv $(VENV_TF)
	$(VENV_TF)/bin/pip install -q --disable-pip-version-check --no-cache-dir -r Tests/Interop/requirements-tf.txt
	touch $@

## interop: full-size ResNet50 / VGG16 from real Keras in every layout against zoo, both ways;
## the compute core against Keras's outputs; training (ResNet50 conv5 + head) against Keras's
## gradients and fit, and zoo's trained models loaded back into Keras 3 and tf-keras; every
## keras.applications architecture zoo lists (applications_interop.py)
interop: release venv venv-tf
	$(VENV)/bin/python Tests/Interop/interop.py --zoo $(ZOO_RELEASE) --workdir $(INTEROP_DIR)
	$(VENV)/bin/python Tests/Interop/compute_interop.py --zoo $(ZOO_RELEASE) --workdir $(INTEROP_DIR)
	$(VENV)/bin/python Tests/Interop/train_interop.py --zoo $(ZOO_RELEASE) --models $(INTEROP_DIR) --tf-python $(VENV_TF)/bin/python
	$(VENV_TF)/bin/python Tests/Interop/images_interop.py --zoo $(ZOO_RELEASE) --models $(INTEROP_DIR)
	$(VENV)/bin/python Tests/Interop/applications_interop.py --zoo $(ZOO_RELEASE) --workdir $(APPS_DIR) $(APPS_ARGS)
	$(VENV)/bin/python Tests/Interop/opnode_interop.py --zoo $(ZOO_RELEASE) --tf-python $(VENV_TF)/bin/python --workdir $(INTEROP_DIR)
	$(VENV)/bin/python Tests/Interop/nested_interop.py --zoo $(ZOO_RELEASE) --tf-python $(VENV_TF)/bin/python --workdir $(INTEROP_DIR)

interop-quick: release venv venv-tf
	$(VENV)/bin/python Tests/Interop/interop.py --zoo $(ZOO_RELEASE) --workdir $(INTEROP_DIR) --quick
	$(VENV)/bin/python Tests/Interop/compute_interop.py --zoo $(ZOO_RELEASE) --workdir $(INTEROP_DIR) --quick
	$(VENV)/bin/python Tests/Interop/train_interop.py --zoo $(ZOO_RELEASE) --models $(INTEROP_DIR) --quick
	$(VENV_TF)/bin/python Tests/Interop/images_interop.py --zoo $(ZOO_RELEASE) --models $(INTEROP_DIR) --quick
	$(VENV)/bin/python Tests/Interop/applications_interop.py --zoo $(ZOO_RELEASE) --workdir $(APPS_DIR) --quick

## interop-applications: every architecture `zoo models` lists against keras.applications, in six
## variants (top, notop, pooling avg/max, classes=10, 160x160 input): summary and predict
## (Tests/Interop/applications_interop.py; e.g. APPS_ARGS="--only resnet50,vgg16" or "--quick")
interop-applications: release venv
	$(VENV)/bin/python Tests/Interop/applications_interop.py --zoo $(ZOO_RELEASE) --workdir $(APPS_DIR) $(APPS_ARGS)

## hostile: the hostile-input suite (Tests/Hostile): truncated, bit-flipped and lying files of every
## format, zip and .npy tricks, full disks, read-only and missing output folders, kills mid-write and
## parallel runs, all through the release zoo; every run must exit 0 or 1 with one 'zoo: error:' line,
## no signal, no hang, under 2 GB RSS, nothing read outside the file and no half-written output.
## Extra runner options go in HOSTILE_ARGS (e.g. HOSTILE_ARGS="--known-failures Tests/Hostile/known_failures.txt")
hostile: release venv
	$(VENV)/bin/python Tests/Hostile/run.py --zoo $(ZOO_RELEASE) --workdir $(HOSTILE_DIR) --full \
	  --json $(HOSTILE_DIR)/summary.json $(HOSTILE_ARGS)

hostile-quick: release venv
	$(VENV)/bin/python Tests/Hostile/run.py --zoo $(ZOO_RELEASE) --workdir $(HOSTILE_DIR) --quick \
	  --json $(HOSTILE_DIR)/summary.json $(HOSTILE_ARGS)

## bench: formats against h5py / safetensors (Docs/BENCHMARKS.md), the compute core against
## tf-keras and ONNX Runtime (Docs/BENCHMARKS_COMPUTE.md; installs them in its own venv), and
## training against tf-keras and Keras 3 + JAX fit (Docs/BENCHMARKS_TRAIN.md), and images in (decode,
## resize, zoo extract) against Pillow, TensorFlow and Keras (Docs/BENCHMARKS_IMAGES.md)
bench: deps venv venv-tf
	ZOO_PYTHON=$(VENV)/bin/python bash Benchmarks/run.sh
	ZOO_PYTHON=$(VENV)/bin/python bash Benchmarks/native.sh
	bash Benchmarks/compute/run.sh
	BENCH_MODELS="efficientnetb0 mobilenetv2 densenet121 mobilenetv3small" BENCH_OUTPUT=Docs/BENCHMARKS_BACKBONES.md bash Benchmarks/compute/run.sh
	ZOO_PYTHON=$(VENV)/bin/python bash Benchmarks/train/run.sh
	ZOO_PYTHON=$(VENV)/bin/python bash Benchmarks/images/run.sh
	ZOO_PYTHON=$(VENV)/bin/python bash Benchmarks/conversion_memory.sh

## fixtures: regenerate Fixtures/ with real Keras (needs the venv)
fixtures: venv
	$(VENV)/bin/python Fixtures/make_fixtures.py

clean:
	rm -rf .build $(DEMO_DIR) $(HOSTILE_DIR)
