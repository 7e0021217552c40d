# edgerun-compile: a native program; links the native kernel library to fold
# constants and pack weights with the same code the models run.
COMPILER_SRCS := $(wildcard src/compiler/*.c)
COMPILER_HDRS := $(wildcard src/compiler/*.h src/compiler/*.def)
COMPILER := $(BUILD)/edgerun-compile
COMPILER_SAN := $(BUILD)/native-san/edgerun-compile
CFLAGS_COMPILER := -std=c11 -O2 -g $(WARN) -Isrc/kernels -Isrc/runtime -Isrc/compiler

compiler: $(COMPILER)
.PHONY: compiler

$(BUILD)/native/compiler/%.o: src/compiler/%.c $(COMPILER_HDRS) $(KERNEL_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_COMPILER) -c $< -o $@
$(BUILD)/native-san/compiler/%.o: src/compiler/%.c $(COMPILER_HDRS) $(KERNEL_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_COMPILER) $(SANITIZE) -c $< -o $@

$(COMPILER): $(COMPILER_SRCS:src/compiler/%.c=$(BUILD)/native/compiler/%.o) $(KERNELS_NATIVE)
	$(CC) -o $@ $^ -lm
# The same compiler under ASan+UBSan, for the malformed-input tests.
$(COMPILER_SAN): $(COMPILER_SRCS:src/compiler/%.c=$(BUILD)/native-san/compiler/%.o) $(KERNELS_NATIVE_SAN)
	$(CC) $(SANITIZE) -o $@ $^ -lm
