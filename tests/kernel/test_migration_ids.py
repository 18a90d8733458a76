"""Every Alembic revision id, the kernel's and the first-party plugins', fits the version table."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
#: ``alembic_version.version_num`` is VARCHAR(32): a longer id fails the upgrade on PostgreSQL
MAX_REVISION_LENGTH = 32
REVISION = re.compile(r'^revision\s*=\s*["\']([^"\']+)["\']', re.MULTILINE)
FILES = sorted([
    *ROOT.glob("xtycore/migrations/versions/*.py"),
    *(p for p in ROOT.glob("plugins/*/*/migrations/*.py") if p.name != "__init__.py"),
])


def test_the_kernel_and_plugins_have_migrations_to_check():
    assert any("xtycore/migrations" in str(path) for path in FILES)
    assert any("plugins/" in str(path) for path in FILES)


@pytest.mark.parametrize("path", FILES, ids=lambda path: path.name)
def test_the_revision_id_fits_alembics_version_column(path):
    match = REVISION.search(path.read_text(encoding="utf-8"))
    assert match, f"{path}: no revision id"
    assert len(match.group(1)) <= MAX_REVISION_LENGTH, f"{path}: {match.group(1)!r} is over 32 characters"
