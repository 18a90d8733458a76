"""Files that come with a customer's message: kept under generated names, up to the size cap."""

from __future__ import annotations

import pytest

from tests.support.conftest import attachment, make_desk, message
from xtycore.services.support import clean_filename

INVOICE = b"%PDF-1.4 invoice for order 20261126-ABCD"


def test_attachments_are_stored_under_generated_names_and_listed_on_the_message(desk):
    response = desk.push(message("M-1", subject="发票", attachments=[
        attachment("发票 2026.pdf", INVOICE, "application/pdf"), attachment("../../etc/passwd", b"root:x:0:0")]),
        instance_id=desk.files_id)
    assert response.json == {"stored": 1, "duplicates": 0}
    [ticket] = desk.tickets()
    assert ticket.subject == "发票"
    invoice, passwd = desk.attachments()
    [received] = desk.messages()
    assert {invoice.message_id, passwd.message_id} == {received.id}
    assert (invoice.filename, invoice.content_type, invoice.size) == ("发票 2026.pdf", "application/pdf", len(INVOICE))
    assert passwd.filename == "passwd"
    for row in (invoice, passwd):
        assert row.path.startswith("support/") and "passwd" not in row.path and "发票" not in row.path
    assert sorted(path.read_bytes() for path in desk.stored_files()) == sorted([INVOICE, b"root:x:0:0"])


def test_an_attachment_over_the_cap_is_listed_but_not_kept(xty_make_app, tmp_path):
    desk = make_desk(xty_make_app, tmp_path, config={"SUPPORT_ATTACHMENT_MAX_BYTES": 16})
    desk.push(message("M-1", attachments=[attachment("photo.jpg", b"x" * 17), attachment("note.txt", b"small")]),
              instance_id=desk.files_id)
    photo, note = desk.attachments()
    assert (photo.filename, photo.size, photo.path) == ("photo.jpg", 17, "")
    assert note.path and [path.read_bytes() for path in desk.stored_files()] == [b"small"]


def test_a_push_delivered_again_writes_no_second_file(desk):
    push = message("M-1", attachments=[attachment("a.txt", b"once")])
    desk.push(push, instance_id=desk.files_id)
    desk.push(push, instance_id=desk.files_id)
    assert len(desk.attachments()) == 1 and len(desk.stored_files()) == 1


def test_files_of_a_message_that_is_not_stored_are_removed_again(desk, monkeypatch):
    from xtycore.services import support

    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(support, "_ticket_for", broken)
    with pytest.raises(RuntimeError):
        desk.push(message("M-1", attachments=[attachment("a.txt", b"lost")]), instance_id=desk.files_id)
    assert desk.stored_files() == [] and desk.tickets() == []


@pytest.mark.parametrize("name, cleaned", [
    ("C:\\Users\\mei\\发票.pdf", "发票.pdf"), ("..", "attachment"), (".bashrc", "bashrc"),
    ("a\x00b\nc.txt", "abc.txt"), ("长" * 300 + ".jpeg", "长" * 195 + ".jpeg"),
])
def test_file_names_lose_folders_control_characters_and_excess(name, cleaned):
    assert clean_filename(name) == cleaned
