# The alliance-ta image for the full stack: the same image runs the web server and the worker.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app

# Dependencies first, so that a code change does not reinstall them.
COPY pyproject.toml requirements.lock README.md ./
RUN pip install -c requirements.lock .

COPY . .
RUN SECRET_KEY=collectstatic-only-key-not-used-at-run-time-0123456789abcdef \
    VAULT_KEYS=Y29sbGVjdHN0YXRpYy1vbmx5LW5vdC1hLXJlYWwta3k= \
    SERVE_STATIC=1 python manage.py collectstatic --noinput \
    && useradd --system --uid 1000 alliance && mkdir -p /data/media && chown -R alliance /data

USER alliance
ENV SERVE_STATIC=1 MEDIA_ROOT=/data/media VAR_DIR=/data
EXPOSE 8000
CMD ["gunicorn", "alliance_ta.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
