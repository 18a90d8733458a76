"""Product pictures for the demo shop, drawn locally with Pillow: nothing is downloaded.

A picture is a soft two-colour gradient in the category's colours, a few
translucent circles, a card with the product's pinyin initials (西湖龙井 ->
XHLJ) and its English name. The random generator is seeded with the
product code, so a picture is the same on every run and every machine (the
font is the one Pillow embeds, not a system font).
"""

from __future__ import annotations

import random
import threading
from io import BytesIO

from PIL import Image, ImageDraw, ImageFont
from pypinyin import Style, lazy_pinyin

#: Pixels per side: sharp at the storefront's 480-pixel thumbnails, quick to encode.
SIZE = 600


def initials(title: str, limit: int = 4) -> str:
    """Upper-case pinyin initials of the Chinese characters of ``title``: ``"西湖龙井 明前"`` -> ``"XHLJ"``."""
    letters = [syllable[0] for syllable in lazy_pinyin(title, style=Style.FIRST_LETTER) if syllable.isalpha()]
    return "".join(letters[:limit]).upper() or "XTY"


_fonts = threading.local()


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """The embedded font at ``size``; cached per thread, as a FreeType face must not be shared between threads."""
    cache = _fonts.__dict__.setdefault("by_size", {})
    if size not in cache:
        cache[size] = ImageFont.load_default(size=size)
    return cache[size]


def _rgb(colour: str) -> tuple[int, int, int]:
    colour = colour.lstrip("#")
    return int(colour[0:2], 16), int(colour[2:4], 16), int(colour[4:6], 16)


def _mix(a: tuple[int, int, int], b: tuple[int, int, int], share: float) -> tuple[int, int, int]:
    return tuple(round(x + (y - x) * share) for x, y in zip(a, b))  # type: ignore[return-value]


def _fit(text: str, width: int, start: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    size = start
    while size > 14 and _font(size).getlength(text) > width:
        size -= 2
    return _font(size)


def draw(seed: str, title: str, subtitle: str, colours: tuple[str, str], variant: int = 0) -> Image.Image:
    """The picture of a product; ``variant`` > 0 draws another view of it (a second image, a buyer's photo)."""
    rng = random.Random(f"{seed}/{variant}")
    light, dark = _rgb(colours[0]), _rgb(colours[1])
    light = _mix(light, (255, 255, 255), rng.uniform(0.0, 0.35))
    gradient = Image.linear_gradient("L").rotate(rng.choice((0, 90, 180, 270))).resize((SIZE, SIZE))
    image = Image.composite(Image.new("RGB", (SIZE, SIZE), _mix(light, dark, 0.35)),
                            Image.new("RGB", (SIZE, SIZE), light), gradient)
    pen = ImageDraw.Draw(image, "RGBA")
    for _ in range(rng.randint(4, 8)):
        radius = rng.randint(SIZE // 12, SIZE // 3)
        x, y = rng.randint(0, SIZE), rng.randint(0, SIZE)
        tint = (255, 255, 255) if rng.random() < 0.6 else dark
        pen.ellipse((x - radius, y - radius, x + radius, y + radius), fill=(*tint, rng.randint(28, 70)))
    margin = SIZE // 6 if variant == 0 else SIZE // 5
    card = (margin, margin, SIZE - margin, SIZE - margin)
    pen.rounded_rectangle(card, radius=SIZE // 14, fill=(255, 255, 255, 200))
    mark = initials(title)
    inner = card[2] - card[0] - SIZE // 10
    pen.text((SIZE // 2, SIZE // 2 - SIZE // 16), mark, font=_fit(mark, inner, SIZE // 5),
             fill=(*dark, 255), anchor="mm")
    pen.text((SIZE // 2, SIZE // 2 + SIZE // 8), subtitle, font=_fit(subtitle, inner, SIZE // 20),
             fill=(*_mix(dark, (40, 40, 40), 0.5), 255), anchor="mm")
    pen.rounded_rectangle((card[0] + SIZE // 14, card[3] - SIZE // 12, card[2] - SIZE // 14, card[3] - SIZE // 14),
                          radius=4, fill=(*dark, 160))
    return image


def jpeg(image: Image.Image) -> BytesIO:
    """The picture as a JPEG file in memory, ready for :func:`xtycore.services.images.save_image`."""
    buffer = BytesIO()
    image.save(buffer, "JPEG", quality=92)
    buffer.seek(0)
    return buffer
