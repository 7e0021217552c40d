# The runtime and the model modules. (Owned by the runtime room; see edgerun.h.)
# Contract with the rest of the Makefile:
#   WASM_LIBS                      archives every model module links
#   $(WEB)/models/NAME.wasm        built from $(BUILD)/models/NAME.c + WASM_LIBS
#
#   make fixtures            build/fixtures/fixture-{classifier,multi}.wasm (test doubles)
#   make test-runtime        native tests under ASan+UBSan, then the fixture modules under node
#   make runtime-test-tools  build/tests/er-prepare, the decode+prepare driver of
#                            tests/js/prepare-pillow.test.mjs
#   make runtime-size        the runtime's share of a module, in bytes
#   make wasi                $(WEB)/models/NAME.wasi.wasm: each model as a WASI command
# er_wasi_main.c is the WASI command's main(), not part of the runtime library.
WASI_MAIN    := src/runtime/er_wasi_main.c
RUNTIME_SRCS := $(filter-out $(WASI_MAIN),$(wildcard src/runtime/*.c))
RUNTIME_HDRS := $(wildcard src/runtime/*.h)
RUNTIME_WASM := $(BUILD)/wasm/libedgerun-runtime.a
RUNTIME_NATIVE_SAN := $(BUILD)/native-san/libedgerun-runtime.a
WASM_LIBS := $(RUNTIME_WASM) $(KERNELS_WASM)

# cJSON (Debian's source, `make deps-build`) is compiled into the runtime
# archive; its header comes in as a system header like stb_image's. (The
# top Makefile sets CJSON_DIR after the includes; rules need it now.)
CJSON_DIR ?= $(BUILD)/deps/cjson
RUNTIME_INC := $(STB_INC) -isystem $(CJSON_DIR)
RUNTIME_OBJS = $(RUNTIME_SRCS:src/runtime/%.c=$(1)/runtime/%.o) $(1)/runtime/cJSON.o
# The runtime is built for size: -Os makes a module 54 KB (37%) smaller than
# -O3 (stb_image is most of it) for about 10% slower decoding of a 12 MP
# JPEG and no slower pre-processing (measured on node 20). The model and the
# kernels keep -O3.
CFLAGS_RUNTIME_WASM := $(CFLAGS_WASM) -Os

$(BUILD)/wasm/runtime/%.o: src/runtime/%.c $(RUNTIME_HDRS) $(KERNEL_HDRS) $(CJSON_DIR)/cJSON.c $(STB_DIR)/stb_image.h src/runtime/runtime.mk
	@mkdir -p $(@D)
	$(EMCC) $(CFLAGS_RUNTIME_WASM) $(RUNTIME_INC) -c $< -o $@
$(BUILD)/native-san/runtime/%.o: src/runtime/%.c $(RUNTIME_HDRS) $(KERNEL_HDRS) $(CJSON_DIR)/cJSON.c $(STB_DIR)/stb_image.h src/runtime/runtime.mk
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_NATIVE) $(SANITIZE) $(RUNTIME_INC) -c $< -o $@
$(BUILD)/wasm/runtime/cJSON.o: $(CJSON_DIR)/cJSON.c
	@mkdir -p $(@D)
	$(EMCC) $(CFLAGS_RUNTIME_WASM) -c $< -o $@
$(BUILD)/native-san/runtime/cJSON.o: $(CJSON_DIR)/cJSON.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_NATIVE) $(SANITIZE) -c $< -o $@

# stb_image's integer IDCT lets hostile JPEG coefficients overflow int, which
# is undefined in C; -fwrapv defines it as wrapping (what wasm and x86 do
# anyway) in the one file that compiles stb, so UBSan holds it to that.
$(BUILD)/wasm/runtime/er_image.o: CFLAGS_RUNTIME_WASM += -fwrapv
$(BUILD)/native-san/runtime/er_image.o: CFLAGS_NATIVE += -fwrapv

$(RUNTIME_WASM): $(call RUNTIME_OBJS,$(BUILD)/wasm)
	@rm -f $@; $(EMAR) rcs $@ $^
$(RUNTIME_NATIVE_SAN): $(call RUNTIME_OBJS,$(BUILD)/native-san)
	@rm -f $@; ar rcs $@ $^

# ---- modules ------------------------------------------------------------------
# The exports are exactly the functions edgerun.h declares, read from it.
comma := ,
er_prototype_sed := s/^[a-z].*[ *]\(er_[a-z_]*\)(.*/_\1/p
MODULE_EXPORTS := $(shell sed -n '$(er_prototype_sed)' src/runtime/edgerun.h)
# emmalloc: 7.5 KB smaller than dlmalloc and faster on cJSON's many small
# blocks; ABORTING_MALLOC=0 so that running out of memory is E_MEMORY.
# -sWASM_BIGINT and EMCC_READ_METADATA=python (in er_link_module) spare emcc a
# wasm-emscripten-finalize pass that rewrites nothing our standalone modules
# use: the module comes out byte for byte the same (plus a 26-byte
# target_features section), and linking a model with 100 MB of weights takes
# 14 s instead of 21 s, since binaryen no longer reads and writes its data
# twice (issue #9, measured on resnet50).
MODULE_LINK := --no-entry -sSTANDALONE_WASM -sALLOW_MEMORY_GROWTH=1 -sABORTING_MALLOC=0 -sMALLOC=emmalloc \
  -sWASM_BIGINT -sERROR_ON_UNDEFINED_SYMBOLS=1 -sEXPORTED_FUNCTIONS=$(subst $() ,$(comma),$(strip $(MODULE_EXPORTS)))
# Binaryen (emcc -O3) inlines any function that has one caller, whatever its
# size: every kernel driver a model calls once (an im2col GEMM, a channels-last
# conv, a pad) went into er_model_run, which then held 42 loops in 7 KB. V8
# runs a module's first inferences on baseline code and replaces a function
# only between two of its calls, so er_model_run ran those loops unoptimised
# through the first two inferences, and optimising it cost 16-22 ms of a
# background thread. With no single-caller inlining er_model_run is a list of
# calls (965 B) and each kernel is optimised alone, as soon as it is hot:
# resnet20's first inference in node 21.8 -> 18.2 ms, the fourth 4.4 -> 2.6 ms
# (medians of 25 fresh processes); steady speed and the image path unchanged
# (0.996-1.018, interleaved); +1.9 KB. The relaxed twins skip binaryen, and
# LLVM does not inline across files, so theirs is already a list of calls.
MODULE_OPT := -sBINARYEN_EXTRA_PASSES=--one-caller-inline-max-function-size=0
MODULE_LDFLAGS := $(MODULE_LINK) $(MODULE_OPT)

# Link one model module from its C source ($(1)): the one rule real models
# and the fixtures share. Its initial memory must hold the model's static
# data (initial_memory.sh reads it from the model's header). -I the C file's
# directory lets the assembler find the weight blob the C file .incbin's.
define er_link_module
	@mkdir -p $(@D)
	EMCC_READ_METADATA=python $(EMCC) $(CFLAGS_WASM) -I$(dir $(1)) $(MODULE_LDFLAGS) -sINITIAL_MEMORY=$$(sh src/runtime/initial_memory.sh $(basename $(1)).h) \
	  $(1) $(WASM_LIBS) -o $@
endef

$(WEB)/models/%.wasm: $(BUILD)/models/%.c $(WASM_LIBS)
	$(call er_link_module,$<)

# The relaxed-SIMD twin of a module (NAME.relaxed.wasm, see kernels.mk): the
# model and the kernels from clang-19 with -mrelaxed-simd, the runtime as
# for every module. emcc links at -O0 so that its binaryen (version 108,
# which rejects the final relaxed opcodes) never runs (MODULE_LINK's
# -sWASM_BIGINT spares it the 64-bit import legalisation it would need; it
# gets no MODULE_OPT, which would run binaryen). --strip-all drops the name
# section an -O0 link keeps (8 KB no browser uses).
# The shim loads it where the browser validates relaxed SIMD.
define er_link_relaxed
	@mkdir -p $(@D) $(BUILD)/wasm-relaxed/models
	$(CLANG_RELAXED) $(CFLAGS_RELAXED) -I$(dir $(1)) -c $(1) -o $(BUILD)/wasm-relaxed/models/$(notdir $(basename $(1))).o
	$(EMCC) -O0 $(MODULE_LINK) -Wl,--strip-all -sINITIAL_MEMORY=$$(sh src/runtime/initial_memory.sh $(basename $(1)).h) \
	  $(BUILD)/wasm-relaxed/models/$(notdir $(basename $(1))).o $(RUNTIME_WASM) $(KERNELS_RELAXED) -o $@
endef
$(WEB)/models/%.relaxed.wasm: $(BUILD)/models/%.c $(RUNTIME_WASM) $(KERNELS_RELAXED)
	$(call er_link_relaxed,$<)

# ---- the WASI command (issue #12) ----------------------------------------------
# NAME.wasi.wasm: the same model, kernels and runtime as NAME.wasm behind a
# main() (er_wasi_main.c) that reads one request on stdin and writes the
# response on stdout. A WASI preview 1 command: it exports _start and memory
# and imports only wasi_snapshot_preview1 (tests/js/wasi.test.mjs checks it).
# Same memory set-up as the browser module; no exports of edgerun.h.
WASI_LDFLAGS := -sSTANDALONE_WASM -sALLOW_MEMORY_GROWTH=1 -sABORTING_MALLOC=0 -sMALLOC=emmalloc \
  -sWASM_BIGINT -sERROR_ON_UNDEFINED_SYMBOLS=1 $(MODULE_OPT)
WASI_MODELS := $(RESNETS:%=$(WEB)/models/%-cifar10.wasi.wasm) $(WEB)/models/resnet20-cifar10-fp16.wasi.wasm \
  $(WEB)/models/resnet20-cifar10-int8.wasi.wasm
$(WEB)/models/%.wasi.wasm: $(BUILD)/models/%.c $(WASI_MAIN) $(WASM_LIBS) $(RUNTIME_HDRS)
	@mkdir -p $(@D)
	EMCC_READ_METADATA=python $(EMCC) $(CFLAGS_WASM) $(RUNTIME_INC) -I$(dir $<) $(WASI_LDFLAGS) \
	  -sINITIAL_MEMORY=$$(sh src/runtime/initial_memory.sh $(basename $<).h) $< $(WASI_MAIN) $(WASM_LIBS) -o $@
# NAME.nosimd.wasi.wasm: the same command built without -msimd128, for the
# runtimes that lack fixed-width SIMD (wasm3): the kernels' vector code
# (GCC/Clang vector extensions, er_simd.h) is compiled lane by lane, in the
# same order, so the answers are the same (tests/js/wasi.test.mjs), slower.
CFLAGS_NOSIMD := $(filter-out -msimd128,$(CFLAGS_WASM))
NOSIMD_LIBS   := $(BUILD)/wasm-nosimd/libedgerun-runtime.a $(BUILD)/wasm-nosimd/libedgerun-kernels.a
$(BUILD)/wasm-nosimd/kernels/%.o: src/kernels/%.c $(KERNEL_HDRS)
	@mkdir -p $(@D)
	$(EMCC) $(CFLAGS_NOSIMD) -c $< -o $@
$(BUILD)/wasm-nosimd/runtime/%.o: src/runtime/%.c $(RUNTIME_HDRS) $(KERNEL_HDRS) $(CJSON_DIR)/cJSON.c $(STB_DIR)/stb_image.h src/runtime/runtime.mk
	@mkdir -p $(@D)
	$(EMCC) $(CFLAGS_NOSIMD) -Os $(RUNTIME_INC) -c $< -o $@
$(BUILD)/wasm-nosimd/runtime/er_image.o: CFLAGS_NOSIMD += -fwrapv
$(BUILD)/wasm-nosimd/runtime/cJSON.o: $(CJSON_DIR)/cJSON.c
	@mkdir -p $(@D)
	$(EMCC) $(CFLAGS_NOSIMD) -Os -c $< -o $@
$(BUILD)/wasm-nosimd/libedgerun-runtime.a: $(call RUNTIME_OBJS,$(BUILD)/wasm-nosimd)
	@rm -f $@; $(EMAR) rcs $@ $^
$(BUILD)/wasm-nosimd/libedgerun-kernels.a: $(KERNEL_SRCS:src/kernels/%.c=$(BUILD)/wasm-nosimd/kernels/%.o)
	@rm -f $@; $(EMAR) rcs $@ $^
$(WEB)/models/%.nosimd.wasi.wasm: $(BUILD)/models/%.c $(WASI_MAIN) $(NOSIMD_LIBS) $(RUNTIME_HDRS)
	@mkdir -p $(@D)
	EMCC_READ_METADATA=python $(EMCC) $(CFLAGS_NOSIMD) $(RUNTIME_INC) -I$(dir $<) $(WASI_LDFLAGS) \
	  -sINITIAL_MEMORY=$$(sh src/runtime/initial_memory.sh $(basename $<).h) $< $(WASI_MAIN) $(NOSIMD_LIBS) -o $@
# (The generic rule above would also match NAME.nosimd.wasi.wasm, with NAME.nosimd as the stem,
# and find no build/models/NAME.nosimd.c; make then takes this one.)
wasi: $(WASI_MODELS) $(WASI_MODELS:%.wasi.wasm=%.nosimd.wasi.wasm)
.PHONY: wasi

FIXTURES := $(BUILD)/fixtures/fixture-classifier.wasm $(BUILD)/fixtures/fixture-multi.wasm
$(BUILD)/fixtures/fixture-%.wasm: tests/runtime/fixture_%.c $(WASM_LIBS) src/runtime/er_model.h
	$(call er_link_module,$<)

fixtures: $(FIXTURES)
.PHONY: fixtures

# ---- tests --------------------------------------------------------------------
RUNTIME_TEST_DIR := $(BUILD)/tests/runtime
RUNTIME_TEST_HARNESS := tests/runtime/er_test.c tests/runtime/test_util.c
RUNTIME_TEST_HDRS := $(wildcard tests/runtime/*.h)
RUNTIME_TEST_LIBS := $(RUNTIME_NATIVE_SAN) $(KERNELS_NATIVE_SAN)
RUNTIME_TESTS := $(RUNTIME_TEST_DIR)/test-classifier $(RUNTIME_TEST_DIR)/test-multi

# A native program under the sanitizers from its sources ($^ less headers).
define er_link_native_test
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_NATIVE) $(SANITIZE) $(RUNTIME_INC) -Itests/runtime -o $@ $(filter %.c %.a,$^) -lm
endef

$(RUNTIME_TEST_DIR)/test-classifier: tests/runtime/main_classifier.c tests/runtime/test_base64.c \
  tests/runtime/test_json.c tests/runtime/test_image.c tests/runtime/test_prepare.c tests/runtime/test_protocol.c \
  tests/runtime/fixture_classifier.c $(RUNTIME_TEST_HARNESS) $(RUNTIME_TEST_HDRS) $(RUNTIME_TEST_LIBS)
	$(call er_link_native_test)
$(RUNTIME_TEST_DIR)/test-multi: tests/runtime/test_tensor.c tests/runtime/fixture_multi.c \
  $(RUNTIME_TEST_HARNESS) $(RUNTIME_TEST_HDRS) $(RUNTIME_TEST_LIBS)
	$(call er_link_native_test)

# The driver of the Pillow comparison (tests/js/prepare-pillow.test.mjs).
$(BUILD)/tests/er-prepare: tests/runtime/er_prepare_main.c $(RUNTIME_TEST_LIBS)
	$(call er_link_native_test)
runtime-test-tools: $(BUILD)/tests/er-prepare
.PHONY: runtime-test-tools

# Native suites under ASan+UBSan, then the fixture modules under node; one
# summary line at the end (tests/runtime/run.sh).
test-runtime: $(RUNTIME_TESTS) $(FIXTURES)
	@sh tests/runtime/run.sh $(RUNTIME_TESTS)
.PHONY: test-runtime

# The runtime's share of a module: the fixture classifier is a model of
# (almost) nothing, so its size is the price of base64, stb_image, the
# resize, cJSON and the protocol.
runtime-size: $(BUILD)/fixtures/fixture-classifier.wasm
	@echo "runtime overhead (fixture-classifier.wasm): $$(stat -c %s $<) bytes"
.PHONY: runtime-size
