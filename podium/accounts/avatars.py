"""Avatars: checked like every uploaded image, then re-encoded small.

Re-encoding is what makes an avatar safe to show to everyone: the stored file is one that
Pillow wrote (no trailing HTML, no polyglot), at most AVATAR_SIDE pixels a side, turned
upright and without its metadata (a phone photo's EXIF names where it was taken).
"""

from __future__ import annotations

import io
import warnings
from typing import IO

from django.conf import settings
from PIL import Image, ImageOps

from podium.core.images import ImageLimits, ImageRefused, check_image

AVATAR_SIDE = 512
FORMATS = ("PNG", "JPEG", "WEBP")
EXTENSIONS = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp"}
CONTENT_TYPES = {"png": "image/png", "jpg": "image/jpeg", "webp": "image/webp"}


def limits() -> ImageLimits:
    return ImageLimits(
        max_bytes=settings.AVATAR_MAX_BYTES,
        max_pixels=settings.AVATAR_MAX_PIXELS,
        formats=FORMATS,
    )


def normalized(stream: IO[bytes], *, size: int) -> tuple[bytes, str]:
    """The avatar to store for the image in `stream`, and its file extension; or
    `ImageRefused`, whose message follows the file's name ("is ...")."""
    chosen = limits()
    facts = check_image(stream, size=size, limits=chosen)
    stream.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(stream) as opened:
                image = ImageOps.exif_transpose(opened)
                image.thumbnail((AVATAR_SIDE, AVATAR_SIDE))
                if facts.format == "JPEG" and image.mode not in ("RGB", "L"):
                    image = image.convert("RGB")
                elif facts.format == "WEBP" and image.mode not in ("RGB", "RGBA"):
                    image = image.convert("RGBA")
                image.info.clear()  # EXIF, comments, text chunks: nothing of the original
                output = io.BytesIO()
                image.save(output, format=facts.format, quality=90)
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombWarning):
        # `verify` passed, but decoding failed: a truncated or corrupt picture.
        raise ImageRefused(f"is not a readable image (use {chosen.formats_text()})") from None
    return output.getvalue(), EXTENSIONS[facts.format]
