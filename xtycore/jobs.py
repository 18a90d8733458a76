"""Background jobs: plugins declare them, ``xty worker`` runs them (Huey).

The queue lives outside process memory: an SQLite file in the instance folder
by default, Redis when ``JOBS_BACKEND = "redis"`` (several nodes), or
``"immediate"`` to run a job synchronously when it is enqueued (tests, demos).
Each run gets its own application context; a job of a disabled plugin is
skipped; a failing job is recorded under its plugin's name and retried as its
:class:`~xtycore.domain.contributions.Job` says.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask
from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey, crontab

from xtycore.domain.contributions import Job
from xtycore.domain.errors import ConfigurationError, UnknownCapability
from xtycore.kernel import get_kernel
from xtycore.plugins import FaultPolicy

log = logging.getLogger("xtycore.jobs")


@dataclass(frozen=True)
class RegisteredJob:
    plugin: str
    job: Job
    task: Any


def make_huey(app: Flask) -> Huey:
    backend = app.config["JOBS_BACKEND"]
    if backend == "sqlite":
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        return SqliteHuey("xtycore", filename=str(Path(app.instance_path) / "jobs.sqlite"))
    if backend == "redis":
        url = app.config.get("REDIS_URL")
        if not url:
            raise ConfigurationError("JOBS_BACKEND is 'redis' but REDIS_URL is not set")
        return RedisHuey("xtycore", url=url)
    if backend == "immediate":
        return MemoryHuey("xtycore", immediate=True)
    raise ConfigurationError(f"JOBS_BACKEND must be sqlite, redis or immediate, not {backend!r}")


class Jobs:
    """The jobs of one application and the queue they run on."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.huey = make_huey(app)
        self.registered: dict[str, RegisteredJob] = {}

    def register(self, plugin: str, job: Job) -> None:
        if job.name in self.registered:
            owner = self.registered[job.name].plugin
            log.error("job %r of plugin %s ignored: plugin %s registered it first", job.name, plugin, owner)
            return
        run = self._runner(plugin, job)
        if job.schedule is not None:
            s = job.schedule
            schedule = crontab(minute=s.minute, hour=s.hour, day=s.day, month=s.month, day_of_week=s.day_of_week)
            task = self.huey.periodic_task(
                schedule, retries=job.retries, retry_delay=job.retry_delay_seconds, name=job.name
            )(run)
        else:
            task = self.huey.task(retries=job.retries, retry_delay=job.retry_delay_seconds, name=job.name)(run)
        self.registered[job.name] = RegisteredJob(plugin, job, task)

    def _runner(self, plugin: str, job: Job):
        app = self.app

        def run(**kwargs: Any) -> Any:
            with app.app_context():
                plugins = get_kernel(app).plugins
                if not plugins.is_enabled(plugin):
                    log.info("job %s skipped: plugin %s is disabled", job.name, plugin)
                    return None
                with plugins.guard(plugin, f"job:{job.name}", FaultPolicy.CLOSED) as outcome:
                    outcome.value = job.func(**kwargs)
                return outcome.value

        run.__name__ = job.name.replace(".", "_")
        return run

    def enqueue(self, name: str, **kwargs: Any):
        """Queue a job by name; returns Huey's result handle."""
        try:
            registered = self.registered[name]
        except KeyError:
            raise UnknownCapability(f"no job named {name!r}; `xty jobs list` shows them") from None
        return registered.task(**kwargs)

    def run_now(self, name: str, **kwargs: Any) -> Any:
        """Run a job in this process, now (``xty jobs run``)."""
        try:
            registered = self.registered[name]
        except KeyError:
            raise UnknownCapability(f"no job named {name!r}; `xty jobs list` shows them") from None
        return registered.task.call_local(**kwargs)


def init_app(app: Flask) -> None:
    kernel = get_kernel(app)
    jobs = Jobs(app)
    for plugin, job in kernel.plugins.collect(
        "xtycore_register_jobs", policy=FaultPolicy.OPEN, include_disabled=True
    ):
        jobs.register(plugin, job)
    kernel.jobs = jobs


def enqueue(name: str, **kwargs: Any):
    return get_kernel().jobs.enqueue(name, **kwargs)
