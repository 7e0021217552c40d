# The JS shim: js/edgerun.js -> web/edgerun.js (UMD), web/edgerun.mjs (ESM),
# web/edgerun.min.js (UMD minified with terser; the build fails over 10,240 bytes),
# with web/edgerun-worker.js (worker mode) and web/edgerun-remote.js ({fallback}).
SHIM := $(WEB)/edgerun.js $(WEB)/edgerun.mjs $(WEB)/edgerun.min.js $(WEB)/edgerun-worker.js $(WEB)/edgerun-remote.js

shim: $(SHIM)
.PHONY: shim

$(SHIM) &: js/edgerun.js js/edgerun-worker.js js/edgerun-remote.js js/build.mjs package.json node_modules/.package-lock.json
	node js/build.mjs $(WEB)

# The shim's own tests alone (`make test` runs every node test together).
test-shim: deps-test shim fixtures
	node --test tests/js/shim*.test.mjs
.PHONY: test-shim

# ---- the npm package -----------------------------------------------------------
# `npm pack` (package.json "files") ships the shim builds and the worker, the
# types, the CLI (bin/edgerun.mjs), the CIFAR-10 models with their summaries
# (NAME.json: operators, parameters, MACs; `edgerun bench` reads the MACs),
# the compiler's and kernels' C sources (the CLI builds the native compiler from
# them with cc on first use), and the runtime prebuilt for wasm with the flags
# its link needs, read here from the Makefile's own variables
# (lib/wasm32-emscripten/: `edgerun compile` links models with emcc against it).
# The package's prepack script runs `make package-files`.
PKG_LIB   := lib/wasm32-emscripten
PKG_FILES := $(PKG_LIB)/libedgerun-runtime.a $(PKG_LIB)/libedgerun-kernels.a $(PKG_LIB)/build.json \
  $(RESNETS:%=$(WEB)/models/%-cifar10.json)

package-files: all $(PKG_FILES)
.PHONY: package-files

$(PKG_LIB)/%.a: $(BUILD)/wasm/%.a
	@mkdir -p $(@D)
	cp $< $@
define PKG_BUILD_JSON
const [w, l, n] = process.argv.slice(1, 4).map((s) => s.split(/\s+/).filter((f) => f && !/^(-I|-Werror$$|-g$$)/.test(f)));
const emcc = (process.argv[4].match(/\) (\d+\.\d+\.\d+)/) || [])[1] || null;
console.log(JSON.stringify({ emcc, cflags_wasm: w, module_ldflags: l, native: n,
    libs: ['libedgerun-runtime.a', 'libedgerun-kernels.a'] }, null, 2));
endef
export PKG_BUILD_JSON
# (and the emcc version that built the archives, which `edgerun compile` compares
# with the user's). -I flags are the repository's paths (the CLI adds the package's); -Werror and
# -g are for the project's own builds, not for users' compilers.
$(PKG_LIB)/build.json: Makefile src/runtime/runtime.mk src/compiler/compiler.mk js/js.mk $(WASM_LIBS)
	@mkdir -p $(@D)
	@node -e "$$PKG_BUILD_JSON" -- '$(CFLAGS_WASM)' '$(MODULE_LDFLAGS)' '$(CFLAGS_COMPILER)' "$$($(EMCC) --version | head -n 1)" > $@
$(WEB)/models/%-cifar10.json: $(BUILD)/models/%-cifar10.c $(WEB)/models/%-cifar10.wasm bin/edgerun.mjs
	node bin/edgerun.mjs summary $< $(WEB)/models/$*-cifar10.wasm > $@
