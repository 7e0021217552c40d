#!/usr/bin/python3
"""make_seeds.py - the seed corpora of the libFuzzer targets (tests/fuzz/).

usage: /usr/bin/python3 tests/fuzz/make_seeds.py SEEDS CASES SHARED

CASES holds what the project's own test scripts wrote: pillow/ and jpeg/
(tests/runtime/pillow_cases.py, jpeg_cases.py: every image format and JPEG
layout the runtime promises, EXIF orientations included) and models/
(tests/compiler/make_models.py). Writes SEEDS/<target>/:

  request   JSON requests: each image as {"input": base64} with options, the
            same images behind the 0x01 prefix fuzz_request.c wraps, tensor
            requests, and one of each error the protocol names
  image     4 option bytes + each image (fuzz_image.c), at both paths
  tensor    fixture-multi requests, built (mode 1) and raw (modes 0 and 2)
  compiler  links to the ONNX backend-test models in SHARED/onnx-tests (node,
            pytorch-converted, pytorch-operator; not light/, whose folded
            ConstantOfShape weights reach hundreds of MB) and to CASES/models
"""
import base64
import glob
import json
import os
import sys

seeds, cases, shared = sys.argv[1:4]
IMAGE_EXT = (".jpg", ".png", ".bmp", ".gif", ".tga")
MAX_SEED = 48 * 1024


def write(target, name, data):
    d = os.path.join(seeds, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


images = sorted(p for p in glob.glob(os.path.join(cases, "*", "*"))
                if p.endswith(IMAGE_EXT) and os.path.getsize(p) <= MAX_SEED)
if len(images) < 20:
    sys.exit(f"make_seeds.py: only {len(images)} images under {cases}")

options = ["", ',"crop":true', ',"exif":false', ',"top":5', ',"norm":[0.5,0.25,0.5,0.25,0.5,0.25]']
for i, path in enumerate(images):
    raw = open(path, "rb").read()
    stem = os.path.relpath(path, cases).replace(os.sep, "-")
    b64 = base64.b64encode(raw).decode()
    write("request", f"{stem}.json", '{"type":"image","input":"%s"%s}' % (b64, options[i % len(options)]))
    write("request", f"{stem}.wrapped", bytes([1, i % 8]) + raw)
    # 4 option bytes: width-1, height-1, flags (grey, crop, no EXIF, two-step), limit
    write("image", f"{stem}.stream", bytes([31, 31, (i % 2) << 1, 0]) + raw)
    write("image", f"{stem}.twostep", bytes([(7 * i) % 64, (5 * i) % 64, 0x08 | (i % 8), 0]) + raw)

tensor = ",".join(str((i % 7) - 3) for i in range(3072))
for name, text in {
    "tensor": '{"type":"tensor","top":2,"input":[%s]}' % tensor,
    "e_json": '{"input":',
    "e_field": '{"input":"AAAA","nrom":[1,2,3,4,5,6]}',
    "e_base64": '{"input":"AA#A"}',
    "e_decode": '{"input":"aGVsbG8gd29ybGQh"}',
    "e_shape": '{"input":"AAAA","width":64}',
    "e_limit": '{"input":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}',
    "data_url": '{"input":"data:image/png;base64,%s"}' % base64.b64encode(open(images[0], "rb").read()).decode(),
}.items():
    write("request", name + ".json", text)

write("tensor", "by-name", b"\x00" + json.dumps(
    {"type": "tensor", "input": {"a": [1, 2, 3.5, -4, 5, 6], "b": [10, 20, 30]}}).encode())
write("tensor", "plain", b"\x00" + b'{"type":"tensor","input":[1,2,3]}')
write("tensor", "built-object", bytes([1, 0x00, 0x06, 1, 2, 3, 4, 5, 6, 0x13, 7, 8, 9]))
write("tensor", "built-array", bytes([1, 0x01, 0x03, 1, 2, 3]))
write("tensor", "buffers", bytes([2, 128, 0, 0, 0, 1]) + bytes(range(36)))

models = sorted(glob.glob(os.path.join(shared, "onnx-tests", "node", "*", "model.onnx")) +
                glob.glob(os.path.join(shared, "onnx-tests", "pytorch-*", "*", "model.onnx")))
models += sorted(glob.glob(os.path.join(cases, "models", "*.onnx")))
if len(models) < 100:
    sys.exit(f"make_seeds.py: only {len(models)} ONNX models (is {shared} the shared data?)")
for path in models:
    name = os.path.relpath(path, shared if path.startswith(shared) else cases).replace(os.sep, "-")
    d = os.path.join(seeds, "compiler")
    os.makedirs(d, exist_ok=True)
    os.symlink(os.path.abspath(path), os.path.join(d, name))

for t in ("request", "image", "tensor", "compiler"):
    print(f"seeds {t}: {len(os.listdir(os.path.join(seeds, t)))} files")
