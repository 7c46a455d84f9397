"""The full stack's wiring: with REDIS_URL set, Celery and the shared cache use that Redis."""

import uuid

import pytest
import redis
from django.core.cache import cache

from alliance_ta.celery import app

pytestmark = pytest.mark.service


def test_celery_sends_tasks_to_redis_with_the_reliability_settings(redis_url):
    assert app.conf.broker_url == redis_url
    assert app.conf.task_always_eager is False
    with app.connection_for_write() as connection:
        connection.ensure_connection(max_retries=1)
    assert app.conf.task_acks_late and app.conf.task_reject_on_worker_lost
    assert app.conf.worker_prefetch_multiplier == 1
    assert app.conf.task_serializer == "json" and app.conf.accept_content == ["json"]
    assert app.conf.broker_transport_options["visibility_timeout"] > app.conf.task_time_limit


def test_the_cache_is_shared_through_redis(redis_url):
    key, value = f"probe-{uuid.uuid4()}", str(uuid.uuid4())
    cache.set(key, value, timeout=30)
    try:
        # Another process sees what this one stored: Redis holds it, not this process's memory.
        raw = redis.Redis.from_url(redis_url)
        assert any(value.encode() in raw.get(found) for found in raw.scan_iter(f"*{key}"))
    finally:
        cache.delete(key)
