"""Alliés settings: everything that varies between machines comes from the environment.

Local defaults need no service at all (SQLite under var/, mail written to var/mail/,
tasks in the database). Production sets DATABASE_URL, REDIS_URL, SECRET_KEY and DEBUG=0.
"""

import os
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)
(VAR_DIR / "static").mkdir(exist_ok=True)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


# Local use is the default; production says DEBUG=0 and must then bring its own secret.
DEBUG = env_bool("DEBUG", True)
_DEV_SECRET = "allies-local-development-secret-do-not-use-in-production"
SECRET_KEY = os.environ.get("SECRET_KEY") or _DEV_SECRET
if not DEBUG and SECRET_KEY == _DEV_SECRET:
    raise ImproperlyConfigured(
        "SECRET_KEY must be set when DEBUG is off (the built-in development key is refused)."
    )

ALLOWED_HOSTS = [
    h.strip() for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h
]
PORT = int(os.environ.get("PORT", "8000"))
# `manage.py serve` (make run): the address gunicorn binds to and its number of processes.
HOST = os.environ.get("HOST", "127.0.0.1")
WEB_WORKERS = int(os.environ.get("WEB_WORKERS", "3"))
# Overrides the documented demo password (allies.demo.identities.DEFAULT_PASSWORD) when set.
DEMO_PASSWORD = os.environ.get("DEMO_PASSWORD", "")
SITE_URL = os.environ.get("SITE_URL", f"http://127.0.0.1:{PORT}").rstrip("/")
CSRF_TRUSTED_ORIGINS = [SITE_URL]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django_htmx",
    "django_tasks",
    "allies.core.apps.TasksDatabaseConfig",  # django_tasks_db, named in French
    "ninja",  # serves the API docs (Swagger UI) from its own static files, not a CDN
    "allies.core",
    "allies.accounts",
    "allies.vendors",
    "allies.catalog",
    "allies.shipping",
    "allies.notifications",
    "allies.storefront",
    "allies.cart",
    "allies.checkout",
    "allies.orders",
    "allies.invoices",
    "allies.payments",
    "allies.ledger",
    "allies.support",
    "allies.aftersales",
    "allies.chat",
    "allies.helpcenter",
    "allies.reviews",
    "allies.payouts",
    "allies.onboarding",
    "allies.reporting",
    "allies.privacy",
    "allies.vendor_portal",
    "allies.vendor_api",
    "allies.backoffice",
    "allies.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "allies.storefront.auth.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allies.core.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "allies.urls"
WSGI_APPLICATION = "allies.wsgi.application"
ASGI_APPLICATION = "allies.asgi.application"

TEMPLATES: list[dict[str, Any]] = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "allies" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "allies.core.context_processors.site",
                "allies.storefront.context_processors.shop",
            ],
            "builtins": ["allies.core.templatetags.allies"],
        },
    }
]
if not DEBUG:
    TEMPLATES[0]["APP_DIRS"] = False
    TEMPLATES[0]["OPTIONS"]["loaders"] = [
        (
            "django.template.loaders.cached.Loader",
            [
                "django.template.loaders.filesystem.Loader",
                "django.template.loaders.app_directories.Loader",
            ],
        )
    ]

# Database: SQLite file under var/ unless DATABASE_URL says otherwise.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'allies.sqlite3'}"),
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers work while one writer writes; IMMEDIATE takes the write lock at
        # the start of a transaction so two writers queue instead of failing mid-way.
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;"
            " PRAGMA foreign_keys=ON;"
        ),
        "transaction_mode": "IMMEDIATE",
    }
    # Tests use a file too (not shared-cache memory), so concurrent writers wait for the
    # lock exactly as in production instead of failing at once.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
elif os.environ.get("PG_PREPARED", "1") == "1":
    # Parameters sent apart from the SQL, so a statement reads the same whatever its values,
    # and prepared on the server once it has run 5 times on a connection (kept for
    # CONN_MAX_AGE): PostgreSQL then plans it once instead of on every run. Planning a page's
    # joins costs more than running them (the checkout's cart: 1.2 ms planned, 0.15 ms run).
    # PG_PREPARED=0 turns it off (behind a pooler in transaction mode, for instance).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        server_side_binding=True, prepare_threshold=5
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")

# Cache: shared between web processes. Redis when available, else the database.
CACHES: dict[str, dict[str, Any]]
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "allies.core.redis_cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "allies",
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "allies_cache",
            "OPTIONS": {"MAX_ENTRIES": 50_000},
        }
    }
# Each vendor order's JSON for the vendor API's order list (vendor_api.order_cache), keyed by
# its content: in Redis when there is one, else in each process (bounded; never the database
# cache, whose writes cost queries).
CACHES["fragments"] = (
    {"BACKEND": "allies.core.redis_cache.RedisCache", "LOCATION": REDIS_URL,
     "KEY_PREFIX": "allies-fragments"}
    if REDIS_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "fragments",
          "OPTIONS": {"MAX_ENTRIES": 20_000}}
)  # fmt: skip
# Sessions: in the database, each read with its signed-in customer in one query (the user
# is read anyway on every such request), with or without Redis.
SESSION_ENGINE = "allies.storefront.sessions"

# Background tasks: the database worker by default, RQ on Redis at scale.
if REDIS_URL:
    INSTALLED_APPS.append("django_rq")
    RQ_QUEUES = {"default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 600}}
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
else:
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

# Accounts
AUTH_USER_MODEL = "accounts.User"
# Inactive (deactivated) accounts are recognised at login so they get their own message; a
# customer is loaded with their cart's count (storefront.auth).
AUTHENTICATION_BACKENDS = ["allies.storefront.auth.CustomerBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_RESET_TIMEOUT = 60 * 60 * 2  # the emailed link works for two hours, once
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:home"
LOGOUT_REDIRECT_URL = "storefront:home"
# Login throttling: after this many failures for one email or one IP address, wait.
LOGIN_FAILURES_ALLOWED = int(os.environ.get("LOGIN_FAILURES_ALLOWED", "5"))
LOGIN_LOCKOUT_SECONDS = int(os.environ.get("LOGIN_LOCKOUT_SECONDS", "60"))

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# Internationalisation: French first, English complete.
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("Français")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "allies" / "locale"]
USE_I18N = True
# Dates are printed through named formats per language (allies/formats/<lang>/formats.py).
FORMAT_MODULE_PATH = ["allies.formats"]
TIME_ZONE = "Europe/Paris"
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "allies" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
    # Support attachments: private, outside STATIC_ROOT and MEDIA_ROOT, served only through
    # views that check who asks (allies/support/storage.py). Another backend (an
    # S3-compatible store) is configured by its own settings.
    "support": {
        "BACKEND": os.environ.get(
            "SUPPORT_STORAGE_BACKEND", "django.core.files.storage.FileSystemStorage"
        ),
        "OPTIONS": (
            {"location": str(VAR_DIR / "private" / "support")}
            if "SUPPORT_STORAGE_BACKEND" not in os.environ
            else {}
        ),
    },
}
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "/media/"
WHITENOISE_USE_FINDERS = DEBUG

# Email: SMTP when EMAIL_HOST is set, else one .eml file per message under var/mail/.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
else:
    EMAIL_BACKEND = "allies.notifications.backends.EmlFileBackend"
    EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Les Alliés <bonjour@allies.test>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
CUSTOMER_SERVICE_EMAIL = os.environ.get("CUSTOMER_SERVICE_EMAIL", "contact@allies.test")

# Anonymous storefront pages are cached this long (seconds); 0 disables. A cached page is
# dropped as soon as something it shows changes (core.page_cache), so the limit can be long.
PAGE_CACHE_SECONDS = int(os.environ.get("PAGE_CACHE_SECONDS", "3600"))
# What the one personal part of a cached page (templates/_personal_nav.html) is rendered with.
PAGE_CACHE_PERSONAL_CONTEXT = "allies.storefront.context_processors.personal"

# --- Live chat (CS-3) ---------------------------------------------------------------------
# WebSockets are served by the ASGI application (allies/asgi.py) under /ws/. In production a
# reverse proxy sends /ws/ to the ASGI processes (uvicorn) and the rest to gunicorn: pages
# open their socket on their own origin (neither setting below). `make run` has no proxy:
# `manage.py serve` starts one uvicorn on CHAT_PORT (PORT + 1 unless set) and gives it to its
# children, whose pages then connect to ws://<their host>:CHAT_PORT. CHAT_WEBSOCKET_URL points
# pages at another host instead.
# CHAT_ENABLED=0 takes the bubble off every page (no socket opened): a site without agents.
CHAT_ENABLED = env_bool("CHAT_ENABLED", True)
CHAT_PORT = int(os.environ["CHAT_PORT"]) if os.environ.get("CHAT_PORT") else None
CHAT_WEBSOCKET_URL = os.environ.get("CHAT_WEBSOCKET_URL", "").rstrip("/")
CHAT_WEBSOCKET_SOURCES = (
    [CHAT_WEBSOCKET_URL]
    if CHAT_WEBSOCKET_URL
    else [f"ws://127.0.0.1:{CHAT_PORT}", f"ws://localhost:{CHAT_PORT}"]
    if CHAT_PORT
    else []  # the page's own origin: 'self' covers ws(s):// of the same host
)
# The channel layer carries presence and messages between socket processes: Redis when there
# is one (several uvicorn processes), else in memory (one chat process, as under `make run`).
# Redis Pub/Sub: one PUBLISH per message, one subscription per process, no receive lock
# (bench/chat_sockets.py: 200 messages/s on one process where the list-based layer falls
# behind). Delivery is at most once: a message published while a process reconnects to Redis
# misses its live sockets, but it is stored first and the page fetches it on `resume`.
# redis-py's default 5 s socket timeout would cut idle subscriptions: 30 s.
CHANNEL_LAYERS: dict[str, dict[str, Any]] = (
    {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {
                "hosts": [{"address": REDIS_URL, "socket_timeout": 30}],
                "prefix": "allies-chat",
            },
        }
    }
    if REDIS_URL
    else {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
)

# --- Security: TLS, cookies, framing, Content-Security-Policy (README "Settings") --------
# A site whose SITE_URL is https is served over TLS: cookies are sent over TLS only and, once
# DEBUG is off, plain http is redirected and browsers are told to use https for a year (HSTS).
# Each can still be set from the environment.
SERVED_OVER_TLS = SITE_URL.startswith("https://")
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", SERVED_OVER_TLS)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", SERVED_OVER_TLS)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", SERVED_OVER_TLS and not DEBUG)
SECURE_HSTS_SECONDS = int(
    os.environ.get("SECURE_HSTS_SECONDS", "31536000" if SERVED_OVER_TLS and not DEBUG else "0")
)
# HSTS is sent by the host SITE_URL names, so includeSubDomains only covers names under it.
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
# Joining the browsers' preload list is a commitment for the whole registrable domain, taken
# by its owner, not by this application: off unless asked, and Django's reminder silenced.
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
if not SECURE_HSTS_PRELOAD:
    SILENCED_SYSTEM_CHECKS = ["security.W021"]
# Behind a proxy that terminates TLS, name the header it sets on every request to say the
# client used https (e.g. X-Forwarded-Proto); never set it when clients can reach gunicorn
# directly, since they could then write that header themselves.
if os.environ.get("SECURE_PROXY_SSL_HEADER"):
    SECURE_PROXY_SSL_HEADER = (
        "HTTP_" + os.environ["SECURE_PROXY_SSL_HEADER"].strip().upper().replace("-", "_"),
        "https",
    )
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# A refused CSRF token gets a page in the site's layout and language (allies/core/views.py).
CSRF_FAILURE_VIEW = "allies.core.views.csrf_failure"
# Pages that cannot be forged: see allies/core/csp.py. Scripts and styles come only from our
# own static files; images also from data: URIs (CSS icons, Swagger UI's). Forms may post
# to the payment provider's pages (its card form), nowhere else.
_webkit = urlsplit(os.environ.get("LEMONWAY_WEBKIT_URL", ""))
_PAYMENT_PAGES = [f"{_webkit.scheme}://{_webkit.netloc}"] if _webkit.netloc else []
CONTENT_SECURITY_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'", *CHAT_WEBSOCKET_SOURCES],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'", *_PAYMENT_PAGES],
}
# The Django admin writes one inline <style> on some lists: styles only, never scripts.
CONTENT_SECURITY_POLICY_OVERRIDES = {"/admin/": {"style-src": ["'self'", "'unsafe-inline'"]}}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

# Relay-point directory used by "Point relais" (a dotted class path; see shipping/relay.py).
RELAY_POINT_PROVIDER = (
    os.environ.get("RELAY_POINT_PROVIDER") or "allies.shipping.relay.LocalRelayDirectory"
)

# Payments: "sandbox" (the in-process test bank with its 3-D Secure page, the default) or
# "lemonway" (LemonWay's Directkit JSON v2 API; the URLs and keys come from onboarding).
PAYMENT_GATEWAY = os.environ.get("PAYMENT_GATEWAY", "sandbox")
LEMONWAY_API_URL = os.environ.get("LEMONWAY_API_URL", "")
LEMONWAY_WEBKIT_URL = os.environ.get("LEMONWAY_WEBKIT_URL", "")
LEMONWAY_OAUTH_URL = os.environ.get("LEMONWAY_OAUTH_URL", "")
LEMONWAY_API_KEY = os.environ.get("LEMONWAY_API_KEY", "")
LEMONWAY_ACCESS_TOKEN = os.environ.get("LEMONWAY_ACCESS_TOKEN", "")
LEMONWAY_WALLET_ID = os.environ.get("LEMONWAY_WALLET_ID", "")
LEMONWAY_TIMEOUT = float(os.environ.get("LEMONWAY_TIMEOUT", "15"))
LEMONWAY_PSU_IP = os.environ.get("LEMONWAY_PSU_IP", "127.0.0.1")
# A payout run's P2Ps (then money-outs) in flight at once, 1 to 32: LemonWay's API has no
# batch, so 10,000 vendors are 20,000 requests; kept modest for the provider's sake.
LEMONWAY_CONCURRENT_CALLS = max(1, min(32, int(os.environ.get("LEMONWAY_CONCURRENT_CALLS", "8"))))

# Vendor orders: working days to accept or refuse the lines of a paid order, and after how
# many an unanswered vendor order is cancelled and refunded.
ORDER_ACCEPTANCE_WORKING_DAYS = int(os.environ.get("ORDER_ACCEPTANCE_WORKING_DAYS", "2"))
ORDER_AUTO_CANCEL_WORKING_DAYS = int(os.environ.get("ORDER_AUTO_CANCEL_WORKING_DAYS", "5"))
# Checkout: the most units of one offer a customer may hold in a cart and its unpaid order
# (so one customer cannot block a vendor's whole stock for the 15 minutes of a payment).
CHECKOUT_MAX_UNITS_PER_OFFER = int(os.environ.get("CHECKOUT_MAX_UNITS_PER_OFFER", "10"))
# Carriers: the simulated carrier delivers shipments after a few working days (demo);
# webhook secrets per carrier, "simulated=…,colissimo=…".
CARRIER_SIMULATION = env_bool("CARRIER_SIMULATION", True)
CARRIER_SIMULATED_DELIVERY_WORKING_DAYS = int(
    os.environ.get("CARRIER_SIMULATED_DELIVERY_WORKING_DAYS", "2")
)
# "simulated=s3cret,colissimo=other" -> {"simulated": "s3cret", "colissimo": "other"}.
CARRIER_WEBHOOK_SECRETS = {
    code.strip().lower(): secret.strip()
    for code, _sep, secret in (
        pair.partition("=") for pair in os.environ.get("CARRIER_WEBHOOK_SECRETS", "").split(",")
    )
    if code.strip() and secret.strip()
}

# Invoices uploaded by vendors who issue their own (PDF only).
INVOICE_UPLOAD_MAX_BYTES = int(os.environ.get("INVOICE_UPLOAD_MAX_BYTES", str(5 * 1024 * 1024)))

# Vendors: the largest offers CSV accepted, and the vendor API's calls per key per minute.
OFFER_IMPORT_MAX_BYTES = int(os.environ.get("OFFER_IMPORT_MAX_BYTES", str(20 * 1024 * 1024)))
# A running import whose heartbeat is older than this lost its worker and is resumed (a chunk
# takes well under a second; the margin covers a database busy with something else).
OFFER_IMPORT_STALE_SECONDS = int(os.environ.get("OFFER_IMPORT_STALE_SECONDS", "300"))
VENDOR_API_RATE_LIMIT = int(os.environ.get("VENDOR_API_RATE_LIMIT", "600"))

# Payouts (PAY-1, allies/payouts): the smallest amount paid out to a vendor (euros; less
# waits for the next daily run).
PAYOUT_MIN_AMOUNT = Decimal(os.environ.get("PAYOUT_MIN_AMOUNT", "10.00"))

# "Assistance en ligne" (allies/support): the vendor answers within 48 h (CS-1), the operator
# within 24 h of an escalation (CS-2); the vendor is reminded this many hours before its
# deadline. Replies by email reach the thread through a relayed per-thread address, e.g.
# reponse+<token>@<SUPPORT_REPLY_DOMAIN>: the parties never see each other's address.
SUPPORT_VENDOR_ANSWER_HOURS = int(os.environ.get("SUPPORT_VENDOR_ANSWER_HOURS", "48"))
SUPPORT_OPERATOR_ANSWER_HOURS = int(os.environ.get("SUPPORT_OPERATOR_ANSWER_HOURS", "24"))
SUPPORT_VENDOR_REMINDER_HOURS = int(os.environ.get("SUPPORT_VENDOR_REMINDER_HOURS", "12"))
SUPPORT_REPLY_DOMAIN = os.environ.get("SUPPORT_REPLY_DOMAIN", "allies.test")
SUPPORT_REPLY_ADDRESS_FORMAT = os.environ.get(
    "SUPPORT_REPLY_ADDRESS_FORMAT", "reponse+{token}@{domain}"
)
# Messages and attachments: the longest message, the largest file, files per message, the
# largest image (pixels; more is refused as a decompression bomb) and the longest side an
# image is stored with; the largest inbound email accepted.
SUPPORT_MESSAGE_MAX_CHARS = int(os.environ.get("SUPPORT_MESSAGE_MAX_CHARS", "5000"))
# The console (CS-5): an agent refunds up to this many euros (TTC) at once; above, a
# supervisor does.
SUPPORT_AGENT_REFUND_LIMIT = Decimal(os.environ.get("SUPPORT_AGENT_REFUND_LIMIT", "150"))
SUPPORT_ATTACHMENT_MAX_BYTES = int(
    os.environ.get("SUPPORT_ATTACHMENT_MAX_BYTES", str(10 * 1024 * 1024))
)
SUPPORT_ATTACHMENTS_PER_MESSAGE = int(os.environ.get("SUPPORT_ATTACHMENTS_PER_MESSAGE", "5"))
SUPPORT_IMAGE_MAX_PIXELS = int(os.environ.get("SUPPORT_IMAGE_MAX_PIXELS", str(50_000_000)))
SUPPORT_IMAGE_MAX_SIDE = int(os.environ.get("SUPPORT_IMAGE_MAX_SIDE", "3000"))
SUPPORT_INBOUND_MAX_BYTES = int(os.environ.get("SUPPORT_INBOUND_MAX_BYTES", str(40 * 1024 * 1024)))
# Returns (allies/aftersales): the carrier that issues prepaid return labels (RET-5; the
# simulated adapter of allies/shipping/labels.py draws them) and what one label costs the
# party who pays for it (the vendor's policy: the vendor, or the operator).
RETURN_LABEL_CARRIER = os.environ.get("RETURN_LABEL_CARRIER", "colissimo")
RETURN_LABEL_COST = Decimal(os.environ.get("RETURN_LABEL_COST", "5.90"))
# A home pickup of an item under an after-sales claim (SAV-3), always at the vendor's cost.
RETURN_PICKUP_COST = Decimal(os.environ.get("RETURN_PICKUP_COST", "12.00"))
# The inbound mail endpoint (allies/support/smtp.py): `make run` starts it on this address
# when enabled; in production the MTA receiving SUPPORT_REPLY_DOMAIN's mail forwards to it.
SUPPORT_SMTP_ENABLED = env_bool("SUPPORT_SMTP_ENABLED", True)
SUPPORT_SMTP_HOST = os.environ.get("SUPPORT_SMTP_HOST", "127.0.0.1")
SUPPORT_SMTP_PORT = int(os.environ.get("SUPPORT_SMTP_PORT", "2525"))
