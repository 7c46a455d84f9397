"""Thin adapters from Celery to the services: a primary key in, JSON only, nothing returned."""

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.db import OperationalError

from transcripts import review, services


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError,),  # the database was briefly away
    retry_backoff=True,
    max_retries=3,
)
def process_upload(job_id: int) -> None:
    try:
        services.job_process(job_id)
    except SoftTimeLimitExceeded:
        services.job_fail(job_id, "reading the file took too long")


@shared_task(ignore_result=True)
def requeue_stale_imports() -> int:
    return services.jobs_requeue_stale()


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def search_transcripts(job_id: int) -> None:
    review.search_all(job_id)
