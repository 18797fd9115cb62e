"""Settings for the test suite: the real settings, with fast hashing and captured mail."""

from .settings import *

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
ALLOWED_HOSTS = [*ALLOWED_HOSTS, "testserver"]
# Each test process its own memory cache (tests/conftest.py clears it for each test).
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # The suite's flush truncates the append-only tables between transactional tests (editorial.protection).
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c editorial.allow_truncate=on"
