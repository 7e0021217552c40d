# The JS shim: js/edgerun.js -> web/edgerun.js (UMD), web/edgerun.mjs (ESM),
# web/edgerun.min.js (UMD minified with terser; the build fails over 10,240 bytes).
SHIM := $(WEB)/edgerun.js $(WEB)/edgerun.mjs $(WEB)/edgerun.min.js $(WEB)/edgerun-worker.js

shim: $(SHIM)
.PHONY: shim

$(SHIM) &: js/edgerun.js js/edgerun-worker.js js/build.mjs package.json node_modules/.package-lock.json
	node js/build.mjs $(WEB)

# The shim's own tests alone (`make test` runs every node test together).
test-shim: deps-test shim fixtures
	node --test tests/js/shim*.test.mjs
.PHONY: test-shim
