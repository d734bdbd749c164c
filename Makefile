# DIET-SNN -> FPGA toolchain. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV      ?= .venv
ENV       := source scripts/env.sh &&
PY        := $(ENV) python
CONFIG    ?= fmnist
RUN       ?= models/fmnist
OUT       ?= runs/$(CONFIG)
PYTEST_ARGS ?=
TEST_JOBS ?= 2  # pytest-xdist workers of `make test` (0: one process)

BUILD     ?= build/fmnist
BOARD     ?= zcu104
FPS       ?= 100000
CLOCK_MHZ ?= 200
IMPL      ?= rtl
SIZE_FIFOS ?= 3
BITSTREAM_FLAGS ?=  # e.g. --strategy performance --allow-timing-violation

.PHONY: help setup test test-rtl-full test-fast demo train export evaluate compile estimate stitch sim deploy bitstream bench bench-train bench-lowering bench-blocks bench-timing bench-network bench-cnv-uram bench-sim-speed clean

help:  ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  %-14s %s\n", $$1, $$2}'

setup:  ## install everything (Debian packages as root, .venv with pinned Python deps); idempotent
	bash scripts/setup.sh

test:  ## run the whole test suite (tests/ and sim/), without slow/vivado/board markers, on TEST_JOBS workers
	$(ENV) python -m pytest -n $(TEST_JOBS) --dist loadgroup $(PYTEST_ARGS)

test-rtl-full:  ## the shipped fmnist build's RTL on all 10,000 test images, alone (make test runs it too; minutes)
	$(ENV) python -m pytest sim/test_network_rtl.py -k all_10000 $(PYTEST_ARGS)

test-fast:  ## the integer-reference unit tests only (seconds)
	$(ENV) python -m pytest tests/dietsnn $(PYTEST_ARGS)

demo:  ## the flow on the shipped fmnist network: compile -> stitch -> RTL check on real images -> report (minutes)
	$(ENV) dietsnn compile $(RUN) --board $(BOARD) --fps $(FPS) --clock-mhz $(CLOCK_MHZ) --out $(BUILD)
	$(ENV) dietsnn stitch $(BUILD)
	$(ENV) python -m bench.network --build $(BUILD) --limit 300 --skip-synth --skip-timing --skip-finn --skip-hls --out $(BUILD)/demo_network.json
	$(ENV) dietsnn estimate $(BUILD)

compile:  ## lower RUN to FINN dataflow layers folded for FPS at CLOCK_MHZ on BOARD, into BUILD
	$(ENV) dietsnn compile $(RUN) --board $(BOARD) --fps $(FPS) --clock-mhz $(CLOCK_MHZ) --out $(BUILD)

estimate: compile  ## per-layer folding, cycles, widths and LUT/BRAM/DSP estimates of the default build
	$(ENV) dietsnn estimate $(BUILD)

stitch: compile  ## every layer's RTL + the top into BUILD/rtl, FIFOs sized by simulation
	$(ENV) dietsnn stitch $(BUILD)

sim:  ## the RTL testbenches (blocks, HLS C-simulation, the stitched accelerator on real images)
	$(ENV) python -m pytest sim $(PYTEST_ARGS)

deploy: stitch  ## BUILD/deploy: driver, notebook, network and the Verilator model (sim transport)
	$(ENV) dietsnn deploy $(BUILD)

bitstream:  ## BUILD/deploy/dietsnn.{bit,hwh} for BOARD (IMPL=rtl|hls); without Vivado: all sources + TCL, then a clear stop
	$(ENV) dietsnn bitstream $(RUN) --board $(BOARD) --fps $(FPS) --clock-mhz $(CLOCK_MHZ) --impl $(IMPL) --size-fifos $(SIZE_FIFOS) --out $(BUILD) $(BITSTREAM_FLAGS)

train:  ## train CONFIG (default fmnist) into OUT (default runs/CONFIG): ANN twin -> conversion -> DIET-SNN
	$(ENV) dietsnn train --config $(CONFIG) --out $(OUT)

export:  ## write RUN/network.snn.npz (RUN defaults to the shipped models/fmnist)
	$(ENV) dietsnn export $(RUN)

evaluate:  ## integer-network accuracy of RUN on the test split
	$(ENV) dietsnn evaluate $(RUN) --split test

bench-train:  ## train fmnist from scratch, write bench/results/train.json, refresh models/fmnist (about an hour on 2 free cores)
	$(ENV) python -m bench.train

bench-lowering:  ## golden vs QONNX vs dataflow on all 10,000 test images -> bench/results/lowering.json
	$(ENV) python -m bench.lowering

bench-blocks:  ## Yosys LUT/FF/BRAM/DSP of every block of the fmnist build vs the estimator -> bench/results/blocks.json
	$(ENV) python -m bench.blocks

bench-timing:  ## timing proxy (Yosys sta) of every block of the fmnist build, ours vs FINN's -> bench/results/timing.json
	$(ENV) python -m bench.timing

bench-network:  ## the stitched fmnist accelerator on all 10,000 test images in RTL, Yosys, FINN ANN side by side -> bench/results/network.json
	$(ENV) python -m bench.network

bench-cnv-uram:  ## CNV-sized CIFAR-10 network with weights in UltraRAM on the ZCU104, bit-exact in RTL through the driver -> bench/results/cnv_uram.json
	$(ENV) python -m bench.cnv_uram

bench-sim-speed:  ## RTL simulation speed against earlier revisions (the issue's checkout, the last before the bit-sliced trees), same 500 images, same run, and the HLS chain -> bench/results/sim_speed.json
	$(ENV) python -m bench.sim_speed

bench: bench-train bench-lowering bench-blocks bench-timing bench-network bench-cnv-uram bench-sim-speed  ## every benchmark (writes bench/results/*.json) and the slow tests
	$(ENV) python -m pytest -m slow $(PYTEST_ARGS)

clean:  ## remove build outputs (keeps .venv and the shipped model)
	rm -rf build runs bench/runs .pytest_cache sim_build
