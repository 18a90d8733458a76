"""Fixtures for theme tests: write throwaway themes into a folder named by THEME_PATHS."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable, Mapping

import pytest

from tests.themes.helpers import write_files


@pytest.fixture
def theme_dir(tmp_path: Path) -> Path:
    return tmp_path / "extra_themes"


@pytest.fixture
def write_theme(theme_dir: Path) -> Callable[..., Path]:
    """``write_theme(name, parents=(), templates={}, static={}, manifest="", root=None)``."""

    def write(
        name: str,
        *,
        parents: tuple[str, ...] = (),
        templates: Mapping[str, str] | None = None,
        static: Mapping[str, str] | None = None,
        manifest: str = "",
        root: Path | None = None,
    ) -> Path:
        folder = (root or theme_dir) / name
        (folder / "templates").mkdir(parents=True)
        (folder / "static").mkdir()
        head = f'name = "{name}"\nversion = "1.0"\nparents = {json.dumps(list(parents))}\n'
        (folder / "theme.toml").write_text(head + manifest, encoding="utf-8")
        write_files(folder / "templates", templates or {})
        write_files(folder / "static", static or {})
        return folder

    return write


@pytest.fixture
def themed_app(xty_make_app: Callable[..., Any], theme_dir: Path) -> Callable[..., Any]:
    """``themed_app(plugins=None, config=None)``: an app that also searches ``theme_dir``."""

    def make(plugins: Mapping[str, Any] | None = None, config: Mapping[str, Any] | None = None):
        return xty_make_app(plugins=plugins, config={"THEME_PATHS": [str(theme_dir)], **(config or {})})

    return make
