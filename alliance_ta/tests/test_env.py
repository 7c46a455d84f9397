from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from alliance_ta.env import database_from_url, env_bool, env_int, env_list, redis_url


@pytest.mark.parametrize(
    ("raw", "value"), [("1", True), ("yes", True), ("ON", True), ("0", False), ("off", False)]
)
def test_env_bool_reads_the_usual_spellings(monkeypatch, raw, value):
    monkeypatch.setenv("FLAG", raw)
    assert env_bool("FLAG", default=not value) is value


def test_env_bool_defaults_when_unset_or_blank(monkeypatch):
    monkeypatch.delenv("FLAG", raising=False)
    assert env_bool("FLAG", default=True) is True
    monkeypatch.setenv("FLAG", "  ")
    assert env_bool("FLAG", default=False) is False


def test_env_bool_rejects_anything_else(monkeypatch):
    monkeypatch.setenv("DEBUG", "maybe")
    with pytest.raises(ImproperlyConfigured, match=r"DEBUG must be one of .*got 'maybe'"):
        env_bool("DEBUG", default=False)


def test_env_int_checks_type_and_range(monkeypatch):
    monkeypatch.setenv("LIMIT", "12")
    assert env_int("LIMIT", 5, minimum=1) == 12
    monkeypatch.setenv("LIMIT", "twelve")
    with pytest.raises(ImproperlyConfigured, match="LIMIT must be a whole number; got 'twelve'"):
        env_int("LIMIT", 5)
    monkeypatch.setenv("LIMIT", "0")
    with pytest.raises(ImproperlyConfigured, match="LIMIT must be between 1 and None; got 0"):
        env_int("LIMIT", 5, minimum=1)


def test_env_list_splits_on_commas(monkeypatch):
    monkeypatch.setenv("HOSTS", " a.example , b.example,, ")
    assert env_list("HOSTS", []) == ["a.example", "b.example"]


def test_postgres_url():
    database = database_from_url("postgres://ana:p%40ss@db.internal:6543/alliance?sslmode=require")
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert (database["NAME"], database["USER"], database["PASSWORD"]) == ("alliance", "ana", "p@ss")
    assert (database["HOST"], database["PORT"], database["OPTIONS"]) == (
        "db.internal",
        "6543",
        {"sslmode": "require"},
    )


def test_sqlite_url_is_in_wal_mode():
    database = database_from_url("sqlite:////srv/alliance/db.sqlite3")
    assert database["NAME"] == Path("/srv/alliance/db.sqlite3")
    assert "journal_mode=WAL" in database["OPTIONS"]["init_command"]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://root@localhost/x", "must start with postgres://, postgresql:// or sqlite:///"),
        ("postgres://ana:secret@localhost/", "names no database"),
        ("postgres://ana:secret@localhost:notaport/x", "bad port"),
        ("sqlite://", "names no SQLite file"),
    ],
)
def test_bad_database_urls_are_named_without_their_password(url, message):
    with pytest.raises(ImproperlyConfigured, match=message) as error:
        database_from_url(url)
    assert "secret" not in str(error.value)


def test_redis_url_must_be_redis(monkeypatch):
    monkeypatch.setenv("REDIS_URL", "amqp://guest:guest@localhost//")
    with pytest.raises(ImproperlyConfigured, match="REDIS_URL must start with redis://"):
        redis_url()
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    assert redis_url() == "redis://127.0.0.1:6379/0"
