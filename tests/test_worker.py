"""The import pipeline on the full stack: real PostgreSQL, real Redis, a real Celery worker
process — killed mid-task, killed outright, fed a file that kills it, and missing its broker."""

import os
import signal
import time
from pathlib import Path

import pytest

from alliance_ta.celery import app
from studies.models import Membership
from studies.tests.factories import make_participant
from transcripts import services
from transcripts.models import ImportJob, JobStatus, Transcript

pytestmark = [pytest.mark.service, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parent.parent


def transcript_file(n: int) -> bytes:
    lines = [f"Interview {n}", ""]
    for turn in range(6):
        lines += [
            f"Interviewer: Question {turn} of interview {n}?",
            f"P1: Answer {turn}, told in my own words [laughs].",
            "",
        ]
    return "\n".join(lines).encode()


@pytest.fixture
def importer(study, custodian):
    make_participant(study, "P1")
    return Membership.objects.get(study=study, user=custodian)


def upload(member, *names_and_data):
    return services.jobs_create(
        member=member,
        uploads=[services.Upload(name, data) for name, data in names_and_data],
        user=member.user,
    )


def settled(job_ids):
    return ImportJob.objects.filter(
        pk__in=job_ids, status__in=[JobStatus.IMPORTED, JobStatus.FAILED]
    ).count() == len(job_ids)


def test_three_uploads_are_imported_by_the_worker(full_stack, importer):
    worker = full_stack()
    jobs = upload(importer, *((f"interview-{n}.txt", transcript_file(n)) for n in range(3)))
    worker.wait_for(lambda: settled([job.pk for job in jobs]), "the three imports did not finish")
    assert (
        list(ImportJob.objects.filter(pk__in=[j.pk for j in jobs]).values_list("status", flat=True))
        == [JobStatus.IMPORTED] * 3
    )
    assert Transcript.objects.count() == 3
    assert all(t.versions.get().turns.count() == 12 for t in Transcript.objects.all())


def test_a_worker_child_killed_mid_task_leaves_exactly_one_transcript(full_stack, importer):
    worker = full_stack(PARSE_DELAY="2")
    (job,) = upload(importer, ("interview.txt", transcript_file(1)))
    worker.wait_for(
        lambda: ImportJob.objects.get(pk=job.pk).status == JobStatus.PARSING,
        "the job was not claimed",
    )
    for child in worker.children():
        os.kill(child, signal.SIGKILL)
    worker.wait_for(lambda: settled([job.pk]), "the job did not run again")
    job.refresh_from_db()
    assert (job.status, job.attempts) == (JobStatus.IMPORTED, 2)
    assert Transcript.objects.count() == 1


def test_a_worker_killed_outright_then_restarted_leaves_exactly_one_transcript(
    full_stack, importer
):
    limits = {"PARSE_DELAY": "2", "CELERY_TASK_TIME_LIMIT": "4", "CELERY_VISIBILITY_TIMEOUT": "5"}
    worker = full_stack(**limits)
    jobs = upload(importer, *((f"interview-{n}.txt", transcript_file(n)) for n in range(2)))
    worker.wait_for(
        lambda: ImportJob.objects.filter(status=JobStatus.PARSING).exists(), "no job was claimed"
    )
    worker.stop(signal.SIGKILL)
    for child in worker.children() if worker.process.poll() is None else []:
        os.kill(child, signal.SIGKILL)
    time.sleep(5.5)  # past the visibility timeout: Redis gives the unacknowledged task back
    restarted = full_stack(**limits)
    restarted.wait_for(
        lambda: settled([job.pk for job in jobs]),
        "the restarted worker did not finish the jobs",
        90,
    )
    assert Transcript.objects.count() == 2
    assert set(ImportJob.objects.values_list("status", flat=True)) == {JobStatus.IMPORTED}


def test_a_file_that_kills_its_worker_fails_after_three_attempts_and_the_worker_lives(
    full_stack, importer
):
    worker = full_stack()
    (poison,) = upload(importer, ("poison.txt", transcript_file(9)))
    worker.wait_for(lambda: settled([poison.pk]), "the poison job never failed", 90)
    poison.refresh_from_db()
    assert poison.status == JobStatus.FAILED
    assert "gave up after 3 attempts" in poison.error
    (healthy,) = upload(importer, ("interview.txt", transcript_file(1)))
    worker.wait_for(lambda: settled([healthy.pk]), "the worker did not take the next job")
    assert ImportJob.objects.get(pk=healthy.pk).status == JobStatus.IMPORTED


def use_broker(url: str) -> None:
    """Point this process's Celery at another broker, dropping the connections it holds."""
    app.conf.broker_url = url
    app._pool = None
    app.amqp._producer_pool = None


def test_with_the_broker_away_the_job_waits_and_the_sweeper_sends_it(full_stack, importer):
    worker = full_stack()
    real_broker = app.conf.broker_url
    use_broker("redis://127.0.0.1:1/0")  # nothing listens there
    try:
        (job,) = upload(importer, ("interview.txt", transcript_file(1)))
    finally:
        use_broker(real_broker)
    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED
    assert services.jobs_requeue_stale(older_than_seconds=0) == 1
    worker.wait_for(lambda: settled([job.pk]), "the swept job was not imported")
    assert Transcript.objects.count() == 1
