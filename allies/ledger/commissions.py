"""Commission rates with dates of effect (PAY-2): staff set them, the ledger applies them.

A vendor's commission is a rate per vendor (its default) and optionally per category, each
with the day it takes effect (`CommissionRate.valid_from`). An order uses the rates in force
on the day it was PAID (`ledger.selectors.commission_rate_for` and the sale in
`ledger.services`), and each commission entry stores its rate and base, so nothing here ever
changes what an order already paid.

Rules of the writes (both keep history untouchable):
- a new rate may not start before today: a day whose orders may already be paid is never
  given another rate afterwards. A rate may start today (orders paid from now on take it),
  unless a rate for that key already starts today (changing it would alter the rate some of
  today's orders were paid at);
- a rate that has not taken effect yet (starting after today) may be replaced (same key and
  day) or deleted; one in force or past never can.

Rates are typed by staff as a percentage with a French decimal comma ("12,5" for 12.5 %),
0 to 100 with at most two decimals; `percent_parse` turns that text into the stored fraction.
Each write is recorded in the admin's history (`LogEntry`: who, when, what), the audit trail
of the operator's pricing decisions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.db.models import OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from allies.catalog.models import Category
from allies.core.errors import AlliesError
from allies.core.numbers import NumberError, parse_decimal
from allies.ledger.models import CommissionRate
from allies.vendors.models import Vendor

RATE_PLACES = Decimal("0.0001")
# How far ahead a rate may be scheduled: far enough for any contract, short enough that a
# typo ("2062") is caught.
MAX_DAYS_AHEAD = 3 * 366


class CommissionRateError(AlliesError):
    """A rate refused; `message` says why in French. Codes: invalid_rate, in_the_past,
    too_far, already_in_force, not_future, not_found."""

    code = "invalid_rate"


def percent_label(rate: Decimal | float | None) -> str:
    """0.125 → "12,5 %" (French typography, as staff type it); "—" for none."""
    if rate is None:
        return "—"
    percent = (Decimal(str(rate)) * 100).quantize(Decimal("0.01")).normalize()
    return f"{percent:f}".replace(".", ",") + "\u00a0%"


def site_today() -> date:
    """Today in the site's time zone (Europe/Paris), whatever a request activated."""
    return timezone.localdate(timezone=timezone.get_default_timezone())


# --- parsing ---------------------------------------------------------------------------------


def percent_parse(text: Any) -> Decimal:
    """ "12,5" (a percentage as staff type it) → Decimal("0.1250"), the stored fraction.

    0 to 100, at most two decimals; anything else (letters, "Infinity", "1e3", a huge
    number, a negative one) is a `CommissionRateError` with a French message."""
    try:
        percent = parse_decimal(text, max_digits=5, decimal_places=2, min_value=0, max_value=100)
    except NumberError as exc:
        raise CommissionRateError(
            _("Taux refusé : %(reason)s Indiquez un pourcentage entre 0 et 100, par exemple 12,5.")
            % {"reason": exc.message or _("ce n'est pas un nombre.")},
            code="invalid_rate",
        ) from None
    return (percent / 100).quantize(RATE_PLACES)


def _rate_check(rate: Any) -> Decimal:
    """A fraction given by code: a finite Decimal within [0, 1] with at most four decimals."""
    if not isinstance(rate, Decimal) or not rate.is_finite():
        raise CommissionRateError(_("Le taux doit être un nombre."), code="invalid_rate")
    if not Decimal(0) <= rate <= Decimal(1):
        raise CommissionRateError(
            _("Le taux doit être compris entre 0 et 100 %."), code="invalid_rate"
        )
    if rate != rate.quantize(RATE_PLACES):
        raise CommissionRateError(
            _("Le taux a au plus deux décimales (12,25 %)."), code="invalid_rate"
        )
    return rate.quantize(RATE_PLACES)


def _log(*, by: Any, row: CommissionRate, flag: int, message: str) -> None:
    LogEntry.objects.create(
        user_id=by.pk,
        content_type=ContentType.objects.get_for_model(CommissionRate),
        object_id=str(row.pk),
        object_repr=str(row)[:200],
        action_flag=flag,
        change_message=message,
    )


# --- writes ----------------------------------------------------------------------------------


@transaction.atomic
def commission_rate_set(
    *,
    vendor: Vendor,
    category: Category | None = None,
    rate: Decimal,
    valid_from: date,
    by: Any,
) -> CommissionRate:
    """Schedule `rate` (a fraction: Decimal("0.125") for 12,5 %) for `vendor` — for one
    `category`, or as its default when None — from the day `valid_from` on.

    Refused (CommissionRateError, nothing saved) for a rate outside 0–100 %, a day before
    today or more than three years ahead, or a day on which a rate of that key already took
    effect. A rate of that key scheduled for the same future day is replaced.
    """
    rate = _rate_check(rate)
    today = site_today()
    if valid_from < today:
        raise CommissionRateError(
            _(
                "Un nouveau taux ne peut pas prendre effet dans le passé : les commandes déjà "
                "payées gardent leur taux. Choisissez aujourd'hui ou une date à venir."
            ),
            code="in_the_past",
        )
    if valid_from > today + timedelta(days=MAX_DAYS_AHEAD):
        raise CommissionRateError(
            _("La date d'effet est trop lointaine : au plus trois ans à l'avance."),
            code="too_far",
        )
    # The vendor row serialises the writes of one vendor's rates (PostgreSQL; SQLite's
    # IMMEDIATE transactions already do).
    Vendor.objects.select_for_update().filter(pk=vendor.pk).exists()
    existing = (
        CommissionRate.objects.select_for_update()
        .filter(vendor=vendor, category=category, valid_from=valid_from)
        .first()
    )
    percent = percent_label(rate)
    if existing is not None:
        if existing.valid_from <= today:
            raise CommissionRateError(
                _(
                    "Un taux est déjà en vigueur à partir de ce jour : choisissez une date à "
                    "venir pour le changer."
                ),
                code="already_in_force",
            )
        existing.rate = rate
        existing.save(update_fields=["rate", "updated_at"])
        _log(by=by, row=existing, flag=CHANGE, message=f"{percent} from {valid_from}")
        return existing
    try:
        with transaction.atomic():
            row = CommissionRate.objects.create(
                vendor=vendor, category=category, rate=rate, valid_from=valid_from
            )
    except IntegrityError:  # a concurrent write of the same key and day won
        raise CommissionRateError(
            _("Un taux vient d'être enregistré pour ce jour : rechargez la page."),
            code="already_in_force",
        ) from None
    _log(by=by, row=row, flag=ADDITION, message=f"{percent} from {valid_from}")
    return row


@transaction.atomic
def commission_rate_delete(*, rate: CommissionRate, by: Any) -> None:
    """Delete a rate that has not taken effect yet (starts after today); one in force or past
    is history and is refused (CommissionRateError "not_future")."""
    row = CommissionRate.objects.select_for_update().filter(pk=rate.pk).first()
    if row is None:
        raise CommissionRateError(_("Ce taux n'existe plus."), code="not_found")
    if row.valid_from <= site_today():
        raise CommissionRateError(
            _(
                "Ce taux est déjà entré en vigueur : il ne peut plus être supprimé. Programmez "
                "un nouveau taux à la place."
            ),
            code="not_future",
        )
    _log(by=by, row=row, flag=DELETION, message=f"scheduled from {row.valid_from}")
    row.delete()


# --- reads for the console -------------------------------------------------------------------


def vendors_with_current_rate(*, q: str = "", on: date | None = None) -> QuerySet[Vendor]:
    """Vendors by name, each annotated with `current_rate`, its default rate in force on
    `on` (today): one query however many vendors."""
    on = on or site_today()
    default = CommissionRate.objects.filter(
        vendor_id=OuterRef("pk"), category__isnull=True, valid_from__lte=on
    ).order_by("-valid_from", "-id")
    qs = Vendor.objects.annotate(
        current_rate=Coalesce(Subquery(default.values("rate")[:1]), "commission_rate")
    ).order_by("name", "id")
    if q:
        qs = qs.filter(name__icontains=q[:100])
    return qs


@dataclass(frozen=True)
class RateRow:
    row: CommissionRate
    status: str  # "past" (replaced), "current" (in force today), "future"

    @property
    def label(self) -> str:
        return percent_label(self.row.rate)


@dataclass(frozen=True)
class RateHistory:
    category: Category | None  # None: the vendor's default
    rows: list[RateRow]  # newest first


def vendor_rate_histories(*, vendor: Vendor, on: date | None = None) -> list[RateHistory]:
    """The vendor's rates grouped by key (its default first, then categories by name), each
    with the history of its rows and which one is in force on `on` (today). One query."""
    on = on or site_today()
    rows: Sequence[CommissionRate] = list(
        CommissionRate.objects.filter(vendor=vendor)
        .select_related("category")
        .order_by("-valid_from", "-id")
    )
    groups: dict[int | None, list[CommissionRate]] = {None: []}
    for row in rows:
        groups.setdefault(row.category_id, []).append(row)
    histories = []
    for key, members in groups.items():
        current_seen = False
        history = []
        for row in members:
            if row.valid_from > on:
                status = "future"
            elif not current_seen:
                status, current_seen = "current", True
            else:
                status = "past"
            history.append(RateRow(row=row, status=status))
        histories.append(RateHistory(category=members[0].category if key else None, rows=history))
    default, *others = histories
    others.sort(key=lambda h: (h.category.name, h.category.pk) if h.category else ("", 0))
    return [default, *others]
