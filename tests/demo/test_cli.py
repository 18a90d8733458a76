"""``xty demo --no-serve`` from the command line: prints the accounts once, then says they exist."""

from __future__ import annotations

import re

from click.testing import CliRunner

from tests.demo.conftest import CHEAP
from xtycore import create_app
from xtycore.cli import main
from xtycore.services import staff


def test_xty_demo_seeds_a_small_shop_prints_the_passwords_once_and_then_changes_nothing(tmp_path):
    instance = tmp_path / "instance"
    env = {
        "XTY_INSTANCE_PATH": str(instance), "XTY_DEMO_PRODUCTS": "26", "DATABASE_URL": None, "XTY_DATABASE_URL": None,
        **{f"XTY_{key}": str(value) for key, value in CHEAP.items()},
    }
    runner = CliRunner()
    first = runner.invoke(main, ["demo", "--no-serve"], env=env)
    assert first.exit_code == 0, first.output
    assert "created 26 demo products in 13 categories: 26 active" in first.output
    assert re.search(r"  26/26 products \(\d+\.\d s\)", first.output)
    assert "12 delivered orders of 6 demo shoppers: 34 reviews published, 2 waiting for moderation" in first.output
    password = re.search(r"owner@xty\.example  password: (\S+)", first.output).group(1)
    assert re.search(r"demo@xty\.example  password: \S+", first.output)

    second = runner.invoke(main, ["demo", "--no-serve"], env=env)
    assert second.exit_code == 0, second.output
    assert "all 26 products are there" in second.output and "demo orders and reviews are there" in second.output
    assert "password:" not in second.output

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'xtycore.sqlite'}", **CHEAP},
                     instance_path=str(instance))
    with app.app_context():
        assert staff.verify_staff("owner@xty.example", password).role == "owner"
    listed = runner.invoke(main, ["staff", "list"], env=env)
    assert "owner@xty.example" in listed.output and "owner" in listed.output
    moderation = runner.invoke(main, ["reviews", "moderate", "--list"], env=env)
    assert "2 review(s) waiting for moderation" in moderation.output
