"""Settings for the customer security portal.

Every setting that differs between machines comes from an environment variable, read
through the small typed helpers below, which fail loudly on a bad value. The defaults are
safe for development on SQLite; README.md lists every variable.
"""

from __future__ import annotations

import os
import tempfile
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def envbool(name: str, default: str) -> bool:
    value = os.environ.get(name, default).strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be one of 1/0, true/false, yes/no, on/off")


def envint(name: str, default: str) -> int:
    value = os.environ.get(name, default)
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from None


def envlist(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def envstr(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


DEBUG = envbool("DEBUG", "0")

SECRET_KEY = envstr("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Production (DEBUG off) refuses to start without one: "
            "set SECRET_KEY to a random string of at least 50 characters, or DEBUG=1 "
            "for development."
        )
    SECRET_KEY = "insecure-development-key-only-for-DEBUG-never-for-production-use-0123"
elif len(SECRET_KEY) < 50 and not DEBUG:
    raise ImproperlyConfigured("SECRET_KEY must be at least 50 characters long.")

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS")
# Browsers refuse an IP address as a passkey's relying party: localhost in development.
SITE_URL = envstr("SITE_URL", "http://localhost:8000").rstrip("/")
SITE_NAME = envstr("SITE_NAME", "SMS Gateway")

INSTALLED_APPS = [
    "portal.apps.PortalAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_static",
    "django_otp.plugins.otp_totp",
    "django_otp_webauthn",
    "phonenumber_field",
    "axes",
    "portal",
    "accounts",
    "security",
    "apikeys",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # /api/ requests leave here for their view: the API needs none of what follows.
    "portal.api.door.APIDoorMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Security centre: idle/absolute session expiry, the portal IP whitelist on every
    # signed-in request, session activity, device cookies. Placed after the header
    # middleware so that its own refusals still carry CSP and X-Frame-Options.
    "security.middleware.SecurityCentreMiddleware",
    "accounts.middleware.PasswordExpiryMiddleware",
    # AxesMiddleware turns a lock-out into its response; it must come last.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.portal",
                "accounts.context_processors.permissions",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# SQLite by default (zero set-up); DATABASE_URL switches the engine (PostgreSQL in production).


def _sqlite(path: str) -> dict:
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": path,
        "CONN_MAX_AGE": 600,
        "OPTIONS": {
            # WAL lets readers run beside the one writer; IMMEDIATE takes the write lock at
            # BEGIN so concurrent writers queue instead of failing with "locked". mmap: a
            # worker re-reads pages after another worker's write through memory, not read().
            "init_command": ("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                             "PRAGMA mmap_size=268435456;"),
            "transaction_mode": "IMMEDIATE",
            # Seconds a write waits for another's lock before "database is locked" (a 503).
            "timeout": envint("SQLITE_BUSY_TIMEOUT", "20"),
        },
        # Tests use a file, not Django's shared in-memory database: that one answers "table
        # is locked" to concurrent threads instead of waiting, and the tests prove behaviour
        # under concurrency. One file per test process.
        "TEST": {
            "NAME": os.path.join(tempfile.gettempdir(), f"portal-test-{os.getpid()}.sqlite3")
        },
    }


def _database_from_url(url: str) -> dict:
    """`sqlite:///relative/path` (from the project directory), `sqlite:////absolute/path`,
    `postgres://` or `postgresql://`; anything else stops the start with a clear error (which
    never repeats the URL: it may hold a password)."""
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme == "sqlite":
        path = url[len("sqlite://"):]
        if not path.startswith("/") or path == "/":
            raise ImproperlyConfigured("DATABASE_URL: write SQLite as sqlite:///relative/path "
                                       "or sqlite:////absolute/path.")
        path = path[1:]  # sqlite:///db.sqlite3 -> db.sqlite3; sqlite:////srv/db -> /srv/db
        return _sqlite(str(BASE_DIR / path) if not path.startswith("/") else path)
    if scheme not in ("postgres", "postgresql"):
        raise ImproperlyConfigured(f"DATABASE_URL: the scheme {scheme or '(none)'!r} is not "
                                   "supported; use postgres://user:password@host:5432/name "
                                   "or sqlite:////absolute/path.")
    try:
        database = dj_database_url.parse(url, conn_max_age=600)
    except ValueError:
        raise ImproperlyConfigured("DATABASE_URL could not be read: check its form, "
                                   "postgres://user:password@host:5432/name.") from None
    if not database.get("NAME"):
        raise ImproperlyConfigured("DATABASE_URL names no database (…:5432/name).")
    database["CONN_HEALTH_CHECKS"] = True
    if envbool("DATABASE_PREPARED_STATEMENTS", "1"):
        # Planning the key lookup cost more than running it: psycopg prepares a statement
        # after a few runs on a connection. 0 behind PgBouncer in transaction mode < 1.21.
        database.setdefault("OPTIONS", {})["prepare_threshold"] = 5
    return database


DATABASE_URL = envstr("DATABASE_URL")
DATABASES = {"default": _database_from_url(DATABASE_URL) if DATABASE_URL
             else _sqlite(envstr("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ----------------------------------------------------------------------------------
# Rate limits, lock-outs and replay nonces live here, so it must be shared by every worker
# process: the database cache by default, Redis when REDIS_URL is set. Never locmem.
REDIS_URL = envstr("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": envstr("CACHE_KEY_PREFIX", "portal"),
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "portal_cache",
            "KEY_PREFIX": envstr("CACHE_KEY_PREFIX", "portal"),
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        }
    }

# --- Authentication -------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    # Kept only so that older hashes can still be read (and upgraded on sign-in).
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
# The gateways' rule (a capital letter and a digit) is a documented opt-out policy; the
# common-password and similarity validators stay on whatever this says.
PASSWORD_REQUIRE_CAPITAL_AND_DIGIT = envbool("PASSWORD_REQUIRE_CAPITAL_AND_DIGIT", "1")
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "accounts.validators.MaximumLengthValidator"},
    {"NAME": "accounts.validators.CapitalAndDigitValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "accounts:login"
PASSWORD_RESET_TIMEOUT = 60 * 60  # one hour
PASSWORD_EXPIRY_DAYS = envint("PASSWORD_EXPIRY_DAYS", "30")
# A password entered this recently is fresh proof for a security change.
FRESH_PROOF_SECONDS = envint("FRESH_PROOF_SECONDS", "600")
# Registration attempts per client address an hour (each answers alike, taken or not).
REGISTRATIONS_PER_ADDRESS_HOUR = envint("REGISTRATIONS_PER_ADDRESS_HOUR", "10")

# Brute-force protection of the password step (django-axes): failures are counted per
# username and client address pair; an account-wide cap (accounts.lockout) stops an
# attacker who rotates addresses.
AXES_ENABLED = envbool("AXES_ENABLED", "1")
AXES_FAILURE_LIMIT = envint("LOGIN_FAILURE_LIMIT", "5")
AXES_COOLOFF_TIME = timedelta(minutes=envint("LOGIN_LOCKOUT_MINUTES", "15"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_HTTP_RESPONSE_CODE = 429
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_CLIENT_IP_CALLABLE = "portal.clientip.axes_client_ip"
AXES_USERNAME_FORM_FIELD = "username"
AXES_VERBOSE = False
LOGIN_ACCOUNT_FAILURE_LIMIT = envint("LOGIN_ACCOUNT_FAILURE_LIMIT", "20")
# Password sign-in attempts a minute per client address, on every door (the sign-in page,
# POST /api/v1/user/auth, regenerateAPIKey by password), against password spraying: many
# usernames from one address. API_LOGIN_RATE_LIMIT_PER_MINUTE is its former name.
LOGIN_ATTEMPTS_PER_ADDRESS_MINUTE = envint(
    "LOGIN_ATTEMPTS_PER_ADDRESS_MINUTE", os.environ.get("API_LOGIN_RATE_LIMIT_PER_MINUTE", "20")
)

# --- The second factor ----------------------------------------------------------------------
OTP_SMS_TOKEN_VALIDITY = 300  # seconds
OTP_SMS_RESEND_COOLDOWN = envint("OTP_SMS_RESEND_COOLDOWN", "60")
OTP_SMS_MAX_PER_ACCOUNT_HOUR = envint("OTP_SMS_MAX_PER_ACCOUNT_HOUR", "5")
OTP_SMS_MAX_PER_PHONE_HOUR = envint("OTP_SMS_MAX_PER_PHONE_HOUR", "5")
OTP_SMS_MAX_PER_IP_HOUR = envint("OTP_SMS_MAX_PER_IP_HOUR", "10")
OTP_SMS_MAX_GLOBAL_HOUR = envint("OTP_SMS_MAX_GLOBAL_HOUR", "1000")
OTP_MAX_FAILURES = 5
OTP_TOTP_ISSUER = SITE_NAME
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# --- Passkeys (django-otp-webauthn) ---------------------------------------------------------
# The relying party is SITE_URL's host and the one origin accepted is SITE_URL's: a passkey
# made for another site, or used from another origin, is refused. accounts.passkeys.helper
# reads SITE_URL at each ceremony; the two values below are what the library's system checks
# inspect (otp_webauthn.E031 stops the start unless SITE_URL is https:// or http://localhost).
_SITE = urlsplit(SITE_URL)
OTP_WEBAUTHN_RP_ID = _SITE.hostname or ""
OTP_WEBAUTHN_ALLOWED_ORIGINS = [f"{_SITE.scheme}://{_SITE.netloc}"]
OTP_WEBAUTHN_RP_NAME = SITE_NAME
OTP_WEBAUTHN_HELPER_CLASS = "accounts.passkeys.helper.PasskeyHelper"
# Signing in with a passkey alone goes through the portal's own view and sign-in policy
# (accounts.policy, Door.PASSKEY), never the library's.
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False

# --- SMS ------------------------------------------------------------------------------------
SMS_BACKEND = envstr("SMS_BACKEND", "console")
TWILIO_ACCOUNT_SID = envstr("TWILIO_ACCOUNT_SID")
TWILIO_AUTH_TOKEN = envstr("TWILIO_AUTH_TOKEN")
TWILIO_FROM = envstr("TWILIO_FROM")
TWILIO_MESSAGING_SERVICE_SID = envstr("TWILIO_MESSAGING_SERVICE_SID")
TWILIO_TIMEOUT = envint("TWILIO_TIMEOUT", "10")

# --- E-mail ---------------------------------------------------------------------------------
EMAIL_HOST = envstr("EMAIL_HOST")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = envint("EMAIL_PORT", "587")
    EMAIL_HOST_USER = envstr("EMAIL_HOST_USER")
    EMAIL_HOST_PASSWORD = envstr("EMAIL_HOST_PASSWORD")
    EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", "1")
    EMAIL_USE_SSL = envbool("EMAIL_USE_SSL", "0")
    EMAIL_TIMEOUT = envint("EMAIL_TIMEOUT", "10")
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = envstr("DEFAULT_FROM_EMAIL", "SMS Gateway <no-reply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Client address -------------------------------------------------------------------------
# Only REMOTE_ADDR is trusted unless the operator lists the reverse proxies in front of the
# portal: a forged X-Forwarded-For must never pass an IP check.
TRUSTED_PROXIES = envlist("TRUSTED_PROXIES")


# --- Sessions and cookies -------------------------------------------------------------------
SESSION_COOKIE_AGE = envint("SESSION_ABSOLUTE_SECONDS", str(12 * 60 * 60))
SESSION_ABSOLUTE_SECONDS = SESSION_COOKIE_AGE
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "portal.views.csrf_failure"

SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", "0" if DEBUG else "1")
# The API is refused over plain HTTP, never redirected (portal.api.main).
SECURE_REDIRECT_EXEMPT = [r"^api/"]
SECURE_COOKIES = envbool("SECURE_COOKIES", "0" if DEBUG else "1")
if SECURE_COOKIES:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # The __Host- prefix pins a cookie to this exact host, HTTPS and path "/".
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
if not DEBUG:
    SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", "31536000")
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", "1")
if TRUSTED_PROXIES:
    # Only behind a proxy that sets (and strips any client copy of) X-Forwarded-Proto.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    }
}

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("ro", _("Romanian"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
PHONENUMBER_DEFAULT_FORMAT = "E164"

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(envstr("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
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

# --- Logging --------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        "twilio": {"level": "WARNING"},
    },
}

# --- API keys (apikeys) ---------------------------------------------------------------------
# The prefix of every new key, and of every new test key (what a test key sends reaches no
# phone); secret scanners match on them. Letters, digits and "_" only; neither may begin the
# other, as the prefix alone tells a key's mode.
API_KEY_PREFIX = envstr("API_KEY_PREFIX", "sk_live_")
API_KEY_TEST_PREFIX = envstr("API_KEY_TEST_PREFIX", "sk_test_")
for _name, _prefix in (("API_KEY_PREFIX", API_KEY_PREFIX),
                       ("API_KEY_TEST_PREFIX", API_KEY_TEST_PREFIX)):
    if not (1 <= len(_prefix) <= 16 and all(c.isascii() and (c.isalnum() or c == "_")
                                            for c in _prefix)):
        raise ImproperlyConfigured(f"{_name} must be 1-16 ASCII letters, digits or '_'.")
if API_KEY_PREFIX.startswith(API_KEY_TEST_PREFIX) or API_KEY_TEST_PREFIX.startswith(API_KEY_PREFIX):
    raise ImproperlyConfigured("API_KEY_PREFIX and API_KEY_TEST_PREFIX must differ, and neither "
                               "may begin the other.")
# Encrypts the keys' HMAC signing secrets (which the server must be able to read back).
# A comma list: the first one encrypts, all of them decrypt (for rotation). Empty: derived
# from SECRET_KEY (and SECRET_KEY_FALLBACKS).
KEY_ENCRYPTION_KEY = envlist("KEY_ENCRYPTION_KEY")
# Zoho CRM keys: the CIDR ranges the Zoho integration calls from (empty: refuse all) and the
# scopes such a key has, whatever was chosen when it was made.
ZOHO_CRM_ALLOWED_RANGES = envlist("ZOHO_CRM_ALLOWED_RANGES")
ZOHO_CRM_SCOPES = envlist("ZOHO_CRM_SCOPES", "sms:send,sms:read")


def _check_ranges(name: str, values: list[str]) -> None:
    import ipaddress

    for value in values:
        try:
            ipaddress.ip_network(value, strict=False)
        except ValueError:
            raise ImproperlyConfigured(
                f"{name}: {value!r} is not an IP address or CIDR range."
            ) from None


_check_ranges("ZOHO_CRM_ALLOWED_RANGES", ZOHO_CRM_ALLOWED_RANGES)
_check_ranges("TRUSTED_PROXIES", TRUSTED_PROXIES)  # not a 500 on the first request
# Requests a minute per key, unless an operator sets the key's own limit in the admin.
API_KEY_RATE_LIMIT_PER_MINUTE = envint("API_KEY_RATE_LIMIT_PER_MINUTE", "600")
# Keys an account may have that are not revoked (a cap on what one account can pile up).
API_KEYS_MAX_PER_ACCOUNT = envint("API_KEYS_MAX_PER_ACCOUNT", "1000")

# --- API (apikeys.api, apikeys.auth, messaging) ---------------------------------------------
# "ninja" is listed so that the docs page at /api/v1/docs uses django-ninja's own Swagger
# files (it falls back to a CDN otherwise: the portal must work air-gapped).
INSTALLED_APPS = [*INSTALLED_APPS, "ninja", "messaging"]
# smsUser/smsKey in a query string end up in access logs: refused (400 KEY_IN_URL) unless an
# operator turns this on for legacy integrations.
API_ALLOW_KEY_IN_QUERY = envbool("API_ALLOW_KEY_IN_QUERY", "0")
# Request bodies larger than this are refused with 413 before they are read.
API_MAX_BODY_BYTES = envint("API_MAX_BODY_BYTES", str(1024 * 1024))
# API sign-in tokens (JWT, HS256). The secret must hold at least 256 bits; by default it is
# derived from SECRET_KEY (HKDF), so it differs from it and changes with it.
JWT_SECRET = envstr("JWT_SECRET")
if JWT_SECRET and len(JWT_SECRET.encode()) < 32:
    raise ImproperlyConfigured("JWT_SECRET must be at least 32 bytes (256 bits) long.")
if not JWT_SECRET:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    JWT_SECRET = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"sms-portal api jwt"
    ).derive(SECRET_KEY.encode()).hex()
JWT_LIFETIME_SECONDS = envint("JWT_LIFETIME_SECONDS", "900")
if not 30 <= JWT_LIFETIME_SECONDS <= 24 * 60 * 60:
    raise ImproperlyConfigured("JWT_LIFETIME_SECONDS must be between 30 and 86400.")
JWT_ISSUER = envstr("JWT_ISSUER", SITE_URL)
JWT_AUDIENCE = envstr("JWT_AUDIENCE", SITE_URL + "/api/v1/")
# Requests a minute per account with a token.
API_TOKEN_RATE_LIMIT_PER_MINUTE = envint("API_TOKEN_RATE_LIMIT_PER_MINUTE", "600")
# Sending: recipients per request, characters per message, and where Twilio reports delivery.
SMS_MAX_RECIPIENTS = envint("SMS_MAX_RECIPIENTS", "100")
SMS_MAX_LENGTH = envint("SMS_MAX_LENGTH", "1600")
SMS_STATUS_CALLBACK_URL = envstr("SMS_STATUS_CALLBACK_URL", SITE_URL + "/api/v1/sms/status")
# The SMS Authenticator (POST /api/v1/verify): starts an hour per destination number (across
# accounts) and per account, reserved before the SMS goes, apart from the sign-in codes' caps.
VERIFY_STARTS_PER_NUMBER_PER_HOUR = envint("VERIFY_STARTS_PER_NUMBER_PER_HOUR", "5")
VERIFY_STARTS_PER_ACCOUNT_PER_HOUR = envint("VERIFY_STARTS_PER_ACCOUNT_PER_HOUR", "1000")
# Server processes add up key usage (in memory, or in Redis with REDIS_URL) and write it this
# often, one UPDATE per key (Times Used may lag by about twice this). 0: write on every request.
API_USAGE_FLUSH_SECONDS = envint("API_USAGE_FLUSH_SECONDS", "1")


# --- Metrics (portal.metrics) --------------------------------------------------------------
# /metrics answers only a bearer token equal to METRICS_TOKEN, or a scraper at one of
# METRICS_ALLOWED_IPS (addresses or CIDR ranges); anyone else gets a 404.
METRICS_TOKEN = envstr("METRICS_TOKEN")
if METRICS_TOKEN and len(METRICS_TOKEN) < 32:
    raise ImproperlyConfigured("METRICS_TOKEN must be at least 32 characters long.")
METRICS_ALLOWED_IPS = envlist("METRICS_ALLOWED_IPS")
_check_ranges("METRICS_ALLOWED_IPS", METRICS_ALLOWED_IPS)


# --- Security centre ------------------------------------------------------------------------
# Signed-in sessions: last activity is written at most this often (seconds) per session.
SESSION_TOUCH_SECONDS = envint("SESSION_TOUCH_SECONDS", "60")
# The device cookie (new-device e-mails) and the "Remember this browser" cookie. Both are
# signed and HttpOnly; with secure cookies they take the __Host- prefix like the session's.
DEVICE_COOKIE_NAME = ("__Host-" if SECURE_COOKIES else "") + "device"
DEVICE_COOKIE_AGE = envint("DEVICE_COOKIE_DAYS", "400") * 24 * 60 * 60
REMEMBER_COOKIE_NAME = ("__Host-" if SECURE_COOKIES else "") + "remember"
REMEMBER_BROWSER_DAYS = envint("REMEMBER_BROWSER_DAYS", "30")
# Entries per whitelist (portal and API, each).
IP_WHITELIST_MAX_ENTRIES = envint("IP_WHITELIST_MAX_ENTRIES", "100")
