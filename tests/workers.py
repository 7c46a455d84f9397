"""A real Celery worker process for the service and browser tests, on a queue of its own,
against the test database (which must be PostgreSQL: the worker is another process) and Redis."""

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


class Worker:
    """A worker process on its own queue, against the test database and Redis."""

    def __init__(self, queue: str, media_root: Path, **env):
        self.queue, self.lines = queue, []
        database = connection.settings_dict
        environment = {
            **os.environ,
            "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}/{database['NAME']}",
            "MEDIA_ROOT": str(media_root),
            "TEST_QUEUE": queue,
            **env,
        }
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.worker_harness"],
            cwd=ROOT,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        threading.Thread(target=self._read, daemon=True).start()
        self.wait_for(
            lambda: any("ready." in line for line in self.lines), "the worker did not start", 30
        )

    def _read(self):
        for line in self.process.stdout:
            self.lines.append(line)

    def wait_for(self, condition, message: str, seconds: float = 60):
        deadline = time.monotonic() + seconds
        while not condition():
            assert self.process.poll() is None or "killed" in message, (
                f"the worker exited:\n{''.join(self.lines[-30:])}"
            )
            assert time.monotonic() < deadline, f"{message}\n{''.join(self.lines[-30:])}"
            time.sleep(0.1)

    def children(self) -> list[int]:
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in path.read_text().split()]

    def stop(self, sig=signal.SIGTERM):
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
