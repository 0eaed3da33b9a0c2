"""The site's own pages: "À propos", the terms of sale (CGV), the legal notice, the privacy
policy and the delivery and returns conditions behind the header promises (SITE-1, SITE-4).

Every delay or amount these pages state is read here from the constant or setting the code
itself obeys (the withdrawal window of `orders.closing`, the send-back and refund delays and
the free-return countries of `aftersales.returns`, the support clocks and the return-label
settings), so a page can never promise what the code does not do. The operator's identity
comes from settings when they exist (`OPERATOR_*`), else from the defaults below.

Free delivery is a vendor's choice, per offer. The "Livraison gratuite" badge shows where one
article ships free to mainland France, by the shipping engine's own rows (`row.free` in each
offer's `_shipping_block.html` on the product page). Listings carry no badge: deciding it per
card would run the shipping engine per product on the hottest pages.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.shortcuts import render
from django.urls import reverse

from allies.aftersales.returns import FREE_RETURN_COUNTRIES, REFUND_DAYS, SEND_BACK_DAYS
from allies.core.countries import Country
from allies.core.operator import operator
from allies.core.page_cache import anonymous_page_cache
from allies.orders.closing import WITHDRAWAL_DAYS
from allies.orders.delivery_changes import ADDRESS_EDIT_HOURS
from allies.privacy.registry import ACCOUNTING_RETENTION_YEARS


def rules() -> dict[str, Any]:
    """The delays and amounts the pages state, from what the code obeys."""
    return {
        "withdrawal_days": WITHDRAWAL_DAYS,
        # Delivered on the 1st, the last day to withdraw (orders.closing.withdrawal_window_end).
        "withdrawal_example_last_day": 1 + WITHDRAWAL_DAYS,
        "send_back_days": SEND_BACK_DAYS,
        "refund_days": REFUND_DAYS,
        "free_return_countries": [Country(code).label for code in sorted(FREE_RETURN_COUNTRIES)],
        "vendor_answer_hours": settings.SUPPORT_VENDOR_ANSWER_HOURS,
        "operator_answer_hours": settings.SUPPORT_OPERATOR_ANSWER_HOURS,
        "acceptance_working_days": settings.ORDER_ACCEPTANCE_WORKING_DAYS,
        "auto_cancel_working_days": settings.ORDER_AUTO_CANCEL_WORKING_DAYS,
        "return_label_carrier": str(settings.RETURN_LABEL_CARRIER).capitalize(),
        "address_edit_hours": ADDRESS_EDIT_HOURS,
        "return_label_cost": settings.RETURN_LABEL_COST,
        "retention_years": ACCOUNTING_RETENTION_YEARS,
        "customer_service_email": settings.CUSTOMER_SERVICE_EMAIL,
        "login_lockout_seconds": settings.LOGIN_LOCKOUT_SECONDS,
        "attachment_max_mb": settings.SUPPORT_ATTACHMENT_MAX_BYTES // (1024 * 1024),
    }


def cookies() -> dict[str, Any]:
    """The cookies the site sets, all strictly necessary (no consent banner, see the privacy
    policy): the session (login, cart), the CSRF token and Django's one-time messages. The
    language comes from the URL (/en/), never from a cookie."""
    return {
        "session": settings.SESSION_COOKIE_NAME,
        "session_days": max(1, settings.SESSION_COOKIE_AGE // 86400),
        "csrf": settings.CSRF_COOKIE_NAME,
        "csrf_days": max(1, settings.CSRF_COOKIE_AGE // 86400),
    }


def _page(request, template: str) -> Any:
    # Imported here: the listing views may import this module for the badges.
    from allies.storefront.views import seo_links

    return render(
        request,
        f"storefront/pages/{template}.html",
        {
            "operator": operator(),
            "rules": rules(),
            "cookies": cookies(),
            # For links inside translated paragraphs ({% url %} cannot sit in blocktranslate).
            "terms_url": reverse("storefront:terms"),
            "legal_url": reverse("storefront:legal_notice"),
            "privacy_url": reverse("storefront:privacy_policy"),
            "delivery_url": reverse("storefront:delivery_returns"),
            "my_data_url": reverse("privacy:home"),
            **seo_links(request),
        },
    )


@anonymous_page_cache
def about(request):
    return _page(request, "about")


@anonymous_page_cache
def terms(request):
    return _page(request, "terms")


@anonymous_page_cache
def legal_notice(request):
    return _page(request, "legal_notice")


@anonymous_page_cache
def privacy_policy(request):
    return _page(request, "privacy_policy")


@anonymous_page_cache
def delivery_returns(request):
    return _page(request, "delivery_returns")
