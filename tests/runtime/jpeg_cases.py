"""jpeg_cases.py - JPEGs of every layout, and the pixels Pillow decodes from them.

Run with Debian's /usr/bin/python3 (python3-pil links libjpeg-turbo):
    /usr/bin/python3 tests/runtime/jpeg_cases.py OUTDIR
writes OUTDIR/<name>.jpg, OUTDIR/<name>.u8 (Pillow's pixels after
ImageOps.exif_transpose: uint8, height x width x channels) and
OUTDIR/manifest.json, a list of {"name", "image", "width", "height",
"channels", "reference"}. tests/js/jpeg-pillow.test.mjs decodes the same
files with edgerun and requires every pixel to be equal.

Covered: 4:4:4, 4:2:2, 4:2:0 and greyscale; baseline and progressive; restart
intervals (added by libjpeg-turbo's jpegtran, which rewrites the entropy
coding losslessly, since Pillow cannot write them); sizes that are not whole
MCUs down to 1x1, and the widths where libjpeg stops using fancy
upsampling; EXIF orientations 1-8; qualities from 30 to 100 (a high
quality keeps the coefficients large, a low one leaves many zero rows).
"""
import json
import os
import struct
import subprocess
import sys

import numpy as np
from PIL import Image, ImageOps

RNG = np.random.default_rng(20241202)


def content(h, w, channels):
    """Gradients, noise, a hard-edged block and saturated colours: every IDCT
    term, chroma edge and clamp shows."""
    y, x = np.mgrid[0:h, 0:w]
    base = np.stack([x * 255 // max(w - 1, 1), y * 255 // max(h - 1, 1), (x + y) * 127 // max(w + h - 2, 1)], -1)
    noise = RNG.integers(-70, 71, (h, w, 3))
    img = np.clip(base + noise, 0, 255)
    img[h // 3: h // 2, w // 4: w // 2] = 255 - img[h // 3: h // 2, w // 4: w // 2]
    img[: h // 5, -(w // 5) or w:] = (255, 0, 0)
    img[-(h // 6) or h:, : w // 6] = (0, 0, 255)
    img = img.astype(np.uint8)
    return img[..., 0] if channels == 1 else img


def exif(orientation):
    """An APP1 body whose IFD0 holds one entry, Orientation = SHORT orientation."""
    return (b'Exif\0\0II' + struct.pack('<HI', 42, 8) + struct.pack('<H', 1)
            + struct.pack('<HHIHH', 0x0112, 3, 1, orientation, 0) + struct.pack('<I', 0))


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    cases = []

    def add(name, h, w, channels, restart=None, **save):
        path = os.path.join(out, name + '.jpg')
        Image.fromarray(content(h, w, channels)).save(path, **save)
        if restart:
            moved = path + '.tmp'
            os.replace(path, moved)
            subprocess.run(['jpegtran', '-copy', 'all', '-restart', str(restart), '-outfile', path, moved],
                           check=True)
            os.remove(moved)
        im = ImageOps.exif_transpose(Image.open(path))
        ref = np.array(im, dtype=np.uint8)
        ref = ref.reshape(ref.shape[0], ref.shape[1], -1)
        ref.tofile(os.path.join(out, name + '.u8'))
        cases.append({'name': name, 'image': name + '.jpg', 'width': ref.shape[1], 'height': ref.shape[0],
                      'channels': ref.shape[2], 'reference': name + '.u8'})

    subsampling = {'444': 0, '422': 1, '420': 2}
    for tag, ss in subsampling.items():
        for q in (30, 75, 95, 100):
            add('%s-q%d' % (tag, q), 48, 64, 3, quality=q, subsampling=ss)
        add('%s-progressive' % tag, 45, 61, 3, quality=90, subsampling=ss, progressive=True)
        add('%s-restart' % tag, 50, 70, 3, restart='1B', quality=85, subsampling=ss)
        add('%s-restart-rows' % tag, 50, 70, 3, restart=1, quality=85, subsampling=ss)
        add('%s-progressive-restart' % tag, 40, 52, 3, restart=2, quality=85, subsampling=ss, progressive=True)
        add('%s-optimized' % tag, 40, 40, 3, quality=80, subsampling=ss, optimize=True)
        # Sizes off the MCU grid, and the narrow widths (chroma width <= 2)
        # where libjpeg replicates chroma instead of interpolating it.
        for h, w in ((1, 1), (2, 2), (3, 5), (5, 3), (4, 4), (6, 7), (9, 17), (17, 9), (31, 33), (15, 16)):
            add('%s-%dx%d' % (tag, w, h), h, w, 3, quality=90, subsampling=ss)
        for o in range(1, 9):
            add('%s-exif%d' % (tag, o), 22, 37, 3, quality=90, subsampling=ss, exif=exif(o))
    # Big enough for every reduced scale of er_image_decode_prepare (the
    # damage test of jpeg-pillow.test.mjs).
    add('420-mid-restart', 240, 320, 3, restart=2, quality=90, subsampling=2, exif=exif(6))
    for q in (50, 95):
        add('grey-q%d' % q, 41, 59, 1, quality=q)
    add('grey-progressive', 39, 47, 1, quality=90, progressive=True)
    add('grey-restart', 33, 45, 1, restart='1B', quality=90)
    for h, w in ((1, 1), (7, 3), (17, 9)):
        add('grey-%dx%d' % (w, h), h, w, 1, quality=90)
    add('grey-exif6', 20, 30, 1, quality=90, exif=exif(6))
    with open(os.path.join(out, 'manifest.json'), 'w') as f:
        json.dump(cases, f, indent=1)


if __name__ == '__main__':
    main()
