"""Login throttling (ACC-2): slow down password guessing on one account or from one address.

Two independent subjects are watched: the email typed in the login form and the client's IP
address. Each failed login adds one to both counters. When a counter reaches
settings.LOGIN_FAILURES_ALLOWED within the failure window, that subject is locked for
settings.LOGIN_LOCKOUT_SECONDS; each further lockout within a day doubles the wait, up to
LOCKOUT_MAX_SECONDS. While locked, every attempt is refused before the password is even
checked, so the right password does not get through either. A successful login clears the
account's counters (not the IP's: otherwise an attacker owning one account could reset the
IP counter between guesses on other accounts).

State lives in Django's default cache, shared by all web processes (the database cache or
Redis). Counters use the cache's add/incr; the lock itself is taken with add() so that, when
several failures race, only one of them starts a lockout.

The client address is REMOTE_ADDR: behind a reverse proxy, the proxy must set it (e.g.
gunicorn's --forwarded-allow-ips); X-Forwarded-For is not trusted here since any client can
write it.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from allies.accounts.models import normalize_email

FAILURE_WINDOW_SECONDS = 15 * 60
LOCKOUT_MAX_SECONDS = 15 * 60
LOCKOUT_MEMORY_SECONDS = 24 * 60 * 60

_PREFIX = "accounts:login-throttle:v1"


@dataclass(frozen=True)
class Lockout:
    """A refused attempt: how long the client must still wait, in whole seconds."""

    wait_seconds: int


def _subjects(*, email: str, ip: str | None) -> list[str]:
    # The email is hashed: cache keys must be short ASCII and need not reveal addresses.
    subjects = ["email:" + hashlib.sha256(normalize_email(email).encode()).hexdigest()[:32]]
    if ip:
        subjects.append("ip:" + ip)
    return subjects


def _key(kind: str, subject: str) -> str:
    return f"{_PREFIX}:{kind}:{subject}"


def client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def login_lockout(*, email: str, ip: str | None) -> Lockout | None:
    """The current lockout of this email or this IP address, if any (the longest wins)."""
    now = time.time()
    keys = [_key("lock", s) for s in _subjects(email=email, ip=ip)]
    waits = [until - now for until in cache.get_many(keys).values() if until and until > now]
    if not waits:
        return None
    return Lockout(wait_seconds=max(1, math.ceil(max(waits))))


def _lockout_seconds(previous_lockouts: int) -> int:
    base = max(1, settings.LOGIN_LOCKOUT_SECONDS)
    return min(base * 2**previous_lockouts, max(base, LOCKOUT_MAX_SECONDS))


def _count_failure(subject: str) -> None:
    failures_key = _key("failures", subject)
    cache.add(failures_key, 0, FAILURE_WINDOW_SECONDS)
    try:
        failures = cache.incr(failures_key)
    except ValueError:  # expired between add() and incr()
        cache.set(failures_key, 1, FAILURE_WINDOW_SECONDS)
        failures = 1
    # Some backends (the database cache) reset the expiry to the default on incr(): set the
    # window explicitly. It then runs from the latest failure, which is the stricter reading.
    cache.touch(failures_key, FAILURE_WINDOW_SECONDS)
    if failures < settings.LOGIN_FAILURES_ALLOWED:
        return
    lockouts_key = _key("lockouts", subject)
    previous = cache.get(lockouts_key) or 0
    seconds = _lockout_seconds(previous)
    if cache.add(_key("lock", subject), time.time() + seconds, seconds):
        cache.set(lockouts_key, previous + 1, LOCKOUT_MEMORY_SECONDS)
        # After the wait, the count starts again from zero (and the next lockout is longer).
        cache.delete(failures_key)


def login_failure_record(*, email: str, ip: str | None) -> Lockout | None:
    """Count one failed login; returns the lockout it started, if it started one."""
    for subject in _subjects(email=email, ip=ip):
        _count_failure(subject)
    return login_lockout(email=email, ip=ip)


def login_success_record(*, email: str) -> None:
    """A successful login (or a password reset) clears the account's failures and lockouts."""
    (subject,) = _subjects(email=email, ip=None)
    cache.delete_many([_key(kind, subject) for kind in ("failures", "lockouts", "lock")])


# Password reset requests: at most this many emails per address and window, silently (the
# answer page stays the same), so the form cannot be used to flood someone's inbox.
RESET_EMAILS_ALLOWED = 3
RESET_WINDOW_SECONDS = 60 * 60


def password_reset_allowed(*, email: str) -> bool:
    """Count one reset email for this address; False once the hourly allowance is spent."""
    (subject,) = _subjects(email=email, ip=None)
    # A fixed window named in the key: its count cannot outlive it whatever the backend does
    # with expiries on incr().
    window = int(time.time() // RESET_WINDOW_SECONDS)
    key = _key("reset", f"{subject}:{window}")
    if cache.add(key, 1, RESET_WINDOW_SECONDS):
        return True
    try:
        sent = cache.incr(key)
    except ValueError:
        cache.set(key, 1, RESET_WINDOW_SECONDS)
        return True
    cache.touch(key, RESET_WINDOW_SECONDS)
    return sent <= RESET_EMAILS_ALLOWED


# Answers that tell whether an address has an account (sign-up: "already an account"; login
# and reset: "no account") count against the client address's login allowance, so no one
# lists the customers' addresses in bulk (see services.email_account_lookup).
def address_lookup_lockout(*, ip: str | None) -> Lockout | None:
    if not ip:
        return None
    until = cache.get(_key("lock", "ip:" + ip))
    now = time.time()
    return Lockout(wait_seconds=max(1, math.ceil(until - now))) if until and until > now else None


def address_lookup_record(*, ip: str | None) -> Lockout | None:
    if not ip:
        return None
    _count_failure("ip:" + ip)
    return address_lookup_lockout(ip=ip)
