"""Two processes receiving the same push at once on one PostgreSQL database store it once.

Each process is an application of its own with its own connection pool, as
gunicorn workers or app nodes are; the partial unique index on the instance
and the channel's message id is what keeps the message single.
"""

from __future__ import annotations

import json

import pytest

from tests.fixture_plugins.signed_json import SIGNATURE_HEADER, sign
from tests.processes import child_processes
from tests.support import workers
from tests.support.conftest import FILES_PLUGIN, OUTBOX_PLUGIN, attachment, message
from xtycore.testing import base_config

pytestmark = [pytest.mark.postgres_only, pytest.mark.slow]


def test_two_processes_receiving_one_push_at_once_store_one_ticket_and_signal_once(
        desk, xty_database_url, xty_config, tmp_path):
    if not xty_database_url.startswith("postgresql"):
        pytest.skip("needs XTY_TEST_DATABASE_URL pointing at PostgreSQL")
    config = {**base_config(xty_database_url), **xty_config,
              "EXTRA_PLUGINS": {"support_outbox": OUTBOX_PLUGIN, "support_files": FILES_PLUGIN}}
    body = json.dumps({"messages": [message("M-1", attachments=[attachment("a.txt", b"once")])]}).encode()
    headers = {SIGNATURE_HEADER: sign(body, "mail-robot-secret-0123"), "Content-Type": "application/json"}
    log = tmp_path / "ticket_opened.jsonl"
    context = child_processes()
    barrier, results = context.Barrier(2), context.Queue()
    children = [context.Process(target=workers.deliver, args=(
        config, str(tmp_path / "instance"), desk.files_id, body, headers, str(log), barrier, results))
        for _ in range(2)]
    for child in children:
        child.start()
    outcomes = sorted(results.get(timeout=600) for _ in children)
    for child in children:
        child.join(60)
    assert outcomes == [("answered", 200, '{"stored": 0, "duplicates": 1}'),
                        ("answered", 200, '{"stored": 1, "duplicates": 0}')]
    [ticket] = desk.tickets()
    assert len(desk.messages()) == 1 and len(desk.attachments()) == 1 and len(desk.stored_files()) == 1
    assert [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()] == \
        [{"ticket": ticket.reference}]
