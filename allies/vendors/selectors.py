"""Who acts for which vendor: the one place that answers it, for the portal, its "Relevé"
and the vendor API.

Only active vendors ever act: a vendor the operator deactivated keeps its rows (orders,
ledger, invoices) but opens no portal page and no API call. A user acts for the active
vendors it is a member of; one with several picks one in the portal, kept in the session
under `ACTING_VENDOR_SESSION_KEY`, and every page of the portal (the "Relevé" included)
then reads that same vendor.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from allies.vendors.models import Vendor, VendorApiKey

ACTING_VENDOR_SESSION_KEY = "portal_vendor_id"


def _active(prefix: str = "") -> Q:
    # The one definition of "may act": every lookup below goes through it. A vendor the
    # operator suspended (offers hidden, `allies.onboarding.services.vendor_suspend`) still
    # acts: its open orders, returns and messages must be handled. A deactivated one does not.
    return Q(**{f"{prefix}is_active": True}) | Q(**{f"{prefix}suspended_at__isnull": False})


def active_vendors() -> QuerySet[Vendor]:
    return Vendor.objects.filter(_active())


def vendors_of_user(*, user) -> list[Vendor]:
    """The active vendors `user` is a member of, by name (one query; none for a visitor)."""
    if not user.is_authenticated:
        return []
    return list(active_vendors().filter(memberships__user=user).order_by("name", "id"))


def acting_vendor_for(*, user, session, vendors: list[Vendor] | None = None) -> Vendor | None:
    """The vendor `user` acts for: the one chosen in this session if it is still one of its
    active vendors, else the first by name; None when it acts for no active vendor.

    `vendors` (from `vendors_of_user`) spares the query when the caller has them already.
    """
    if vendors is None:
        vendors = vendors_of_user(user=user)
    if not vendors:
        return None
    chosen = session.get(ACTING_VENDOR_SESSION_KEY)
    return next((v for v in vendors if v.pk == chosen), vendors[0])


def acting_vendor_choose(*, session, vendors: list[Vendor], vendor_id: str | int | None):
    """Remember in the session which of `vendors` the user now acts for; the vendor, or None
    when `vendor_id` is not one of them (nothing changes then)."""
    vendor = next((v for v in vendors if str(v.pk) == str(vendor_id)), None)
    if vendor is not None:
        session[ACTING_VENDOR_SESSION_KEY] = vendor.pk
    return vendor


def api_key_vendor_key(*, digest: str) -> VendorApiKey | None:
    """The unrevoked key of an active vendor with this digest, its vendor joined (one query):
    the vendor API acts for `key.vendor` and no other."""
    return (
        VendorApiKey.objects.select_related("vendor")
        .filter(_active("vendor__"), digest=digest, revoked_at__isnull=True)
        .first()
    )
