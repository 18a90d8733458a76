"""`xty init --owner EMAIL` creates the first owner, who signs in to the back office."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from xtycore import create_app


@pytest.mark.slow
def test_xty_init_creates_the_first_owner_once_and_the_owner_signs_in(tmp_path):
    instance = tmp_path / "instance"
    env = {"PATH": "/usr/bin:/bin", "XTY_INSTANCE_PATH": str(instance), "HOME": str(tmp_path)}

    def xty(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "xtycore.cli", *args], env=env, capture_output=True, text=True)

    first = xty("init", "--owner", "Boss@Example.cn")
    assert first.returncode == 0, first.stderr
    password = re.search(r"staff owner: boss@example\.cn  password: (\S+)", first.stdout).group(1)
    again = xty("init", "--owner", "other@example.cn")
    assert again.returncode == 0 and "staff accounts exist already" in again.stdout
    listing = xty("staff", "list")
    assert "boss@example.cn" in listing.stdout and "other@example.cn" not in listing.stdout
    app = create_app({"SERVER_NAME": "shop.test"}, instance_path=str(instance))
    client = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/admin/login").get_data(as_text=True))[1]
    signed_in = client.post("/admin/login", data={"email": "boss@example.cn", "password": password,
                                                  "csrf_token": token})
    assert signed_in.status_code == 302 and signed_in.headers["Location"] == "/admin/"


def test_a_bad_owner_email_is_refused_with_the_reason(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "XTY_INSTANCE_PATH": str(tmp_path / "instance"), "HOME": str(tmp_path)}
    result = subprocess.run([sys.executable, "-m", "xtycore.cli", "init", "--owner", "not-an-email"], env=env,
                            capture_output=True, text=True)
    assert result.returncode == 1 and "is not an email address" in result.stderr
