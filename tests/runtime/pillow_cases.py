"""pillow_cases.py - test images and Pillow's pre-processing of them.

Run with Debian's /usr/bin/python3 (python3-pil, python3-numpy):
    /usr/bin/python3 tests/runtime/pillow_cases.py OUTDIR
writes OUTDIR/<image files>, OUTDIR/<case>.u8 (the reference: uint8, HWC,
height x width x channels) and OUTDIR/manifest.json, a list of
{"name", "image", "width", "height", "channels", "crop", "reference"}.

The reference is what a Python training pipeline does: Image.open,
ImageOps.exif_transpose (a JPEG turned upright as a browser shows it), alpha
composited over white with Image.alpha_composite, convert("RGB") or
convert("L"), Image.crop of the centred square when cropping, then resize
with Image.BOX along an axis that shrinks and Image.BILINEAR along one that
grows (two resize calls when the axes disagree, which is what Pillow's own
two-pass resize does inside one call). tests/js/prepare-pillow.test.mjs runs
edgerun's decode + prepare on the same files and compares.
"""
import json
import os
import struct
import sys
import zlib

import numpy as np
from PIL import Image, ImageOps

RNG = np.random.default_rng(20240611)


def content(h, w, channels):
    """Noise over gradients and a hard-edged block: every resize weight shows."""
    y, x = np.mgrid[0:h, 0:w]
    base = np.stack([x * 255 // max(w - 1, 1), y * 255 // max(h - 1, 1), (x + y) * 127 // max(w + h - 2, 1)], -1)
    base = base[..., :channels] if channels <= 3 else np.concatenate([base, base[..., :1]], -1)
    noise = RNG.integers(-60, 61, (h, w, base.shape[-1]))
    img = np.clip(base + noise, 0, 255)
    img[h // 3: h // 2, w // 4: w // 2] = 255 - img[h // 3: h // 2, w // 4: w // 2]
    return img.astype(np.uint8)


def alpha(h, w):
    """Opaque, fully transparent and everything between."""
    y, x = np.mgrid[0:h, 0:w]
    a = (x * 255 // max(w - 1, 1)).astype(np.uint8)
    a[: h // 4] = 0
    a[-(h // 4):] = 255
    return a


def png16(path, arr):
    """A 16-bit PNG (Pillow cannot write 16-bit RGB)."""
    def chunk(kind, data):
        return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data) & 0xffffffff)
    h, w = arr.shape[:2]
    colour = {1: 0, 2: 4, 3: 2, 4: 6}[1 if arr.ndim == 2 else arr.shape[2]]
    raw = b''.join(b'\0' + arr[y].astype('>u2').tobytes() for y in range(h))
    with open(path, 'wb') as f:
        f.write(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 16, colour, 0, 0, 0))
                + chunk(b'IDAT', zlib.compress(raw)) + chunk(b'IEND', b''))


def exif(orientation, big_endian):
    """An APP1 body whose IFD0 holds one entry, Orientation = SHORT orientation."""
    e = '>' if big_endian else '<'
    return (b'Exif\0\0' + (b'MM' if big_endian else b'II') + struct.pack(e + 'HI', 42, 8) + struct.pack(e + 'H', 1)
            + struct.pack(e + 'HHIHH', 0x0112, 3, 1, orientation, 0) + struct.pack(e + 'I', 0))


def make_images(out):
    images = {}

    def save(name, im, **kw):
        im.save(os.path.join(out, name), **kw)
        images[name] = name

    save('rgb-landscape.png', Image.fromarray(content(23, 37, 3)))
    save('rgb-portrait-progressive.jpg', Image.fromarray(content(41, 23, 3)), quality=95, subsampling=0,
         progressive=True)
    save('rgb-baseline.jpg', Image.fromarray(content(30, 50, 3)), quality=95, subsampling=0)
    save('grey.png', Image.fromarray(content(31, 29, 1)[..., 0]))
    save('grey.jpg', Image.fromarray(content(27, 35, 1)[..., 0]), quality=95)
    rgba = np.dstack([content(33, 45, 3), alpha(33, 45)])
    save('rgba.png', Image.fromarray(rgba, 'RGBA'))
    la = np.dstack([content(27, 21, 1)[..., 0], alpha(27, 21)])
    save('grey-alpha.png', Image.fromarray(la, 'LA'))
    save('palette.png', Image.fromarray(content(17, 31, 3)).quantize(64))
    pal = Image.fromarray(content(25, 19, 3)).quantize(32)
    save('palette-transparent.png', pal, transparency=3)
    save('image.bmp', Image.fromarray(content(21, 35, 3)))
    save('image.tga', Image.fromarray(content(15, 25, 3)), rle=True)
    frames = [Image.fromarray(content(29, 27, 3)).quantize(48), Image.fromarray(content(29, 27, 3)).quantize(48)]
    frames[0].save(os.path.join(out, 'animated.gif'), save_all=True, append_images=frames[1:], transparency=5,
                   duration=100)
    images['animated.gif'] = 'animated.gif'
    # Stored landscape; upright, 5-8 are portrait. Both byte orders. (The
    # subsamplings and their exact pixels: jpeg_cases.py.)
    for o in range(2, 9):
        save('exif%d.jpg' % o, Image.fromarray(content(26, 40, 3)), quality=95, subsampling=0,
             exif=exif(o, o % 2 == 0))
    rgb16 = RNG.integers(0, 65536, (19, 33, 3), dtype=np.uint16)
    png16(os.path.join(out, 'rgb16.png'), rgb16)
    images['rgb16.png'] = 'rgb16.png'
    grey16 = RNG.integers(0, 65536, (33, 19), dtype=np.uint16)
    png16(os.path.join(out, 'grey16.png'), grey16)
    images['grey16.png'] = 'grey16.png'
    return images


def pillow_pixels(path):
    """The decoded image as Pillow sees it, 8-bit."""
    im = Image.open(path)
    im.seek(0)
    im = ImageOps.exif_transpose(im)
    if im.mode in ('I', 'I;16', 'I;16B'):
        # Pillow's convert("L") clips 16-bit grey at 255 instead of scaling;
        # take the high byte in numpy, as Pillow itself does for 16-bit RGB.
        im = Image.fromarray((np.array(im).astype(np.uint32) >> 8).astype(np.uint8), 'L')
    return im


def reference(path, width, height, channels, crop):
    im = pillow_pixels(path)
    has_alpha = im.mode in ('RGBA', 'LA', 'PA') or (im.mode == 'P' and 'transparency' in im.info)
    if has_alpha:
        rgba = im.convert('RGBA')
        im = Image.alpha_composite(Image.new('RGBA', rgba.size, (255, 255, 255, 255)), rgba).convert('RGB')
    if channels == 1:
        im = im.convert('L')
    else:
        im = im.convert('RGB')
    if crop:
        side = min(im.size)
        left, top = (im.size[0] - side) // 2, (im.size[1] - side) // 2
        im = im.crop((left, top, left + side, top + side))

    def filter_for(src, dst):
        return Image.BOX if dst < src else Image.BILINEAR
    if width != im.size[0]:
        im = im.resize((width, im.size[1]), filter_for(im.size[0], width))
    if height != im.size[1]:
        im = im.resize((im.size[0], height), filter_for(im.size[1], height))
    arr = np.array(im, dtype=np.uint8)
    return arr.reshape(height, width, channels)


# (image, width, height, channels, crop): shrinking, enlarging, one axis each way.
CASES = [
    ('rgb-landscape.png', 16, 16, 3, True), ('rgb-landscape.png', 20, 40, 3, False),
    ('rgb-landscape.png', 64, 64, 3, True), ('rgb-landscape.png', 24, 15, 1, False),
    ('rgb-portrait-progressive.jpg', 16, 16, 3, True), ('rgb-portrait-progressive.jpg', 48, 20, 3, False),
    ('rgb-portrait-progressive.jpg', 15, 27, 1, False),
    ('rgb-baseline.jpg', 32, 32, 3, True), ('rgb-baseline.jpg', 33, 20, 3, False),
    ('grey.png', 32, 32, 1, True), ('grey.png', 13, 45, 3, False),
    ('grey.jpg', 20, 20, 1, True),
    ('rgba.png', 32, 32, 3, True), ('rgba.png', 30, 22, 3, False), ('rgba.png', 60, 50, 1, False),
    ('grey-alpha.png', 14, 14, 1, True), ('grey-alpha.png', 32, 32, 3, False),
    ('palette.png', 16, 8, 3, False), ('palette.png', 32, 32, 3, True),
    ('palette-transparent.png', 12, 16, 3, False), ('palette-transparent.png', 40, 40, 1, True),
    ('image.bmp', 32, 32, 3, True), ('image.bmp', 23, 14, 3, False),
    ('image.tga', 16, 16, 3, True), ('image.tga', 50, 30, 3, False),
    ('animated.gif', 32, 32, 3, True), ('animated.gif', 18, 19, 3, False),
    ('rgb16.png', 32, 32, 3, True), ('rgb16.png', 22, 13, 3, False),
    ('grey16.png', 16, 16, 1, True), ('grey16.png', 19, 33, 1, False),
] + [('exif%d.jpg' % o, 16, 16, 3, True) for o in range(2, 9)] + [
    ('exif%d.jpg' % o, 18, 30, 3, False) for o in range(2, 9)] + [('exif6.jpg', 20, 12, 1, False)]


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    make_images(out)
    manifest = []
    for image, width, height, channels, crop in CASES:
        name = '%s-%dx%dx%d%s' % (image, width, height, channels, '-crop' if crop else '')
        ref = reference(os.path.join(out, image), width, height, channels, crop)
        ref.tofile(os.path.join(out, name + '.u8'))
        manifest.append({'name': name, 'image': image, 'width': width, 'height': height, 'channels': channels,
                         'crop': crop, 'reference': name + '.u8'})
    with open(os.path.join(out, 'manifest.json'), 'w') as f:
        json.dump(manifest, f, indent=1)


if __name__ == '__main__':
    main()
