"""Reads of vendor onboarding for the console: applications by stage, one application with
its timeline and checks, vendors with their suspension. Staff only (the views check)."""

from __future__ import annotations

from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db.models import Count, Prefetch, Q, QuerySet

from allies.core.errors import AlliesError
from allies.onboarding.models import (
    ApplicationEvent,
    ApplicationStage,
    VendorApplication,
    VendorStatusEvent,
)
from allies.vendors.models import Vendor

PER_PAGE = 30
MAX_PAGE = 10_000
SEARCH_MAX = 100


class OnboardingQueryError(AlliesError):
    code = "not_found"


def page_of(queryset: QuerySet, *, number: str | None, per_page: int = PER_PAGE) -> Page:
    """Page `number` (from the URL: 1 to MAX_PAGE) of `queryset`; OnboardingQueryError
    for anything else or a page past the end."""
    text = (number or "1").strip()
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= MAX_PAGE:
        raise OnboardingQueryError("page")
    try:
        return Paginator(queryset, per_page).page(int(text))
    except (EmptyPage, PageNotAnInteger):
        raise OnboardingQueryError("page") from None


def applications_for_staff(*, stage: str | None) -> QuerySet[VendorApplication]:
    """Applications of `stage` (None: the ones waiting for staff), oldest first for the
    waiting ones (first come, first reviewed), newest first otherwise."""
    rows = VendorApplication.objects.only(
        "id", "stage", "name", "legal_name", "country", "contact_email", "created_at",
        "updated_at", "decided_at",
    )  # fmt: skip
    if stage is None:
        return rows.filter(
            stage__in=[ApplicationStage.SUBMITTED, ApplicationStage.RESUBMITTED]
        ).order_by("updated_at", "id")
    return rows.filter(stage=stage).order_by("-updated_at", "-id")


def application_counts() -> dict[str, int]:
    """Applications per stage (one query)."""
    counts = dict.fromkeys(ApplicationStage.values, 0)
    for row in VendorApplication.objects.values("stage").annotate(n=Count("id")).order_by():
        counts[row["stage"]] = row["n"]
    return counts


def application_for_staff(*, pk: int) -> VendorApplication | None:
    return (
        VendorApplication.objects.select_related("vendor")
        .prefetch_related(
            "categories",
            Prefetch("events", queryset=ApplicationEvent.objects.select_related("actor")),
        )
        .filter(pk=pk)
        .first()
    )


def vendors_for_staff(*, status: str | None, query: str = "") -> QuerySet[Vendor]:
    """Vendors by name; `status`: "suspendus", "actifs" or None (all)."""
    rows = Vendor.objects.only(
        "id", "name", "slug", "legal_name", "siret", "email", "is_active", "suspended_at",
        "suspension_reason", "created_at",
    ).order_by("name", "id")  # fmt: skip
    if status == "suspendus":
        rows = rows.filter(suspended_at__isnull=False)
    elif status == "actifs":
        rows = rows.filter(is_active=True)
    query = " ".join((query or "").split())[:SEARCH_MAX]
    if query:
        rows = rows.filter(
            Q(name__icontains=query) | Q(legal_name__icontains=query) | Q(siret=query)
        )
    return rows


def vendor_last_events(*, vendor_ids: list[int]) -> dict[int, VendorStatusEvent]:
    """The latest suspension event of each vendor (one query), for the list's "why"."""
    latest: dict[int, VendorStatusEvent] = {}
    for event in (
        VendorStatusEvent.objects.filter(vendor_id__in=vendor_ids)
        .select_related("actor")
        .order_by("vendor_id", "created_at", "id")
    ):
        latest[event.vendor_id] = event
    return latest
