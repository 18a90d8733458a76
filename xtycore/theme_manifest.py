"""A theme's manifest, ``theme.toml``, and the settings schema it declares.

The file format's rules live here, apart from discovery and rendering in
:mod:`xtycore.themes`, so a designer's question "what may theme.toml say?"
has one short answer (and docs/themes.md repeats it). A manifest that breaks
a rule raises :class:`ManifestError` with a sentence naming the key; the
caller reports the theme as broken and the shop starts without it.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from marshmallow import Schema, ValidationError, fields, validate
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

import xtycore

MANIFEST = "theme.toml"
#: Theme names are slugs: they appear in URLs and as template prefixes.
THEME_NAME = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SETTING_TYPES = ("string", "text", "color", "boolean", "integer", "choice", "image")
COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
#: An image setting names a file under the theme's static/ (uploads come later).
IMAGE_PATH = re.compile(r"^[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)*$")

MANIFEST_KEYS = {"name", "label", "version", "parents", "xtycore", "settings", "slots"}
SETTING_KEYS = {"type", "default", "label", "help", "choices", "min", "max"}


class ManifestError(ValueError):
    """theme.toml breaks a rule; the message names the key and the fix."""


@dataclass(frozen=True)
class SettingSpec:
    """One ``[settings.<key>]`` table: what the merchant may edit, and its default."""

    key: str
    type: str
    default: Any
    label: str
    help: str = ""
    choices: tuple[str, ...] = ()
    min: int | None = None
    max: int | None = None

    def field(self) -> fields.Field:
        """The marshmallow field; ``metadata`` carries what the admin form needs."""
        meta = {"label": self.label, "help": self.help, "type": self.type}
        if self.type == "boolean":
            return fields.Boolean(metadata=meta)
        if self.type == "integer":
            meta.update(min=self.min, max=self.max)
            return fields.Integer(
                strict=False, validate=validate.Range(min=self.min, max=self.max), metadata=meta
            )
        if self.type == "color":
            check = validate.Regexp(COLOR, error="Not a colour in the form #rrggbb.")
            return fields.String(validate=check, metadata=meta)
        if self.type == "choice":
            meta["choices"] = list(self.choices)
            return fields.String(validate=validate.OneOf(self.choices), metadata=meta)
        if self.type == "image":
            return fields.String(validate=_image_path, metadata=meta)
        return fields.String(metadata=meta)


def _image_path(value: str) -> None:
    if value and (not IMAGE_PATH.match(value) or ".." in value.split("/")):
        raise ValidationError("Not a file path under the theme's static/ folder (like img/logo.png).")


def settings_schema(specs: Mapping[str, SettingSpec], theme: str) -> type[Schema]:
    """A marshmallow Schema class for a theme's settings, built from the manifest."""
    class_name = "".join(part.capitalize() for part in theme.split("-")) + "ThemeSettings"
    return Schema.from_dict({key: spec.field() for key, spec in specs.items()}, name=class_name)


@dataclass(frozen=True, eq=False)
class Theme:
    """A theme folder whose theme.toml parsed: templates/, static/ and its manifest."""

    name: str
    label: str
    version: str
    parents: tuple[str, ...]
    xtycore: SpecifierSet
    settings: Mapping[str, SettingSpec]
    slots: tuple[str, ...]
    path: Path
    #: where it was found: instance, cwd, THEME_PATHS, checkout or "entry point <dist>"
    source: str

    @property
    def templates_dir(self) -> Path:
        return self.path / "templates"

    @property
    def static_dir(self) -> Path:
        return self.path / "static"

    @property
    def incompatibility(self) -> str:
        """Why this xtycore cannot run the theme; empty when it can."""
        if self.xtycore.contains(Version(xtycore.__version__), prereleases=True):
            return ""
        return f"supports xtycore{self.xtycore} but this is xtycore {xtycore.__version__}"

    @property
    def compatible(self) -> bool:
        return not self.incompatibility


def load_manifest(folder: Path, source: str) -> Theme:
    """Parse ``folder/theme.toml``.

    :raises ManifestError: the file is not valid TOML or breaks a rule.
    :raises OSError: the file cannot be read.
    """
    try:
        data = tomllib.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ManifestError(f"not valid TOML: {exc}") from exc
    unknown = sorted(set(data) - MANIFEST_KEYS)
    if unknown:
        raise ManifestError(f"unknown key {unknown[0]!r} (known: {', '.join(sorted(MANIFEST_KEYS))})")
    name = _string(data, "name", required=True)
    if not THEME_NAME.match(name):
        raise ManifestError(f"name {name!r} is not a slug (lowercase letters, digits, hyphens)")
    try:
        spec = SpecifierSet(_string(data, "xtycore"))
    except InvalidSpecifier as exc:
        raise ManifestError(f"xtycore: {exc}") from exc
    settings = {key: _setting(key, table) for key, table in _table(data, "settings").items()}
    _check_defaults(settings, name)
    return Theme(
        name=name,
        label=_string(data, "label") or name,
        version=_string(data, "version", required=True),
        parents=_names(data, "parents"),
        xtycore=spec,
        settings=settings,
        slots=_names(data, "slots"),
        path=folder,
        source=source,
    )


def _string(data: Mapping[str, Any], key: str, *, required: bool = False, where: str = "") -> str:
    value = data.get(key, "")
    if not isinstance(value, str) or (required and not value):
        raise ManifestError(f"{where}{key} must be a{' non-empty' if required else ''} string")
    return value


def _names(data: Mapping[str, Any], key: str) -> tuple[str, ...]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ManifestError(f"{key} must be a list of names, like [\"default\"]")
    return tuple(value)


def _table(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ManifestError(f"{key} must be a table")
    return value


def _setting(key: str, table: Any) -> SettingSpec:
    where = f"settings.{key}."
    if not isinstance(table, dict):
        raise ManifestError(f"settings.{key} must be a table like [settings.{key}]")
    unknown = sorted(set(table) - SETTING_KEYS)
    if unknown:
        raise ManifestError(f"{where}{unknown[0]}: unknown key (known: {', '.join(sorted(SETTING_KEYS))})")
    kind = table.get("type")
    if kind not in SETTING_TYPES:
        raise ManifestError(f"{where}type must be one of {', '.join(SETTING_TYPES)}")
    if "default" not in table:
        raise ManifestError(f"{where}default is missing: every setting needs a default")
    choices = table.get("choices", [])
    if kind == "choice" and (not choices or not all(isinstance(c, str) for c in choices)):
        raise ManifestError(f"{where}choices must list the allowed strings")
    bounds = {b: table.get(b) for b in ("min", "max")}
    if any(v is not None and (not isinstance(v, int) or isinstance(v, bool)) for v in bounds.values()):
        raise ManifestError(f"{where}min and max must be integers")
    return SettingSpec(
        key=key, type=kind, default=table["default"], label=_string(table, "label", where=where) or key,
        help=_string(table, "help", where=where), choices=tuple(choices), **bounds,
    )


def _check_defaults(settings: Mapping[str, SettingSpec], theme: str) -> None:
    """Each default must pass its own field: TOML types are checked, strings not coerced."""
    schema = settings_schema(settings, theme)()
    for key, spec in settings.items():
        expected = {"boolean": bool, "integer": int}.get(spec.type, str)
        default = spec.default
        if not isinstance(default, expected) or (expected is int and isinstance(default, bool)):
            raise ManifestError(f"settings.{key}.default must be a TOML {expected.__name__}")
        try:
            schema.load({key: default})
        except ValidationError as exc:
            raise ManifestError(f"settings.{key}.default: {exc.messages[key][0]}") from exc
