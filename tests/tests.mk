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
