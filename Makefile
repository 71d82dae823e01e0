# SwiftZoo: every target installs what it needs (apt packages as root or through sudo,
# a Python virtualenv under .venv for the Keras cross-checks) and then runs.

SWIFT        ?= swift
VENV         ?= .venv
PYTHON       ?= python3
APT_PACKAGES := libhdf5-dev zlib1g-dev pkg-config libssl-dev
SUDO         := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
DEMO_DIR     ?= $(or $(TMPDIR),/tmp)/swiftzoo-demo
INTEROP_DIR  ?= $(or $(TMPDIR),/tmp)/swiftzoo-interop
ZOO_RELEASE  := .build/release/zoo

.PHONY: deps build release test demo interop interop-quick venv bench fixtures clean

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

## test: the unit and CLI tests (Swift Testing) on the shipped fixtures
test: deps
	$(SWIFT) test

## demo: the main job on the shipped fixtures: inspect, bind, slice, convert (Keras layouts, .zoo,
## safetensors, torchvision naming), verify and diff
demo: release
	@rm -rf $(DEMO_DIR) && mkdir -p $(DEMO_DIR)
	$(ZOO_RELEASE) inspect Fixtures/tiny.tfera.h5
	$(ZOO_RELEASE) convert Fixtures/tiny.tfera.h5 $(DEMO_DIR)/tiny.weights.h5
	$(ZOO_RELEASE) inspect --tree $(DEMO_DIR)/tiny.weights.h5
	$(ZOO_RELEASE) convert Fixtures/tiny.keras $(DEMO_DIR)/tiny.model.h5
	$(ZOO_RELEASE) inspect --json $(DEMO_DIR)/tiny.model.h5
	$(ZOO_RELEASE) summary Fixtures/tiny.keras
	$(ZOO_RELEASE) slice Fixtures/tiny.keras $(DEMO_DIR)/tiny_cut.keras --at add --freeze-through add --head-classes 3
	$(ZOO_RELEASE) summary $(DEMO_DIR)/tiny_cut.keras
	$(ZOO_RELEASE) convert Fixtures/tiny.keras $(DEMO_DIR)/tiny.zoo
	$(ZOO_RELEASE) verify $(DEMO_DIR)/tiny.zoo
	$(ZOO_RELEASE) convert $(DEMO_DIR)/tiny.zoo $(DEMO_DIR)/tiny.safetensors --dtype bfloat16
	$(ZOO_RELEASE) diff $(DEMO_DIR)/tiny.safetensors Fixtures/tiny.keras --rtol 0.01
	$(ZOO_RELEASE) predict Fixtures/compute/block.keras --input Fixtures/compute/block.input.npy --output $(DEMO_DIR)/block.npz --layer b_1_relu --layer b_out
	$(ZOO_RELEASE) bench Fixtures/compute/stem.keras --batch 2 --iterations 5
	$(ZOO_RELEASE) models

## venv: Python with real Keras (jax CPU backend), h5py and numpy, for cross-checks only
venv: $(VENV)/.stamp
$(VENV)/.stamp: Fixtures/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check -r Fixtures/requirements.txt
	touch $@

## interop: full-size ResNet50 / VGG16 from real Keras in every layout against zoo, both ways
interop: release venv
	$(VENV)/bin/python Tests/Interop/interop.py --zoo $(ZOO_RELEASE) --workdir $(INTEROP_DIR)
	$(VENV)/bin/python Tests/Interop/compute_interop.py --zoo $(ZOO_RELEASE) --workdir $(INTEROP_DIR)

interop-quick: release venv
	$(VENV)/bin/python Tests/Interop/interop.py --zoo $(ZOO_RELEASE) --workdir $(INTEROP_DIR) --quick
	$(VENV)/bin/python Tests/Interop/compute_interop.py --zoo $(ZOO_RELEASE) --workdir $(INTEROP_DIR) --quick

## bench: formats against h5py / safetensors (Docs/BENCHMARKS.md) and the compute core against
## tf-keras and ONNX Runtime (Docs/BENCHMARKS_COMPUTE.md; installs them in its own venv)
bench: deps venv
	ZOO_PYTHON=$(VENV)/bin/python bash Benchmarks/run.sh
	ZOO_PYTHON=$(VENV)/bin/python bash Benchmarks/native.sh
	bash Benchmarks/compute/run.sh

## fixtures: regenerate Fixtures/ with real Keras (needs the venv)
fixtures: venv
	$(VENV)/bin/python Fixtures/make_fixtures.py

clean:
	rm -rf .build $(DEMO_DIR)
