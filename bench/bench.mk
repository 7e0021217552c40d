# bench/ - edgerun against onnxruntime-web and TF.js-wasm (BENCHMARKS.md).
#
#   make bench [BENCH_ARGS='--runs 300 --models resnet20,mobilenet_v2']
#       the node bench over the four ResNets and the six arch models; builds
#       (or rebuilds, when the compiler or kernels changed) the arch modules
#       and their relaxed twins first. `node bench/browser.mjs` runs the same
#       in Chromium.

# The 224x224 architectures of $(SHARED)/models/arch, compiled like
# `make model MODEL=$(SHARED)/models/arch/NAME-random.onnx NAME=NAME`.
BENCH_ARCH := mobilenet_v2 mobilenet_v3_small shufflenet_v2_x0_5 squeezenet1_1 resnet18 efficientnet_b0
BENCH_ARGS ?=
# A relaxed-SIMD module (NAME.relaxed.wasm) needs this flag in node 20.
BENCH_NODE := node --experimental-wasm-relaxed-simd

.PHONY: bench bench-models
bench: all bench-models
	$(BENCH_NODE) bench/bench.mjs $(BENCH_ARGS)

# Both modules `make model` builds: SIMD128 and its relaxed-SIMD twin.
bench-models: $(BENCH_ARCH:%=$(WEB)/models/%.wasm) $(BENCH_ARCH:%=$(WEB)/models/%.relaxed.wasm)

.PRECIOUS: $(BENCH_ARCH:%=$(BUILD)/models/%.c)
$(BENCH_ARCH:%=$(BUILD)/models/%.c): $(BUILD)/models/%.c: $(SHARED)/models/arch/%-random.onnx $(COMPILER)
	@mkdir -p $(@D)
	$(COMPILER) $< -o $@ --name $*

# ---- wasi-server (issue #12): the load test of `edgerun serve` ----------------
# 30 s each at 1, 8 and 32 clients on loopback (autocannon), resnet20 and a
# CIFAR-10 JPEG; prints BENCHMARKS.md's table. `make test` runs 5 s of it
# (tests/js/server-load.test.mjs).
bench-serve: all
	node bench/serve-load.mjs --duration 30
.PHONY: bench-serve
