"""What the console reads besides the support selectors: the order beside a request, the
agents, the vendors of the filter, and the supervisor's figures (CS-5).

Every function checks the reader is customer-service staff (`support.is_agent`; the
figures: `is_supervisor`) and costs a fixed number of queries whatever the data size.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from allies.orders.events import ActorKind
from allies.orders.models import Order, OrderLine, Parcel, Shipment, VendorOrder
from allies.payments.models import Payment, Refund
from allies.support.errors import SupportForbidden
from allies.support.models import Message, Thread
from allies.support.services import HANDLE_PERMISSION, is_agent, is_supervisor
from allies.support.states import operator_late_q, vendor_late_q
from allies.vendors.models import Vendor

VENDOR_AUTHORS = (ActorKind.VENDOR_USER, ActorKind.API_KEY)


def _agent_check(user: Any) -> None:
    if not is_agent(user):
        raise SupportForbidden(_("Cette page est réservée au service client."), code="staff_only")


def agents(*, user: Any) -> list[Any]:
    """The customer-service staff a request can be given to, by name: one query."""
    _agent_check(user)
    app_label, codename = HANDLE_PERMISSION.split(".")
    by_user = Q(
        user_permissions__content_type__app_label=app_label, user_permissions__codename=codename
    )
    by_group = Q(
        groups__permissions__content_type__app_label=app_label,
        groups__permissions__codename=codename,
    )
    return list(
        get_user_model()
        .objects.filter(Q(is_superuser=True) | by_user | by_group, is_staff=True, is_active=True)
        .distinct()
        .order_by("first_name", "last_name", "email")
    )


def vendors_for_filter(*, user: Any) -> QuerySet[Vendor]:
    """The vendors of the queue's filter, by name (id and name only): one query."""
    _agent_check(user)
    return Vendor.objects.only("pk", "name").order_by("name")


def order_for_thread(*, user: Any, thread: Thread) -> Order | None:
    """The order a request is about, with everything the console shows beside it: each
    vendor order with its vendor, lines, shipments (parcels, contents) and invoices, and the
    payments with their refunds. Eight queries, whatever the order's size."""
    _agent_check(user)
    if thread.order_id is None:
        return None
    shipments = Shipment.objects.order_by("shipped_at", "id").prefetch_related(
        Prefetch("parcels", queryset=Parcel.objects.order_by("index"))
    )
    order = (
        Order.objects.filter(pk=thread.order_id)
        .select_related("customer")
        .prefetch_related(
            Prefetch(
                "vendor_orders",
                queryset=VendorOrder.objects.select_related("vendor")
                .prefetch_related(
                    Prefetch("lines", queryset=OrderLine.objects.order_by("id")),
                    Prefetch("shipments", queryset=shipments),
                    "invoices",
                )
                .order_by("id"),
            ),
            Prefetch(
                "payments",
                queryset=Payment.objects.order_by("created_at", "id").prefetch_related(
                    Prefetch("refunds", queryset=Refund.objects.order_by("created_at", "id"))
                ),
            ),
        )
        .first()
    )
    return order


# --- the supervisor's figures ----------------------------------------------------------------


@dataclass(frozen=True)
class DayCount:
    day: date
    count: int


@dataclass(frozen=True)
class OnTime:
    """Answers given in time among every clock that ended (a late answer is a miss)."""

    on_time: int
    missed: int

    @property
    def total(self) -> int:
        return self.on_time + self.missed

    @property
    def share(self) -> float | None:
        return self.on_time / self.total if self.total else None


@dataclass(frozen=True)
class VendorBreaches:
    vendor_id: int
    name: str
    breaches: int
    late_now: int
    threads: int


@dataclass(frozen=True)
class SupportStats:
    since: date
    until: date
    per_day: list[DayCount]
    vendors: OnTime
    operator: OnTime
    worst_vendors: list[VendorBreaches]

    @property
    def total(self) -> int:
        return sum(d.count for d in self.per_day)


def support_stats(
    *, user: Any, days: int = 30, now: datetime | None = None, top: int = 10
) -> SupportStats:
    """Requests per day over the last `days` days (today included, Paris days), the share of
    answers in time by the vendors (48 h) and by the operator (24 h), and the vendors with
    the most missed deadlines. Five queries."""
    if not is_supervisor(user):
        raise SupportForbidden(
            _("Cette page est réservée aux superviseurs du service client."),
            code="supervisor_required",
        )
    now = now or timezone.now()
    until = timezone.localdate(now)
    since = until - timedelta(days=days - 1)
    start = timezone.make_aware(datetime.combine(since, datetime.min.time()))
    threads = Thread.objects.filter(created_at__gte=start)
    counted = {
        row["day"]: row["n"]
        for row in threads.annotate(day=TruncDate("created_at"))
        .values("day")
        .annotate(n=Count("pk"))
        .order_by()
    }
    per_day = [
        DayCount(day=since + timedelta(days=i), count=counted.get(since + timedelta(days=i), 0))
        for i in range(days)
    ]
    answers = Message.objects.filter(created_at__gte=start, on_time__isnull=False).aggregate(
        vendor_on_time=Count("pk", filter=Q(author_kind__in=VENDOR_AUTHORS, on_time=True)),
        operator_on_time=Count("pk", filter=Q(author_kind=ActorKind.STAFF, on_time=True)),
    )
    # A clock still running past its moment is a miss too, not only one that ended late.
    breaches = threads.aggregate(
        vendor=Sum("vendor_breaches", default=0),
        operator=Sum("operator_breaches", default=0),
        vendor_late=Count("pk", filter=vendor_late_q(now)),
        operator_late=Count("pk", filter=operator_late_q(now)),
    )
    worst = (
        threads.filter(vendor__isnull=False)
        .values("vendor_id", "vendor__name")
        .annotate(
            breaches=Sum("vendor_breaches", default=0),
            late_now=Count("pk", filter=vendor_late_q(now)),
            threads=Count("pk"),
        )
        .filter(Q(breaches__gt=0) | Q(late_now__gt=0))
        .order_by("-breaches", "-late_now", "vendor__name")[:top]
    )
    return SupportStats(
        since=since,
        until=until,
        per_day=per_day,
        vendors=OnTime(
            on_time=answers["vendor_on_time"],
            missed=breaches["vendor"] + breaches["vendor_late"],
        ),
        operator=OnTime(
            on_time=answers["operator_on_time"],
            missed=breaches["operator"] + breaches["operator_late"],
        ),
        worst_vendors=[
            VendorBreaches(
                vendor_id=row["vendor_id"],
                name=row["vendor__name"],
                breaches=row["breaches"],
                late_now=row["late_now"],
                threads=row["threads"],
            )
            for row in worst
        ],
    )
