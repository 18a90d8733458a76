"""Schema migrations: the kernel's Alembic branch plus one branch per plugin.

The kernel's revisions carry the branch label ``xtycore``; a plugin's carry
its plugin name (the entry-point name) and live in the folder its
``xtycore_migrations_directory`` hook names. :func:`upgrade` brings the kernel
and every enabled plugin to head without prompts.

Alembic is driven directly rather than through Flask-Migrate's commands,
because those upgrade a single head and prompt on branches, while a shop
always has the kernel's branch plus one per plugin.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from flask import Flask

from xtycore.domain.errors import ConfigurationError
from xtycore.kernel import get_kernel
from xtycore.plugins import FaultPolicy

KERNEL_BRANCH = "xtycore"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def plugin_directories(app: Flask, *, enabled_only: bool = False) -> dict[str, str]:
    """Plugin name -> folder of its revisions, for loaded (or only enabled) plugins."""
    plugins = get_kernel(app).plugins
    found = {}
    for name, path in plugins.call(
        "xtycore_migrations_directory", policy=FaultPolicy.CLOSED, include_disabled=not enabled_only
    ):
        if not Path(path).is_dir():
            raise ConfigurationError(f"plugin {name} names migrations folder {path}, which does not exist")
        found[name] = str(Path(path).resolve())
    return found


def alembic_config(app: Flask) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    locations = [str(MIGRATIONS / "versions"), *plugin_directories(app).values()]
    cfg.set_main_option("version_locations", " ".join(locations))
    cfg.set_main_option("path_separator", "space")
    return cfg


def targets(app: Flask, plugins: Iterable[str] | None = None) -> list[str]:
    """Branch heads to upgrade: the kernel's and each enabled (or each named) plugin's."""
    if plugins is None:
        names = list(plugin_directories(app, enabled_only=True))
    else:
        available = plugin_directories(app)
        names = [p for p in plugins if p in available]
    return [f"{KERNEL_BRANCH}@head", *(f"{name}@head" for name in names)]


def upgrade(app: Flask, plugins: Iterable[str] | None = None) -> list[str]:
    """Upgrade the kernel and enabled plugins (or only the named ones) to head."""
    cfg = alembic_config(app)
    # the kernel first: which plugins are enabled is itself stored in its tables
    for head in kernel_heads(cfg):
        command.upgrade(cfg, head)
    done = [f"{KERNEL_BRANCH}@head"]
    for target in targets(app, plugins)[1:]:
        command.upgrade(cfg, target)
        done.append(target)
    return done


def kernel_heads(cfg: Config) -> list[str]:
    """Head revisions among the kernel's own files.

    Normally one; while branches of work are merged there may briefly be
    several, and each is upgraded (a merge revision joins them again).
    """
    versions = (MIGRATIONS / "versions").resolve()
    script = ScriptDirectory.from_config(cfg)
    return [
        rev.revision for rev in script.get_revisions("heads")
        if Path(rev.path).resolve().parent == versions
    ]


def downgrade(app: Flask, revision: str) -> None:
    command.downgrade(alembic_config(app), revision)


def current_heads(app: Flask) -> list[str]:
    return [s.revision for s in ScriptDirectory.from_config(alembic_config(app)).get_revisions("heads")]


def revision(app: Flask, message: str, *, plugin: str | None = None, autogenerate: bool = True) -> str:
    """Write a new revision into the kernel's branch or a plugin's."""
    cfg = alembic_config(app)
    script = ScriptDirectory.from_config(cfg)
    if plugin is None:
        branch, path = KERNEL_BRANCH, str(MIGRATIONS / "versions")
    else:
        dirs = plugin_directories(app)
        if plugin not in dirs:
            raise ConfigurationError(
                f"plugin {plugin} has no migrations folder: implement xtycore_migrations_directory"
            )
        branch, path = plugin, dirs[plugin]
    has_branch = any(branch in (s.branch_labels or ()) for s in script.walk_revisions())
    kwargs = {"head": f"{branch}@head"} if has_branch else {
        "head": "base", "branch_label": branch, "depends_on": None,
    }
    rev = command.revision(
        cfg, message=message, autogenerate=autogenerate, version_path=path, **kwargs
    )
    return rev.revision if rev is not None else ""
