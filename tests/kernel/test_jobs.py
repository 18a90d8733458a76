"""The job queue lives outside process memory: SQLite file or Redis."""

import uuid

import pytest
import redis

from xtycore import hookimpl
from xtycore.domain.contributions import Job
from xtycore.kernel import get_kernel

done = []


def remember(token):
    done.append(token)
    return token


class QueuePlugin:
    @hookimpl
    def xtycore_register_jobs(self):
        return [Job("acme.remember", remember)]


def redis_available():
    try:
        return redis.Redis.from_url("redis://127.0.0.1:6379/15").ping()
    except redis.ConnectionError:
        return False


@pytest.mark.parametrize("backend", ["sqlite", "redis"])
def test_an_enqueued_job_waits_in_the_shared_queue_until_a_worker_runs_it(xty_make_app, backend):
    if backend == "redis" and not redis_available():
        pytest.skip("no Redis on 127.0.0.1:6379")
    config = {"JOBS_BACKEND": backend, "REDIS_URL": "redis://127.0.0.1:6379/15"}
    producer = xty_make_app(plugins={"acme": QueuePlugin()}, config=config)
    worker = xty_make_app(plugins={"acme": QueuePlugin()}, config=config, enable=False)
    worker_queue = get_kernel(worker).jobs.huey
    worker_queue.flush()
    token = uuid.uuid4().hex
    done.clear()
    get_kernel(producer).jobs.enqueue("acme.remember", token=token)
    assert done == []
    assert worker_queue.pending_count() == 1
    task = worker_queue.dequeue()
    worker_queue.execute(task)
    assert done == [token]
    assert worker_queue.pending_count() == 0
    worker_queue.flush()
