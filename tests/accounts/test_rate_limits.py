import pytest
import redis
from limits.storage import MemoryStorage

from tests.accounts.helpers import login, signed_up
from xtycore.security import limiter


def test_the_eleventh_login_attempt_in_a_minute_from_one_address_gets_429(xty_app):
    client = xty_app.test_client()
    for attempt in range(10):
        assert login(client, identifier=f"guess{attempt}@example.cn").status_code == 422
    response = login(client, identifier="another@example.cn")
    assert response.status_code == 429
    assert "操作过于频繁" in response.get_data(as_text=True)
    assert 0 < int(response.headers["Retry-After"]) <= 60


def test_one_account_is_limited_even_when_the_guesses_come_from_many_addresses(xty_app):
    signed_up(xty_app.test_client())
    client = xty_app.test_client()
    for attempt in range(10):
        response = login(client, password=f"guess {attempt}", environ_base={"REMOTE_ADDR": f"10.0.0.{attempt}"})
        assert response.status_code == 422
    blocked = login(client, environ_base={"REMOTE_ADDR": "10.0.1.1"})
    assert blocked.status_code == 429, "even the right password waits until the window ends"
    other = login(client, identifier="other@example.cn", environ_base={"REMOTE_ADDR": "10.0.1.1"})
    assert other.status_code == 422, "other accounts are not affected"


def test_password_reset_requests_are_limited_per_email_address(xty_app):
    for attempt in range(5):
        response = xty_app.test_client().post(
            "/account/reset", data={"email": "Mei@example.cn"}, environ_base={"REMOTE_ADDR": f"10.0.0.{attempt}"}
        )
        assert response.status_code == 200
    response = xty_app.test_client().post(
        "/account/reset", data={"email": "mei@example.cn"}, environ_base={"REMOTE_ADDR": "10.0.9.9"}
    )
    assert response.status_code == 429


def test_password_reset_requests_are_limited_per_client_address(xty_app):
    client = xty_app.test_client()
    for attempt in range(5):
        assert client.post("/account/reset", data={"email": f"p{attempt}@example.cn"}).status_code == 200
    assert client.post("/account/reset", data={"email": "p9@example.cn"}).status_code == 429


def test_limits_can_be_switched_off(xty_make_app):
    app = xty_make_app(config={"RATELIMIT_ENABLED": False})
    client = app.test_client()
    assert all(login(client).status_code == 422 for _ in range(12))


def test_viewing_the_login_page_does_not_use_up_attempts(xty_app):
    client = xty_app.test_client()
    for _ in range(15):
        assert client.get("/account/login").status_code == 200
    assert login(client).status_code == 422


def redis_available(url):
    try:
        return redis.Redis.from_url(url).ping()
    except redis.ConnectionError:
        return False


def test_counters_live_in_process_memory_unless_redis_is_configured(xty_make_app):
    assert isinstance(limiter(xty_make_app()).storage, MemoryStorage)


def test_with_redis_every_node_counts_against_the_same_limit(xty_make_app):
    url = "redis://127.0.0.1:6379/14"
    if not redis_available(url):
        pytest.skip("no Redis on 127.0.0.1:6379")
    node_a, node_b = xty_make_app(config={"REDIS_URL": url}), xty_make_app(config={"REDIS_URL": url})
    assert not isinstance(limiter(node_a).storage, MemoryStorage)
    for attempt in range(10):
        node = node_a if attempt % 2 else node_b
        assert login(node.test_client()).status_code == 422
    assert login(node_a.test_client()).status_code == 429
    assert login(node_b.test_client()).status_code == 429
