"""Child processes for the multi-process tests, started cheaply.

Each child must be a process of its own (its own application, connection
pool and locks, as a gunicorn worker is), but it need not import Python,
Flask, SQLAlchemy and xtycore from nothing: children come from a fork server
that has imported them once. With ``spawn`` twenty children paid twenty
imports of the whole stack, most of a minute on two cores.
"""

from __future__ import annotations

import multiprocessing
from multiprocessing.context import BaseContext

#: imported once by the fork server, before it forks any child
PRELOAD = [
    "psycopg", "sqlalchemy", "flask", "xtycore", "xtycore.models", "xtycore.services.checkout",
    "xtycore.services.payments", "tests.orders.buyers", "tests.payments.workers",
]


def child_processes() -> BaseContext:
    """The multiprocessing context the tests start children with (forkserver, stack preloaded)."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    return context
