# The kernel library, built twice: natively (linked into the compiler, which
# folds constants and packs weights with it, and into native test programs)
# and for wasm (linked into every model module). Archives let the linkers
# keep only the kernels a model calls.
KERNEL_SRCS := $(wildcard src/kernels/*.c)
KERNEL_HDRS := $(wildcard src/kernels/*.h src/kernels/*.def)
KERNELS_NATIVE := $(BUILD)/native/libedgerun-kernels.a
KERNELS_NATIVE_SAN := $(BUILD)/native-san/libedgerun-kernels.a
KERNELS_WASM := $(BUILD)/wasm/libedgerun-kernels.a

$(BUILD)/native/kernels/%.o: src/kernels/%.c $(KERNEL_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_NATIVE) -c $< -o $@
$(BUILD)/native-san/kernels/%.o: src/kernels/%.c $(KERNEL_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_NATIVE) $(SANITIZE) -c $< -o $@
$(BUILD)/wasm/kernels/%.o: src/kernels/%.c $(KERNEL_HDRS)
	@mkdir -p $(@D)
	$(EMCC) $(CFLAGS_WASM) -c $< -o $@

# The relaxed-SIMD build, for NAME.relaxed.wasm: Debian's clang-19 emits the
# final relaxed-SIMD opcodes (f32x4.relaxed_madd: a fused multiply-add in
# er_v4_madd), which emscripten 3.1.6's clang-14 does not know. It compiles
# against emscripten's own sysroot, for emscripten's linker; the features
# clang-19 enables by default and wasm-ld 14 cannot link are turned off.
CLANG_RELAXED  := clang-19
EM_SYSROOT     := /usr/share/emscripten/cache/sysroot
CFLAGS_RELAXED := --target=wasm32-unknown-emscripten --sysroot=$(EM_SYSROOT) -std=c99 -O3 -msimd128 -mrelaxed-simd \
  -mno-reference-types -mno-multivalue $(WARN) -Isrc/kernels -Isrc/runtime
KERNELS_RELAXED := $(BUILD)/wasm-relaxed/libedgerun-kernels.a

$(BUILD)/wasm-relaxed/kernels/%.o: src/kernels/%.c $(KERNEL_HDRS)
	@mkdir -p $(@D)
	$(CLANG_RELAXED) $(CFLAGS_RELAXED) -c $< -o $@
$(KERNELS_RELAXED): $(KERNEL_SRCS:src/kernels/%.c=$(BUILD)/wasm-relaxed/kernels/%.o)
	@rm -f $@; $(EMAR) rcs $@ $^

$(KERNELS_NATIVE): $(KERNEL_SRCS:src/kernels/%.c=$(BUILD)/native/kernels/%.o)
	@rm -f $@; ar rcs $@ $^
$(KERNELS_NATIVE_SAN): $(KERNEL_SRCS:src/kernels/%.c=$(BUILD)/native-san/kernels/%.o)
	@rm -f $@; ar rcs $@ $^
$(KERNELS_WASM): $(KERNEL_SRCS:src/kernels/%.c=$(BUILD)/wasm/kernels/%.o)
	@rm -f $@; $(EMAR) rcs $@ $^

# Fast kernels against their references, and hostile data, under ASan+UBSan.
$(BUILD)/tests/test-kernels: tests/kernels/test_kernels.c $(KERNELS_NATIVE_SAN) $(KERNEL_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_NATIVE) $(SANITIZE) $< $(KERNELS_NATIVE_SAN) -lm -o $@
test-kernels: $(BUILD)/tests/test-kernels
	@$<
.PHONY: test-kernels
