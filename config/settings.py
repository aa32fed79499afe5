"""Stepwise settings: one module, driven by the environment, with safe defaults.

Every variable is listed in `.env.example`. DEBUG is off unless the environment turns it on
(`make run` does, for local use); secrets come only from the environment in production.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from config.env import strict_bool

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# On/off flags are read with strict_bool: an unknown value (say `ture`) stops start-up instead of meaning off.
DEBUG = strict_bool("DEBUG", default=False)

if DEBUG:
    SECRET_KEY = env.str("SECRET_KEY", default="stepwise-local-development-key-not-for-production-use")
else:
    SECRET_KEY = env.str("SECRET_KEY")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "simple_history",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",  # backup codes for a lost phone
    "csp",
    "clinics",
    "patients",
    "challenges",
    "audit",
]

MIDDLEWARE = [
    "clinics.middleware.AllowedMethodsMiddleware",  # 405 for TRACE, PUT, DELETE... before anything else
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "clinics.auth.SessionPolicyMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "clinics.mfa.MFAGateMiddleware",
    "clinics.middleware.ClinicTimezoneMiddleware",
    "clinics.middleware.BrandedErrorPagesMiddleware",  # a view's 404/403 is the app's page, DEBUG or not
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",  # axes: last, turns a lockout into the lockout page
]

ROOT_URLCONF = "config.urls"

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
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

# SQLite by default (WAL mode, busy timeout, IMMEDIATE transactions so writers queue instead of
# failing with "database is locked"); PostgreSQL when DATABASE_URL says so.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
# The cache is a table of the same database (created by `manage.py createcachetable`; the test database gets it
# when it is created), so what is counted in it (password-reset requests) holds across every server process and
# every app server, not per process as Django's default in-memory cache would.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "stepwise_cache"},
    # Rendered bedside pages, per process: the key holds the page version read from the database on every request,
    # so an entry is never served for data it was not rendered from (docs/page-cache.md). About 60-120 KB each.
    "pages": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "stepwise-pages",
        "OPTIONS": {"MAX_ENTRIES": 400},
    },
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;",
        }
    )
    DATABASES["default"].setdefault("TEST", {})
    if env.str("TEST_SQLITE_FILE", default=""):
        DATABASES["default"]["TEST"]["NAME"] = env.str("TEST_SQLITE_FILE")
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "clinics.User"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
# ASVS 5.0 V6.2 / NIST SP 800-63B 3.1.1.2: at least 12 characters, no composition rules (so no
# NumericPasswordValidator, which refuses all-digit passwords), common and user-similar passwords refused.
# Django's maximum is 4096 characters, well over the 64 that V6.2.9 asks us to allow.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# Login throttling (django-axes 8). Axes checks first, then Django's ModelBackend signs in; authenticate() must
# be given the request (LoginView does; tests use force_login). See clinics/auth.py for the second, per-IP limit.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_HANDLER = "clinics.auth.TwoLimitAxesHandler"
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]  # counted per username at one address (review M2)
AXES_FAILURE_LIMIT = 5  # per username and address within the cool-off (NIST allows up to 100; axes' default is 3)
STEPWISE_AXES_IP_FAILURE_LIMIT = 20  # per client IP within the cool-off, across usernames (password spraying)
STEPWISE_AXES_USERNAME_FAILURE_LIMIT = 50  # per username from any address (guessing spread over many addresses)
AXES_COOLOFF_TIME = timedelta(minutes=30)  # axes' default is None: locked until an admin resets
AXES_RESET_ON_SUCCESS = True  # a correct sign-in clears that pair's count (not the IP's or the username's log)
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # the pause is a fixed 30 min, as the lockout page says
AXES_ENABLE_ACCESS_FAILURE_LOG = True  # every failure kept (up to 1,000 per username); also the per-IP count
AXES_LOCKOUT_TEMPLATE = "registration/lockout.html"
AXES_HTTP_RESPONSE_CODE = 429
AXES_CLIENT_IP_CALLABLE = "clinics.http.client_ip"
AXES_VERBOSE = False  # no start-up banner; failure log lines name only the username (the lockout parameter)
# Trusted reverse proxies appending X-Forwarded-For. Required in production (no default): with a proxy in front and
# the count left at 0, every user would share the proxy's address and one client could lock them all out (review M3).
# Set 0 only when nothing stands in front of the app. clinics.http.client_ip logs an error when it sees the header
# with a count of 0.
STEPWISE_PROXY_COUNT = env.int("STEPWISE_PROXY_COUNT", default=0) if DEBUG else env.int("STEPWISE_PROXY_COUNT")

# Two-factor sign-in (django-otp, TOTP): optional for staff unless this is on; see clinics/mfa.py.
STEPWISE_REQUIRE_MFA = strict_bool("STEPWISE_REQUIRE_MFA", default=False)
OTP_TOTP_ISSUER = "Stepwise"

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=30 * 60)  # shared clinic computers: 30 min idle
SESSION_SAVE_EVERY_REQUEST = False  # clinics.auth.SessionPolicyMiddleware extends the idle deadline (once a minute)
# Signed-in sessions (clinics.auth.SessionPolicyMiddleware): idle limits by role and an absolute limit since the
# password was typed (ASVS 4.0.3 V3.3.2 at L3: 15 min idle, 12 h absolute). Patients use their own phones.
STEPWISE_SESSION_IDLE_STAFF = 15 * 60
STEPWISE_SESSION_IDLE_PATIENT = 30 * 60
STEPWISE_SESSION_MAX_AGE = 12 * 60 * 60
# The bedside page of a running challenge keeps its session alive (challenges.run.views.page.keepalive), every 4 min;
# today's board refreshes itself every 30 s (static/stepwise/board.js; the refresh does not keep a session alive).
STEPWISE_KEEPALIVE_SECONDS = 4 * 60
STEPWISE_BOARD_POLL_SECONDS = 30
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = strict_bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Content-Security-Policy (django-csp 4): only our own scripts, styles and images; no inline script or style
# (templates carry no <script> blocks, on* handlers or style= attributes); data: images for Bootstrap's icons.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
# Powerful browser features Stepwise never uses (django-permissions-policy).
PERMISSIONS_POLICY: dict[str, list[str]] = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "browsing-topics",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "hid",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "serial",
        "usb",
    )
}

LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="en-gb")
LANGUAGES = [("en-gb", "English")]
TIME_ZONE = env.str("TIME_ZONE", default="Europe/London")  # default for users without a clinic
USE_I18N = True
USE_TZ = True
USE_THOUSAND_SEPARATOR = False  # clinical numbers are formatted by clinical.units, not by the locale

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]  # Bootstrap is vendored there: static/vendor/bootstrap-5.3.8/ (no CDN)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

MESSAGE_TAGS = {40: "danger"}  # Bootstrap's alert class for messages.ERROR

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
}

# Demo data may be loaded only when this is on (or with --force); see clinics/management/commands/load_demo.py.
STEPWISE_DEMO_PASSWORD = "stepwise-demo"  # noqa: S105 - the published demo login, loaded only with DEBUG or --force

# Clinical history is never reverted from the admin (the admin also refuses it; this is the second lock).
SIMPLE_HISTORY_REVERT_DISABLED = True

# Audit chain (docs/audit-chain.md): "auto" chains rows in the writer's transaction on SQLite and seals them right
# after commit on PostgreSQL; "in_transaction" or "after_commit" forces one way. A row still unsealed after the
# window (or sealed later than it) is a problem for verify_audit.
STEPWISE_AUDIT_SEAL = env.str("STEPWISE_AUDIT_SEAL", default="auto")
if STEPWISE_AUDIT_SEAL not in ("auto", "in_transaction", "after_commit"):
    raise ImproperlyConfigured("STEPWISE_AUDIT_SEAL must be auto, in_transaction or after_commit")
STEPWISE_AUDIT_SEAL_WINDOW = timedelta(seconds=env.int("STEPWISE_AUDIT_SEAL_WINDOW_SECONDS", default=60))
# Rows sealed after commit (a dose, a chart read, a sign-in) are sealed by a background thread of the app process this
# long after the first of them commits, in one batch, so no request waits on the chain lock (docs/audit-chain.md).
# 0: sealed right after commit by the request itself.
STEPWISE_AUDIT_SEAL_DELAY = timedelta(seconds=env.float("STEPWISE_AUDIT_SEAL_DELAY_SECONDS", default=0.25))
# Email (issue 17): a paused home plan to the clinic, the clinic's decision and password resets to the patient.
# SMTP from the environment in production; printed to the console under DEBUG (make run) unless EMAIL_HOST is set.
EMAIL_HOST = env.str("EMAIL_HOST", default="")
EMAIL_BACKEND = (
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG and not EMAIL_HOST
    else "django.core.mail.backends.smtp.EmailBackend"
)
EMAIL_PORT = env.int("EMAIL_PORT", default=587)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = strict_bool("EMAIL_USE_TLS", default=True)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Stepwise <stepwise@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The address links in emails point to (no request to take it from when a plan pauses).
STEPWISE_SITE_URL = env.str("STEPWISE_SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
PASSWORD_RESET_TIMEOUT = 60 * 60  # a reset link works for an hour, once
# "Forgot password?": at most this many requests per address and per email in an hour (clinics.views_auth).
STEPWISE_RESET_LIMIT = env.int("STEPWISE_RESET_LIMIT", default=5)
