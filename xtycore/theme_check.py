"""``xty theme check``: find what would break a theme before a customer does.

The checker reports, each with the file and line where it can:

- a parent that is missing, a cycle of parents, an xtycore version the theme
  does not support;
- a template in the theme or its parents that does not compile;
- a ``slot("...")`` call whose name is neither standard nor declared in
  theme.toml, found by walking the Jinja syntax tree (so comments and strings
  that merely look like a call do not count);
- a required page template missing from the whole lookup chain;
- a variable a page uses but its context does not have: each required page,
  and each other storefront page the chain provides (category, search,
  product), is rendered with :data:`xtycore.web.storefront.PAGE_SAMPLES` and
  :class:`jinja2.StrictUndefined`.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from jinja2 import Environment, StrictUndefined, TemplateError, TemplateNotFound, TemplateSyntaxError
from jinja2 import UndefinedError, nodes

from xtycore.theme_manifest import MANIFEST, Theme
from xtycore.themes import REQUIRED_TEMPLATES, STANDARD_SLOTS, ThemeError, get_themes, render_in

#: Errors a template raises while rendering that mean the template is wrong.
RENDER_ERRORS = (TemplateError, TypeError, ValueError, AttributeError, LookupError, ArithmeticError)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a theme, where it is and what to do."""

    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.message}"


def check_theme(name: str) -> list[Problem]:
    """Every problem found in theme ``name``; an empty list means it is fine.

    :raises ThemeError: no theme of that name is installed.
    """
    manager = get_themes()
    theme = manager.get(name)
    manifest = str(theme.path / MANIFEST)
    problems = []
    if not theme.compatible:
        problems.append(Problem(manifest, None, theme.incompatibility))
    try:
        chain = manager.chain(name)
    except ThemeError as exc:
        return [*problems, Problem(manifest, None, str(exc))]
    env = manager.environment(name)
    allowed = set(STANDARD_SLOTS) | manager.declared_slots(name)
    broken: set[str] = set()
    for template in chain:
        problems += _check_sources(env, template, allowed, broken)
    from xtycore.web.storefront import PAGE_SAMPLES

    # the required pages, then the other storefront pages the chain provides
    for page in dict.fromkeys([*REQUIRED_TEMPLATES, *PAGE_SAMPLES]):
        try:
            env.loader.get_source(env, page)
        except TemplateNotFound:
            if page in REQUIRED_TEMPLATES:
                problems.append(Problem(
                    page, None,
                    f"required page template missing: add templates/{page} to {name} or a parent theme",
                ))
            continue
        if page not in broken:
            problems += _check_render(env.overlay(undefined=StrictUndefined), name, page)
    return problems


def _check_sources(env: Environment, theme: Theme, allowed: set[str], broken: set[str]) -> list[Problem]:
    """Compile every template of one theme and check its slot names."""
    problems = []
    for path in sorted(p for p in theme.templates_dir.rglob("*") if p.is_file()):
        name = path.relative_to(theme.templates_dir).as_posix()
        try:
            tree = env.parse(path.read_text(encoding="utf-8"), name, str(path))
            env.compile(tree, name, str(path))
        except TemplateSyntaxError as exc:
            broken.add(name)
            problems.append(Problem(str(path), exc.lineno, f"does not compile: {exc.message}"))
            continue
        except UnicodeDecodeError:
            problems.append(Problem(str(path), None, "is not UTF-8 text; templates/ holds templates only"))
            continue
        problems += _check_slots(tree, path, allowed)
    return problems


def _check_slots(tree: nodes.Template, path: Path, allowed: set[str]) -> list[Problem]:
    problems = []
    for call in tree.find_all(nodes.Call):
        if not (isinstance(call.node, nodes.Name) and call.node.name == "slot"):
            continue
        first = call.args[0] if call.args else None
        if not (isinstance(first, nodes.Const) and isinstance(first.value, str)):
            problems.append(Problem(str(path), call.lineno, "slot() needs the slot name as a quoted string"))
        elif first.value not in allowed:
            problems.append(Problem(
                str(path), call.lineno,
                f"unknown slot {first.value!r}: use a standard slot (docs/themes.md) "
                "or declare it in theme.toml `slots`",
            ))
    return problems


def _check_render(env: Environment, theme: str, page: str) -> list[Problem]:
    """Render a required page with its sample context; report where it fails."""
    from xtycore.web.storefront import PAGE_SAMPLES

    try:
        with current_app.test_request_context("/"):
            render_in(env, theme, page, PAGE_SAMPLES.get(page, {}))
    except RENDER_ERRORS as exc:
        file, line = _template_location(exc, page)
        kind = "undefined variable" if isinstance(exc, UndefinedError) else type(exc).__name__
        return [Problem(file, line, f"{kind} when rendering {page} with the sample page context: {exc}")]
    return []


def _template_location(exc: BaseException, page: str) -> tuple[str, int | None]:
    """The innermost template frame of the traceback (Jinja rewrites frames to template lines)."""
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if not frame.filename.endswith(".py"):
            return frame.filename, frame.lineno
    return page, None
