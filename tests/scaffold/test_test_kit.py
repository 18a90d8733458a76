"""The test kit serves plugin authors: their models do not break it before they are migrated."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

PLUGIN_TESTS = '''
from sqlalchemy import Integer
from sqlalchemy.orm import Mapped, mapped_column

from xtycore.extensions import db


class Parcel(db.Model):
    """A plugin's model; its table exists only once the plugin's branch is migrated."""

    __tablename__ = "kit_check_parcels"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)


def test_an_app_without_the_plugin_is_built_and_emptied(xty_app):
    assert "kit_check_parcels" in db.metadata.tables
'''


@pytest.mark.slow
def test_a_plugin_model_without_a_table_does_not_break_emptying_the_database(tmp_path):
    (tmp_path / "pytest.ini").write_text("[pytest]\nfilterwarnings = error\n", encoding="utf-8")
    (tmp_path / "test_kit_check.py").write_text(textwrap.dedent(PLUGIN_TESTS), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("XTY_")}  # its own SQLite database
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stdout[-4000:]
    assert "1 passed" in done.stdout and "error" not in done.stdout
