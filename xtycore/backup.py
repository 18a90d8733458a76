"""``xty backup`` and ``xty restore``: the shop's database and uploaded files in one archive.

An archive is a gzip-compressed tar file holding:

- ``manifest.json``: format, xtycore version, database dialect, the Alembic heads
  of this code and the revisions the database was at, when it was taken, and
  the counts of orders, products and customers in the backed-up data;
- ``database.sqlite3`` (SQLite: an online copy made with sqlite3's backup API,
  consistent while the shop keeps serving) or ``database.pgdump`` (PostgreSQL:
  ``pg_dump`` in custom format, taken in the same snapshot the counts were read in);
- ``uploads/``: the instance's uploads folder (product images).

Restoring checks the whole archive before anything changes, refuses an archive
of the other dialect, replaces the database and the uploads, upgrades the schema
to this code's heads and raises the kernel generation so every process drops
its cached pages and settings. See docs/backup.md.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from typing import Callable

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

import xtycore
from xtycore.domain.errors import XtyError
from xtycore.extensions import db, transaction

FORMAT = "xtycore-backup/1"
MANIFEST = "manifest.json"
UPLOADS = "uploads"
DATABASE_FILES = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
COUNTED = {"orders": "xty_order", "products": "xty_product", "customers": "xty_customer"}

Progress = Callable[[str, int, int], None]


class BackupError(XtyError):
    """A backup or restore that cannot go ahead; the message says what is wrong and how to fix it."""


def _no_progress(label: str, done: int, total: int) -> None:
    return None


@dataclass(frozen=True)
class Archive:
    """A checked archive: its manifest and the names of its members."""

    path: Path
    manifest: dict
    members: tuple[str, ...]


# --------------------------------------------------------------------------
# the database
# --------------------------------------------------------------------------


def dialect() -> str:
    return db.engine.dialect.name


def _count_sql(table: str) -> str:
    return f'SELECT count(*) FROM "{table}"'


def _sqlite_counts(path: Path) -> tuple[dict[str, int], list[str]]:
    conn = sqlite3.connect(path)
    try:
        counts = {name: conn.execute(_count_sql(table)).fetchone()[0] for name, table in COUNTED.items()}
        revisions = sorted(r[0] for r in conn.execute("SELECT version_num FROM alembic_version"))
    finally:
        conn.close()
    return counts, revisions


def _sqlite_dump(target: Path, progress: Progress) -> tuple[dict[str, int], list[str]]:
    """Copy the live SQLite database into ``target`` with sqlite3's online backup API.

    One step (``pages=-1``) copies the whole file inside one read transaction: in WAL mode
    writers go on meanwhile and the copy is the database as of that transaction's start.
    Copying in several steps would restart after every write from another connection,
    which a busy shop may never stop making.
    """
    raw = db.engine.raw_connection()
    copy = sqlite3.connect(target)
    try:
        raw.driver_connection.backup(
            copy, pages=-1,
            progress=lambda status, remaining, total: progress("database", total - remaining, total),
        )
    finally:
        copy.close()
        raw.close()
    return _sqlite_counts(target)


def _sqlite_load(source: Path) -> None:
    """Replace the live SQLite database with ``source``, page by page, in one step for other connections."""
    db.session.remove()
    raw = db.engine.raw_connection()
    archived = sqlite3.connect(source)
    try:
        archived.backup(raw.driver_connection)
    finally:
        archived.close()
        raw.close()
    db.engine.dispose()


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} is not installed: install the PostgreSQL client tools "
            f"(Debian/Ubuntu: `apt-get install postgresql-client`) and run the command again"
        )
    return found


def _pg_connection_args() -> tuple[list[str], dict[str, str]]:
    """Command-line options and environment for pg_dump/pg_restore; the password goes only in PGPASSWORD."""
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    args = ["--dbname", url.database or ""]
    if url.host:
        args += ["--host", url.host]
    if url.port:
        args += ["--port", str(url.port)]
    if url.username:
        args += ["--username", url.username]
    env = {**os.environ, "PGAPPNAME": "xty backup"}
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    sslmode = url.query.get("sslmode")
    if sslmode:
        env["PGSSLMODE"] = str(sslmode)
    return args, env


def _run_pg(command: list[str], env: dict[str, str], what: str) -> None:
    result = subprocess.run(command + ["--no-password"], env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(f"{what} failed (exit {result.returncode}): {result.stderr.strip()}")


def _pg_dump(target: Path, progress: Progress) -> tuple[dict[str, int], list[str]]:
    """pg_dump in the snapshot the counts are read in, so manifest and dump agree."""
    pg_dump = _pg_tool("pg_dump")
    args, env = _pg_connection_args()
    db.session.remove()
    with db.engine.connect() as conn:
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            counts = {name: conn.execute(text(_count_sql(table))).scalar_one() for name, table in COUNTED.items()}
            revisions = sorted(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())
            progress("database", 0, 1)
            _run_pg([pg_dump, "--format=custom", "--no-owner", f"--snapshot={snapshot}",
                     "--file", str(target), *args], env, "pg_dump")
            progress("database", 1, 1)
    return counts, revisions


def _pg_load(source: Path) -> None:
    pg_restore = _pg_tool("pg_restore")
    args, env = _pg_connection_args()
    db.session.remove()
    db.engine.dispose()
    _run_pg([pg_restore, "--clean", "--if-exists", "--no-owner", "--single-transaction", *args, str(source)],
            env, "pg_restore")


def live_counts() -> dict[str, int]:
    return {
        name: db.session.execute(select(func.count()).select_from(text(f'"{table}"'))).scalar_one()
        for name, table in COUNTED.items()
    }


# --------------------------------------------------------------------------
# the uploads
# --------------------------------------------------------------------------


def _uploads_root() -> Path:
    from xtycore.services.images import uploads_root

    return uploads_root()


def _upload_files(root: Path) -> list[Path]:
    if not root.is_dir():
        return []
    return sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink())


def _add_file(tar: tarfile.TarFile, path: Path, arcname: str, progress: Progress, label: str,
              done: int, total: int) -> int:
    info = tar.gettarinfo(str(path), arcname=arcname)
    with path.open("rb") as stream:
        tar.addfile(info, stream)
    done += info.size
    progress(label, done, total)
    return done


# --------------------------------------------------------------------------
# backup
# --------------------------------------------------------------------------


def create_backup(output: Path, progress: Progress = _no_progress) -> dict:
    """Write an archive of the database and uploads to ``output``; its manifest."""
    from xtycore import database

    kind = dialect()
    if kind not in DATABASE_FILES:
        raise BackupError(f"xty backup supports SQLite and PostgreSQL, not {kind}")
    output = Path(output)
    if not output.parent.is_dir():
        raise BackupError(f"folder {output.parent} does not exist: create it or choose another --output")
    with tempfile.TemporaryDirectory(prefix="xty-backup-", dir=output.parent) as work:
        dump = Path(work) / DATABASE_FILES[kind]
        counts, revisions = (_sqlite_dump if kind == "sqlite" else _pg_dump)(dump, progress)
        manifest = {
            "format": FORMAT,
            "xtycore_version": xtycore.__version__,
            "dialect": kind,
            "alembic_heads": sorted(database.current_heads(current_app)),
            "database_revisions": revisions,
            "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "counts": counts,
        }
        root = _uploads_root()
        files = _upload_files(root)
        total = sum(p.stat().st_size for p in files)
        partial = Path(work) / "archive.tar.gz"
        with tarfile.open(partial, "w:gz") as tar:
            body = json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8")
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime = len(body), int(datetime.now(timezone.utc).timestamp())
            tar.addfile(info, io.BytesIO(body))
            size = dump.stat().st_size
            _add_file(tar, dump, dump.name, progress, "writing database", 0, size)
            done = 0
            for path in files:
                done = _add_file(tar, path, f"{UPLOADS}/{path.relative_to(root).as_posix()}",
                                 progress, "uploads", done, total)
        os.replace(partial, output)
    manifest["uploads"] = len(files)
    return manifest


# --------------------------------------------------------------------------
# restore
# --------------------------------------------------------------------------


def open_archive(path: Path) -> Archive:
    """Read and check the whole archive (manifest, member names, every byte) before anything changes."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"{path} does not exist: give the path of a file `xty backup` wrote")
    try:
        with tarfile.open(path, "r:gz") as tar:
            members = tar.getmembers()
            manifest_member = next((m for m in members if m.name == MANIFEST), None)
            if manifest_member is None:
                raise BackupError(f"{path} is not an xtycore backup: it has no {MANIFEST}")
            manifest = json.loads(tar.extractfile(manifest_member).read().decode("utf-8"))
            for member in members:
                if member.isfile():
                    stream = tar.extractfile(member)
                    while stream.read(1 << 20):
                        pass
    except (tarfile.TarError, EOFError, OSError, ValueError) as exc:
        raise BackupError(
            f"{path} is not a readable xtycore backup ({exc.__class__.__name__}: {exc}); "
            f"it may be truncated or not a tar.gz: take a new backup or copy the file again"
        ) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{path} is not an xtycore backup: its {MANIFEST} is not of format {FORMAT}")
    names = tuple(m.name for m in members)
    kind = manifest.get("dialect")
    if DATABASE_FILES.get(kind) not in names:
        raise BackupError(f"{path} is not a complete xtycore backup: it has no database file for {kind!r}")
    for member in members:
        pure = PurePosixPath(member.name)
        allowed = member.name in (MANIFEST, DATABASE_FILES[kind]) or (
            pure.parts[:1] == (UPLOADS,) and ".." not in pure.parts and (member.isfile() or member.isdir())
        )
        if pure.is_absolute() or not allowed:
            raise BackupError(f"{path} is not an xtycore backup: it holds an unexpected member {member.name!r}")
    return Archive(path, manifest, names)


def check_dialect(archive: Archive) -> None:
    kind = dialect()
    if archive.manifest["dialect"] != kind:
        raise BackupError(
            f"{archive.path} is a backup of a {archive.manifest['dialect']} database, but this shop is "
            f"configured for {kind}: restore it into a shop whose SQLALCHEMY_DATABASE_URI is "
            f"{archive.manifest['dialect']}"
        )


def _restore_uploads(tar: tarfile.TarFile, root: Path) -> int:
    """Swap the uploads folder for the archive's, unpacked next to it first."""
    root.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".uploads-restoring-", dir=root.parent))
    members = [m for m in tar.getmembers() if m.name.startswith(f"{UPLOADS}/") and m.isfile()]
    for member in members:
        target = staging / PurePosixPath(member.name).relative_to(UPLOADS)
        target.parent.mkdir(parents=True, exist_ok=True)
        with tar.extractfile(member) as source, target.open("wb") as out:
            shutil.copyfileobj(source, out)
    old = root.parent / f".uploads-replaced-{os.getpid()}"
    if root.exists():
        os.replace(root, old)
    os.replace(staging, root)
    shutil.rmtree(old, ignore_errors=True)
    return len(members)


def restore_backup(app: Flask, archive: Archive) -> dict:
    """Replace the database and uploads with the archive's; upgrade; bump the generation. The counts."""
    from xtycore import database, state

    check_dialect(archive)
    kind = archive.manifest["dialect"]
    with tempfile.TemporaryDirectory(prefix="xty-restore-") as work, tarfile.open(archive.path, "r:gz") as tar:
        dump = Path(work) / DATABASE_FILES[kind]
        with tar.extractfile(DATABASE_FILES[kind]) as source, dump.open("wb") as out:
            shutil.copyfileobj(source, out)
        (_sqlite_load if kind == "sqlite" else _pg_load)(dump)
        uploads = _restore_uploads(tar, _uploads_root())
    upgraded = database.upgrade(app)
    with transaction():
        state.bump()
    return {"counts": live_counts(), "uploads": uploads, "upgraded": upgraded}


# --------------------------------------------------------------------------
# commands
# --------------------------------------------------------------------------


class _Bars:
    """click progress bars, one per label, for files large enough to wait for."""

    THRESHOLD = 4 * 1024 * 1024

    def __init__(self) -> None:
        self.bars: dict[str, object] = {}
        self.done: dict[str, int] = {}

    def __call__(self, label: str, done: int, total: int) -> None:
        if total < self.THRESHOLD and label != "database":
            return
        if label not in self.bars:
            self.bars[label] = click.progressbar(length=total, label=label).__enter__()
            self.done[label] = 0
        self.bars[label].update(done - self.done[label])
        self.done[label] = done
        if done >= total:
            self.bars.pop(label).__exit__(None, None, None)

    def close(self) -> None:
        for bar in self.bars.values():
            bar.__exit__(None, None, None)
        self.bars.clear()


def _default_output() -> Path:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    return Path(f"xtycore-backup-{stamp}.tar.gz")


@click.command("backup")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Archive to write (default: xtycore-backup-<UTC time>.tar.gz here).")
@with_appcontext
def backup_command(output: Path | None) -> None:
    """Back up the database and the uploaded files into one .tar.gz archive."""
    output = output or _default_output()
    bars = _Bars()
    try:
        manifest = create_backup(output, progress=bars)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        bars.close()
    counts = ", ".join(f"{n} {name}" for name, n in manifest["counts"].items())
    click.echo(f"wrote {output} ({manifest['dialect']}: {counts}; {manifest['uploads']} uploaded files)")


@click.command("restore")
@click.argument("archive", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def restore_command(archive: Path, yes: bool) -> None:
    """Replace this shop's database and uploaded files with those of ARCHIVE."""
    try:
        checked = open_archive(archive)
        check_dialect(checked)
        m = checked.manifest
        click.echo(f"{archive}: xtycore {m.get('xtycore_version')}, {m['dialect']}, taken {m.get('created_at')}")
        if not yes:
            click.confirm("This replaces the shop's data and uploaded files with the backup's. Continue?",
                          abort=True)
        result = restore_backup(current_app._get_current_object(), checked)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    for target in result["upgraded"]:
        click.echo(f"at {target}")
    for name, now in result["counts"].items():
        click.echo(f"{name}: {m['counts'].get(name, '?')} in the backup, {now} now")
    click.echo(f"uploaded files: {result['uploads']} restored")
