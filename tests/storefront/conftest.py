"""Fixtures of the storefront tests: an app and its client, requests made outside any app context.

Rows are written inside ``with app.app_context():`` blocks; requests run
without one, as on a server, so each request has its own ``g``.
"""

from __future__ import annotations

import pytest


@pytest.fixture
def app(xty_app):
    return xty_app


@pytest.fixture
def client(app):
    return app.test_client()
