"""Settings for the test suite: the real settings, with fast hashing and captured mail."""

import os

from .settings import *

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Captured: in memory, or (a worker process the test must read) in files under a directory of the test's own.
# Never EMAIL_URL: a developer's real mail server must not receive test mail.
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
if os.environ.get("EDITORIAL_TEST_MAIL_DIR"):
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = os.environ["EDITORIAL_TEST_MAIL_DIR"]
ALLOWED_HOSTS = [*ALLOWED_HOSTS, "testserver"]
# Each test process its own memory cache (tests/conftest.py clears it for each test).
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # The suite's flush truncates the append-only tables between transactional tests (editorial.protection).
    options = DATABASES["default"].setdefault("OPTIONS", {})
    options["options"] = f"{options.get('options', '')} -c editorial.allow_truncate=on".strip()
