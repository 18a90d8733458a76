"""docs/plugins.md stays true: its example plugin passes its tests and its commands exist.

Every fenced block of the guide that starts with a comment naming a file
(``# acme/plugin.py``, ``{# acme/templates/... #}``) is written to that file,
in order, in a temporary folder; pytest then runs the example's tests there,
in a subprocess, as the plugin's author would. Every ``xty`` command line of
the guide must name a real command and real options.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.scaffold.cli_lines import problems, xty_command_lines

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "plugins.md"
FENCE = re.compile(r"^```(\w+)\n(.*?)^```$", re.MULTILINE | re.DOTALL)
FILE_COMMENT = re.compile(r"^(?:# |\{# )([\w./-]+\.\w+)(?: #\})?$")


def blocks() -> list[tuple[str, str]]:
    """(language, text) of every fenced block of the guide."""
    return [(m.group(1), m.group(2)) for m in FENCE.finditer(GUIDE.read_text(encoding="utf-8"))]


def example_files() -> dict[str, str]:
    """File path -> the text of the blocks that name it, joined in order."""
    files: dict[str, list[str]] = {}
    for _language, text in blocks():
        first = FILE_COMMENT.match(text.splitlines()[0]) if text.strip() else None
        if first:
            files.setdefault(first.group(1), []).append(text)
    return {path: "\n\n".join(parts) for path, parts in files.items()}


def test_the_guide_builds_a_plugin_module_tests_a_migration_and_a_template():
    assert {"pyproject.toml", "acme/plugin.py", "tests/test_acme.py"} <= set(example_files())
    assert any(path.startswith("acme/migrations/") for path in example_files())
    assert any(path.startswith("acme/templates/") for path in example_files())


@pytest.mark.slow
def test_the_guides_example_plugin_passes_its_conformance_suites_and_own_tests(tmp_path):
    for path, text in example_files().items():
        target = tmp_path / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    (tmp_path / "acme" / "__init__.py").write_text("", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("XTY_")}  # its own SQLite database
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-3000:]
    assert re.search(r"\b\d{2,} passed\b", done.stdout) and "skipped" not in done.stdout


def command_lines() -> list[list[str]]:
    return [words for language, text in blocks() if language == "sh" for words in xty_command_lines(text)]


def test_the_guide_shows_xty_commands():
    assert len(command_lines()) >= 10


@pytest.mark.parametrize("words", command_lines(), ids=lambda words: " ".join(words[:3]))
def test_every_xty_command_line_of_the_guide_names_a_real_command_and_options(words):
    assert problems(words) == []
