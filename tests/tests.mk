# make test: every test, after installing what they need.
#
#   test-c            native unit tests (kernels, runtime) under ASan+UBSan
#   conformance       the ONNX backend tests, natively and a wasm sample
#   test-node         node's test runner over tests/js and tests/browser
#                     (models against onnxruntime-node, CIFAR-10, Pillow, shim, demo)

# The libFuzzer targets (issue #10); first, since TEST_BUILD below names them.
include tests/fuzz/fuzz.mk

# ---- conformance ----
HARNESS_OBJS := $(BUILD)/tests/harness.o $(BUILD)/native/compiler/onnx_reader.o $(BUILD)/native/compiler/util.o \
  $(BUILD)/native/compiler/ir.o
$(BUILD)/tests/harness.o: tests/conformance/harness.c $(COMPILER_HDRS) $(KERNEL_HDRS) src/runtime/er_model.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_COMPILER) -c $< -o $@

# Conformance models run as wasm modules are linked like any model.
$(BUILD)/conformance/%.wasm: $(BUILD)/conformance/%.c $(WASM_LIBS)
	$(call er_link_module,$<)

CONFORMANCE_WASM_SAMPLE ?= 100
# Operators the shared ONNX tests lack get tests of ours, written at test time
# (tests/conformance/make_tests.py; checked against onnxruntime-node by
# tests/js/generated-tests.test.mjs).
CONFORMANCE_GENERATED := $(BUILD)/onnx-tests-generated
conformance: deps-build compiler $(HARNESS_OBJS) $(KERNELS_NATIVE) $(WASM_LIBS) shim
	@rm -rf $(CONFORMANCE_GENERATED) && /usr/bin/python3 tests/conformance/make_tests.py $(CONFORMANCE_GENERATED)
	@CONFORMANCE_CC="$(CC) $(CFLAGS_NATIVE) -O1" \
	 CONFORMANCE_LINK="$(HARNESS_OBJS) $(KERNELS_NATIVE)" \
	 node tests/conformance/run.mjs --shared $(SHARED) --build $(BUILD)/conformance \
	   --wasm-sample $(CONFORMANCE_WASM_SAMPLE) --generated $(CONFORMANCE_GENERATED)
.PHONY: conformance

# ---- the torchvision classification zoo (issue #9), a suite of its own ----
# `make zoo [ZOO=convnext_tiny,swin_t]`: exports each model with seeded random
# weights (Debian's python3-torch/-torchvision), builds it with `make model`,
# runs it in node and matches it against onnxruntime-node; prints the table
# (also build/zoo/zoo.md). The whole zoo takes tens of minutes, so it is not
# part of `make test`.
APT_ZOO := python3-torch python3-torchvision
ZOO ?=
zoo: deps-test compiler $(WASM_LIBS) shim
	$(call apt_install,$(APT_ZOO))
	node tests/zoo/zoo.mjs $(ZOO)
.PHONY: zoo

# ---- models checked against onnxruntime-node (tests/js/models.test.mjs) ----
# The architectures as wasm modules (224x224, random weights); the light ONNX
# zoo models natively (their ConstantOfShape weights reach hundreds of MB).
ARCH_MODELS  := mobilenet_v2 mobilenet_v3_small squeezenet1_1 shufflenet_v2_x0_5
LIGHT_MODELS := $(patsubst $(SHARED)/onnx-tests/light/%.onnx,%,$(wildcard $(SHARED)/onnx-tests/light/light_*.onnx))
TEST_MODELS  := $(BUILD)/test-models
.PRECIOUS: $(TEST_MODELS)/%.c

$(TEST_MODELS)/%.c: $(SHARED)/models/arch/%-random.onnx $(COMPILER)
	@mkdir -p $(@D)
	$(COMPILER) $< -o $@ --name $*
$(TEST_MODELS)/%.c: $(SHARED)/onnx-tests/light/%.onnx $(COMPILER)
	@mkdir -p $(@D)
	$(COMPILER) $< -o $@ --name $*
$(TEST_MODELS)/%.wasm: $(TEST_MODELS)/%.c $(WASM_LIBS)
	$(call er_link_module,$<)
$(TEST_MODELS)/%.run: $(TEST_MODELS)/%.c $(HARNESS_OBJS) $(KERNELS_NATIVE)
	$(CC) $(CFLAGS_NATIVE) -I$(@D) $< $(HARNESS_OBJS) $(KERNELS_NATIVE) -lm -o $@

# Every algorithm forced onto every node it applies to (--algo '*=ALGO'),
# built natively and checked against onnxruntime by tests/js/algorithms.test.mjs:
# MODEL--ALGO pairs; Winograd only where a model has stride-1 3x3 convolutions.
ALGO_RUNS := $(foreach m,shufflenet_v2_x0_5 squeezenet1_1 mobilenet_v3_small mobilenet_v2,$(m)--reference $(m)--im2col-gemm) \
  squeezenet1_1--winograd2x2 squeezenet1_1--winograd4x4 \
  $(foreach m,shufflenet_v2_x0_5 squeezenet1_1 mobilenet_v3_small,$(m)--igemm-nhwc) \
  $(foreach m,mobilenet_v3_small mobilenet_v2,$(m)--dwconv-nhwc)
define algo_rules
$(TEST_MODELS)/algo/$(1).c: $(SHARED)/models/arch/$(firstword $(subst --, ,$(1)))-random.onnx $(COMPILER)
	@mkdir -p $$(@D)
	$(COMPILER) $$< -o $$@ --quiet --name $(1) --algo '*=$(lastword $(subst --, ,$(1)))'
endef
$(foreach r,$(ALGO_RUNS),$(eval $(call algo_rules,$(r))))
$(TEST_MODELS)/algo/%.run: $(TEST_MODELS)/algo/%.c $(HARNESS_OBJS) $(KERNELS_NATIVE)
	$(CC) $(CFLAGS_NATIVE) -O1 -I$(@D) $< $(HARNESS_OBJS) $(KERNELS_NATIVE) -lm -o $@
.PRECIOUS: $(TEST_MODELS)/algo/%.c

test-models: $(ARCH_MODELS:%=$(TEST_MODELS)/%.wasm) $(LIGHT_MODELS:%=$(TEST_MODELS)/%.run) resnets \
  $(ALGO_RUNS:%=$(TEST_MODELS)/algo/%.run)
.PHONY: test-models

# ---- make test ----
# Everything the suites read is built first (in parallel where make can),
# then each suite runs even if an earlier one failed, and one table at the
# end says which passed. Node's runner covers tests/js and tests/browser in
# one invocation and prints its own summary.
TEST_BUILD := all build/native-san/edgerun-compile $(HARNESS_OBJS) test-models fixtures runtime-test-tools demo-site
# js-ecosystem: what the npm package ships (the package, CLI and worker tests read it).
TEST_BUILD += package-files
# wasi-server (issue #12): the WASI commands (tests/js/wasi.test.mjs).
TEST_BUILD += wasi
# reliability (issue #10): the libFuzzer targets, which test-fuzz runs for 30 s each.
TEST_BUILD += $(FUZZ_TARGETS:%=$(FUZZ_DIR)/fuzz-%) $(FUZZ_DIR)/seeds/.done
NODE_TESTS := tests/js/ tests/browser/

test-build: deps-test
	@$(MAKE) --no-print-directory -j2 $(TEST_BUILD)
.PHONY: test-build

test-node: test-build
	@node --test --test-reporter=spec $(NODE_TESTS)
.PHONY: test-node

test: test-build
	@mkdir -p $(BUILD)/test-logs; failed=""; \
	 for suite in test-kernels test-runtime conformance test-node test-fuzz; do \
	   echo "==== $$suite"; \
	   if $(MAKE) --no-print-directory $$suite 2>&1 | tee $(BUILD)/test-logs/$$suite.log; \
	     [ $${PIPESTATUS[0]} -eq 0 ]; then echo "$$suite: ok" >> $(BUILD)/test-logs/summary; \
	   else failed="$$failed $$suite"; echo "$$suite: FAILED" >> $(BUILD)/test-logs/summary; fi; \
	 done; \
	 echo "==== summary"; \
	 grep -h -E '^test-kernels:|^test-runtime:|passed, .* failed, .* skipped|^wasm sample:|^ℹ (tests|pass|fail|skipped) |^fuzz-[a-z]*: ' $(BUILD)/test-logs/*.log; \
	 cat $(BUILD)/test-logs/summary; rm -f $(BUILD)/test-logs/summary; \
	 if [ -n "$$failed" ]; then echo "make test: FAILED:$$failed"; exit 1; fi; \
	 echo "make test: all suites passed"
.PHONY: test

# ---- soak (issue #10): 20,000 requests through one resnet20 module ----
# (tests/js/soak.test.mjs runs 2,000 of them in make test)
SOAK_COUNT ?= 20000
soak: deps-test all
	@node tests/soak/soak.mjs --count $(SOAK_COUNT)
.PHONY: soak
