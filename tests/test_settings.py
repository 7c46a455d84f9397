"""Start-up from the environment, as an operator meets it: `manage.py` in a fresh process."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
VAULT_KEY = "dGVzdHMtb25seS12YXVsdC1rZXktMDEyMzQ1Njc4OWE="
PRODUCTION = {
    "DEBUG": "0",
    "VAULT_KEYS": VAULT_KEY,
    "SECRET_KEY": "a-production-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
    "ALLOWED_HOSTS": "qual.example.ac.uk",
}


def manage(*args: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    environment = {
        key: value
        for key, value in os.environ.items()
        if key
        not in {
            "DEBUG",
            "SECRET_KEY",
            "ALLOWED_HOSTS",
            "DATABASE_URL",
            "REDIS_URL",
            "SECURE_SSL_REDIRECT",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
            "VAULT_KEYS",  # the browser tests' setting, never a deployment's
        }
    }
    environment.update(VAR_DIR=str(tmp_path), **env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_without_a_secret_key_nothing_starts_and_the_reason_is_one_line(tmp_path):
    result = manage("check", tmp_path=tmp_path, DEBUG="0")
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        "alliance-ta cannot start: SECRET_KEY is not set: set it to a long random string, or set DEBUG=1 for development"
    ]


@pytest.mark.parametrize(
    "command", [["check"], ["makemigrations", "--check", "--dry-run"], ["migrate"]]
)
def test_in_a_bare_environment_every_command_gives_the_reason_in_one_line(tmp_path, command):
    """No variables at all, as a fresh shell or a cron job has: Django would set the settings'
    error aside and fail later with an unrelated one."""
    result = subprocess.run(
        [sys.executable, "manage.py", *command],
        cwd=ROOT,
        env={"PATH": os.environ["PATH"], "VAR_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "alliance-ta cannot start: SECRET_KEY is not set: set it to a long random string, or set DEBUG=1 for development"
    ]


def test_debug_supplies_a_development_key(tmp_path):
    assert manage("check", tmp_path=tmp_path, DEBUG="1").returncode == 0


@pytest.mark.parametrize(
    ("env", "reason"),
    [
        (
            {"DEBUG": "perhaps"},
            "DEBUG must be one of 1/0, true/false, yes/no, on/off; got 'perhaps'",
        ),
        ({**PRODUCTION, "SECRET_KEY": "short"}, "SECRET_KEY must be at least 50 characters long"),
        (
            {"DEBUG": "1", "DATABASE_URL": "oracle://x/y"},
            "DATABASE_URL must start with postgres://",
        ),
        (
            {"DEBUG": "1", "SESSION_IDLE_MINUTES": "-5"},
            "SESSION_IDLE_MINUTES must be between 1 and None; got -5",
        ),
    ],
)
def test_a_bad_value_is_named(tmp_path, env, reason):
    result = manage("check", tmp_path=tmp_path, **env)
    assert result.returncode != 0
    assert reason in result.stderr
    assert "Traceback" not in result.stderr


def test_deploy_check_is_clean_under_production_settings(tmp_path):
    result = manage("check", "--deploy", "--fail-level", "WARNING", tmp_path=tmp_path, **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_without_redis_tasks_run_in_process_and_with_it_they_go_to_celery(tmp_path):
    code = "from django.conf import settings as s; print(s.CELERY_TASK_ALWAYS_EAGER, s.CELERY_BROKER_URL)"
    embedded = manage("shell", "-c", code, tmp_path=tmp_path, DEBUG="1")
    assert embedded.stdout.splitlines()[-1].split() == ["True", "memory://"]
    full = manage(
        "shell", "-c", code, tmp_path=tmp_path, DEBUG="1", REDIS_URL="redis://127.0.0.1:6379/3"
    )
    assert full.stdout.splitlines()[-1].split() == ["False", "redis://127.0.0.1:6379/3"]


def test_the_embedded_database_is_an_sqlite_file_in_var(tmp_path):
    code = "from django.db import connection as c; c.ensure_connection(); print(c.vendor, c.settings_dict['NAME'])"
    result = manage("shell", "-c", code, tmp_path=tmp_path, DEBUG="1")
    assert result.stdout.splitlines()[-1].split() == [
        "sqlite",
        str(tmp_path / "alliance-ta.sqlite3"),
    ]
