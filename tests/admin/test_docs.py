"""docs/backoffice.md's roles and permissions table is the one in the code."""

from __future__ import annotations

from pathlib import Path

from xtycore.domain.staff import PERMISSIONS, ROLE_PERMISSIONS, StaffRole

DOC = Path(__file__).resolve().parents[2] / "docs" / "backoffice.md"


def documented_table() -> tuple[list[str], dict[str, tuple[str, set[str]]]]:
    lines = DOC.read_text(encoding="utf-8").split("<!-- permissions table")[1].splitlines()[1:]
    header, *rows = [line for line in lines if line.startswith("|")][:len(PERMISSIONS) + 2]
    roles = [cell.strip() for cell in header.strip("|").split("|")][2:]
    table = {}
    for row in rows[1:]:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        table[cells[0].strip("`")] = (cells[1], {role for role, mark in zip(roles, cells[2:]) if mark == "✓"})
    return roles, table


def test_the_documented_roles_are_the_roles_in_order():
    roles, _table = documented_table()
    assert roles == [role.value for role in StaffRole]


def test_every_permission_is_documented_with_its_description_and_roles():
    _roles, table = documented_table()
    assert list(table) == list(PERMISSIONS)
    for permission, (description, roles) in table.items():
        assert description == PERMISSIONS[permission]
        assert roles == {role.value for role, granted in ROLE_PERMISSIONS.items() if permission in granted}, permission


def test_the_readme_links_the_guide():
    readme = (DOC.parents[1] / "README.md").read_text(encoding="utf-8")
    assert "[docs/backoffice.md](docs/backoffice.md)" in readme


def test_every_xty_command_line_in_the_guide_exists():
    from tests.scaffold.cli_lines import problems, xty_command_lines

    lines = xty_command_lines(DOC.read_text(encoding="utf-8"))
    assert lines and [p for words in lines for p in problems(words)] == []
