"""The per-application kernel state kept in ``app.extensions["xtycore"]``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask import Flask, current_app

if TYPE_CHECKING:  # pragma: no cover
    from xtycore.plugins import Plugins
    from xtycore.registry import Registry
    from xtycore.state import StateCache


@dataclass
class Kernel:
    plugins: Plugins
    registry: Registry
    state: StateCache
    #: blueprint name -> plugin name, for the disabled-plugin gate
    blueprint_owners: dict[str, str]
    themes: Any = None
    jobs: Any = None


def get_kernel(app: Flask | None = None) -> Kernel:
    return (app or current_app).extensions["xtycore"]
