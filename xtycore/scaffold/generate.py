"""Render a plugin distribution from the templates beside this module.

A kind's files come from layers of template folders: ``common`` (packaging,
README, the plugin module), ``signed_http`` for kinds that talk to a remote
service, then the kind's own folder. Paths and contents are
:class:`string.Template` texts (``$name``, ``${name}``; ``$$`` is a dollar
sign): no logic in templates, so what a generated file says is readable in its
template. Files ending ``.tmpl`` are written without the suffix; files ending
``.part`` are pieces other templates include (``$kind_readme``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from string import Template

from packaging.version import Version

import xtycore

TEMPLATES = Path(__file__).resolve().parent / "templates"

#: A plugin name: lowercase words of letters and digits joined by single hyphens.
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")
NAME_MAX = 40


@dataclass(frozen=True)
class KindTemplate:
    """What differs between kinds: template layers and the names the files use."""

    layers: tuple[str, ...]
    label: str
    hook: str
    module: str  #: the module holding the capability class
    class_suffix: str
    conformance: str


KIND_TEMPLATES: dict[str, KindTemplate] = {
    "payment": KindTemplate(
        ("common", "signed_http", "payment"), "payment gateway",
        "xtycore_register_payment_gateways", "gateway", "Gateway", "PaymentGatewayConformance",
    ),
    "courier": KindTemplate(
        ("common", "signed_http", "courier"), "courier",
        "xtycore_register_couriers", "courier", "Courier", "CourierConformance",
    ),
    "promotion": KindTemplate(
        ("common", "promotion"), "promotion type",
        "xtycore_register_promotion_types", "promotion", "Promotion", "PromotionTypeConformance",
    ),
    "support": KindTemplate(
        ("common", "signed_http", "support"), "support channel",
        "xtycore_register_support_channels", "channel", "Channel", "SupportChannelConformance",
    ),
}


class ScaffoldError(Exception):
    """The plugin cannot be written (a bad name, an existing folder); the message says why."""


def xtycore_requirement(version: str = xtycore.__version__) -> str:
    """``xtycore>=X.Y,<X.(Y+1)``: the minor series this kernel belongs to.

    Before 1.0 a minor release may change the plugin contract, so a plugin
    claims only the series it was written against. A pre-release of X.Y is
    admitted too (``>=X.Y.dev0``), so plugins scaffolded from one install.
    """
    parsed = Version(version)
    major, minor = parsed.major, parsed.minor
    lower = f"{major}.{minor}" if not parsed.is_prerelease else f"{major}.{minor}.dev0"
    return f"xtycore>={lower},<{major}.{minor + 1}"


@dataclass(frozen=True)
class PluginSpec:
    """The names of one plugin, all derived from its NAME and kind."""

    name: str  #: acme-pay
    kind: str  #: payment

    def __post_init__(self) -> None:
        if self.kind not in KIND_TEMPLATES:
            raise ScaffoldError(f"unknown kind {self.kind!r}; one of {', '.join(KIND_TEMPLATES)}")
        if not NAME_PATTERN.match(self.name) or len(self.name) < 2 or len(self.name) > NAME_MAX:
            raise ScaffoldError(
                f"{self.name!r} is not a plugin name: use 2 to {NAME_MAX} lowercase letters and "
                "digits, words joined by single hyphens, starting with a letter (e.g. acme-pay)"
            )

    @property
    def template(self) -> KindTemplate:
        return KIND_TEMPLATES[self.kind]

    @property
    def code(self) -> str:
        """The entry-point name, plugin name and capability code: ``acme_pay``."""
        return self.name.replace("-", "_")

    @property
    def distribution(self) -> str:
        return f"xtycore-{self.kind}-{self.name}"

    @property
    def package(self) -> str:
        return f"xtycore_{self.kind}_{self.code}"

    @property
    def title(self) -> str:
        return " ".join(word.capitalize() for word in self.name.split("-"))

    @property
    def class_prefix(self) -> str:
        return "".join(word.capitalize() for word in self.name.split("-"))

    def variables(self) -> dict[str, str]:
        kind = self.template
        return {
            "name": self.name,
            "kind": self.kind,
            "kind_label": kind.label,
            "code": self.code,
            "title": self.title,
            "distribution": self.distribution,
            "package": self.package,
            "class_prefix": self.class_prefix,
            "capability_module": kind.module,
            "capability_class": self.class_prefix + kind.class_suffix,
            "hook": kind.hook,
            "conformance_class": kind.conformance,
            "xtycore_requirement": xtycore_requirement(),
            "version": "0.1.0",
        }


def _output_path(relative: PurePosixPath, spec: PluginSpec) -> PurePosixPath:
    """``__package__/x.py.tmpl`` -> ``xtycore_payment_acme_pay/x.py``, and the test module's name."""
    names = {"__package__": spec.package, "__test_module__": f"test_{spec.code}"}
    parts = []
    for part in relative.with_suffix("").parts:  # with_suffix drops .tmpl
        stem, dot, rest = part.partition(".")
        parts.append(names.get(stem, stem) + dot + rest)
    return PurePosixPath(*parts)


def render_files(spec: PluginSpec) -> dict[PurePosixPath, str]:
    """Every file of the plugin: path relative to its folder -> text. Later layers win."""
    variables = spec.variables()
    templates: dict[PurePosixPath, Path] = {}
    for layer in spec.template.layers:
        root = TEMPLATES / layer
        for path in sorted(root.rglob("*")):
            if path.is_file() and path.suffix == ".part":
                piece = Template(path.read_text(encoding="utf-8")).substitute(variables)
                variables[path.stem.replace(".", "_")] = piece.rstrip("\n")
            elif path.is_file() and path.suffix == ".tmpl":
                templates[_output_path(PurePosixPath(path.relative_to(root).as_posix()), spec)] = path
    return {
        relative: Template(path.read_text(encoding="utf-8")).substitute(variables)
        for relative, path in sorted(templates.items())
    }


def generate(spec: PluginSpec, output: Path) -> Path:
    """Write the plugin into ``output/<distribution>``; refuse to touch an existing folder."""
    folder = Path(output) / spec.distribution
    if folder.exists():
        raise ScaffoldError(f"{folder} already exists; remove it or choose another --output")
    files = render_files(spec)
    for relative, text in files.items():
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return folder
