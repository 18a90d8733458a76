"""Product images: checked, re-encoded and thumbnailed locally with Pillow.

Files live under ``<instance>/uploads/products/<product id>/``; the database
keeps paths relative to ``<instance>/uploads``. Every upload is decoded and
written again, which drops EXIF data (phone photos carry GPS positions) and
anything smuggled after the image data. Thumbnails sit beside the image as
``<name>-<width>.webp`` (JPEG where Pillow lacks WebP) for each width in
:data:`THUMBNAIL_WIDTHS`, never wider than the original.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import BinaryIO

from flask import current_app
from PIL import Image, ImageOps, UnidentifiedImageError, features

from xtycore.domain.catalog import ImageRejected

THUMBNAIL_WIDTHS = (160, 480, 960)
MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000
ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}
THUMBNAIL_FORMAT, THUMBNAIL_SUFFIX = ("WEBP", ".webp") if features.check("webp") else ("JPEG", ".jpg")


@dataclass
class SavedImage:
    """An image written to disk: ``path`` relative to the uploads folder, and every file made."""

    path: str
    width: int
    height: int
    files: list[Path] = field(default_factory=list)

    def remove(self) -> None:
        """Delete the files again (the transaction that was to record them failed)."""
        for file in self.files:
            file.unlink(missing_ok=True)


def uploads_root() -> Path:
    return Path(current_app.instance_path) / "uploads"


def thumbnail_paths(path: str) -> dict[int, str]:
    """Width -> relative path of each thumbnail of the image at ``path``."""
    stem = path.rsplit(".", 1)[0]
    return {width: f"{stem}-{width}{THUMBNAIL_SUFFIX}" for width in THUMBNAIL_WIDTHS}


def _read_limited(stream: BinaryIO, name: str, max_bytes: int) -> bytes:
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ImageRejected(
            f"{name} is larger than {max_bytes // (1024 * 1024)} MiB; export it smaller (2000 px wide is plenty)"
        )
    if not data:
        raise ImageRejected(f"{name} is empty")
    return data


def _open(data: bytes, name: str, max_pixels: int) -> Image.Image:
    try:
        image = Image.open(BytesIO(data))
    except UnidentifiedImageError:
        raise ImageRejected(f"{name} is not an image; upload a JPEG, PNG, WebP or GIF file") from None
    if image.format not in ACCEPTED_FORMATS:
        raise ImageRejected(f"{name} is a {image.format} image; upload a JPEG, PNG, WebP or GIF file")
    width, height = image.size
    # checked before decoding, so a small file that unpacks to gigabytes is never decoded
    if width * height > max_pixels:
        raise ImageRejected(
            f"{name} is {width}x{height} pixels, more than {max_pixels // 1_000_000} megapixels; scale it down"
        )
    try:
        image.load()
    except (OSError, SyntaxError) as exc:
        raise ImageRejected(f"{name} is damaged and cannot be read ({exc}); export it again") from None
    return ImageOps.exif_transpose(image)


def save_image(
    stream: BinaryIO, filename: str, product_id: int, *,
    max_bytes: int = MAX_BYTES, max_pixels: int = MAX_PIXELS,
) -> SavedImage:
    """Check an upload, store it re-encoded with its thumbnails; raises ImageRejected."""
    image = _open(_read_limited(stream, filename, max_bytes), filename, max_pixels)
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    image = image.convert("RGBA" if has_alpha else "RGB")
    folder = uploads_root() / "products" / str(product_id)
    folder.mkdir(parents=True, exist_ok=True)
    name = secrets.token_hex(8)
    suffix, fmt = (".png", "PNG") if has_alpha else (".jpg", "JPEG")
    relative = f"products/{product_id}/{name}{suffix}"
    saved = SavedImage(path=relative, width=image.width, height=image.height)
    try:
        original = uploads_root() / relative
        image.save(original, fmt, **({"quality": 90} if fmt == "JPEG" else {}))
        saved.files.append(original)
        for width, thumb in thumbnail_paths(relative).items():
            saved.files.append(_thumbnail(image, width, uploads_root() / thumb))
    except OSError:
        saved.remove()
        raise
    return saved


def _thumbnail(image: Image.Image, width: int, target: Path) -> Path:
    copy = image.copy()
    if copy.width > width:
        copy = copy.resize((width, max(1, round(copy.height * width / copy.width))), Image.Resampling.LANCZOS)
    if THUMBNAIL_FORMAT == "JPEG" and copy.mode == "RGBA":
        copy = copy.convert("RGB")
    copy.save(target, THUMBNAIL_FORMAT, quality=82)
    return target


def delete_files(path: str) -> None:
    """Remove an image and its thumbnails from disk (after its row is deleted)."""
    root = uploads_root()
    for relative in [path, *thumbnail_paths(path).values()]:
        (root / relative).unlink(missing_ok=True)
