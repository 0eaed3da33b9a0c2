"""`reverse` for the addresses a page writes dozens of times: a product's, its image's, a
category's, a vendor's (one slug or id each).

Django's `reverse` walks the URL map each time (~30 µs for a product; a listing page's 24
cards wrote 48 of them, ~1 ms). The address of such a view is the same text around its one
argument: `reverse_one` reverses the view once per language (and script prefix and URL map)
with a marker for the argument, keeps the text around it, and puts the value in its place.
That is exactly what `reverse` gives when the value is made of the characters a slug or an
id may hold (letters, digits, `-`, `_`), which `reverse` leaves as they are; any other value
is left to `reverse` itself (which refuses it as before).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from django.core.signals import setting_changed
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.translation import get_language

# Valid for the int, slug, str and path converters; written once into the address.
_MARKER = "7319046285"
# What a slug or an id may hold: what `reverse` writes without quoting.
_PLAIN = re.compile(r"[-a-zA-Z0-9_]+")
_DIGITS = re.compile(r"[0-9]+")


@dataclass(frozen=True)
class _Around:
    head: str
    tail: str
    accepts: re.Pattern[str]  # the values `reverse` takes: a slug's (or str's) or an id's


# Per view, argument, language, script prefix and URL map: a few dozen entries at most.
# Emptied when a setting changes (tests may change the URL map).
_around: dict[tuple, _Around | None] = {}


def _forget(**_kwargs) -> None:
    _around.clear()


setting_changed.connect(_forget, dispatch_uid="allies.core.links.forget")


def _reverses(viewname: str, name: str, value: str) -> bool:
    try:
        reverse(viewname, kwargs={name: value})
    except NoReverseMatch:
        return False
    return True


def _around_of(viewname: str, name: str) -> _Around | None:
    """The text around the argument of `viewname`'s address in the active language, and the
    values its converter takes; None when it is not a slug, str, path or int converter."""
    try:
        address = reverse(viewname, kwargs={name: _MARKER})
    except NoReverseMatch:
        return None
    head, marker, tail = address.partition(_MARKER)
    if not marker or _MARKER in tail:  # the marker must be the argument, once
        return None
    if _reverses(viewname, name, "Zz-_9"):
        return _Around(head, tail, _PLAIN)
    if not _reverses(viewname, name, "a"):  # an id: digits only
        return _Around(head, tail, _DIGITS)
    return None


def reverser(viewname: str, name: str) -> Callable[[str | int], str]:
    """`reverse_one(viewname, name, value)` as a function of the value, for many values in a
    row (a grid's cards): the language, script prefix and URL map are those of now."""
    key = (viewname, name, get_language(), get_script_prefix(), get_urlconf())
    if key in _around:
        around = _around[key]
    else:
        around = _around[key] = _around_of(viewname, name)

    def address(value: str | int) -> str:
        text = str(value)
        if around is None or not around.accepts.fullmatch(text):
            return reverse(viewname, kwargs={name: value})
        return f"{around.head}{text}{around.tail}"

    return address


def reverse_one(viewname: str, name: str, value: str | int) -> str:
    """`reverse(viewname, kwargs={name: value})` for a view whose address has this one
    argument (a slug, str, path or int converter)."""
    return reverser(viewname, name)(value)
