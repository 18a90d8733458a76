"""Registers the sandbox gateway, its hosted page, its callback jobs and its tables."""

import os

from xtycore import hookimpl
from xtycore.domain.contributions import Job, Schedule

from xtycore_payment_sandbox import trades, web
from xtycore_payment_sandbox.gateway import FINISH_REFUND_JOB, SandboxGateway


@hookimpl
def xtycore_register_payment_gateways():
    return [SandboxGateway()]


@hookimpl
def xtycore_register_blueprints(app):
    return [web.bp]


@hookimpl
def xtycore_register_jobs():
    return [
        Job(web.NOTIFY_JOB, trades.deliver, description="Send the callback of a paid or declined sandbox trade"),
        Job(
            FINISH_REFUND_JOB, trades.finish_refund,
            description="Complete an asynchronous sandbox refund and send its refund.succeeded callback",
        ),
        Job(
            "payment_sandbox.redeliver", trades.redeliver_due, Schedule(minute="*"),
            description="Retry unacknowledged sandbox callbacks, with growing delays",
        ),
    ]


@hookimpl
def xtycore_migrations_directory():
    return os.path.join(os.path.dirname(__file__), "migrations")
