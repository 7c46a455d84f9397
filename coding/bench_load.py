"""The load benchmark: 20 coders applying codes at once for 30 seconds, against gunicorn and
PostgreSQL on loopback, the way the full stack serves them.

A throwaway study with 20 coders, each with ten codes of their own and logged in with a session of
their own, and four locked transcripts of about 9,500 words (coder n codes transcript n mod 4).
gunicorn is started on a free port of 127.0.0.1 with twice the cores plus one sync workers and
this process's environment (DEBUG on, for the lenient hosts and plain HTTP). Each coder is a
thread with its own connection and cookies that sends htmx's POST to `coding-apply`, never the
same passage twice, so every success must be a stored coding. Two runs: coders who pause between
applies (one to three seconds, as a brisk coder selecting and choosing does), and coders who send
the next as soon as the last one answered (no pause at all: the server's capacity). Latency is the client's: it includes
waiting for a free worker. A non-200 answer or a failed request is an error; `lost` is the
successes the database does not hold."""

import http.client
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.cookies import SimpleCookie
from typing import IO
from urllib.parse import quote, urlencode

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client
from django.urls import reverse

from coding.bench import _setup, _summary
from coding.bench_retrieve import _more_transcripts
from coding.models import Code, Coding
from studies.bench import Options
from studies.models import Membership, Role, Study

CODERS = 20
SECONDS = 30
TRANSCRIPTS = 4
WORDS = 9_500
CODES = 10  # per coder
WORKERS = 2 * (os.cpu_count() or 1) + 1


@dataclass(frozen=True)
class Coder:
    session: str
    page: str  # the transcript's coding page
    apply: str
    codes: list[str]  # UUIDs
    length: int  # of the transcript's text
    seed: int


def _study(coders: int) -> tuple[Study, list[Coder]]:
    """The throwaway study: `coders` coders, each with a session and codes of their own."""
    study, members, transcript, version = _setup(WORDS)
    versions = [version, *_more_transcripts(study, transcript, TRANSCRIPTS - 1, WORDS)]
    tag = study.slug.removeprefix("bench-")
    User = get_user_model()
    for n in range(len(members), coders):
        user = User.objects.create(username=f"bench-{tag}-{n}")
        members.append(Membership.objects.create(study=study, user=user, role=Role.CODER))
    team = []
    for n, member in enumerate(members[:coders]):
        codes = Code.objects.bulk_create(
            Code(study=study, label=f"code {k}", created_by=member.user) for k in range(CODES)
        )
        client = Client()
        client.force_login(member.user)
        version = versions[n % len(versions)]
        uuid = version.transcript.uuid
        team.append(
            Coder(
                session=client.cookies[settings.SESSION_COOKIE_NAME].value,
                page=reverse("coding-transcript", args=[study.slug, uuid]),
                apply=reverse("coding-apply", args=[study.slug, uuid]),
                codes=[str(code.uuid) for code in codes],
                length=len(version.text),
                seed=n,
            )
        )
    return study, team


def _database_url() -> str:
    """This process's database, for gunicorn: under the tests it is the test database."""
    database = connection.settings_dict
    user = quote(database["USER"] or "", safe="")
    if database["PASSWORD"]:
        user += ":" + quote(database["PASSWORD"], safe="")
    host = database["HOST"] or "127.0.0.1"
    return f"postgres://{user}@{host}:{database['PORT'] or 5432}/{quote(database['NAME'])}"


@contextmanager
def gunicorn(workers: int) -> Iterator[int]:
    """gunicorn serving this project on a free port of 127.0.0.1 (the port) until the block ends;
    then stopped gracefully."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    environment = {**os.environ, "DEBUG": "1", "DATABASE_URL": _database_url()}
    command = [
        sys.executable, "-m", "gunicorn", "alliance_ta.wsgi", "--bind", f"127.0.0.1:{port}",
        "--workers", str(workers), "--log-level", "warning",
    ]  # fmt: skip
    with tempfile.TemporaryFile(mode="w+") as log:
        process = subprocess.Popen(  # noqa: S603 — our own interpreter and arguments
            command, cwd=settings.BASE_DIR, env=environment, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            _wait_until_it_answers(process, port, log)
            yield port
        finally:
            process.send_signal(signal.SIGTERM)  # a graceful stop
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_until_it_answers(
    process: subprocess.Popen, port: int, log: IO[str], seconds: float = 60
) -> None:
    def output() -> str:
        log.seek(0)
        return log.read()[-4000:]

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise CommandError(f"gunicorn exited:\n{output()}")
        probe = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            probe.request("GET", reverse("login"))
            if probe.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
        finally:
            probe.close()
    raise CommandError(f"gunicorn did not answer within {seconds:.0f} s:\n{output()}")


def _csrf_token(port: int, coder: Coder) -> str:
    """The CSRF cookie the coding page sets, as a browser would get it."""
    page = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    page.request(
        "GET", coder.page, headers={"Cookie": f"{settings.SESSION_COOKIE_NAME}={coder.session}"}
    )
    response = page.getresponse()
    response.read()
    page.close()
    cookies = SimpleCookie()
    for header in response.headers.get_all("Set-Cookie") or []:
        cookies.load(header)
    if response.status != 200 or settings.CSRF_COOKIE_NAME not in cookies:
        raise CommandError(f"the coding page answered {response.status} without a CSRF cookie")
    return cookies[settings.CSRF_COOKIE_NAME].value


def _code(
    coder: Coder,
    port: int,
    csrf: str,
    seconds: float,
    pause: tuple[float, float],
    start: threading.Barrier,
    out: list,
) -> None:
    """Apply codes for `seconds`, waiting between `pause` seconds (at random) after each answer:
    (latency, status) into `out`, status 0 for a request that failed."""
    rng = random.Random(coder.seed)  # noqa: S311 — a fixed, fictional workload
    cookie = f"{settings.SESSION_COOKIE_NAME}={coder.session}; {settings.CSRF_COOKIE_NAME}={csrf}"
    headers = {
        "Cookie": cookie,
        "X-CSRFToken": csrf,
        "HX-Request": "true",
        "Content-Type": "application/x-www-form-urlencoded",
    }
    # Every passage once: a coding that succeeded must be a new row.
    starts = iter(rng.sample(range(coder.length - 300), coder.length - 300))
    server = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    start.wait()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        begin = next(starts)
        passage = {"start": begin, "end": begin + rng.randrange(20, 300)}
        body = urlencode({**passage, "code": rng.choice(coder.codes)})
        started = time.perf_counter()
        try:
            server.request("POST", coder.apply, body, headers)
            response = server.getresponse()
            response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            server.close()  # the next request opens a new connection
            status = 0
        out.append((time.perf_counter() - started, status))
        if pause[1]:
            time.sleep(rng.uniform(*pause))
    server.close()


PAUSED = (1.0, 3.0)  # seconds between one coder's applies
BUSIEST = (0.0, 0.0)


def load(
    coders: int = CODERS,
    seconds: float = SECONDS,
    workers: int = WORKERS,
    pause: tuple[float, float] = BUSIEST,
) -> dict:
    """The run, with its figures; fewer coders and seconds make the quick test."""
    if connection.vendor != "postgresql":
        raise CommandError(
            "the load workload runs against gunicorn and PostgreSQL: set DATABASE_URL to a "
            f"PostgreSQL database (this is {connection.vendor})"
        )
    study, team = _study(coders)
    with gunicorn(workers) as port:
        tokens = [_csrf_token(port, coder) for coder in team]
        start = threading.Barrier(coders + 1)
        outs = [[] for _ in team]
        threads = [
            threading.Thread(target=_code, args=(coder, port, token, seconds, pause, start, out))
            for coder, token, out in zip(team, tokens, outs, strict=True)
        ]
        for thread in threads:
            thread.start()
        start.wait()
        began = time.perf_counter()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - began
    answers = [answer for out in outs for answer in out]
    successes = sum(status == 200 for _seconds, status in answers)
    stored = Coding.objects.filter(version__transcript__study=study).count()
    return {
        "workload": "load",
        "backend": connection.vendor,
        "coders": coders,
        "pause_s": list(pause),
        "workers": workers,
        "transcripts": TRANSCRIPTS,
        "seconds": round(elapsed, 1),
        "requests": len(answers),
        "successes": successes,
        "errors": len(answers) - successes,
        "error_statuses": dict(Counter(status for _s, status in answers if status != 200)),
        "throughput_per_s": round(len(answers) / elapsed, 1),
        **_summary([seconds for seconds, _status in answers]),
        "stored": stored,
        "lost": successes - stored,
    }


def run_load(options: Options) -> dict:
    return {"workload": "load", "runs": [load(pause=PAUSED), load(pause=BUSIEST)]}


def report_section(results: list[dict]) -> list[str]:
    runs = [run for result in results if result["workload"] == "load" for run in result["runs"]]
    if not runs:
        return []
    lines = [
        "",
        "## Concurrent coding",
        "",
        "Twenty coders applying codes at once for 30 s to four transcripts of about 9,500 words,",
        "against gunicorn (2 × cores + 1 sync workers) and PostgreSQL on loopback: each coder a",
        "thread sending htmx's apply request, never the same passage twice — pausing 1–3 s",
        "between applies as a brisk coder does, then with no pause at all (the server's capacity,",
        "where latency is mostly waiting for a free worker). Latency is the client's. Goals: no",
        "errors, no lost codings, p95 ≤ 100 ms.",
        "",
        "| coders | pause | workers | requests | throughput | median / p95 / max "
        "| errors | stored | lost |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for run in runs:
        lines.append(
            f"| {run['coders']} | {'–'.join(f'{p:g}' for p in run['pause_s'])} s "
            f"| {run['workers']} | {run['requests']} in {run['seconds']} s "
            f"| {run['throughput_per_s']}/s "
            f"| {run['median_ms']} / {run['p95_ms']} / {run['max_ms']} ms | {run['errors']} "
            f"| {run['stored']} | {run['lost']} |"
        )
    return lines
