"""xty backup and xty restore: every order and uploaded file comes back; bad archives change nothing."""

from __future__ import annotations

import io
import json
import tarfile
import threading

import pytest
from sqlalchemy import delete, select, update

from tests.orders.helpers import place
from xtycore import database
from xtycore.backup import DATABASE_FILES, FORMAT, MANIFEST
from xtycore.cli import main
from xtycore.extensions import db, transaction
from xtycore.models import KernelState, Order, OrderLine
from xtycore.services.images import uploads_root


def orders_snapshot() -> list[dict]:
    """Every order with its number, totals and lines, as plain data."""
    db.session.expire_all()
    orders = db.session.execute(select(Order).order_by(Order.number)).scalars()
    return [
        {
            "number": o.number, "status": o.status, "subtotal_minor": o.subtotal_minor,
            "total_minor": o.total_minor, "customer_id": o.customer_id,
            "lines": sorted(
                (line.sku, line.product_name, line.unit_price_minor, line.quantity)
                for line in db.session.execute(select(OrderLine).where(OrderLine.order_id == o.id)).scalars()
            ),
        }
        for o in orders
    ]


def uploads_snapshot() -> dict[str, bytes]:
    root = uploads_root()
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def generation() -> int:
    db.session.expire_all()
    return db.session.execute(select(KernelState.generation).where(KernelState.id == 1)).scalar_one()


def backup(app, path):
    result = app.test_cli_runner().invoke(main, ["backup", "--output", str(path)])
    assert result.exit_code == 0, result.output
    return result


def restore(app, path, *args, input=None):
    return app.test_cli_runner().invoke(main, ["restore", str(path), *args], input=input)


def manifest_of(path) -> dict:
    with tarfile.open(path, "r:gz") as tar:
        return json.loads(tar.extractfile(MANIFEST).read())


def test_restore_brings_back_every_order_and_uploaded_file(shop, tmp_path):
    archive = tmp_path / "shop.tar.gz"
    with shop.app.app_context():
        before, files, gen = orders_snapshot(), uploads_snapshot(), generation()
        dialect = db.engine.dialect.name
    assert len(before) == 3 and all(o["lines"] for o in before)
    result = backup(shop.app, archive)
    assert "3 orders, 2 products, 1 customers" in result.output

    manifest = manifest_of(archive)
    assert manifest["format"] == FORMAT and manifest["dialect"] == dialect
    assert manifest["counts"] == {"orders": 3, "products": 2, "customers": 1}
    with shop.app.app_context():
        assert manifest["alembic_heads"] == sorted(database.current_heads(shop.app))
    with tarfile.open(archive, "r:gz") as tar:
        names = set(tar.getnames())
    assert DATABASE_FILES[dialect] in names and {f"uploads/{name}" for name in files} <= names

    with shop.app.app_context():
        with transaction():
            first = db.session.execute(select(Order).order_by(Order.number)).scalars().first()
            db.session.execute(update(Order).where(Order.id != first.id).values(total_minor=1))
            db.session.execute(delete(OrderLine).where(OrderLine.order_id == first.id))
            db.session.execute(delete(Order).where(Order.id == first.id))
        assert orders_snapshot() != before
        root = uploads_root()
        next(iter(root.rglob("a.jpg"))).write_bytes(b"overwritten")
        (root / "stray.txt").write_text("added after the backup")

    result = restore(shop.app, archive, "--yes")
    assert result.exit_code == 0, result.output
    assert "orders: 3 in the backup, 3 now" in result.output
    assert "uploaded files: 2 restored" in result.output
    with shop.app.app_context():
        assert orders_snapshot() == before
        assert uploads_snapshot() == files
        assert generation() == gen + 1
        # the restored shop takes orders again
        placed = place(shop, (shop.variants[0], 1))
        assert placed.created and len(orders_snapshot()) == 4


def test_restore_asks_first_and_a_no_changes_nothing(shop, tmp_path):
    archive = tmp_path / "shop.tar.gz"
    backup(shop.app, archive)
    with shop.app.app_context():
        with transaction():
            db.session.execute(delete(OrderLine))
            db.session.execute(delete(Order))
    result = restore(shop.app, archive, input="n\n")
    assert result.exit_code != 0 and "replaces the shop's data" in result.output
    with shop.app.app_context():
        assert orders_snapshot() == []


def test_a_backup_taken_while_orders_are_placed_is_consistent(shop, tmp_path):
    archive = tmp_path / "busy.tar.gz"
    stop, placed, errors = threading.Event(), [], []

    def keep_ordering():
        try:
            with shop.app.app_context():
                while not stop.is_set() or len(placed) < 5:
                    placed.append(place(shop, (shop.variants[0], 1), (shop.variants[1], 2)).order.number)
                db.session.remove()
        except Exception as exc:  # reported by the assertion below
            errors.append(exc)

    writer = threading.Thread(target=keep_ordering)
    writer.start()
    try:
        while len(placed) < 2 and writer.is_alive():
            threading.Event().wait(0.01)
        backup(shop.app, archive)
    finally:
        stop.set()
        writer.join()
    assert errors == []

    counted = manifest_of(archive)["counts"]["orders"]
    assert restore(shop.app, archive, "--yes").exit_code == 0
    with shop.app.app_context():
        restored = orders_snapshot()
    # the archive is one moment of the shop: the counted orders, each with all its lines and totals
    assert len(restored) == counted and 3 + 2 <= counted <= 3 + len(placed)
    for order in restored:
        assert order["lines"], order["number"]
        assert order["subtotal_minor"] == sum(price * qty for _, _, price, qty in order["lines"])


def _tar_gz(path, members: dict[str, bytes]):
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


@pytest.mark.parametrize("make, message", [
    (lambda p: None, "does not exist"),
    (lambda p: p.write_bytes(b"not a tar file at all" * 10), "is not a readable xtycore backup"),
    (lambda p: _tar_gz(p, {"notes.txt": b"hello"}), "is not an xtycore backup: it has no manifest.json"),
    (lambda p: _tar_gz(p, {MANIFEST: b'{"format": "other"}'}), "is not an xtycore backup"),
    (lambda p: _tar_gz(p, {MANIFEST: json.dumps({"format": FORMAT, "dialect": "sqlite"}).encode(),
                           "database.sqlite3": b"", "../evil": b"x"}), "unexpected member '../evil'"),
])
def test_bad_archives_are_refused_and_change_nothing(shop, tmp_path, make, message):
    path = tmp_path / "bad.tar.gz"
    make(path)
    with shop.app.app_context():
        before, files = orders_snapshot(), uploads_snapshot()
    result = restore(shop.app, path, "--yes")
    assert result.exit_code == 1 and message in result.output, result.output
    with shop.app.app_context():
        assert orders_snapshot() == before and uploads_snapshot() == files


def test_a_truncated_archive_is_refused(shop, tmp_path):
    archive = tmp_path / "shop.tar.gz"
    backup(shop.app, archive)
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    result = restore(shop.app, cut, "--yes")
    assert result.exit_code == 1 and "may be truncated" in result.output, result.output


def test_an_archive_of_the_other_dialect_is_refused(shop, tmp_path):
    archive = tmp_path / "other.tar.gz"
    with shop.app.app_context():
        mine = db.engine.dialect.name
        before = orders_snapshot()
    other = "postgresql" if mine == "sqlite" else "sqlite"
    manifest = {"format": FORMAT, "dialect": other, "counts": {"orders": 0}}
    _tar_gz(archive, {MANIFEST: json.dumps(manifest).encode(), DATABASE_FILES[other]: b"data"})
    result = restore(shop.app, archive, "--yes")
    assert result.exit_code == 1
    assert f"is a backup of a {other} database, but this shop is configured for {mine}" in result.output
    with shop.app.app_context():
        assert orders_snapshot() == before


def test_large_uploads_show_progress_and_come_back_byte_for_byte(shop, tmp_path):
    archive = tmp_path / "big.tar.gz"
    data = bytes(range(256)) * (5 * 4096)  # 5 MiB, above the progress bar threshold
    with shop.app.app_context():
        big = uploads_root() / "products" / "big.jpg"
        big.write_bytes(data)
    result = backup(shop.app, archive)
    assert "uploads" in result.output.replace("uploaded files", "")
    big.write_bytes(b"replaced")
    assert restore(shop.app, archive, "--yes").exit_code == 0
    assert big.read_bytes() == data
