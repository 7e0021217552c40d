# libFuzzer targets (issue #10), built with clang-19 from the same sources as
# the wasm modules, under -fsanitize=fuzzer,address,undefined:
#
#   fuzz-request   bytes -> er_run: JSON, base64, decode, prepare, resnet20, response
#   fuzz-image     bytes -> decode + prepare (every format, EXIF, JPEG kernels, scaled decoding)
#   fuzz-compiler  bytes -> ONNX reader, import (inlining), shape inference, folding
#   fuzz-tensor    bytes -> tensor requests, er_io_data and er_run_tensors (fixture-multi)
#
#   make fuzz FUZZ_SECONDS=N   each target for N seconds (default 60), then the
#                              10,000 mutated models through the sanitized compiler
#   make test-fuzz             each target for FUZZ_TEST_SECONDS (30) and every
#                              regression input; part of make test
#
# Seeds come from the project's scripts at run time (tests/fuzz/make_seeds.py
# over tests/runtime/*_cases.py and tests/compiler/make_models.py) and the ONNX
# tests in $(SHARED); corpora and findings stay in build/fuzz/. Every crash
# becomes a file in tests/fuzz/regressions/TARGET/, which test-fuzz replays.
FUZZ_CC     := clang-19
FUZZ_DIR    := $(BUILD)/fuzz
FUZZ_SAN    := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS := -O1 -g $(WARN) $(FUZZ_SAN) -fsanitize=fuzzer-no-link -Isrc/kernels -Isrc/runtime
FUZZ_TARGETS := request image compiler tensor
FUZZ_SECONDS ?= 60
FUZZ_TEST_SECONDS ?= 30
FUZZ_MUTANTS ?= 10000

FUZZ_RUNTIME_OBJS := $(RUNTIME_SRCS:src/runtime/%.c=$(FUZZ_DIR)/obj/runtime/%.o) $(FUZZ_DIR)/obj/runtime/cJSON.o
FUZZ_KERNEL_OBJS  := $(KERNEL_SRCS:src/kernels/%.c=$(FUZZ_DIR)/obj/kernels/%.o)
FUZZ_COMPILER_OBJS := $(filter-out $(FUZZ_DIR)/obj/compiler/main.o,$(COMPILER_SRCS:src/compiler/%.c=$(FUZZ_DIR)/obj/compiler/%.o))

$(FUZZ_DIR)/obj/runtime/%.o: src/runtime/%.c $(RUNTIME_HDRS) $(KERNEL_HDRS) $(CJSON_DIR)/cJSON.c $(STB_DIR)/stb_image.h
	@mkdir -p $(@D)
	$(FUZZ_CC) -std=c99 $(FUZZ_CFLAGS) $(RUNTIME_INC) -c $< -o $@
$(FUZZ_DIR)/obj/runtime/er_image.o: FUZZ_CFLAGS += -fwrapv
$(FUZZ_DIR)/obj/runtime/cJSON.o: $(CJSON_DIR)/cJSON.c
	@mkdir -p $(@D)
	$(FUZZ_CC) -std=c99 $(FUZZ_CFLAGS) -c $< -o $@
# The kernels and the model at -O2: resnet20 is most of a request's time.
$(FUZZ_DIR)/obj/kernels/%.o: src/kernels/%.c $(KERNEL_HDRS)
	@mkdir -p $(@D)
	$(FUZZ_CC) -std=c99 $(FUZZ_CFLAGS) -O2 -c $< -o $@
$(FUZZ_DIR)/obj/compiler/%.o: src/compiler/%.c $(COMPILER_HDRS) $(KERNEL_HDRS)
	@mkdir -p $(@D)
	$(FUZZ_CC) -std=c11 $(FUZZ_CFLAGS) -Isrc/compiler -c $< -o $@
$(FUZZ_DIR)/obj/resnet20.o: $(BUILD)/models/resnet20-cifar10.c
	@mkdir -p $(@D)
	$(FUZZ_CC) -std=c99 $(FUZZ_CFLAGS) -O2 -I$(<D) -c $< -o $@
$(FUZZ_DIR)/obj/fixture_multi.o: tests/runtime/fixture_multi.c src/runtime/er_model.h
	@mkdir -p $(@D)
	$(FUZZ_CC) -std=c99 $(FUZZ_CFLAGS) -c $< -o $@

# One target: its source, then the objects it links.
define fuzz_link
	@mkdir -p $(@D)
	$(FUZZ_CC) -std=c99 $(FUZZ_CFLAGS) $(RUNTIME_INC) -Isrc/compiler -fsanitize=fuzzer $(filter %.c %.o,$^) -lm -o $@
endef
$(FUZZ_DIR)/fuzz-request: tests/fuzz/fuzz_request.c tests/fuzz/fuzz_util.h $(FUZZ_DIR)/obj/resnet20.o $(FUZZ_RUNTIME_OBJS) $(FUZZ_KERNEL_OBJS)
	$(fuzz_link)
$(FUZZ_DIR)/fuzz-image: tests/fuzz/fuzz_image.c tests/fuzz/fuzz_util.h $(FUZZ_DIR)/obj/resnet20.o $(FUZZ_RUNTIME_OBJS) $(FUZZ_KERNEL_OBJS)
	$(fuzz_link)
$(FUZZ_DIR)/fuzz-compiler: tests/fuzz/fuzz_compiler.c tests/fuzz/fuzz_util.h $(FUZZ_COMPILER_OBJS) $(FUZZ_KERNEL_OBJS)
	$(fuzz_link)
$(FUZZ_DIR)/fuzz-tensor: tests/fuzz/fuzz_tensor.c tests/fuzz/fuzz_util.h $(FUZZ_DIR)/obj/fixture_multi.o $(FUZZ_RUNTIME_OBJS) $(FUZZ_KERNEL_OBJS)
	$(fuzz_link)

fuzz-build: $(FUZZ_TARGETS:%=$(FUZZ_DIR)/fuzz-%)
.PHONY: fuzz-build

# Seed corpora, written by the project's scripts into build/fuzz/seeds/TARGET.
$(FUZZ_DIR)/seeds/.done: tests/fuzz/make_seeds.py tests/runtime/pillow_cases.py tests/runtime/jpeg_cases.py tests/compiler/make_models.py
	@rm -rf $(FUZZ_DIR)/seeds $(FUZZ_DIR)/cases && mkdir -p $(FUZZ_DIR)/cases
	@/usr/bin/python3 tests/runtime/pillow_cases.py $(FUZZ_DIR)/cases/pillow > /dev/null
	@/usr/bin/python3 tests/runtime/jpeg_cases.py $(FUZZ_DIR)/cases/jpeg > /dev/null
	@/usr/bin/python3 tests/compiler/make_models.py $(FUZZ_DIR)/cases/models > /dev/null
	@/usr/bin/python3 tests/fuzz/make_seeds.py $(FUZZ_DIR)/seeds $(FUZZ_DIR)/cases $(SHARED)
	@touch $@

fuzz: deps-test fuzz-build $(FUZZ_DIR)/seeds/.done compiler build/native-san/edgerun-compile
	@rm -f $(FUZZ_DIR)/summary.txt; failed=""; for t in $(FUZZ_TARGETS); do \
	  sh tests/fuzz/run.sh $$t $(FUZZ_SECONDS) $(FUZZ_DIR) || failed="$$failed $$t"; done; \
	 node tests/fuzz/mutate-models.mjs --count $(FUZZ_MUTANTS) --shared $(SHARED) || failed="$$failed mutated-models"; \
	 cat $(FUZZ_DIR)/summary.txt; \
	 if [ -n "$$failed" ]; then echo "make fuzz: FAILED:$$failed"; exit 1; fi; echo "make fuzz: no findings"
test-fuzz: fuzz-build $(FUZZ_DIR)/seeds/.done
	@rm -f $(FUZZ_DIR)/summary.txt; failed=""; for t in $(FUZZ_TARGETS); do \
	  sh tests/fuzz/run.sh $$t $(FUZZ_TEST_SECONDS) $(FUZZ_DIR) || failed="$$failed $$t"; done; \
	 cat $(FUZZ_DIR)/summary.txt; \
	 if [ -n "$$failed" ]; then echo "test-fuzz: FAILED:$$failed"; exit 1; fi; echo "test-fuzz: ok"
.PHONY: fuzz test-fuzz
