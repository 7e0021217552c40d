# make test: every test, after installing what they need.
#
#   test-c            native unit tests (kernels, runtime) under ASan+UBSan
#   conformance       the ONNX backend tests, natively and a wasm sample
#   test-node         node's test runner over tests/js and tests/browser
#                     (models against onnxruntime-node, CIFAR-10, Pillow, shim, demo)

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
conformance: deps-build compiler $(HARNESS_OBJS) $(KERNELS_NATIVE) $(WASM_LIBS) shim
	@CONFORMANCE_CC="$(CC) $(CFLAGS_NATIVE) -O1" \
	 CONFORMANCE_LINK="$(HARNESS_OBJS) $(KERNELS_NATIVE)" \
	 node tests/conformance/run.mjs --shared $(SHARED) --build $(BUILD)/conformance \
	   --wasm-sample $(CONFORMANCE_WASM_SAMPLE)
.PHONY: conformance

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
	$(CC) $(CFLAGS_NATIVE) $< $(HARNESS_OBJS) $(KERNELS_NATIVE) -lm -o $@

test-models: $(ARCH_MODELS:%=$(TEST_MODELS)/%.wasm) $(LIGHT_MODELS:%=$(TEST_MODELS)/%.run) resnets
.PHONY: test-models
