"""Reads with rules for the customer account: whose addresses, who gets the newsletter, and the
signed newsletter unsubscribe links."""

from __future__ import annotations

from django.core import signing
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import translation

from allies.accounts.models import Address, User, normalize_email
from allies.core.numbers import NumberError, ascii_digits, integer_bounds, parse_int

_UNSUBSCRIBE_SALT = "allies.accounts.newsletter-unsubscribe"


def user_email_taken(*, email: str, exclude_pk: int | None = None) -> bool:
    """Whether another account already uses this address, whatever its case (ACC-1)."""
    users = User.objects.filter(email=normalize_email(email))
    if exclude_pk is not None:
        users = users.exclude(pk=exclude_pk)
    return users.exists()


def address_list(*, user: User) -> list[Address]:
    """The customer's own addresses, billing first then default delivery address first."""
    return sorted(
        Address.objects.filter(user=user),
        key=lambda a: (a.kind != Address.Kind.BILLING, not a.is_default, a.pk),
    )


def address_get(*, user: User, pk: int) -> Address:
    """One of the customer's own addresses; anyone else's is a 404, never a 403 (ACC-9)."""
    return get_object_or_404(Address, pk=pk, user=user)


def billing_address_get(*, user: User) -> Address | None:
    return Address.objects.filter(user=user, kind=Address.Kind.BILLING).first()


def default_delivery_address_get(*, user: User) -> Address | None:
    return Address.objects.filter(user=user, kind=Address.Kind.DELIVERY, is_default=True).first()


def newsletter_recipients() -> QuerySet[User]:
    """Every customer who asked for the offers and whose account is still open (ACC-6/7)."""
    return User.objects.filter(newsletter_opt_in=True, is_active=True).order_by("pk")


def _unsubscribe_signer(email: str) -> signing.Signer:
    # The address is part of the salt: the token names the user id, is signed for that id
    # *and* that address, and shows neither the address nor anything forgeable.
    return signing.Signer(salt=f"{_UNSUBSCRIBE_SALT}:{normalize_email(email)}")


def newsletter_unsubscribe_token(*, user: User) -> str:
    return _unsubscribe_signer(user.email).sign(str(user.pk))


def newsletter_unsubscribe_user(*, token: str) -> User | None:
    """The customer a token was made for, or None if it is forged, altered or out of date
    (made for an address the account no longer has)."""
    pk, sep, _signature = (token or "").partition(signing.Signer().sep)
    # ASCII digits within the id column's range: "²" or 30 digits are a forged token, not a 500.
    if not sep or not ascii_digits(pk):
        return None
    try:
        user_id = parse_int(pk, **integer_bounds(User, "id"))
    except NumberError:
        return None
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return None
    try:
        value = _unsubscribe_signer(user.email).unsign(token)
    except signing.BadSignature:
        return None
    return user if value == str(user.pk) else None


def newsletter_unsubscribe_path(*, user: User, language: str = "fr") -> str:
    with translation.override(language):
        return reverse(
            "accounts:newsletter_unsubscribe",
            kwargs={"token": newsletter_unsubscribe_token(user=user)},
        )
