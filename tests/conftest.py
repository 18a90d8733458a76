"""Shared fixtures of xtycore's own suite; the general ones come from xtycore.testing."""

import os

import pytest


def pytest_report_header(config):
    url = os.environ.get("XTY_TEST_DATABASE_URL")
    return f"xtycore test database: {url or 'SQLite (temporary file)'}"


@pytest.fixture
def on_postgres(xty_database_url):
    return xty_database_url.startswith("postgresql")
