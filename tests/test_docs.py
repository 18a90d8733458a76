"""The plugin contract is documented, its examples register, and every hook is tested."""

import ast
import inspect
import re
import textwrap
import types
from pathlib import Path

import pluggy
import pytest

from xtycore import config, hookdocs, hookspecs, signals

ROOT = Path(__file__).resolve().parents[1]
HOOKS = dict(hookdocs.hook_functions())


def test_every_hook_name_starts_with_the_xtycore_prefix():
    names = [n for n, f in inspect.getmembers(hookspecs, inspect.isfunction) if hasattr(f, "xtycore_spec")]
    assert names and all(n.startswith("xtycore_") for n in names)
    assert sorted(names) == sorted(HOOKS)


@pytest.mark.parametrize("name", sorted(HOOKS))
def test_every_hook_documents_each_parameter_its_return_and_an_example(name):
    doc = hookdocs.collect()
    hook = next(d for d in doc if d.name == name)
    argnames = list(inspect.signature(HOOKS[name]).parameters)
    assert hook.summary, f"{name} has no summary"
    assert sorted(hook.params) == sorted(argnames), f"{name} documents {sorted(hook.params)}, takes {argnames}"
    assert all(text.strip() for text in hook.params.values()), f"{name} has an empty :param:"
    assert hook.returns, f"{name} has no :returns:"
    assert "@hookimpl" in hook.example and f"def {name}(" in hook.example, f"{name} example implements nothing"
    assert hook.group in hookspecs.GROUPS
    if hook.firstresult:
        assert "Stops at first non-None result." in HOOKS[name].__doc__


@pytest.mark.parametrize("name", sorted(HOOKS))
def test_every_hook_example_registers_with_the_plugin_manager(name):
    example = hookdocs.collect()
    source = next(d.example for d in example if d.name == name)
    module = types.ModuleType(f"example_{name}")
    exec(compile(textwrap.dedent(source), f"<example of {name}>", "exec"), module.__dict__)
    pm = pluggy.PluginManager("xtycore")
    pm.add_hookspecs(hookspecs)
    pm.register(module)
    pm.check_pending()
    assert name in [caller.name for caller in pm.get_hookcallers(module)]


def test_the_hook_reference_is_generated_from_the_hookspecs_and_up_to_date():
    committed = (ROOT / "docs" / "hooks.md").read_text(encoding="utf-8")
    assert committed == hookdocs.render(), "docs/hooks.md is stale: run `xty docs-hooks`"


def _test_function_names(folder: Path) -> set[str]:
    names = set()
    for path in folder.rglob("test_*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                names.add(node.name)
    return names


@pytest.mark.parametrize("name", sorted(HOOKS))
def test_every_hook_has_a_test_of_its_own(name):
    tests = _test_function_names(ROOT / "tests" / "hooks")
    assert any(t.startswith(f"test_{name}_") for t in tests), f"no tests/hooks test named test_{name}_..."


def test_every_signal_is_documented_with_its_arguments():
    for name, sig in signals.ALL.items():
        assert sig.__doc__ and "kwargs:" in sig.__doc__, f"signal {name} lacks a doc naming its kwargs"
    source = Path(signals.__file__).read_text(encoding="utf-8")
    assert len(re.findall(r"_signals\.signal\(", source)) == len(signals.ALL)


def test_every_configuration_key_is_documented():
    text = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    keys = [k for k in vars(config.DefaultConfig) if k.isupper()]
    missing = [k for k in keys if f"`{k}`" not in text]
    assert not missing, f"docs/configuration.md does not document {missing}"
