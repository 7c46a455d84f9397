"""A real Celery worker for the service tests, with two test-only behaviours switched on here and
nowhere in the product: PARSE_DELAY seconds of waiting before a file is read (so that a test can
kill the worker mid-task), and a file whose name starts with "poison" kills its worker process."""

import os
import signal
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alliance_ta.settings")
django.setup()

from alliance_ta.celery import app  # noqa: E402
from transcripts import services  # noqa: E402

read_transcript = services.read_transcript


def slow_or_poisoned(data, filename, **options):
    if filename.startswith("poison"):
        os.kill(os.getpid(), signal.SIGKILL)
    time.sleep(float(os.environ.get("PARSE_DELAY", "0")))
    return read_transcript(data, filename, **options)


services.read_transcript = slow_or_poisoned

if __name__ == "__main__":
    app.worker_main(
        [
            "worker",
            "--pool=prefork",
            "--concurrency=1",
            "--queues",
            os.environ["TEST_QUEUE"],
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel=INFO",
        ]
    )
