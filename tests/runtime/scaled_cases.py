"""scaled_cases.py - large JPEGs, and Pillow's full-size preparation of them.

Run with Debian's /usr/bin/python3 (python3-pil, python3-numpy):
    /usr/bin/python3 tests/runtime/scaled_cases.py OUTDIR [photo OUT.jpg W H]
writes photo-like JPEGs of phone and HD sizes (each subsampling, grey,
progressive, EXIF-rotated, an odd size), and for each case what a Python
pipeline makes of it at full resolution: Image.open, exif_transpose,
convert, centre crop, BOX resize (pillow_cases.reference). The manifest has
the layout of pillow_cases.py's. tests/js/jpeg-scaled.test.mjs prepares the
same files with er_image_decode_prepare, which decodes them at 1/2, 1/4 or
1/8 scale and never holds the full-size image, and compares. The manifest
adds source_width/height: the crop's size in full-size pixels.

`photo OUT.jpg W H` writes one such photo (4:2:0, quality 90) for the
benchmarks (bench/image-path.mjs). Nothing here is committed: a 12 MP JPEG
is made in about a second.
"""
import json
import os
import struct
import sys

import numpy as np
from PIL import Image, ImageOps

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pillow_cases import reference  # noqa: E402


def photo(h, w, seed):
    """Smooth shading, texture at several scales, sharp edges, fine grain and
    saturated patches: the statistics of a phone photo, roughly (a q90 4:2:0
    12 MP one is some 3-5 MB, like a real one)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    img = np.empty((h, w, 3), np.float32)
    for c in range(3):
        img[..., c] = 128 + 60 * np.sin(x / (w / (2 + c)) + c) * np.cos(y / (h / (3 - c * 0.5)))
    for scale in (400, 60, 9):
        small = rng.normal(0, 1, (h // scale + 2, w // scale + 2, 3)).astype(np.float32)
        big = np.asarray(Image.fromarray(((small * 40) + 128).clip(0, 255).astype(np.uint8)).resize(
            (w + scale * 2, h + scale * 2), Image.BILINEAR), np.float32)[:h, :w] - 128
        img += big * (0.8 if scale > 50 else 0.5)
    img += rng.normal(0, 6, (h, w, 3)).astype(np.float32)
    for k in range(12):  # hard-edged blocks
        x0, y0 = rng.integers(0, w - w // 8), rng.integers(0, h - h // 8)
        img[y0:y0 + h // 10, x0:x0 + w // 12] = rng.integers(0, 256, 3)
    return img.clip(0, 255).astype(np.uint8)


def exif(orientation):
    return (b'Exif\0\0MM' + struct.pack('>HI', 42, 8) + struct.pack('>H', 1)
            + struct.pack('>HHIHH', 0x0112, 3, 1, orientation, 0) + struct.pack('>I', 0))


# (name, height, width, grey, save options)
IMAGES = [
    ('phone-420', 3024, 4032, False, dict(quality=90, subsampling=2)),
    ('phone-422', 3024, 4032, False, dict(quality=90, subsampling=1)),
    ('phone-444', 3024, 4032, False, dict(quality=90, subsampling=0)),
    ('phone-grey', 3024, 4032, True, dict(quality=90)),
    ('phone-420-exif6', 3024, 4032, False, dict(quality=90, subsampling=2, exif=exif(6))),
    ('phone-420-progressive', 1512, 2016, False, dict(quality=90, subsampling=2, progressive=True)),
    ('hd-420', 1080, 1920, False, dict(quality=90, subsampling=2)),
    ('odd-420', 1503, 2001, False, dict(quality=85, subsampling=2, exif=exif(3))),
]
# (image, width, height, channels, crop)
CASES = [
    ('phone-420', 32, 32, 3, True), ('phone-420', 224, 224, 3, True), ('phone-420', 40, 30, 3, False),
    ('phone-422', 32, 32, 3, True), ('phone-422', 224, 224, 3, True),
    ('phone-444', 32, 32, 3, True), ('phone-444', 100, 100, 3, True),
    ('phone-grey', 32, 32, 1, True), ('phone-grey', 32, 32, 3, True),
    ('phone-420', 32, 32, 1, True),
    ('phone-420-exif6', 32, 32, 3, True), ('phone-420-exif6', 48, 20, 3, False),
    ('phone-420-progressive', 32, 32, 3, True),
    ('hd-420', 32, 32, 3, True), ('hd-420', 224, 224, 3, True), ('hd-420', 300, 120, 3, False),
    ('odd-420', 64, 48, 3, False), ('odd-420', 33, 33, 3, True),
]


def main():
    if len(sys.argv) == 6 and sys.argv[2] == 'photo':
        Image.fromarray(photo(int(sys.argv[5]), int(sys.argv[4]), 7)).save(sys.argv[3], quality=90, subsampling=2)
        return
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for i, (name, h, w, grey, save) in enumerate(IMAGES):
        px = photo(h, w, i)
        im = Image.fromarray(px).convert('L') if grey else Image.fromarray(px)
        im.save(os.path.join(out, name + '.jpg'), **save)
    manifest = []
    for image, width, height, channels, crop in CASES:
        name = '%s-%dx%dx%d%s' % (image, width, height, channels, '-crop' if crop else '')
        path = os.path.join(out, image + '.jpg')
        ref = reference(path, width, height, channels, crop)
        ref.tofile(os.path.join(out, name + '.u8'))
        upright = ImageOps.exif_transpose(Image.open(path)).size
        side = min(upright) if crop else None
        manifest.append({'name': name, 'image': image + '.jpg', 'width': width, 'height': height,
                         'channels': channels, 'crop': crop, 'reference': name + '.u8',
                         'source_width': side or upright[0], 'source_height': side or upright[1]})
    with open(os.path.join(out, 'manifest.json'), 'w') as f:
        json.dump(manifest, f, indent=1)


if __name__ == '__main__':
    main()
