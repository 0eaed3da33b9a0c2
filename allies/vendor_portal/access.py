"""Who acts for which vendor in the portal.

`vendor_member_required` wraps every portal view, the "Relevé" included: it asks
`vendors.selectors.acting_vendor_for` (active vendors only, the one chosen in the session)
and sets `request.vendor`; views only ever read or write through that vendor, so another
vendor's order, offer, import or key is simply not found (404). A logged-in user acting for
no active vendor gets the 403 page.
"""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.views.decorators.cache import never_cache

from allies.vendors.selectors import acting_vendor_for, vendors_of_user


def vendor_member_required(view):
    @login_required
    @never_cache
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        vendors = vendors_of_user(user=request.user)
        vendor = acting_vendor_for(user=request.user, session=request.session, vendors=vendors)
        if vendor is None:
            raise PermissionDenied
        request.vendor = vendor
        request.portal_vendors = vendors
        return view(request, *args, **kwargs)

    return wrapped
