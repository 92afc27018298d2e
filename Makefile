# Makefile: the two newcomer commands (`make demo`, `make test`) and friends.
# Each target installs what is missing (tools/setup.sh), configures and builds first.
BUILD ?= build
SIM_BUILD ?= build-sim
SIM_ASAN_BUILD ?= build-sim-asan
GPU_BUILD ?= build-gpu
JOBS  ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: all setup build demo test test-asan test-tsan fuzz fuzz-build fuzz-smoke bench clean \
	build-sim test-sim test-gpu

all: build

setup:
	@bash tools/setup.sh

build: setup
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

demo: build
	./$(BUILD)/flowrt_demo models/digits

# The CPU build's tests, then every test of the CUDA simulation build (build-sim: the CUDA
# backend against cuda/sim's simulated GPUs; needs no GPU and no CUDA toolkit).
test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
	@$(MAKE) --no-print-directory build-sim
	cd $(SIM_BUILD) && ctest --output-on-failure -j $(JOBS)

# The same tests built with AddressSanitizer + UndefinedBehaviorSanitizer (CI runs this too),
# then the simulation build's tests likewise (models on the simulated GPU included). The sanitizer and fuzz
# builds never take the real CUDA backend (FRT_CUDA=OFF): the simulation is how they see it.
test-asan: setup
	@cmake -S . -B build-asan -DFRT_SANITIZE=ON -DFRT_CUDA=OFF -DCMAKE_BUILD_TYPE=Debug >/dev/null
	@cmake --build build-asan -j $(JOBS)
	cd build-asan && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j $(JOBS)
	@cmake -S . -B $(SIM_ASAN_BUILD) -DFRT_SANITIZE=ON -DFRT_CUDA_SIM=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
	@cmake --build $(SIM_ASAN_BUILD) -j $(JOBS)
	cd $(SIM_ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j $(JOBS)

# The tests that run sessions from several threads, and the cold start, under ThreadSanitizer
# (ctest label tsan); any report fails the run. CI runs this after test-asan.
test-tsan: setup
	@cmake -S . -B build-tsan -DFRT_TSAN=ON -DFRT_CUDA=OFF -DCMAKE_BUILD_TYPE=Debug >/dev/null
	@cmake --build build-tsan -j $(JOBS) --target tsan_tests
	cd build-tsan && TSAN_OPTIONS=halt_on_error=1 ctest -L tsan --output-on-failure -j $(JOBS)

# libFuzzer harnesses (tests/fuzz, clang + ASan + UBSan) in build-fuzz: `make fuzz` runs each
# for FUZZ_SECONDS (or only those named in FUZZ=...), keeping corpora in build-fuzz/corpus;
# `make fuzz-smoke` is CI's short, deterministic run of every harness (20000 inputs each from
# seed 1), so none rots.
FUZZ_SECONDS ?= 60
FUZZ ?=
fuzz-build:
	@bash tools/setup.sh --fuzz
	@CC=clang cmake -S . -B build-fuzz -DFRT_FUZZ=ON -DFRT_SANITIZE=ON -DFRT_CUDA=OFF -DFRT_BUILD_TESTS=OFF \
		-DCMAKE_BUILD_TYPE=Debug >/dev/null
	@cmake --build build-fuzz -j $(JOBS) --target fuzz_harnesses

fuzz: fuzz-build
	bash tests/fuzz/run.sh build-fuzz $(FUZZ_SECONDS) $(FUZZ)

fuzz-smoke: fuzz-build
	bash tests/fuzz/run.sh build-fuzz runs:20000 $(FUZZ)

# The CUDA simulation (cuda/sim: CUDA runtime, cuBLAS, cuDNN checked on the host, no GPU
# needed) in build-sim, with the CUDA backend built against it; `make test-sim` runs the
# tests of the simulation and of the backend (labels sim and cuda) there.
build-sim: setup
	@cmake -S . -B $(SIM_BUILD) -DCMAKE_BUILD_TYPE=Release -DFRT_CUDA_SIM=ON >/dev/null
	@cmake --build $(SIM_BUILD) -j $(JOBS)

test-sim: build-sim
	cd $(SIM_BUILD) && ctest -L 'sim|cuda' --output-on-failure -j $(JOBS)

# The real CUDA backend (nvcc, cuBLAS, cuDNN; FRT_CUDA=ON) in build-gpu: builds the library,
# the CLI, the backend's tests and bench_gpu, and runs those tests and the benchmark where a
# GPU is found; elsewhere says so and succeeds.
test-gpu: setup
	@if ! command -v nvcc >/dev/null 2>&1 && [ ! -x /usr/local/cuda/bin/nvcc ]; then \
	  echo "skipped: no CUDA toolkit (nvcc)"; exit 0; fi; \
	cmake -S . -B $(GPU_BUILD) -DCMAKE_BUILD_TYPE=Release -DFRT_CUDA=ON >/dev/null && \
	cmake --build $(GPU_BUILD) -j $(JOBS) --target cuda_tests && \
	if nvidia-smi -L 2>/dev/null | grep -q '^GPU' || ls /dev/nvidia[0-9]* >/dev/null 2>&1; then \
	  cd $(GPU_BUILD) && ctest -L cuda --output-on-failure && \
	  { [ ! -x bench_gpu ] || ./bench_gpu; }; \
	else echo "skipped: no GPU"; fi

bench: build
	./$(BUILD)/bench_matmul

clean:
	rm -rf $(BUILD) build-asan build-tsan build-fuzz $(SIM_BUILD) $(SIM_ASAN_BUILD) $(GPU_BUILD)
