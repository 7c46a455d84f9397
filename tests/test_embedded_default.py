"""The smoke run of the embedded default, as `make run` does it: SQLite in a fresh var/, migrate,
the demo (twice: it is idempotent), the development server, a log-in and the demo study's page."""

import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_make_run_path_serves_the_demo(tmp_path):
    # As on a fresh machine: no database, broker, secret key or vault key configured.
    unset = {"DATABASE_URL", "REDIS_URL", "VAULT_KEYS", "SECRET_KEY"}
    env = {key: value for key, value in os.environ.items() if key not in unset}
    env.update(DEBUG="1", VAR_DIR=str(tmp_path), SECURE_SSL_REDIRECT="0")

    def manage(*args):
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
            check=True,
        )

    manage("migrate", "--noinput")
    first = manage("demo").stdout
    assert "coder_a" in first and "password for all: alliance-demo" in first
    assert manage("demo").stdout == first
    assert (tmp_path / "alliance-ta.sqlite3").exists()
    # Without VAULT_KEYS the embedded default makes a key of its own, once, and says so.
    assert (tmp_path / "vault.key").stat().st_mode & 0o777 == 0o600

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                login_page = opener.open(f"{base}/accounts/login/", timeout=5).read().decode()
                break
            except (urllib.error.URLError, ConnectionError):
                assert time.monotonic() < deadline, "the development server did not start"
                time.sleep(0.2)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page).group(1)
        form = urllib.parse.urlencode(
            {"username": "lead", "password": "alliance-demo", "csrfmiddlewaretoken": token}
        ).encode()
        request = urllib.request.Request(  # noqa: S310 — the server this test started
            f"{base}/accounts/login/", data=form, headers={"Referer": f"{base}/"}
        )
        studies = opener.open(request, timeout=10).read().decode()
        assert "Your studies" in studies
        study = opener.open(f"{base}/s/working-alliance/", timeout=10).read().decode()
        assert "Holding the working alliance" in study
        assert "Strain, difference and repair" in study
    finally:
        server.terminate()
        server.wait(timeout=10)
