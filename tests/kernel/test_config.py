"""Configuration layering, the instance folder and `xty init`."""

import stat
import subprocess
import sys

import pytest

from xtycore import create_app
from xtycore.cli import init_instance
from xtycore.domain.errors import ConfigurationError


def test_configuration_layers_apply_in_order(tmp_path, monkeypatch):
    instance = tmp_path / "inst"
    instance.mkdir()
    (instance / "config.py").write_text("SECRET_KEY = 'from-file'\nSHOP_NAME = 'file'\nSHOP_LOCALE = 'en'\n")
    monkeypatch.setenv("XTY_SHOP_NAME", "env")
    monkeypatch.setenv("XTY_BLOCKED_PLUGINS", '["a", "b"]')
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'env.sqlite'}")
    app = create_app({"SHOP_LOCALE": "zh_CN"}, instance_path=str(instance))
    assert app.config["SECRET_KEY"] == "from-file"
    assert app.config["SHOP_NAME"] == "env"
    assert app.config["SHOP_LOCALE"] == "zh_CN"
    assert app.config["BLOCKED_PLUGINS"] == ["a", "b"]
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("env.sqlite")
    assert app.config["SHOP_CURRENCY"] == "CNY"


def test_the_instance_folder_comes_from_xty_instance_path(tmp_path, monkeypatch):
    monkeypatch.setenv("XTY_INSTANCE_PATH", str(tmp_path / "elsewhere"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    app = create_app({"SECRET_KEY": "k"})
    assert app.instance_path == str(tmp_path / "elsewhere")
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'elsewhere' / 'xtycore.sqlite'}"


def test_a_missing_secret_key_says_how_to_fix_it(tmp_path, monkeypatch):
    monkeypatch.delenv("XTY_SECRET_KEY", raising=False)
    with pytest.raises(ConfigurationError, match="run `xty init`"):
        create_app(instance_path=str(tmp_path / "empty"))


def test_init_writes_a_private_config_with_a_random_secret_and_keeps_an_existing_one(tmp_path):
    instance = tmp_path / "instance"
    assert init_instance(instance)
    config = (instance / "config.py").read_text()
    assert "SECRET_KEY = '" in config
    assert stat.S_IMODE((instance / "config.py").stat().st_mode) == 0o600
    assert not init_instance(instance)
    assert (instance / "config.py").read_text() == config
    init_instance(tmp_path / "other")
    assert (tmp_path / "other" / "config.py").read_text() != config


@pytest.mark.slow
def test_xty_init_creates_a_migrated_sqlite_database_from_the_command_line(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "XTY_INSTANCE_PATH": str(tmp_path / "instance"), "HOME": str(tmp_path)}
    result = subprocess.run([sys.executable, "-m", "xtycore.cli", "init"], env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "instance" / "xtycore.sqlite").exists()
    listing = subprocess.run([sys.executable, "-m", "xtycore.cli", "plugins", "list"], env=env,
                             capture_output=True, text=True)
    assert listing.returncode == 0, listing.stderr
    assert "xtycore.order_numbers" in listing.stdout


def test_a_database_without_tables_asks_for_an_upgrade(tmp_path):
    app = create_app({"SECRET_KEY": "k", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'new.sqlite'}"},
                     instance_path=str(tmp_path))
    with app.app_context(), pytest.raises(ConfigurationError, match="run `xty db upgrade`"):
        app.extensions["xtycore"].registry.instances("payment")
