"""Shared fixtures of xtycore's own suite; the general ones come from xtycore.testing."""

import os

import pytest


def pytest_collection_modifyitems(session, config, items):
    """The slow tests (subprocesses, pip, many processes) first: with several workers (pytest-xdist
    hands out tests in this order) they run alongside the quick ones instead of trailing at the end."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


def pytest_report_header(config):
    url = os.environ.get("XTY_TEST_DATABASE_URL")
    return f"xtycore test database: {url or 'SQLite (temporary file)'}"


@pytest.fixture
def on_postgres(xty_database_url):
    return xty_database_url.startswith("postgresql")


class FakeSite:
    """A folder on sys.path holding distributions written by the test."""

    def __init__(self, path):
        self.path = path

    def add(self, name, version="1.0.0", **kwargs):
        from tests.distributions import write_distribution

        return write_distribution(self.path, name, version, **kwargs)


@pytest.fixture
def fake_site(tmp_path, monkeypatch):
    from tests.distributions import forget_modules_from

    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setattr("sys.dont_write_bytecode", True)
    yield FakeSite(site)
    forget_modules_from(site)
