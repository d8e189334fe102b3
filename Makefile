# The two commands a new machine needs: `make demo` and `make test`. Each installs what is
# missing first (scripts/setup.sh).
BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
JOBS       ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: format-check setup build build-asan demo test test-unit test-asan conformance fuzz bench format clean scripts-check crash-test

setup:
	@scripts/setup.sh

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS)

build: setup $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

$(ASAN_BUILD)/build.ninja:
	cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DSTEPFN_SANITIZE=ON $(CMAKE_FLAGS)

build-asan: setup $(ASAN_BUILD)/build.ninja
	cmake --build $(ASAN_BUILD) -j $(JOBS)

demo: build
	$(BUILD)/stepfn run examples/hello/definition.json --input-file examples/hello/input.json

test-unit: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

conformance: build
	$(BUILD)/stepfn conformance

test-asan: build-asan
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure -j $(JOBS)

test: format-check test-unit conformance test-asan scripts-check crash-test
	@echo "make test: all suites passed"

# 1,000 STANDARD executions through three kill -9s and restarts of stepfn serve.
crash-test: build
	python3 tests/server_crash_test.py $(BUILD)/stepfn

scripts-check:
	@scripts/check-no-throw.sh

$(FUZZ_BUILD)/build.ninja:
	CXX=clang++ cmake -S . -B $(FUZZ_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSTEPFN_FUZZ=ON -DSTEPFN_TESTS=OFF

fuzz: setup $(FUZZ_BUILD)/build.ninja
	cmake --build $(FUZZ_BUILD) -j $(JOBS)

bench: build
	bench/run.sh

format:
	find src bench fuzz tests sdk examples -path bench/node_modules -prune -o \( -name '*.h' -o -name '*.cc' \) -print | xargs clang-format -i

# Fails when a file differs from what `make format` would make of it (clang-format 14).
format-check:
	find src bench fuzz tests sdk examples -path bench/node_modules -prune -o \( -name '*.h' -o -name '*.cc' \) -print | xargs clang-format --dry-run -Werror

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
