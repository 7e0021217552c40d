# The runtime and the model modules. (Owned by the runtime room; see edgerun.h.)
# Contract with the rest of the Makefile:
#   WASM_LIBS                      archives every model module links
#   $(WEB)/models/NAME.wasm        built from $(BUILD)/models/NAME.c + WASM_LIBS
RUNTIME_WASM := $(BUILD)/wasm/libedgerun-runtime.a
WASM_LIBS := $(RUNTIME_WASM) $(KERNELS_WASM)
