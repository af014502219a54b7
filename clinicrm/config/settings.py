"""Clinicrm settings: one module, driven by the environment.

DJANGO_ENV=production turns on the hardened profile and refuses to start without its secrets.
Everything else defaults to a local development setup on SQLite.
"""

import ipaddress
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from clinicrm.core.storage_config import storages_default_from_environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent
ENV = os.environ.get("DJANGO_ENV", "development")
PRODUCTION = ENV == "production"


def _env(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if value is None or (PRODUCTION and value == ""):
        raise ImproperlyConfigured(f"Environment variable {name} is required in production.")
    return value


def _env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


if PRODUCTION:
    SECRET_KEY = _env("DJANGO_SECRET_KEY")
    ALLOWED_HOSTS = [h.strip() for h in _env("DJANGO_ALLOWED_HOSTS").split(",") if h.strip()]
    DEBUG = False
else:
    SECRET_KEY = os.environ.get(
        "DJANGO_SECRET_KEY", "dev-insecure-key-only-for-local-use-0123456789abcdefghijklmnop"
    )
    ALLOWED_HOSTS = ["*"]
    DEBUG = _env_bool("DJANGO_DEBUG", True)

# Public base URL of this deployment (webhook signatures are computed on it).
PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/")

# No django.contrib.admin: SaaS staff work in /saas/, and a second login page would be one more
# door to throttle and audit.
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_tasks_db",
    # django-ninja as an installed app serves its Swagger UI from our own static files (no CDN,
    # no inline script), so /api/v1/docs works under the strict CSP.
    "ninja",
    "clinicrm.core",
    "clinicrm.people",
    "clinicrm.agenda",
    "clinicrm.dashboard",
    "clinicrm.api",
    "clinicrm.integrations",
    "clinicrm.credits",
    "clinicrm.messaging",
    "clinicrm.crm",
    "clinicrm.search",
    "clinicrm.saas",
    "clinicrm.automation",
    "clinicrm.compliance",
]
# Fakes, the phone simulator, the demo seed: never installed (nor routed) in production.
if not PRODUCTION:
    INSTALLED_APPS.append("clinicrm.devtools")

MIDDLEWARE = [
    # First: every later log line of the request carries its id (core/log_context.py).
    "clinicrm.core.log_context.RequestIdMiddleware",
    "clinicrm.core.metrics.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # WhiteNoise's own middleware is sync-only, which under ASGI costs a thread hop for
    # everything below it; this subclass is async capable (core/static_middleware.py).
    "clinicrm.core.static_middleware.AsyncWhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "clinicrm.core.accounts.middleware.SessionExpiryMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "clinicrm.core.tenancy.TenantMiddleware",
    "clinicrm.core.error_views.BadParameterMiddleware",
]

ROOT_URLCONF = "clinicrm.config.urls"
WSGI_APPLICATION = "clinicrm.config.wsgi.application"
ASGI_APPLICATION = "clinicrm.config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # Each provider folder keeps its own pages (integrations/<provider>/templates/<provider>/):
        # the folders are not apps, so their template directories are listed here, all at once.
        "DIRS": [
            BASE_DIR / "clinicrm" / "templates",
            *sorted((BASE_DIR / "clinicrm" / "integrations").glob("*/templates")),
        ],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
                "clinicrm.core.context_processors.shell",
            ],
        },
    }
]

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", "")
SQLITE_PATH = Path(os.environ.get("SQLITE_PATH", BASE_DIR / "var" / "db.sqlite3"))
if DATABASE_URL and not DATABASE_URL.startswith("sqlite"):
    _db = dj_database_url.parse(DATABASE_URL, conn_max_age=0)
    _db.setdefault("OPTIONS", {})
    _db["TEST"] = {"NAME": os.environ.get("DATABASE_TEST_NAME", "test_clinicrm")}
    DATABASES = {"default": _db}
else:
    if PRODUCTION and not DATABASE_URL:
        raise ImproperlyConfigured("DATABASE_URL is required in production.")
    SQLITE_PATH.parent.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(SQLITE_PATH),
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
            # A file, not :memory:, so multi-process concurrency tests share the database.
            "TEST": {
                "NAME": os.environ.get("SQLITE_TEST_PATH", str(BASE_DIR / "var" / "test.sqlite3"))
            },
        }
    }

# psycopg's pool instead of one new connection per request and per task (CONN_MAX_AGE must stay 0
# with a pool): on by default in production (DATABASE_POOL=0 turns it off), opt-in elsewhere. It
# bounds each process's sessions, so a burst of requests (a reconnect storm of SSE streams) waits
# for a connection instead of exhausting PostgreSQL; past DATABASE_POOL_TIMEOUT the answer is 503.
if DATABASES["default"]["ENGINE"].endswith("postgresql") and _env_bool("DATABASE_POOL", PRODUCTION):
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"]["pool"] = {
        "min_size": int(os.environ.get("DATABASE_POOL_MIN", "2")),
        "max_size": int(os.environ.get("DATABASE_POOL_MAX", "10")),
        "timeout": float(os.environ.get("DATABASE_POOL_TIMEOUT", "10")),
    }

# Row-level security on every tenant table (core/rls.py), PostgreSQL only: on by default in
# production (DATABASE_RLS=0 turns it off), opt-in elsewhere. The database user must be neither a
# superuser nor BYPASSRLS, or every policy is skipped: docs/deploy.md. DATABASE_ROLE makes each
# connection `SET ROLE` to that role (a login user that may only assume the application's role).
DATABASE_RLS = DATABASES["default"]["ENGINE"].endswith("postgresql") and _env_bool(
    "DATABASE_RLS", PRODUCTION
)
if os.environ.get("DATABASE_ROLE") and DATABASES["default"]["ENGINE"].endswith("postgresql"):
    DATABASES["default"]["OPTIONS"]["assume_role"] = os.environ["DATABASE_ROLE"]

# LISTEN sessions (realtime hub, task wake-up) need a direct server connection: set this when
# DATABASE_URL points at a transaction-mode pooler such as PgBouncer (core/dbutil.py).
DATABASE_DIRECT_URL = os.environ.get("DATABASE_DIRECT_URL", "")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "core.User"
LOGIN_URL = "core:login"
LOGIN_REDIRECT_URL = "dashboard:home"
LOGOUT_REDIRECT_URL = "core:login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if not PRODUCTION and _env_bool("FAST_PASSWORD_HASHER", False):
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Every password check goes through the login throttle (core/accounts/backends.py).
AUTHENTICATION_BACKENDS = ["clinicrm.core.accounts.backends.ThrottledModelBackend"]

# Login throttle, counted over failures younger than the window. Per (account, client IP): the
# first FREE failures cost nothing, then each attempt waits BASE, 2*BASE, 4*BASE ... up to MAX
# seconds after the previous failure. Per client IP (any account): at most IP_MAX failures. No
# account is ever locked: an attacker's failures only delay attempts from the attacker's address.
LOGIN_THROTTLE_WINDOW_SECONDS = int(os.environ.get("LOGIN_THROTTLE_WINDOW_SECONDS", "900"))
LOGIN_THROTTLE_FREE_FAILURES = int(os.environ.get("LOGIN_THROTTLE_FREE_FAILURES", "3"))
LOGIN_THROTTLE_BASE_DELAY_SECONDS = int(os.environ.get("LOGIN_THROTTLE_BASE_DELAY_SECONDS", "5"))
LOGIN_THROTTLE_MAX_DELAY_SECONDS = int(os.environ.get("LOGIN_THROTTLE_MAX_DELAY_SECONDS", "300"))
# A clinic's staff often share one public address: room for several people's typos.
LOGIN_THROTTLE_IP_MAX_FAILURES = int(os.environ.get("LOGIN_THROTTLE_IP_MAX_FAILURES", "20"))

# Reverse proxies whose X-Forwarded-For hops are believed (comma-separated CIDRs, e.g.
# "10.0.0.0/8,172.16.0.0/12"). Empty: the client IP is REMOTE_ADDR (core/client_ip.py).
TRUSTED_PROXIES = [c.strip() for c in os.environ.get("TRUSTED_PROXIES", "").split(",") if c.strip()]
for _cidr in TRUSTED_PROXIES:
    ipaddress.ip_network(_cidr, strict=False)  # a typo fails at start-up, not silently

# Password recovery and invitations (core/accounts/): how long a link works, and how many
# reset e-mails one account (or one client IP) can trigger per hour.
PASSWORD_RESET_TIMEOUT = int(os.environ.get("PASSWORD_RESET_TIMEOUT_SECONDS", "3600"))
INVITE_TIMEOUT_SECONDS = int(os.environ.get("INVITE_TIMEOUT_SECONDS", str(7 * 24 * 3600)))
PASSWORD_RESET_MAX_PER_HOUR = int(os.environ.get("PASSWORD_RESET_MAX_PER_HOUR", "3"))
PASSWORD_RESET_IP_MAX_PER_HOUR = int(os.environ.get("PASSWORD_RESET_IP_MAX_PER_HOUR", "20"))
# Posts to the public patient intake form (compliance/intake/) per address and hour.
INTAKE_PUBLIC_MAX_PER_HOUR = int(os.environ.get("INTAKE_PUBLIC_MAX_PER_HOUR", "30"))
# LGPD (compliance/): how long the signed download link of a patient's data export works.
LGPD_EXPORT_LINK_SECONDS = int(os.environ.get("LGPD_EXPORT_LINK_SECONDS", str(24 * 3600)))
# Retention (compliance/retention.py, run by the scheduler): days before handled webhook
# bodies and headers are emptied (metadata kept), realtime events and failed-login rows deleted,
# and intake submissions rejected (or unreviewed when their invite expired) deleted.
RETENTION_INBOUND_BODY_DAYS = int(os.environ.get("RETENTION_INBOUND_BODY_DAYS", "90"))
# Short on purpose: realtime events only serve a reconnecting browser's replay (see
# compliance/retention.py); the retention job is their only purge, and audits it.
RETENTION_REALTIME_DAYS = int(os.environ.get("RETENTION_REALTIME_DAYS", "2"))
RETENTION_LOGIN_ATTEMPT_DAYS = int(os.environ.get("RETENTION_LOGIN_ATTEMPT_DAYS", "30"))
RETENTION_INTAKE_DAYS = int(os.environ.get("RETENTION_INTAKE_DAYS", "90"))

# Session expiry (core/accounts/middleware.py): a session ends after this long without the
# member's own activity (polls and the realtime stream do not count), and at most this long after
# login. Health data: 30 minutes idle by default. The cookie and the stored session live as long
# as the absolute limit.
SESSION_IDLE_TIMEOUT_SECONDS = int(os.environ.get("SESSION_IDLE_TIMEOUT_SECONDS", str(30 * 60)))
SESSION_MAX_AGE_SECONDS = int(os.environ.get("SESSION_MAX_AGE_SECONDS", str(12 * 3600)))
SESSION_COOKIE_AGE = SESSION_MAX_AGE_SECONDS

# --- E-mail ---------------------------------------------------------------------------------
# Development and the demo print e-mails (links included) on the task worker's console;
# production sends through SMTP (see the README's production settings). Django 6.1's MAILERS
# replaces the EMAIL_* settings; the environment variables keep their familiar names.
_EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "clinicrm.devtools.mail.ReadableConsoleEmailBackend",
)
_EMAIL_OPTIONS: dict[str, object] = {}
if _EMAIL_BACKEND.endswith("smtp.EmailBackend"):
    _EMAIL_SSL = _env_bool("EMAIL_USE_SSL", False)  # implicit TLS, usually port 465
    _EMAIL_OPTIONS = {
        "host": os.environ.get("EMAIL_HOST", "localhost"),
        "port": int(os.environ.get("EMAIL_PORT", "465" if _EMAIL_SSL else "587")),
        "username": os.environ.get("EMAIL_HOST_USER", ""),
        "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
        "use_ssl": _EMAIL_SSL,
        "use_tls": _env_bool("EMAIL_USE_TLS", not _EMAIL_SSL),  # STARTTLS, usually port 587
        "timeout": int(os.environ.get("EMAIL_TIMEOUT", "20")),
    }
MAILERS = {"default": {"BACKEND": _EMAIL_BACKEND, "OPTIONS": _EMAIL_OPTIONS}}
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Clinicrm <nao-responda@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- I18N / time ----------------------------------------------------------------------------
LANGUAGE_CODE = "pt-br"
LANGUAGES = [("pt-br", "Português (Brasil)")]
TIME_ZONE = "America/Sao_Paulo"
USE_I18N = True
USE_TZ = True

# --- Static and media -----------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
# clinicrm/static/ (app.css, app.js) belongs to no app, so the static finders must be told.
STATICFILES_DIRS = [BASE_DIR / "clinicrm" / "static"]
PRIVATE_MEDIA_ROOT = Path(os.environ.get("PRIVATE_MEDIA_ROOT", BASE_DIR / "var" / "private"))
# Private media: local disk, or an S3-compatible private bucket with STORAGE_URL / AWS_* (see
# core/storage_config.py; `manage.py media_migrate --to s3` copies the local files over).
STORAGES = {
    "default": storages_default_from_environ(PRIVATE_MEDIA_ROOT),
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)

# --- Tasks ----------------------------------------------------------------------------------
TASKS = {
    "default": {
        # django-tasks-db's DatabaseBackend carrying the row-level-security scope of the enqueuer.
        "BACKEND": os.environ.get(
            "TASKS_BACKEND", "clinicrm.core.task_backend.ScopedDatabaseBackend"
        ),
        "QUEUES": ["default", "webhooks", "sends"],
    }
}
# `manage.py worker` and `manage.py scheduler` beat this often; a worker silent for
# PROCESS_STALE_SECONDS is dead and the reaper re-queues its running task (core/heartbeats.py).
PROCESS_HEARTBEAT_SECONDS = float(os.environ.get("PROCESS_HEARTBEAT_SECONDS", "10"))
PROCESS_STALE_SECONDS = float(os.environ.get("PROCESS_STALE_SECONDS", "30"))

# --- Security -------------------------------------------------------------------------------
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "font-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_SSL_REDIRECT = _env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    CSRF_TRUSTED_ORIGINS = [
        o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
    ]

# --- Logging: never personal data; handlers log ids and event types only ----------------------
# One handler, and every logger writes through it: Django's own ("django" lost its DEBUG-only
# console and mail_admins handlers, "django.server" its own) and granian's workers (access log,
# when enabled). The redaction filter sits on the handler, so no logger escapes it, in DEBUG or
# not: no webhook or media token, reset link, query string, phone or CPF leaves in a log line.
# Production writes one JSON object per line (time, level, logger, message, request_id,
# tenant_id, process, exc: core/log_json.py); development the plain line. LOG_FORMAT overrides.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "json" if PRODUCTION else "plain")
if LOG_FORMAT not in ("json", "plain"):
    raise ImproperlyConfigured("LOG_FORMAT must be json or plain")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "clinicrm.core.log_json.JsonFormatter"},
    },
    "filters": {
        "context": {"()": "clinicrm.core.log_context.LogContext"},
        "redact": {"()": "clinicrm.core.log_filters.RedactPersonalData"},
        "db_unavailable": {"()": "clinicrm.core.log_filters.DatabaseUnavailableAsWarning"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["context", "redact"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.server": {"handlers": [], "level": "INFO", "propagate": True},
        "django.db.backends": {"level": "WARNING"},
        # httpx logs every request URL at INFO; Asaas customer look-ups carry the CPF/CNPJ.
        "httpx": {"level": "WARNING"},
        "django.request": {"filters": ["db_unavailable"]},
        "_granian": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "granian.access": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}

# --- Providers (base URLs are settings so tests and the demo point at local fakes) -----------
EVOLUTION_BASE_URL = os.environ.get("EVOLUTION_BASE_URL", "http://127.0.0.1:8081")
TWILIO_API_BASE_URL = os.environ.get("TWILIO_API_BASE_URL", "")
ASAAS_ENVIRONMENT = os.environ.get("ASAAS_ENVIRONMENT", "sandbox")
ASAAS_BASE_URL = os.environ.get("ASAAS_BASE_URL", "")
ASAAS_API_KEY = os.environ.get("ASAAS_API_KEY", "")
ASAAS_WEBHOOK_TOKEN = os.environ.get("ASAAS_WEBHOOK_TOKEN", "")
# Global API key of the Evolution server (AUTHENTICATION_API_KEY there): only used to create
# instances; every other call uses the instance's own key, stored encrypted on the channel.
EVOLUTION_API_KEY = os.environ.get("EVOLUTION_API_KEY", "")

# --- Messaging --------------------------------------------------------------------------------
# Fernet key(s) for channel secrets at rest, comma-separated (first encrypts, all decrypt).
# Empty: a key derived from SECRET_KEY (development). Generate one with
# `python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"`.
# Production must name its key: one derived from SECRET_KEY would make rotating that key
# silently lock every stored channel secret.
FIELD_ENCRYPTION_KEY = (
    _env("FIELD_ENCRYPTION_KEY") if PRODUCTION else os.environ.get("FIELD_ENCRYPTION_KEY", "")
)
# Outbox reconciliation (messaging/services/reconcile.py), in seconds:
# - a send still unsettled this long after its attempt (timeout, worker killed) is asked about;
# - "the provider has no such message" settles it as failed (and refunds) only once this
#   deadline has passed since the attempt; before it, and whenever the provider cannot be
#   reached, the message stays "verificando entrega" and is asked again with backoff;
# - a message the provider accepted and that still has no final status this long after the
#   send (callbacks lost) has its status fetched, with backoff, until the poll deadline;
# - backoff doubles from the first delay up to the cap; provider clocks may differ from ours by
#   up to the skew (a provider message must be created after the attempt minus the skew).
MESSAGING_RECONCILE_AFTER_SECONDS = int(os.environ.get("MESSAGING_RECONCILE_AFTER_SECONDS", "120"))
MESSAGING_SEND_DEADLINE_SECONDS = int(os.environ.get("MESSAGING_SEND_DEADLINE_SECONDS", "900"))
MESSAGING_STATUS_CHECK_AFTER_SECONDS = int(
    os.environ.get("MESSAGING_STATUS_CHECK_AFTER_SECONDS", "600")
)
MESSAGING_STATUS_POLL_DEADLINE_SECONDS = int(
    os.environ.get("MESSAGING_STATUS_POLL_DEADLINE_SECONDS", str(3 * 24 * 3600))
)
MESSAGING_RECONCILE_BACKOFF_MAX_SECONDS = int(
    os.environ.get("MESSAGING_RECONCILE_BACKOFF_MAX_SECONDS", "3600")
)
MESSAGING_RECONCILE_CLOCK_SKEW_SECONDS = int(
    os.environ.get("MESSAGING_RECONCILE_CLOCK_SKEW_SECONDS", "5")
)
# SSE: poll interval of the events table (SQLite, or PostgreSQL without LISTEN), heartbeat
# period, and a stream's lifetime before the browser reconnects with Last-Event-ID (seconds).
MESSAGING_SSE_POLL_SECONDS = float(os.environ.get("MESSAGING_SSE_POLL_SECONDS", "1.0"))
MESSAGING_SSE_HEARTBEAT_SECONDS = float(os.environ.get("MESSAGING_SSE_HEARTBEAT_SECONDS", "15"))
MESSAGING_SSE_MAX_SECONDS = float(os.environ.get("MESSAGING_SSE_MAX_SECONDS", "300"))
# PostgreSQL: feed SSE streams through one LISTEN connection per ASGI process (messaging/hub.py)
# instead of polling; "0" falls back to polling the events table (always the case on SQLite).
MESSAGING_SSE_LISTEN = _env_bool("MESSAGING_SSE_LISTEN", True)

# --- Metrics: /metrics for Prometheus with "Authorization: Bearer <METRICS_TOKEN>" (unset: 404).
# Several web processes: PROMETHEUS_MULTIPROC_DIR names an empty directory (core/metrics.py).
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
METRICS_WINDOW_SECONDS = int(os.environ.get("METRICS_WINDOW_SECONDS", "300"))

# --- Error reporting (optional): Sentry when SENTRY_DSN is set; no personal data is sent
# (send_default_pii=False and the log redaction on every event: core/sentry.py).
SENTRY_DSN = os.environ.get("SENTRY_DSN", "")
if SENTRY_DSN:
    from clinicrm.core.sentry import sentry_init

    sentry_init(
        dsn=SENTRY_DSN,
        environment=os.environ.get("SENTRY_ENVIRONMENT", ENV),
        release=os.environ.get("SENTRY_RELEASE", ""),
    )
