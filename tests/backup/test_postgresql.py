"""xty backup on PostgreSQL: pg_dump in custom format, the password only in the environment, clear errors."""

from __future__ import annotations

import os
import subprocess
import tarfile

import pytest

from xtycore import backup as backup_module
from xtycore.backup import BackupError, _pg_connection_args, _run_pg, create_backup
from xtycore.cli import main
from xtycore.extensions import db

pytestmark = pytest.mark.postgres_only


@pytest.fixture
def pg_shop(shop):
    with shop.app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("needs XTY_TEST_DATABASE_URL pointing at PostgreSQL")
    return shop


def test_the_archive_holds_a_custom_format_dump_pg_restore_can_list(pg_shop, tmp_path):
    archive = tmp_path / "shop.tar.gz"
    result = pg_shop.app.test_cli_runner().invoke(main, ["backup", "--output", str(archive)])
    assert result.exit_code == 0, result.output
    with tarfile.open(archive, "r:gz") as tar:
        dump = tar.extractfile("database.pgdump").read()
    assert dump.startswith(b"PGDMP")
    (tmp_path / "db.pgdump").write_bytes(dump)
    listing = subprocess.run(["pg_restore", "--list", str(tmp_path / "db.pgdump")],
                             capture_output=True, text=True, check=True).stdout
    assert "TABLE DATA public xty_order " in listing


def test_the_password_goes_through_pgpassword_never_the_command_line(pg_shop):
    with pg_shop.app.app_context():
        pg_shop.app.config["SQLALCHEMY_DATABASE_URI"] = "postgresql+psycopg://shop:s3cr%40t@db.example:6543/tea"
        args, env = _pg_connection_args()
    assert args == ["--dbname", "tea", "--host", "db.example", "--port", "6543", "--username", "shop"]
    assert env["PGPASSWORD"] == "s3cr@t" and not any("s3cr" in a for a in args)


def test_missing_client_tools_name_the_debian_package(pg_shop, tmp_path, monkeypatch):
    monkeypatch.setattr(backup_module.shutil, "which", lambda name: None)
    with pg_shop.app.app_context(), pytest.raises(BackupError) as refused:
        create_backup(tmp_path / "shop.tar.gz")
    message = str(refused.value)
    assert "pg_dump is not installed" in message and "apt-get install postgresql-client" in message
    assert not (tmp_path / "shop.tar.gz").exists()


def test_a_failing_pg_tool_reports_its_own_message(pg_shop):
    with pytest.raises(BackupError) as failed:
        _run_pg(["pg_restore", "--list", "/nonexistent/dump"], dict(os.environ), "pg_restore")
    assert str(failed.value).startswith("pg_restore failed (exit 1):") and "/nonexistent/dump" in str(failed.value)
