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
