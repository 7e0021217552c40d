# The JS shim: js/edgerun.js -> web/edgerun.js, web/edgerun.mjs, web/edgerun.min.js.
shim:
.PHONY: shim
