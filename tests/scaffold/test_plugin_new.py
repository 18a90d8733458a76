"""`xty plugin new` writes a complete, installable plugin distribution of each kind."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from click.testing import CliRunner
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

import xtycore
from xtycore.cli import main
from xtycore.plugins import check_compatibility
from xtycore.scaffold import plugin_group
from xtycore.scaffold.generate import xtycore_requirement

from tests.scaffold.cli_lines import problems, xty_command_lines

#: kind -> (NAME, the capability module)
KINDS = {
    "payment": ("acme-pay", "gateway"),
    "courier": ("acme-express", "courier"),
    "promotion": ("tiered-save", "promotion"),
    "support": ("acme-chat", "channel"),
}
PLACEHOLDERS = re.compile(r"TODO|FIXME|XXX|NotImplemented|\.\.\.\s*$|\$\{?[a-z_]+\}?", re.MULTILINE)


def scaffold(tmp_path: Path, name: str, kind: str) -> Path:
    result = CliRunner().invoke(plugin_group, ["new", name, "--kind", kind, "--output", str(tmp_path)])
    assert result.exit_code == 0, result.output
    return tmp_path / f"xtycore-{kind}-{name}"


def files_of(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


def test_the_xty_command_line_offers_plugin_new():
    assert main.commands["plugin"] is plugin_group
    assert "new" in plugin_group.commands


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_each_kind_gets_packaging_a_plugin_module_a_capability_tests_and_a_readme(tmp_path, kind):
    name, module = KINDS[kind]
    code = name.replace("-", "_")
    package = f"xtycore_{kind}_{code}"
    folder = scaffold(tmp_path, name, kind)
    expected = {
        "pyproject.toml", "README.md", f"{package}/__init__.py", f"{package}/plugin.py",
        f"{package}/{module}.py", f"tests/test_{code}.py",
    }
    if kind != "promotion":  # the kinds that talk to a service over the signed protocol
        expected |= {f"{package}/protocol.py", "tests/conftest.py"}
    assert files_of(folder) == expected


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_the_distribution_declares_its_name_xtycore_series_entry_point_and_strict_tests(tmp_path, kind):
    name, _ = KINDS[kind]
    code = name.replace("-", "_")
    project = tomllib.loads((scaffold(tmp_path, name, kind) / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["name"] == f"xtycore-{kind}-{name}"
    assert project["project"]["version"] == "0.1.0"
    assert project["project"]["dependencies"] == [xtycore_requirement()]
    assert project["project"]["entry-points"]["xtycore"] == {code: f"xtycore_{kind}_{code}.plugin"}
    assert project["build-system"]["build-backend"] == "setuptools.build_meta"
    assert project["tool"]["pytest"]["ini_options"]["filterwarnings"] == ["error"]


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_generated_code_compiles_and_has_no_placeholders(tmp_path, kind):
    folder = scaffold(tmp_path, KINDS[kind][0], kind)
    for path in folder.rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        compile(source, str(path), "exec")
        assert not PLACEHOLDERS.findall(source), f"{path.name}: {PLACEHOLDERS.findall(source)}"


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_generated_code_passes_flake8_with_the_projects_line_length(tmp_path, kind):
    folder = scaffold(tmp_path, KINDS[kind][0], kind)
    lint = subprocess.run(
        [sys.executable, "-m", "flake8", "--max-line-length", "120", "."],
        cwd=folder, capture_output=True, text=True, timeout=120,
    )
    assert lint.returncode == 0, lint.stdout + lint.stderr


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_the_readme_says_how_to_install_enable_configure_and_test(tmp_path, kind):
    name, _ = KINDS[kind]
    code = name.replace("-", "_")
    readme = (scaffold(tmp_path, name, kind) / "README.md").read_text(encoding="utf-8")
    for step in (
        "pip install -e '.[test]'",
        f"xty plugins enable {code}",
        f"xty capabilities add {kind} {code} --name",
        "python -m pytest",
        "## Protocol" if kind != "promotion" else "## How it works",
    ):
        assert step in readme
    assert not PLACEHOLDERS.search(readme.replace("...", ""))


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_xty_command_the_readme_shows_exists_with_its_options(tmp_path, kind):
    readme = (scaffold(tmp_path, KINDS[kind][0], kind) / "README.md").read_text(encoding="utf-8")
    lines = xty_command_lines(readme)
    assert len(lines) >= 2
    assert [problem for words in lines for problem in problems(words)] == []


def test_the_payment_readme_documents_the_signed_hosted_page_and_callbacks(tmp_path):
    readme = (scaffold(tmp_path, "acme-pay", "payment") / "README.md").read_text(encoding="utf-8")
    for term in ("HMAC-SHA256", "out_trade_no", "notify_url", "five minutes", "X-Signature", "minor unit"):
        assert term in readme


@pytest.mark.parametrize("name", ["Acme", "acme_pay", "-acme", "acme-", "acme--pay", "a", "1acme", "x" * 41, "支付"])
def test_names_that_are_not_slugs_are_refused_and_nothing_is_written(tmp_path, name):
    args = ["new", "--kind", "payment", "--output", str(tmp_path), "--", name]
    result = CliRunner().invoke(plugin_group, args)
    assert result.exit_code == 2
    assert "is not a plugin name" in result.output
    assert list(tmp_path.iterdir()) == []


def test_an_existing_folder_is_never_overwritten(tmp_path):
    folder = scaffold(tmp_path, "acme-pay", "payment")
    (folder / "README.md").write_text("my own notes", encoding="utf-8")
    again = CliRunner().invoke(plugin_group, ["new", "acme-pay", "--kind", "payment", "--output", str(tmp_path)])
    assert again.exit_code == 1 and "already exists" in again.output
    assert (folder / "README.md").read_text(encoding="utf-8") == "my own notes"


def test_an_unknown_kind_is_refused(tmp_path):
    result = CliRunner().invoke(plugin_group, ["new", "acme-pay", "--kind", "lottery", "--output", str(tmp_path)])
    assert result.exit_code == 2 and "lottery" in result.output


@pytest.mark.parametrize("version, expected", [
    ("0.1.0", "xtycore>=0.1,<0.2"),
    ("0.1.7", "xtycore>=0.1,<0.2"),
    ("1.4.2", "xtycore>=1.4,<1.5"),
    ("0.3.0.dev2", "xtycore>=0.3.dev0,<0.4"),
])
def test_the_requirement_names_the_minor_series_the_plugin_was_scaffolded_from(version, expected):
    assert xtycore_requirement(version) == expected
    assert check_compatibility(Requirement(expected), version) == ""


def test_the_requirement_admits_this_xtycore_and_refuses_the_next_minor_series():
    requirement = Requirement(xtycore_requirement())
    major, minor = (int(part) for part in xtycore.__version__.split(".")[:2])
    assert check_compatibility(requirement) == ""
    assert "requires xtycore" in check_compatibility(requirement, f"{major}.{minor + 1}.0")


def clean_env(**changes: str) -> dict[str, str]:
    """The environment for a subprocess: no inherited database, so tests stay independent."""
    env = {k: v for k, v in os.environ.items() if k not in {"XTY_TEST_DATABASE_URL", "DATABASE_URL"}}
    env = {k: v for k, v in env.items() if not k.startswith("XTY_")}
    return {**env, **changes}


def run(*args: str, cwd: Path | None = None, env: dict[str, str], timeout: int = 300) -> str:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.mark.slow
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_a_generated_plugin_passes_its_own_tests_before_it_is_installed(tmp_path, kind):
    folder = scaffold(tmp_path, KINDS[kind][0], kind)
    output = run(sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=folder, env=clean_env())
    assert re.search(r"\d+ passed", output) and "failed" not in output and "skipped" not in output


XTY = Path(sys.executable).with_name("xty")


@pytest.mark.slow
def test_a_scaffolded_payment_plugin_installs_enables_configures_and_passes_its_tests(
    tmp_path, xty_app, xty_database_url
):
    """The integrator's whole path, through the real `xty` and pip.

    On PostgreSQL the commands use the shared test database; the ``xty_app``
    fixture empties it afterwards, so no row outlives the test.
    """
    env = clean_env(XTY_INSTANCE_PATH=str(tmp_path / "instance"))
    if xty_database_url.startswith("postgresql"):
        env["XTY_DATABASE_URL"] = xty_database_url
    run(str(XTY), "plugin", "new", "acme-pay", "--kind", "payment", "--output", str(tmp_path), env=env)
    folder = tmp_path / "xtycore-payment-acme-pay"
    pip = (sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input")
    run(*pip, "install", "--quiet", "--no-deps", "--no-build-isolation", str(folder), env=env)
    try:
        run(str(XTY), "init", env=env)
        listed = {p["name"]: p for p in json.loads(run(str(XTY), "plugins", "list", "--json", env=env))}
        assert listed["acme_pay"]["state"] == "disabled"
        assert listed["acme_pay"]["distribution"] == "xtycore-payment-acme-pay"
        assert SpecifierSet(listed["acme_pay"]["requires_xtycore"]) == Requirement(xtycore_requirement()).specifier

        assert "enabled acme_pay" in run(str(XTY), "plugins", "enable", "acme_pay", env=env)
        run(
            str(XTY), "capabilities", "add", "payment", "acme_pay", "--name", "Acme Pay",
            "--set", "gateway_url=https://pay.example.com/pay", "--set", "api_url=https://api.example.com/v1",
            "--set", "merchant_id=M100001", "--set", "secret_key=never-shown-in-full-0123",
            env=env,
        )
        capabilities = run(str(XTY), "capabilities", "list", env=env)
        assert re.search(r"^type\s+payment\s+acme_pay\s+Acme Pay \[acme_pay\]$", capabilities, re.MULTILINE)
        assert re.search(r"^instance\s+payment\s+#\d+\s+acme_pay\s+Acme Pay \(enabled\)", capabilities, re.MULTILINE)
        assert "never-shown-in-full-0123" not in capabilities

        tests = run(sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=folder, env=clean_env())
        assert re.search(r"\d+ passed", tests) and "failed" not in tests
    finally:
        run(*pip, "uninstall", "--yes", "xtycore-payment-acme-pay", env=env)
    with pytest.raises(metadata.PackageNotFoundError):
        metadata.distribution("xtycore-payment-acme-pay")
