"""Settings, read from the environment; the defaults are the embedded set-up (SQLite, in-process tasks)."""

import datetime
import os
import secrets
import tempfile
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()


def env_value(name: str, default: str = "") -> str:
    """A variable's value; set but empty counts as unset (django-environ would parse "" to an empty dict)."""
    return os.environ.get(name) or default


def env_bool(name: str, default: bool) -> bool:
    return env.bool(name, default=default) if env_value(name) else default


def env_list(name: str, default: list[str]) -> list[str]:
    return [item.strip() for item in env.list(name) if item.strip()] if env_value(name) else default


DEBUG = env_bool("DEBUG", False)


def secret_key(path: Path = BASE_DIR / ".secret_key") -> str:
    """SECRET_KEY from the environment; else a random key kept in a file beside the embedded database, never
    a constant from the source (which would let anyone forge sessions).

    Several processes may start at once: the key is written whole to a file of this process's own (mode
    0600), then linked to its name, which fails if another process got there first. So the name only
    ever holds a complete key, every process reads the same one, and none waits.
    """
    if env_value("SECRET_KEY"):
        return env_value("SECRET_KEY")
    if not path.exists():
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".secret_key-")  # mode 0600
        try:
            with os.fdopen(descriptor, "w") as file:
                file.write(secrets.token_urlsafe(64))
                file.flush()
                os.fsync(file.fileno())
            os.link(temporary, path)
        except FileExistsError:
            pass  # another process made it: use theirs
        finally:
            os.unlink(temporary)
    key = path.read_text().strip()
    if len(key) < 50:
        raise RuntimeError(f"{path} holds no usable secret key; delete it to make a new one, or set SECRET_KEY")
    return key


SECRET_KEY = secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "axes",
    "django_filters",
    "drf_spectacular",
    "django_fsm",
    "articles",
    "reviewers",
    "editorial",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Anonymous public pages straight from the cache, before the rest of the stack (no query on a hit).
    "editorial.web.public.caching.PublicPageCache",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "editorial.accounts.SignInLimitMiddleware",
    "editorial.accounts.SessionTimeoutMiddleware",
    # A lost race (409) or a busy database (503) is a page that says so, not a 500.
    "editorial.web.errors.RetryablePageErrors",
    # Last: turns a sign-in refused for a locked-out username into the 429 page (editorial.accounts).
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # First: refuses every sign-in for a username locked out after repeated failures.
    "axes.backends.AxesStandaloneBackend",
    # Django's model backend, with a user's permissions in one query (editorial.accounts).
    "editorial.accounts.RoleBackend",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "editorial.context_processors.desk",
                "editorial.limits.context_processor",
            ],
        },
    },
]


def database_from_env() -> dict:
    config = env.db_url_config(env_value("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"))
    # Persistent connections (checked before reuse): a new PostgreSQL connection per request costs more than
    # most requests do.
    config.update({"CONN_MAX_AGE": int(env_value("CONN_MAX_AGE", "60")), "CONN_HEALTH_CHECKS": True})
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # IMMEDIATE takes the write lock at BEGIN, so racing writers queue instead of
        # failing with "database is locked" half-way through a transaction.
        # WAL lets readers (a long audit export) run beside the writer; synchronous=NORMAL is WAL's safe setting.
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": int(env_value("SQLITE_BUSY_TIMEOUT", "20")),
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    elif config["ENGINE"] == "django.db.backends.postgresql":
        # No JIT: the planner's cost for the token query (the user's permissions in a subquery) passes JIT's
        # threshold, and compiling it took 30-70 ms of a 10 ms request. Short queries gain nothing from it.
        options = config.setdefault("OPTIONS", {})
        options["options"] = f"{options.get('options', '')} -c jit=off".strip()
    return config


DATABASES = {"default": database_from_env()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Sign-in (API.md "Sign-in and signing attempts"): 10 consecutive failures for one username, through the
# web form, the admin or the API token endpoint, lock that username for 15 minutes; a success resets the
# count. django-axes keeps the counts in the database, so every web process agrees.
AXES_FAILURE_LIMIT = 10
AXES_COOLOFF_TIME = datetime.timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # 15 minutes from the lock, however many tries meanwhile
AXES_LOCKOUT_CALLABLE = "editorial.accounts.lockout_response"
AXES_CLIENT_IP_CALLABLE = "editorial.accounts.axes_client_address"
AXES_VERBOSE = False
# axes.W006 asks to lock addresses too: the per-address limit below does that, with a bound that an office
# behind one address does not reach by honest mistakes (axes would lock it after 10 failures by anyone).
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
# On top, per client address (through NUM_PROXIES), counted in the shared cache: attempts at any usernames.
EDITORIAL_SIGN_IN_ATTEMPTS_PER_ADDRESS = int(env_value("SIGN_IN_ATTEMPTS_PER_ADDRESS", "50"))
EDITORIAL_SIGN_IN_WINDOW_SECONDS = 15 * 60
# Signing a decision: 5 consecutive wrong passwords lock that member's signing for 15 minutes.
EDITORIAL_SIGNING_FAILURE_LIMIT = 5
EDITORIAL_SIGNING_LOCK = datetime.timedelta(minutes=15)

# API tokens (django-rest-knox): hashed at rest, expiring, revocable; a new password or a deactivation ends
# them all. `Authorization: Token <token>` as before.
REST_KNOX = {
    "TOKEN_TTL": datetime.timedelta(hours=int(env_value("API_TOKEN_TTL_HOURS", "10"))),
    "AUTH_HEADER_PREFIX": "Token",
    "TOKEN_LIMIT_PER_USER": 20,
}

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Where collectstatic gathers files for production; unset, WhiteNoise serves them from the apps directly.
STATIC_ROOT = env_value("STATIC_ROOT") or None
STATICFILES_DIRS = [BASE_DIR / "static"]
# WhiteNoise serves static files from the app server, also with DEBUG off; in tests and the embedded
# default it finds them without collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"
# Sessions end after a working day however busy (absolute), or after 30 minutes without a request (idle).
SESSION_COOKIE_AGE = 8 * 3600
EDITORIAL_SESSION_IDLE_SECONDS = int(env_value("SESSION_IDLE_MINUTES", "30")) * 60

# Request limits (API.md, Conventions): 1 MiB a request.
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
EDITORIAL_MAX_REQUEST_BYTES = 1024 * 1024
EDITORIAL_MAX_BODY_CHARS = 200_000
EDITORIAL_MAX_TEXT_CHARS = 20_000


# Default ports by scheme when the URL names none (django-environ leaves them unset).
EMAIL_DEFAULT_PORTS = {"smtp": 25, "smtp+tls": 587, "smtps": 587, "smtp+ssl": 465}


# Names Django users also write (and this project's first edition took), for django-environ's schemes.
EMAIL_SCHEME_ALIASES = {"locmem": "memorymail", "console": "consolemail", "submission": "smtp+tls", "file": "filemail"}


def email_from_env() -> dict:
    """EMAIL_URL in django-environ's schemes: consolemail:// (the default), smtp://, smtp+tls:// (STARTTLS),
    smtp+ssl:// (TLS from the start), filemail:///relative/dir or filemail:////absolute/dir, memorymail://;
    also locmem://, console://, submission:// and file:// (the same as memorymail, consolemail, smtp+tls,
    filemail)."""
    url = env_value("EMAIL_URL", "consolemail://")
    scheme, _, rest = url.partition("://")
    url = f"{EMAIL_SCHEME_ALIASES.get(scheme, scheme)}://{rest}"
    config = {key: value for key, value in env.email_url_config(url).items() if value not in (None, "")}
    scheme = url.split("://", 1)[0]
    if scheme in EMAIL_DEFAULT_PORTS:
        config.setdefault("EMAIL_PORT", EMAIL_DEFAULT_PORTS[scheme])
    return config


globals().update(email_from_env())
# A mail server that hangs must not hold a worker for ever (mail is sent outside any database lock).
EMAIL_TIMEOUT = int(env_value("EMAIL_TIMEOUT", "10"))
DEFAULT_FROM_EMAIL = env_value("DEFAULT_FROM_EMAIL", "editorial@localhost")
EDITORIAL_SITE_URL = env_value("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# Periodic re-review: an approved article is due again after this many days (per-article override).
EDITORIAL_REVIEW_INTERVAL_DAYS = int(env_value("REVIEW_INTERVAL_DAYS", "365"))

# Signed checkpoints of the audit chain head, outside the database (editorial.checkpoints). Set the key in
# production, the same on every machine, and keep it away from the database and from its administrators.
AUDIT_CHECKPOINT_DIR = env_value("AUDIT_CHECKPOINT_DIR", str(BASE_DIR / "var" / "audit-checkpoints"))
AUDIT_CHECKPOINT_KEY = env_value("AUDIT_CHECKPOINT_KEY")

# Celery: no broker configured -> tasks run in-process (the embedded default).
# The outbox's sweeper sends again what was handed to the broker but not done after this many seconds.
EDITORIAL_OUTBOX_STALE_SECONDS = int(env_value("EDITORIAL_OUTBOX_STALE_SECONDS", "60"))
CELERY_BROKER_URL = env_value("CELERY_BROKER_URL") or None
CELERY_RESULT_BACKEND = env_value("CELERY_RESULT_BACKEND") or None
CELERY_TASK_ALWAYS_EAGER = CELERY_BROKER_URL is None
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_DEFAULT_QUEUE = env_value("CELERY_QUEUE", "editorial")
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # Above the longest task (hard limit 180 s); no task is scheduled with an ETA (beat and the
    # database hold the schedule), so nothing waits in Redis longer than this.
    "visibility_timeout": int(env_value("CELERY_VISIBILITY_TIMEOUT", "600")),
    # Without these, delay() waits forever on a broker that accepts connections but never answers.
    "socket_timeout": 5,
    "socket_connect_timeout": 5,
    # Look for unacknowledged messages of dead workers every ~10 s rather than every ~100 s.
    "unacked_restore_interval": 5,
    "unacked_restore_throttle": 2,
}
CELERY_BROKER_CONNECTION_TIMEOUT = 5
CELERY_REDIS_SOCKET_TIMEOUT = 5
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 5
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
# Celery's Django fix-up closes the database connections around every task unless told to reuse them: a new
# connection per task cost ~4 ms, more than a skipped outbox task takes. config/celery.py closes them as
# Django does around a request (broken, in a transaction, or older than CONN_MAX_AGE).
CELERY_DB_REUSE_MAX = 1000
CELERY_BEAT_SCHEDULE = {
    "relay-outbox": {"task": "editorial.relay_outbox", "schedule": 10.0},
    "send-unsent-emails": {"task": "editorial.send_unsent_emails", "schedule": 300.0},
    "queue-due-publications": {"task": "editorial.queue_due_publications", "schedule": 15.0},
    "remind-overdue-assignments": {"task": "editorial.remind_overdue_assignments", "schedule": 6 * 3600.0},
    "send-digests": {"task": "editorial.send_digests", "schedule": 24 * 3600.0},
    "open-due-rereviews": {"task": "editorial.open_due_rereviews", "schedule": 6 * 3600.0},
    "audit-checkpoint": {"task": "editorial.audit_checkpoint", "schedule": 3600.0},
    "delete-expired-tokens": {"task": "editorial.delete_expired_tokens", "schedule": 24 * 3600.0},
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "editorial.accounts.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "editorial.api.pagination.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "editorial.api.errors.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # Throttles key on REMOTE_ADDR unless a trusted proxy count is given (never on a client's own header).
    "NUM_PROXIES": int(env_value("NUM_PROXIES", "0")),
}

# One cache every process shares, so cached pages, their tokens and the rate limits agree across web processes
# and workers: CACHE_URL (Redis in production); else the broker's Redis when there is one (keys prefixed);
# else, for the embedded default, files beside the database (the web server and the relay loop share them).
if env_value("CACHE_URL"):
    CACHES = {"default": env.cache_url_config(env_value("CACHE_URL"))}
    if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
        CACHES["default"]["BACKEND"] = "editorial.redis_cache.RedisCache"  # one client per pool (see there)
elif (env_value("CELERY_BROKER_URL") or "").startswith(("redis://", "rediss://")):
    CACHES = {
        "default": {
            "BACKEND": "editorial.redis_cache.RedisCache",
            "LOCATION": env_value("CELERY_BROKER_URL"),
            "KEY_PREFIX": "editorial-cache",
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(BASE_DIR / "var" / "cache"),
            "OPTIONS": {"MAX_ENTRIES": 20_000},
        }
    }

# With Redis, each process holds the public pages' tokens and Redis reports their changes (CLIENT TRACKING,
# editorial.tracked_keys): a page from the cache costs no round trip. Off for a Redis that refuses CLIENT.
EDITORIAL_TRACK_CACHE_KEYS = env_bool("TRACK_CACHE_KEYS", True)

SPECTACULAR_SETTINGS = {
    "TITLE": "Editorial API",
    "DESCRIPTION": "Medical articles through Medical Advisory Board review to numbered, auditable versions.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "editorial.api.schema.add_error_responses",
    ],
    "COMPONENT_SPLIT_REQUEST": True,
}

# Content Security Policy (ASVS 3.4.3): scripts only from our own static files, no plugins, no framing.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

# Security headers (ASVS V3); HTTPS-only settings switch on outside DEBUG when behind TLS.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
HTTPS = env_bool("HTTPS", False)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = int(env_value("HSTS_SECONDS", "31536000")) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
# Preloading asks browsers to ship the domain as HTTPS-only: hard to undo, so it can be switched off.
SECURE_HSTS_PRELOAD = HTTPS and env_bool("HSTS_PRELOAD", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
if HTTPS:
    # __Host- cookies: sent only over HTTPS, only to this host, for every path (ASVS 3.3.x).
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_value("LOG_LEVEL", "WARNING")},
}
