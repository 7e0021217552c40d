# The demo page, served by `make demo`.
#
#   make demo       build what is missing, assemble the site in web/, serve it
#                   on http://127.0.0.1:$(PORT)/ (Ctrl-C stops the server)
#   make demo-site  only build and assemble (what the browser tests need)
#
# The site is the shim and the models from `make` plus the page, a models
# manifest with download sizes, and a gallery of CIFAR-10 test images copied
# from $(SHARED) (build output: web/ is never committed).

DEMO_PAGE      := $(addprefix $(WEB)/,index.html app.js style.css favicon.svg)
DEMO_GALLERY   := $(WEB)/gallery/manifest.json
DEMO_MODELS    := $(WEB)/models.json
GALLERY_PER_CLASS := 3

demo: demo-site
	node demo/serve.mjs --root $(WEB) --port $(PORT)

demo-site: deps-build resnets shim $(DEMO_PAGE) $(DEMO_MODELS) $(DEMO_GALLERY)
.PHONY: demo demo-site

$(DEMO_PAGE): $(WEB)/%: demo/%
	@mkdir -p $(@D)
	cp $< $@

# The picker also offers resnet20 with compact weights (fp16, int8; issue #9),
# after the four float32 ResNets.
DEMO_COMPACT   := resnet20-fp16 resnet20-int8
$(DEMO_MODELS): demo/site.mjs $(RESNETS:%=$(WEB)/models/%-cifar10.wasm) \
  $(foreach m,$(DEMO_COMPACT),$(WEB)/models/$(subst -,-cifar10-,$(m)).wasm)
	node demo/site.mjs models $(WEB) $(RESNETS) $(DEMO_COMPACT)

$(DEMO_GALLERY): demo/site.mjs
	node demo/site.mjs gallery $(SHARED)/data $(@D) $(GALLERY_PER_CLASS)
