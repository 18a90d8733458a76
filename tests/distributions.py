"""Write real, importable distributions into a folder, for discovery tests.

importlib.metadata finds a ``<name>-<version>.dist-info`` folder on sys.path
exactly as it finds one pip installed, so discovery is tested for real.
"""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path
from typing import Mapping


def write_distribution(
    site: Path,
    name: str,
    version: str = "1.0.0",
    *,
    requires: tuple[str, ...] = (),
    entry_points: Mapping[str, Mapping[str, str]] = {},
    files: Mapping[str, str] = {},
) -> Path:
    """Create distribution ``name`` in ``site`` with its metadata, entry points and files."""
    site.mkdir(parents=True, exist_ok=True)
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir()
    lines = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    lines += [f"Requires-Dist: {r}" for r in requires]
    (info / "METADATA").write_text("\n".join(lines) + "\n", encoding="utf-8")
    eps = []
    for group, items in entry_points.items():
        eps.append(f"[{group}]")
        eps += [f"{k} = {v}" for k, v in items.items()]
    (info / "entry_points.txt").write_text("\n".join(eps) + "\n", encoding="utf-8")
    for relpath, source in files.items():
        target = site / relpath
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(source), encoding="utf-8")
    return info


def forget_modules_from(site: Path) -> None:
    """Unimport every module loaded from ``site`` so the next test imports afresh."""
    for name, module in list(sys.modules.items()):
        if str(site) in (getattr(module, "__file__", None) or ""):
            del sys.modules[name]
