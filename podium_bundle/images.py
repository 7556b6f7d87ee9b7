"""Checking an image someone uploaded before anything decodes its pixels.

One check for every image Podium accepts: competition logos (inside bundles) and avatars.
Pure, Pillow only, so that the bundle parser can use it without Django, on the server and in
the client alike (podium.core.images is the server's name for the same check). Pillow reads the
header only; `verify` then walks the file's structure without decoding the picture, so a
pixel flood is refused before it can take the memory it claims.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from PIL import Image

_SHOWN_NAMES = {"PNG": "PNG", "JPEG": "JPEG", "GIF": "GIF", "WEBP": "WebP"}


class ImageRefused(Exception):
    """Why an image may not be used, written to follow the file's name: "is ..."."""


@dataclass(frozen=True)
class ImageLimits:
    max_bytes: int
    max_pixels: int
    formats: tuple[str, ...]  # Pillow's names: PNG, JPEG, GIF, WEBP

    def formats_text(self) -> str:
        names = [_SHOWN_NAMES.get(name, name) for name in self.formats]
        return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]

    def pixels_text(self) -> str:
        side = math.isqrt(self.max_pixels)
        return f"{side}x{side}" if side * side == self.max_pixels else f"{self.max_pixels} pixels"


@dataclass(frozen=True)
class ImageFacts:
    format: str
    width: int
    height: int


def check_image(source: Path | IO[bytes], *, size: int, limits: ImageLimits) -> ImageFacts:
    """What the image in `source` (`size` bytes) is, or `ImageRefused` saying what is wrong."""
    if size > limits.max_bytes:
        raise ImageRefused(f"is larger than {limits.max_bytes} bytes")
    try:
        with warnings.catch_warnings():
            # Pillow only warns between its two bomb thresholds; a warning is a refusal here.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(source) as image:
                width, height = image.size
                if width * height > limits.max_pixels:
                    raise ImageRefused(
                        f"is {width}x{height} pixels; the limit is {limits.pixels_text()}"
                    )
                if image.format not in limits.formats:
                    raise ImageRefused(f"is {image.format}; use {limits.formats_text()}")
                facts = ImageFacts(format=image.format, width=width, height=height)
                image.verify()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageRefused(f"is not a readable image ({exc})") from None
    except (OSError, SyntaxError, ValueError):
        # Pillow's own message may name a temporary file's path on the server: not shown.
        raise ImageRefused(f"is not a readable image (use {limits.formats_text()})") from None
    return facts
