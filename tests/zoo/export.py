#!/usr/bin/python3
"""Exports torchvision classification models, with seeded random weights, to
ONNX (opset 13, batch 1) for `make zoo`.

usage: /usr/bin/python3 tests/zoo/export.py OUT_DIR NAME [NAME...]

Writes OUT_DIR/NAME.onnx for each NAME not already there. Parameters that
torchvision initialises to zero (ViT's head, for one) are redrawn, so that
no model answers zeros whatever its input, which would match any oracle.
"""
import os
import sys

import torch
import torchvision

out, names = sys.argv[1], sys.argv[2:]
os.makedirs(out, exist_ok=True)
SIDE = {"inception_v3": 299}
KWARGS = {"googlenet": {"aux_logits": False, "init_weights": True},
          "inception_v3": {"aux_logits": False, "init_weights": True}}

for name in names:
    path = os.path.join(out, name + ".onnx")
    if os.path.exists(path):
        continue
    torch.manual_seed(0)
    model = getattr(torchvision.models, name)(weights=None, **KWARGS.get(name, {})).eval()
    with torch.no_grad():
        for p in model.parameters():
            if p.numel() and not p.any():
                p.normal_(0.0, 0.02)
    x = torch.randn(1, 3, SIDE.get(name, 224), SIDE.get(name, 224))
    # vit_b_16 exports at opset 13 only with autograd enabled (its
    # scaled-dot-product path differs under no_grad); the others do either.
    torch.onnx.export(model, x, path + ".tmp", opset_version=13, input_names=["input"], output_names=["logits"])
    os.replace(path + ".tmp", path)
    print("exported", name, flush=True)
