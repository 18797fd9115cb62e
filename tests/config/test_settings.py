"""config.settings reads the environment through django-environ: every documented EMAIL_URL starts the project."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

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
    assert found["CACHE"] == "django.core.cache.backends.redis.RedisCache"
    empty = settings_under({"DATABASE_URL": "", "CACHE_URL": ""})  # set but empty counts as unset
    assert empty["ENGINE"] == "django.db.backends.sqlite3"
    assert empty["CACHE"] == "django.core.cache.backends.locmem.LocMemCache"
