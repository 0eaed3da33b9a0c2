"""Who acts for which vendor in the portal.

A user acts for the vendors it is a member of (`VendorMembership`); a user with several picks
one (kept in the session). Every portal view is wrapped in `vendor_member_required`, which
sets `request.vendor`: views only ever read or write through that vendor, so another vendor's
order, offer, import or key is simply not found (404).
"""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.views.decorators.cache import never_cache

from allies.vendors.models import Vendor

SESSION_KEY = "portal_vendor_id"


def member_vendors(user) -> list[Vendor]:
    if not user.is_authenticated:
        return []
    return list(Vendor.objects.filter(memberships__user=user, is_active=True).order_by("name"))


def vendor_member_required(view):
    @login_required
    @never_cache
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        vendors = member_vendors(request.user)
        if not vendors:
            raise PermissionDenied
        wanted = request.session.get(SESSION_KEY)
        request.vendor = next((v for v in vendors if v.pk == wanted), vendors[0])
        request.portal_vendors = vendors
        return view(request, *args, **kwargs)

    return wrapped
