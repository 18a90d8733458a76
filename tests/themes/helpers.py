"""Helpers shared by the theme tests."""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

from flask import Blueprint

from xtycore import hookimpl

#: The smallest layout a test theme needs: blocks named like the default theme's.
LAYOUT = "<title>{% block title %}{{ shop.name }}{% endblock %}</title><main>{% block main %}{% endblock %}</main>"


class BlueprintPlugin:
    """A plugin contributing one blueprint with template and static folders (and optional routes)."""

    def __init__(self, name: str, templates: Path | None = None, static: Path | None = None) -> None:
        self.blueprint = Blueprint(
            name, __name__,
            template_folder=str(templates) if templates else None,
            static_folder=str(static) if static else None,
            static_url_path=f"/_{name}_static",
        )

    @hookimpl
    def xtycore_register_blueprints(self, app):
        return [self.blueprint]


def write_files(root: Path, files: Mapping[str, str]) -> Path:
    for relpath, text in files.items():
        path = root / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root
