"""`xty demo` prepares an instance and serves the shop."""

import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_xty_demo_creates_an_instance_migrates_and_serves_the_shop(tmp_path):
    port = free_port()
    env = {**os.environ, "XTY_INSTANCE_PATH": str(tmp_path / "instance"), "XTY_DEMO_PRODUCTS": "13"}
    env.pop("DATABASE_URL", None)
    env.pop("XTY_DATABASE_URL", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "xtycore.cli", "demo", "--port", str(port)],
        env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        deadline = time.monotonic() + 180
        body = None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:
                    body = response.read().decode()
                    status = response.status
                break
            except OSError:
                time.sleep(0.3)
        assert body is not None, f"demo did not serve: {proc.stdout.read() if proc.poll() is not None else ''}"
        assert status == 200
        assert (tmp_path / "instance" / "config.py").exists()
        assert (tmp_path / "instance" / "xtycore.sqlite").exists()
    finally:
        proc.terminate()
        output = proc.communicate(timeout=10)[0]
    assert f"serving the demo shop on http://127.0.0.1:{port}/" in output
