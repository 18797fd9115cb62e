"""config.settings reads the environment through django-environ: every documented EMAIL_URL starts the project."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

# Each test starts fresh processes whose settings ignore the suite's database: run once, in the SQLite pass.
pytestmark = pytest.mark.one_database

ROOT = Path(__file__).resolve().parents[2]


def settings_under(env: dict) -> dict:
    """The mail, database and cache settings a fresh process reads with `env` (it must start to print them)."""
    code = (
        "import django, json; django.setup(); from django.conf import settings as s; "
        "print(json.dumps({k: getattr(s, k, None) for k in ('EMAIL_BACKEND', 'EMAIL_HOST', 'EMAIL_PORT', "
        "'EMAIL_USE_TLS', 'EMAIL_USE_SSL', 'EMAIL_FILE_PATH', 'EMAIL_HOST_USER')} | "
        "{'ENGINE': s.DATABASES['default']['ENGINE'], 'CACHE': s.CACHES['default']['BACKEND']}))"
    )
    base = {k: v for k, v in os.environ.items() if k not in ("EMAIL_URL", "DATABASE_URL", "CACHE_URL")}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    ("email_url", "expected"),
    [
        (None, {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}),
        ("", {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}),
        ("consolemail://", {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}),
        (
            "smtp+tls://mailer:secret@mail.example.org:587",
            {
                "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "EMAIL_HOST": "mail.example.org",
                "EMAIL_PORT": 587,
                "EMAIL_USE_TLS": True,
                "EMAIL_HOST_USER": "mailer",
            },
        ),
        (
            "smtp+ssl://mail.example.org",
            {"EMAIL_HOST": "mail.example.org", "EMAIL_PORT": 465, "EMAIL_USE_SSL": True},
        ),
        ("smtp+tls://mail.example.org", {"EMAIL_PORT": 587, "EMAIL_USE_TLS": True}),
        ("filemail:////tmp/editorial-mail", {"EMAIL_FILE_PATH": "/tmp/editorial-mail"}),
        ("memorymail://", {"EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"}),
        ("locmem://", {"EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"}),
        ("submission://mail.example.org", {"EMAIL_PORT": 587, "EMAIL_USE_TLS": True}),
    ],
)
def test_each_documented_email_url_starts_the_project(email_url, expected):
    env = {} if email_url is None else {"EMAIL_URL": email_url}
    found = settings_under(env)
    assert {k: found[k] for k in expected} == expected


def test_database_and_cache_urls():
    found = settings_under(
        {"DATABASE_URL": "postgres://postgres@127.0.0.1:5432/editorial", "CACHE_URL": "redis://127.0.0.1:6379/5"}
    )
    assert found["ENGINE"] == "django.db.backends.postgresql"
    assert found["CACHE"] == "editorial.redis_cache.RedisCache"  # Django's, with one client per pool
    empty = settings_under({"DATABASE_URL": "", "CACHE_URL": ""})  # set but empty counts as unset
    assert empty["ENGINE"] == "django.db.backends.sqlite3"
    # Shared by every process: files for the embedded default, else the broker's Redis.
    assert empty["CACHE"] == "django.core.cache.backends.filebased.FileBasedCache"
    brokered = settings_under({"CELERY_BROKER_URL": "redis://127.0.0.1:6379/0", "CACHE_URL": ""})
    assert brokered["CACHE"] == "editorial.redis_cache.RedisCache"


def test_the_secret_key_file_is_made_once_whole_and_private(tmp_path):
    """Eight processes start at once with no key: they all read the same complete key, from a 0600 file."""
    path = tmp_path / ".secret_key"
    code = (
        "import sys, pathlib; sys.argv = ['x']; import os; os.environ.pop('SECRET_KEY', None); "
        "from config.settings import secret_key; print(secret_key(pathlib.Path(sys.stdin.read())))"
    )
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    pipes = {"stdin": subprocess.PIPE, "stdout": subprocess.PIPE, "text": True}
    processes = [subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env, **pipes) for _ in range(8)]
    keys = {process.communicate(str(path), timeout=60)[0].strip() for process in processes}
    assert len(keys) == 1 and len(keys.pop()) >= 64
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert [p.name for p in tmp_path.iterdir()] == [".secret_key"]  # no temporary file left behind


def test_production_settings_pass_the_deployment_checklist():
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE")},
        "HTTPS": "1",
        "ALLOWED_HOSTS": "editorial.example.org",
        "AUDIT_CHECKPOINT_KEY": "a checkpoint key of its own",
        "SECRET_KEY": "k" * 10 + "a-long-random-looking-secret-key-for-the-deployment-check-9f8e7d6c5b4a",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_NAME, s.CSRF_COOKIE_NAME, s.SESSION_COOKIE_SECURE, s.SECURE_HSTS_PRELOAD, "
        "'testserver' in s.ALLOWED_HOSTS)"
    )
    shown = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True).stdout
    assert shown.split() == ["__Host-sessionid", "__Host-csrftoken", "True", "True", "False"]
