"""Product images: stored re-encoded under the instance folder, thumbnails at fixed widths, bad uploads refused."""

import io
from pathlib import Path

import pytest
from PIL import Image

from xtycore.domain.catalog import ImageRejected
from xtycore.services import images


def opened(path):
    with Image.open(path) as image:
        return image.size, image.format


def png_bytes(size, mode="RGB", fmt="PNG"):
    buffer = io.BytesIO()
    Image.new(mode, size).save(buffer, fmt)
    return buffer.getvalue()


def test_an_upload_is_saved_under_uploads_products_with_thumbnails_of_each_width(app):
    saved = images.save_image(io.BytesIO(png_bytes((1200, 600))), "茶.png", product_id=7)
    root = Path(app.instance_path) / "uploads"
    assert saved.path.startswith("products/7/") and saved.path.endswith(".jpg")
    assert (saved.width, saved.height) == (1200, 600)
    found = {w: opened(root / p) for w, p in images.thumbnail_paths(saved.path).items()}
    assert {w: size for w, (size, _) in found.items()} == {160: (160, 80), 480: (480, 240), 960: (960, 480)}
    assert {fmt for _, fmt in found.values()} == {images.THUMBNAIL_FORMAT}
    assert len(saved.files) == 4 and all(f.is_file() for f in saved.files)


def test_thumbnails_never_enlarge_a_small_image(app):
    saved = images.save_image(io.BytesIO(png_bytes((300, 300))), "small.png", product_id=1)
    root = Path(app.instance_path) / "uploads"
    widths = {w: opened(root / p)[0][0] for w, p in images.thumbnail_paths(saved.path).items()}
    assert widths == {160: 160, 480: 300, 960: 300}


def test_transparency_is_kept_as_png(app):
    saved = images.save_image(io.BytesIO(png_bytes((50, 50), mode="RGBA")), "logo.png", product_id=1)
    assert saved.path.endswith(".png")


def test_a_file_that_is_not_an_image_is_refused_by_name(app):
    with pytest.raises(ImageRejected, match="notes.txt is not an image; upload a JPEG, PNG, WebP or GIF"):
        images.save_image(io.BytesIO(b"hello"), "notes.txt", product_id=1)


def test_an_image_format_the_shop_does_not_serve_is_refused(app):
    with pytest.raises(ImageRejected, match="is a BMP image"):
        images.save_image(io.BytesIO(png_bytes((10, 10), fmt="BMP")), "a.bmp", product_id=1)


def test_a_huge_file_is_refused_before_it_is_decoded(app):
    with pytest.raises(ImageRejected, match="larger than 1 MiB"):
        images.save_image(io.BytesIO(b"\xff" * (1024 * 1024 + 1)), "big.jpg", product_id=1, max_bytes=1024 * 1024)


def test_too_many_pixels_are_refused_even_in_a_small_file(app):
    with pytest.raises(ImageRejected, match="4000x4000 pixels, more than 10 megapixels"):
        images.save_image(io.BytesIO(png_bytes((4000, 4000))), "bomb.png", product_id=1, max_pixels=10_000_000)


def test_a_truncated_image_is_refused_as_damaged(app):
    data = png_bytes((400, 400), fmt="JPEG")
    with pytest.raises(ImageRejected, match="damaged"):
        images.save_image(io.BytesIO(data[: len(data) // 2]), "cut.jpg", product_id=1)
    assert not list((Path(app.instance_path) / "uploads").rglob("*.*"))


def test_deleting_an_image_removes_its_thumbnails(app):
    saved = images.save_image(io.BytesIO(png_bytes((200, 100))), "a.png", product_id=3)
    images.delete_files(saved.path)
    assert not any(f.exists() for f in saved.files)
