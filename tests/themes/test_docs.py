"""docs/themes.md stays true to the code: slots, manifest keys, setting types, commands, page context."""

from dataclasses import fields
from pathlib import Path

import pytest

from xtycore.theme_cli import theme_group
from xtycore.theme_manifest import MANIFEST_KEYS, SETTING_KEYS, SETTING_TYPES
from xtycore.themes import REQUIRED_TEMPLATES, STANDARD_SLOTS, ShopView, ThemeView, page_context
from xtycore.web.storefront import PAGE_SAMPLES, ErrorView

DOC = (Path(__file__).resolve().parents[2] / "docs" / "themes.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", list(STANDARD_SLOTS))
def test_every_standard_slot_is_documented_with_its_description(name):
    assert f"| `{name}` | {STANDARD_SLOTS[name]} |" in DOC


def test_manifest_keys_and_setting_types_are_documented():
    for key in MANIFEST_KEYS | SETTING_KEYS:
        assert f"| `{key}` |" in DOC or f"| `{key}`, `" in DOC or f", `{key}` |" in DOC, key
    for kind in SETTING_TYPES:
        assert f"| `{kind}` |" in DOC, kind


def test_every_theme_command_is_documented():
    for name in theme_group.commands:
        assert f"**`xty theme {name}" in DOC, name


def test_the_required_templates_are_documented():
    for template in REQUIRED_TEMPLATES:
        assert f"`{template}`" in DOC


def test_the_page_context_the_code_builds_is_the_one_documented(xty_app):
    with xty_app.test_request_context("/"):
        common = page_context("default", "home.html")
    for name in common:
        assert f"| `{name}` |" in DOC, name
    for view, prefix in ((ThemeView, "theme"), (ShopView, "shop"), (ErrorView, "error")):
        for field in fields(view):
            assert f"`{prefix}.{field.name}`" in DOC, f"{prefix}.{field.name}"
    for template, sample in PAGE_SAMPLES.items():
        assert f"`{template}`" in DOC
        for name in sample:
            assert f"`{name}`:" in DOC, name
