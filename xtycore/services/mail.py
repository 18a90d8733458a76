"""Outgoing mail over SMTP, configured by the ``MAIL_*`` keys.

Two ways to send, because callers differ in what a failure means:

- :func:`send_mail` raises :class:`MailError`; use it when the caller must
  know (a password reset link is the only way in for that customer);
- :func:`notify` is fail-open: it logs the failure and returns False, for
  notices whose loss must not break the request (a "password changed" mail).

Each message opens and closes its own connection; volumes are small
(account mail), and a pooled connection would go stale between messages.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from flask import current_app

from xtycore.domain.errors import XtyError

log = logging.getLogger("xtycore.mail")


class MailError(XtyError):
    """The mail server could not be reached or refused the message."""

    customer_message = "邮件暂时无法发送，请稍后再试。"
    record_as_failure = True


def build_message(to: str, subject: str, body: str) -> EmailMessage:
    """A plain-text UTF-8 message from ``MAIL_DEFAULT_SENDER``."""
    sender = current_app.config["MAIL_DEFAULT_SENDER"]
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2].rstrip(">") or None)
    message.set_content(body)
    return message


def _connect() -> smtplib.SMTP:
    config = current_app.config
    host, port, timeout = config["MAIL_SERVER"], int(config["MAIL_PORT"]), float(config["MAIL_TIMEOUT"])
    if config["MAIL_USE_SSL"]:
        return smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
    return smtplib.SMTP(host, port, timeout=timeout)


def send_mail(to: str, subject: str, body: str) -> None:
    """Send one message, or raise :class:`MailError` saying why it could not be sent."""
    config = current_app.config
    message = build_message(to, subject, body)
    try:
        with _connect() as smtp:
            if config["MAIL_USE_TLS"] and not config["MAIL_USE_SSL"]:
                smtp.starttls(context=ssl.create_default_context())
            if config["MAIL_USERNAME"]:
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
            smtp.send_message(message)
    except (smtplib.SMTPException, OSError) as exc:
        where = f"{config['MAIL_SERVER']}:{config['MAIL_PORT']}"
        raise MailError(f"could not send mail via {where}: {type(exc).__name__}: {exc}") from exc
    log.info("mail %r sent to %s", subject, to)


def notify(to: str, subject: str, body: str) -> bool:
    """Send a notice, fail-open: True if the server took it, False (and logged) if not."""
    try:
        send_mail(to, subject, body)
    except MailError:
        log.exception("notice %r to %s not sent", subject, to)
        return False
    return True
