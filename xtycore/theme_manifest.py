"""Finding themes and reading their manifests, ``theme.toml``, with the settings they declare.

Where themes come from and what theme.toml may say live here, apart from the
lookup chain and rendering in :mod:`xtycore.themes`, so a designer's question
"why is my theme not found?" has one short answer (docs/themes.md repeats
it). A manifest that breaks a rule raises :class:`ManifestError` with a
sentence naming the key; :func:`find_themes` turns that into a
:class:`ThemeProblem` and the shop starts without the theme.
"""

from __future__ import annotations

import itertools
import logging
import re
import tomllib
from dataclasses import dataclass
from importlib import metadata, util
from pathlib import Path
from typing import Any, Iterator, Mapping

from flask import Flask
from marshmallow import Schema, ValidationError, fields, validate
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

import xtycore

log = logging.getLogger("xtycore.themes")

MANIFEST = "theme.toml"
ENTRY_POINT_GROUP = "xtycore.themes"
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


@dataclass(frozen=True)
class ThemeProblem:
    """A theme folder or entry point that could not be loaded, and why."""

    name: str
    file: str
    reason: str


def search_folders(app: Flask) -> list[tuple[Path, str]]:
    """Folders holding theme folders, first wins, each with the source label `xty theme list` shows."""
    folders = [(Path(app.instance_path) / "themes", "instance"), (Path.cwd() / "themes", "cwd")]
    folders += [(Path(p), "THEME_PATHS") for p in app.config["THEME_PATHS"]]
    checkout = Path(xtycore.__file__).resolve().parents[1] / "themes"
    if checkout.is_dir():
        folders.append((checkout, "checkout"))
    return folders


def _folder_candidates(app: Flask) -> Iterator[tuple[Path, str]]:
    """(theme folder, source) for every folder with a theme.toml, in order of precedence."""
    for root, source in search_folders(app):
        if root.is_dir():
            for folder in sorted(root.iterdir()):
                if (folder / MANIFEST).is_file():
                    yield folder, source


def _entry_point_candidates(problems: list[ThemeProblem]) -> Iterator[tuple[Path, str]]:
    """(theme folder, source) for each ``xtycore.themes`` entry point: its module's folder.

    The module is located, not imported: a theme is files, not code.
    """
    for ep in sorted(metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        source = f"entry point {ep.dist.metadata['Name'] if ep.dist is not None else ep.value}"
        try:
            spec = util.find_spec(ep.value)
        except (ImportError, ValueError) as exc:
            problems.append(ThemeProblem(ep.name, ep.value, f"cannot locate module: {exc}"))
            continue
        if spec is None:
            problems.append(ThemeProblem(ep.name, ep.value, f"no module named {ep.value!r}"))
        elif spec.origin is not None:
            yield Path(spec.origin).parent, source
        else:  # a namespace package: its first folder
            yield Path(list(spec.submodule_search_locations or ["."])[0]), source


def find_themes(app: Flask) -> tuple[dict[str, Theme], list[ThemeProblem]]:
    """Find every theme; a broken manifest becomes a :class:`ThemeProblem`, never an error."""
    themes: dict[str, Theme] = {}
    problems: list[ThemeProblem] = []
    seen: set[Path] = set()
    candidates = itertools.chain(_folder_candidates(app), _entry_point_candidates(problems))
    for folder, source in candidates:
        resolved = folder.resolve()
        if resolved in seen:
            continue
        seen.add(resolved)
        try:
            theme = load_manifest(resolved, source)
        except (OSError, ManifestError) as exc:
            problems.append(ThemeProblem(folder.name, str(resolved / MANIFEST), str(exc)))
            continue
        if theme.name in themes:
            log.info("theme %s in %s is shadowed by %s", theme.name, resolved, themes[theme.name].path)
            continue
        themes[theme.name] = theme
    for problem in problems:
        log.error("theme %s (%s) is broken: %s", problem.name, problem.file, problem.reason)
    return themes, problems
