"""The load benchmark's own machinery, briefly: gunicorn on the test database, a few coders for two
seconds, every success stored. (Its timing decides nothing.)"""

import pytest
from django.core.management.base import CommandError
from django.db import connection

from coding.bench_load import load

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="gunicorn needs a database it can share: PostgreSQL"
)


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_short_run_stores_every_code_applied_and_nothing_else():
    result = load(coders=3, seconds=2, workers=2)
    assert result["requests"] > 0
    assert result["errors"] == 0, result["error_statuses"]
    assert result["stored"] == result["successes"] == result["requests"]
    assert result["lost"] == 0


@pytest.mark.django_db
def test_it_refuses_to_run_off_postgresql_in_one_line(monkeypatch):
    monkeypatch.setattr(connection, "vendor", "sqlite")
    with pytest.raises(CommandError, match="runs against gunicorn and PostgreSQL"):
        load(coders=1, seconds=1)
