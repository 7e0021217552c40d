# edgerun - compile ONNX image models into small WebAssembly modules.
#
#   make              the compiler, the four CIFAR-10 ResNets, the JS shim
#   make demo         build what is missing and serve the demo (PORT=8080)
#   make test         every test; installs what it needs first
#   make model MODEL=x.onnx NAME=foo [LABELS=labels.txt] [NORM=m,s,m,s,m,s] [WEIGHTS=fp32|fp16|int8]
#   make conformance  the ONNX conformance suite alone
#   make fuzz         the four libFuzzer targets (FUZZ_SECONDS=60 each) and 10,000 mutated models
#   make soak         20,000 mixed requests through one resnet20 module
#   make bench        edgerun vs onnxruntime-web vs TF.js-wasm (bench/bench.mk)
#   make zoo          the torchvision zoo built and matched against onnxruntime [ZOO=a,b]
#   make deps         only install the Debian packages, the cJSON source and npm packages
#
# Each part of the product keeps its own rules next to its sources:
#   src/compiler/compiler.mk  src/kernels/kernels.mk  src/runtime/runtime.mk
#   js/js.mk  demo/demo.mk  tests/tests.mk

SHARED ?= ../shared
SHELL  := /bin/bash
BUILD  := build
WEB    := web
PORT   ?= 8080

# Debian's emscripten needs its bundled node modules on NODE_PATH.
export NODE_PATH := /usr/share/nodejs

CC      := gcc
EMCC    := emcc
EMAR    := emar
WARN    := -Wall -Wextra -Werror
CFLAGS_NATIVE := -std=c99 -O2 -g $(WARN) -Isrc/kernels -Isrc/runtime
SANITIZE      := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
CFLAGS_WASM   := -std=c99 -O3 -msimd128 $(WARN) -Isrc/kernels -Isrc/runtime
# ---- image path: stb_image ---------------------------------------------------
# stb_image is Debian's (libstb-dev). The JPEG pixels that must equal
# libjpeg-turbo's (IDCT, colour conversion, chroma upsampling) come from our
# own kernels (src/runtime/er_jpeg.h), which er_image.c installs around stb's
# parser. The build compiles a copy with one line added (rule below): a guard
# for a bit-reader bug of 2.27 that no check outside the header can reach.
STB_SYSTEM    := /usr/include/stb
STB_DIR       := $(BUILD)/deps/stb
STB_INC       := -isystem $(STB_DIR)
# ---- end image path ----------------------------------------------------------

# The CIFAR-10 ResNets: class names and the normalisation they were trained with
# (../shared/README.md). Written to build/ so no model data lives in the repo.
CIFAR10_LABELS := airplane automobile bird cat deer dog frog horse ship truck
CIFAR10_NORM   := 0.485,0.229,0.456,0.224,0.406,0.225
RESNETS        := resnet20 resnet32 resnet44 resnet56

.DEFAULT_GOAL := all
.PHONY: all deps deps-build deps-test model test conformance demo classify clean

all: deps-build compiler resnets shim

include src/kernels/kernels.mk
include src/compiler/compiler.mk
include src/runtime/runtime.mk
include js/js.mk
include demo/demo.mk
include tests/tests.mk
# ---- bench (issue #7): its rules live in bench/bench.mk ---------------------
include bench/bench.mk
# ---- end of bench -------------------------------------------------------------

# ---- models -----------------------------------------------------------------

$(BUILD)/cifar10-labels.txt:
	@mkdir -p $(@D)
	@printf '%s\n' $(CIFAR10_LABELS) > $@

resnets: $(RESNETS:%=$(WEB)/models/%-cifar10.wasm) $(RESNETS:%=$(WEB)/models/%-cifar10.relaxed.wasm)
# Keep the generated C: it is meant to be read, and make would otherwise delete
# it as an intermediate and recompile the model next time. (.PRECIOUS matches
# rules by their target pattern, so it names this rule's pattern exactly.)
.PRECIOUS: $(BUILD)/models/%-cifar10.c $(BUILD)/models/%.c
.PHONY: resnets

# A model's C is regenerated when the compiler or the .onnx changes.
$(BUILD)/models/%-cifar10.c: $(SHARED)/models/%-cifar10.onnx $(COMPILER) $(BUILD)/cifar10-labels.txt
	@mkdir -p $(@D)
	$(COMPILER) $< -o $@ --name $*-cifar10 --labels $(BUILD)/cifar10-labels.txt --norm $(CIFAR10_NORM)

# ---- compact weights (issue #9): resnet20 with fp16 and with int8 weights ----
# Same network, same labels and norm; --weights decides how the module
# stores its weights (see src/compiler/weights.c). The demo offers them.
COMPACT_RESNETS := $(foreach w,fp16 int8,$(WEB)/models/resnet20-cifar10-$(w).wasm $(WEB)/models/resnet20-cifar10-$(w).relaxed.wasm)
resnets: $(COMPACT_RESNETS)
.PRECIOUS: $(BUILD)/models/%-cifar10-fp16.c $(BUILD)/models/%-cifar10-int8.c
$(BUILD)/models/%-cifar10-fp16.c: $(SHARED)/models/%-cifar10.onnx $(COMPILER) $(BUILD)/cifar10-labels.txt
	@mkdir -p $(@D)
	$(COMPILER) $< -o $@ --name $*-cifar10-fp16 --weights fp16 --labels $(BUILD)/cifar10-labels.txt --norm $(CIFAR10_NORM)
$(BUILD)/models/%-cifar10-int8.c: $(SHARED)/models/%-cifar10.onnx $(COMPILER) $(BUILD)/cifar10-labels.txt
	@mkdir -p $(@D)
	$(COMPILER) $< -o $@ --name $*-cifar10-int8 --weights int8 --labels $(BUILD)/cifar10-labels.txt --norm $(CIFAR10_NORM)
# ---- end compact weights ----

# `make model`: any supported model. The C is always regenerated, since the
# compile flags (labels, norm) are not part of any file name.
# PROFILE=1 builds NAME.profile.wasm instead, which times every node, and
# prints its per-node table (bench/profile.mjs). ALGO=NODE=ALGO,... forces
# algorithms (edgerun-compile --algo).
MODEL_STEM = $(NAME)$(if $(PROFILE),.profile)
model: deps-build compiler $(WASM_LIBS)
	@test -n "$(MODEL)" || { echo "make model: set MODEL=path/to/model.onnx (and NAME=...)"; exit 2; }
	@test -n "$(NAME)" || { echo "make model: set NAME=name-for-the-module"; exit 2; }
	@mkdir -p $(BUILD)/models
	$(COMPILER) $(MODEL) -o $(BUILD)/models/$(MODEL_STEM).c --name $(NAME) \
	  $(if $(LABELS),--labels $(LABELS)) $(if $(NORM),--norm $(NORM)) $(if $(WEIGHTS),--weights $(WEIGHTS)) \
	  $(if $(PROFILE),--profile) $(if $(ALGO),--algo '$(ALGO)')
	$(MAKE) --no-print-directory $(WEB)/models/$(MODEL_STEM).wasm $(if $(PROFILE),,$(WEB)/models/$(MODEL_STEM).relaxed.wasm)
	$(if $(PROFILE),node bench/profile.mjs $(WEB)/models/$(MODEL_STEM).wasm)

# ---- set-up -----------------------------------------------------------------
# What `make` and `make demo` need, and what only `make test` needs on top.
APT_BUILD := emscripten libstb-dev dpkg-dev clang-19 lld-19
APT_TEST  := python3-numpy python3-pil python3-onnx chromium node-typescript
# ---- image path: jpegtran (libjpeg-turbo) adds restart markers to the test
# JPEGs Pillow writes, which Pillow cannot do itself ----
APT_TEST  += libjpeg-turbo-progs
# ---- end image path ----
# ---- reliability (issue #10): libFuzzer for clang-19 (tests/fuzz/fuzz.mk) ----
APT_TEST  += libclang-rt-19-dev
# ---- end reliability ----

# Install the Debian packages of $(1) that are missing, saying which. (A
# removed package can linger in dpkg as "config-files", so ask for "installed".)
define apt_install
	@missing=""; for p in $(1); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "edgerun: installing Debian packages:$$missing"; \
	  command -v apt-get >/dev/null || { echo "edgerun: apt-get not found; install$$missing yourself"; exit 1; }; \
	  [ "$$(id -u)" = 0 ] || { echo "edgerun: installing$$missing needs root; run as root or install them yourself"; exit 1; }; \
	  apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing >/dev/null \
	    || { echo "edgerun: apt-get install$$missing failed"; exit 1; }; \
	fi
endef

deps: deps-build deps-test
deps-build:
	$(call apt_install,$(APT_BUILD))
	@$(MAKE) --no-print-directory $(CJSON_DIR)/cJSON.c node_modules/.package-lock.json
deps-test: deps-build
	$(call apt_install,$(APT_TEST))

# cJSON has no wasm build in Debian: take Debian's source package (with its
# security patches applied by dpkg-source) into build/deps/. Enabling deb-src
# adds a copy of the Debian sources with Types: deb-src.
CJSON_DIR := $(BUILD)/deps/cjson
$(CJSON_DIR)/cJSON.c:
	@mkdir -p $(BUILD)/deps
	@if ! grep -rqsE '^(Types:.*deb-src|deb-src )' /etc/apt/sources.list /etc/apt/sources.list.d/; then \
	  [ "$$(id -u)" = 0 ] || { echo "edgerun: enabling deb-src for the cJSON source needs root"; exit 1; }; \
	  src=$$(ls /etc/apt/sources.list.d/debian.sources 2>/dev/null); \
	  if [ -n "$$src" ]; then sed 's/^Types: deb$$/Types: deb-src/' $$src > /etc/apt/sources.list.d/edgerun-deb-src.sources; \
	  else sed -n 's/^deb /deb-src /p' /etc/apt/sources.list > /etc/apt/sources.list.d/edgerun-deb-src.list; fi; \
	  echo "edgerun: enabled Debian deb-src entries to fetch the cJSON source"; \
	  apt-get update -q >/dev/null; \
	fi
	@echo "edgerun: fetching Debian's cjson source package into $(BUILD)/deps"
	@cd $(BUILD)/deps && rm -rf cjson cjson-* && apt-get source -q cjson >/dev/null 2>apt-source.log \
	  || { cat apt-source.log; echo "edgerun: apt-get source cjson failed"; exit 1; }
	@cd $(BUILD)/deps && mv cjson-[0-9]* cjson && test -f cjson/cJSON.c

# ---- image path: stb_image ---------------------------------------------------
# Built objects depend on the header; installing libstb-dev provides it.
$(STB_SYSTEM)/stb_image.h:
	$(call apt_install,libstb-dev)

# 2.27's JPEG bit reader: a marker met mid-block stops the refill, the block
# goes on consuming, and code_bits turns negative; the next refill then shifts
# by 32 or more (undefined; found by tests/fuzz, regression input
# tests/fuzz/regressions/image/jpeg-marker-mid-block-shift-exponent). Upstream
# fixed it in 2.28 with checks at each consumer. One guard at the refill is
# enough: with code_bits < 0 every valid bit has been shifted out, so the
# buffer is already 0 and restarting the count at 0 feeds it zero bits, as stb
# does after any marker. The rule fails unless the line it guards is there
# exactly once.
# And a PNG's palette: pixels may index past the entries the file gives (a
# damaged file does), and stb reads those from its uninitialised stack array,
# so the same damaged PNG decoded to whatever the last calls left on the
# stack (tests/soak caught one answer changing after the model's first run
# had used more stack). The array starts zeroed: such pixels are black and
# transparent, as in a palette padded with zeros, and always the same.
$(STB_DIR)/stb_image.h: $(STB_SYSTEM)/stb_image.h Makefile
	@mkdir -p $(@D)
	@sed -e 's/^\( *\)\(j->code_buffer |= b << (24 - j->code_bits);\)/\1if (j->code_bits < 0) j->code_bits = 0; \/\* edgerun: see Makefile \*\/\n\1\2/' \
	  -e 's/^\( *\)stbi_uc palette\[1024\], pal_img_n=0;/\1stbi_uc palette[1024] = {0}, pal_img_n=0; \/\* edgerun: see Makefile \*\//' $< > $@.tmp
	@test "$$(grep -c 'edgerun: see Makefile' $@.tmp)" = 2 \
	  || { echo "edgerun: $< changed: the lines the build guards are not there exactly once each"; exit 1; }
	@mv $@.tmp $@
# ---- end image path ----------------------------------------------------------

node_modules/.package-lock.json: package.json package-lock.json
	@echo "edgerun: installing npm devDependencies (npm ci)"
	@npm ci --no-audit --no-fund --loglevel=error
	@touch $@

clean:
	rm -rf $(BUILD) $(WEB)
