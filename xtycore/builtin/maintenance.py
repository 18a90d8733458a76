"""Built-in housekeeping jobs."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import delete

from xtycore import hookimpl
from xtycore.domain.contributions import Job, Schedule
from xtycore.extensions import transaction

#: Plugin failures older than this are deleted by the nightly job.
FAILURE_RETENTION = timedelta(days=90)


def prune_plugin_failures(older_than_days: int | None = None) -> int:
    """Delete recorded plugin failures past the retention period; return how many."""
    from xtycore.models import PluginFailure

    keep = timedelta(days=older_than_days) if older_than_days is not None else FAILURE_RETENTION
    cutoff = datetime.now(timezone.utc) - keep
    with transaction() as session:
        result = session.execute(delete(PluginFailure).where(PluginFailure.occurred_at < cutoff))
    return result.rowcount


@hookimpl
def xtycore_register_jobs():
    return [
        Job(
            "xtycore.prune_plugin_failures",
            prune_plugin_failures,
            Schedule(minute="17", hour="3"),
            description="Delete plugin failures older than 90 days.",
        )
    ]
