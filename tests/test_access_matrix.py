"""Who reaches what, for every route of the URL resolver (issue 8 §3; ARCHITECTURE: "tests
prove it for every URL").

Every route the resolver knows is classified below (`ROUTES`); a route nobody classified
fails the test, so a new page cannot slip in without saying who may open it. Each route is
then requested by seven people: a visitor, customer A (who owns the objects in the paths),
customer B, a user of vendor A (who owns the vendor objects in the paths), a user of vendor
B, a user of a deactivated vendor, and a member of the operator's staff. The path
parameters are real objects of customer A and vendor A, so "another's order" really exists:
the answer must then be "not found" or "refused" for everyone else, never the page.

This test is the authority on access; tests/orders/test_access.py,
tests/payments/test_access.py and tests/vendor_portal/test_access.py keep a few deeper,
hand-written cases (what a refused POST leaves unchanged).
"""

from __future__ import annotations

import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth.tokens import default_token_generator
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from PIL import Image

from allies.aftersales.address_requests import address_change_request_open
from allies.aftersales.cancellation_requests import cancellation_request_open
from allies.aftersales.claims import ItemInput, claim_open, claim_return_propose
from allies.aftersales.models import ClaimPhoto
from allies.aftersales.returns import return_accept, return_label_issue, return_request_open
from allies.cart.models import Cart
from allies.cart.services import cart_add
from allies.catalog.models import OfferImport
from allies.checkout.services import CheckoutChoices, order_place
from allies.helpcenter.models import Question
from allies.invoices.commissions import commission_invoices_issue
from allies.invoices.models import Invoice
from allies.ledger.commissions import commission_rate_set
from allies.onboarding.services import vendor_application_submit
from allies.orders.acceptance import vendor_order_lines_decide
from allies.orders.events import Actor
from allies.orders.shipments import vendor_order_mark_delivered, vendor_order_ship
from allies.payments.services import payment_return_urls, payment_start
from allies.payouts.models import Payout
from allies.reviews.models import ReviewPhoto
from allies.reviews.services import review_create
from allies.support.models import Attachment, Motif
from allies.support.services import thread_open
from allies.vendors.services import api_key_create
from tests.factories import (
    AddressFactory,
    UserFactory,
    VendorFactory,
    VendorMembershipFactory,
)
from tests.onboarding.factories import application_data
from tests.orders.conftest import buy, market, vendor_order_of  # noqa: F401

pytestmark = pytest.mark.django_db

# --- the classification ---------------------------------------------------------------
# public:       anyone (the storefront, the doors of the account, the cart of one's session)
# login:        any logged-in person, about themself only (no object in the path)
# customer:     an object of one customer in the path: its owner only
# cart_line:    a line of a cart: acts on the line of the asker's own cart only
# vendor:       the vendor portal, no object in the path: users of an active vendor
# vendor_obj:   an object of one vendor in the path: that vendor's users only
# staff:        the back office (Django admin): staff only
# console:      the customer-service console: staff with support.handle_thread only (plain
#               staff, customers and vendors are refused; visitors go to the login page)
# api:          the vendor API: a vendor's key only (sessions count for nothing)
# machine:      called by a bank, a carrier or a mail client with their own proof (a
#               token or a signature), never shows anyone's data without it
ROUTES = {
    "robots": "public",
    "sitemap": "public",
    "product_image": "public",
    "storefront:home": "public",
    "storefront:search": "public",
    "storefront:category": "public",
    "storefront:product": "public",
    "storefront:vendor": "public",
    "accounts:sign_up": "public",
    "accounts:login": "public",
    "accounts:logout": "public",
    "accounts:password_reset": "public",
    "accounts:password_reset_done": "public",
    "accounts:password_reset_complete": "public",
    "accounts:deactivated": "public",
    "cart:detail": "public",
    "cart:add": "public",
    "cart:prices_accept": "public",
    "cart:discount": "public",
    "cart:simulate": "public",
    "accounts:home": "login",
    "accounts:settings": "login",
    "accounts:newsletter": "login",
    "accounts:addresses": "login",
    "accounts:address_add": "login",
    "accounts:deactivate": "login",
    # "Assistance en ligne", the customer's side (issue 10).
    "support:threads": "login",
    "support:thread": "customer",
    "support:follow_up": "customer",
    "support:attachment": "customer",
    "support:order_assistance": "customer",
    "aftersales:request": "customer",
    "aftersales:return": "customer",
    "aftersales:label_issue": "customer",
    "aftersales:label_pdf": "customer",
    "aftersales:dispatch": "customer",
    "aftersales:cancel": "customer",
    "aftersales:claim_request": "customer",
    "aftersales:claim": "customer",
    "aftersales:claim_pickup": "customer",
    "aftersales:claim_label_pdf": "customer",
    "aftersales:claim_cancel": "customer",
    "aftersales:cancellation_request": "customer",
    "aftersales:delivery_change": "customer",
    "support:question": "public",
    "support:contact": "public",
    "support:contact_sent": "public",
    "orders:purchases": "login",
    "checkout:delivery": "login",
    "checkout:billing": "login",
    "checkout:review": "login",
    "checkout:pay": "login",
    "orders:detail": "customer",
    "orders:cancel": "customer",
    "orders:cancel_lines": "customer",
    "invoices:download": "customer",
    "invoices:document": "customer",
    "accounts:address_edit": "customer",
    "accounts:address_delete": "customer",
    "accounts:address_default": "customer",
    "cart:line_update": "cart_line",
    "cart:line_remove": "cart_line",
    "checkout:payment_result": "customer",
    "payments:sandbox_card": "customer",
    "payments:sandbox_challenge": "customer",
    "vendor_portal:dashboard": "vendor",
    "vendor_portal:switch": "vendor",
    "vendor_portal:orders": "vendor",
    "vendor_portal:invoices": "vendor",
    "vendor_portal:offers": "vendor",
    "vendor_portal:imports": "vendor",
    "vendor_portal:import_template": "vendor",
    "vendor_portal:rates": "vendor",
    "vendor_portal:rate": "vendor",
    "vendor_portal:rate_deactivate": "vendor",
    "vendor_portal:statement": "vendor",
    "vendor_portal:profile": "vendor",
    "vendor_portal:team": "vendor",
    "vendor_portal:api_keys": "vendor",
    "vendor_portal:order": "vendor_obj",
    "vendor_portal:order_decide": "vendor_obj",
    "vendor_portal:order_ship": "vendor_obj",
    "vendor_portal:order_delivered": "vendor_obj",
    "vendor_portal:order_invoice": "vendor_obj",
    "vendor_portal:invoice_pdf": "vendor_obj",
    "vendor_portal:offer": "vendor_obj",
    "vendor_portal:offer_toggle": "vendor_obj",
    "vendor_portal:import": "vendor_obj",
    "vendor_portal:team_remove": "vendor_obj",
    "vendor_portal:api_key_revoke": "vendor_obj",
    "vendor_portal:support_inbox": "vendor",
    "vendor_portal:support_thread": "vendor_obj",
    "vendor_portal:support_reply": "vendor_obj",
    "vendor_portal:support_resolve": "vendor_obj",
    "vendor_portal:support_attachment": "vendor_obj",
    # "Retours" (VEN-2, RET-1…6), the vendor's side.
    "vendor_portal:returns": "vendor",
    "vendor_portal:return": "vendor_obj",
    "vendor_portal:return_accept": "vendor_obj",
    "vendor_portal:return_refuse": "vendor_obj",
    "vendor_portal:return_received": "vendor_obj",
    "vendor_portal:return_refund": "vendor_obj",
    "vendor_portal:return_reject": "vendor_obj",
    "vendor_portal:claims": "vendor",
    "vendor_portal:claim": "vendor_obj",
    "vendor_portal:claim_return": "vendor_obj",
    "vendor_portal:claim_refuse": "vendor_obj",
    "vendor_portal:claim_received": "vendor_obj",
    "vendor_portal:claim_settle": "vendor_obj",
    "vendor_portal:claim_reject": "vendor_obj",
    "vendor_portal:claim_photo": "vendor_obj",
    "vendor_portal:cancellation_confirm": "vendor_obj",
    "vendor_portal:cancellation_refuse": "vendor_obj",
    "vendor_portal:address_request_apply": "vendor_obj",
    "vendor_portal:address_request_refuse": "vendor_obj",
    "api:openapi-json": "public",
    "api:openapi-view": "public",
    "api:api-root": "public",
    "api:unknown_route": "public",  # a JSON 404 "no such route", key or not
    "accounts:password_reset_confirm": "machine",
    "accounts:newsletter_unsubscribe": "machine",
    "payments:return": "machine",
    "payments:error": "machine",
    "payments:cancel": "machine",
    "payments:notification": "machine",
    "carriers:carrier_webhook": "machine",
    "backoffice:queue": "console",
    "backoffice:stats": "console",
    "backoffice:thread": "console",
    "backoffice:thread_message": "console",
    "backoffice:thread_assign": "console",
    "backoffice:thread_stage": "console",
    "backoffice:thread_refund": "console",
    "backoffice:thread_cancel": "console",
    "backoffice:thread_account_reopen": "console",
    "backoffice:attachment": "console",
    "backoffice:thread_redirect": "console",
    "backoffice:thread_redirect_refuse": "console",
    # The site's own pages (SITE-1, SITE-4) and the customer's data (privacy).
    "storefront:about": "public",
    "storefront:terms": "public",
    "storefront:legal_notice": "public",
    "storefront:privacy_policy": "public",
    "storefront:delivery_returns": "public",
    "privacy:home": "login",
    "privacy:export": "login",
    "privacy:erase": "login",
    "privacy:erased": "public",
    # The help centre (SITE-2) and its editing in the console.
    "helpcenter:home": "public",
    "helpcenter:search": "public",
    "helpcenter:topic": "public",
    "helpcenter:question": "public",
    "backoffice:helpcenter_list": "console",
    "backoffice:helpcenter_new": "console",
    "backoffice:helpcenter_edit": "console",
    # Reviews from verified buyers (SITE-3): the customer's forms, the product's list, the
    # vendor's answers, the console's moderation. A published review's photo and its report
    # page are the public's and any logged-in person's.
    "reviews:mine": "login",
    "reviews:order_form": "customer",
    "reviews:line_review": "customer",
    "reviews:vendor_review": "customer",
    "reviews:product_list": "public",
    "reviews:report": "login",
    "reviews:photo": "public",
    "vendor_portal:reviews": "vendor",
    "vendor_portal:review_answer": "vendor_obj",
    "vendor_portal:review_report": "vendor_obj",
    "backoffice:reviews": "console",
    "backoffice:review": "console",
    "backoffice:review_moderate": "console",
    # Live chat (CS-3): the agents' page in the console.
    "chat:session": "public",
    "backoffice:chat": "console",
    "backoffice:chat_availability": "console",
    "backoffice:chat_conversation": "console",
    "backoffice:chat_take": "console",
    "backoffice:chat_close": "console",
    "backoffice:chat_to_thread": "console",
    # The operator runs the marketplace (issue 13): each console page needs its own
    # permission (onboarding, vendors, commissions, payouts, the ledger), none of which the
    # matrix's staff member holds: refused like the support console.
    "storefront:become_vendor": "public",
    "storefront:become_vendor_done": "public",
    "storefront:become_vendor_edit": "public",  # 404 without a valid signed token
    "backoffice:vendor_applications": "console",
    "backoffice:vendor_application": "console",
    "backoffice:vendor_application_decide": "console",
    "backoffice:vendors": "console",
    "backoffice:vendor_suspend": "console",
    "backoffice:vendor_reinstate": "console",
    "backoffice:commissions": "console",
    "backoffice:commission_vendor": "console",
    "backoffice:commission_rate_delete": "console",
    "backoffice:payouts": "console",
    "backoffice:payout_run": "console",
    "backoffice:payout": "console",
    "backoffice:payout_retry": "console",
    "backoffice:dashboard": "console",
    "vendor_portal:payment_account": "vendor",
    "vendor_portal:payment_account_document": "vendor",
    "vendor_portal:commission_invoices": "vendor",
    "vendor_portal:commission_invoice_pdf": "vendor_obj",
    "vendor_portal:statement_csv": "vendor",
    "vendor_portal:statement_pdf": "vendor",
}
# The back office's own doors (anyone may reach the admin's login page).
ADMIN_PUBLIC = {"admin:login", "admin:logout", "admin:jsi18n"}
ROLES = ["anonymous", "customer_a", "customer_b", "vendor_a", "vendor_b", "vendor_off", "staff"]
LOGIN = "/compte/connexion/"
ADMIN_LOGIN = "/admin/login/"


def _routes():
    """(name or None, path pattern, its URLPattern) for every route, includes flattened."""
    found = []

    def walk(resolver, prefix, namespace):
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                ns = namespace
                if entry.namespace:
                    ns = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
                walk(entry, prefix + str(entry.pattern), ns)
            else:
                assert isinstance(entry, URLPattern)
                name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name
                found.append((name, prefix + str(entry.pattern)))

    walk(get_resolver(), "", "")
    return found


def kind_of(name: str | None, pattern: str) -> str | None:
    if name in ROUTES:
        return ROUTES[name]
    if pattern.startswith("admin/"):
        return "public" if name in ADMIN_PUBLIC else "staff"
    if pattern.startswith("api/v1/vendor/"):
        return "api"
    return None


def test_every_route_is_classified():
    # covers: issue 8 §3 (a new route must say who may open it)
    unclassified = sorted(
        f"{name} {pattern}" for name, pattern in _routes() if kind_of(name, pattern) is None
    )
    assert unclassified == []
    stale = set(ROUTES) - {name for name, _pattern in _routes()}
    assert stale == set()  # a route removed is removed here too


# --- the world ----------------------------------------------------------------------------


@pytest.fixture
def world(market, settings, tmp_path):  # noqa: F811
    settings.MEDIA_ROOT = tmp_path / "media"
    verlaine, brun = market["verlaine"], market["brun"]
    customer_a = market["customer"]
    order = buy(market, [(market["shirt"], 1), (market["wallet"], 1)])
    vo_a = vendor_order_of(order, verlaine)
    vendor_order_lines_decide(
        vendor_order=vo_a,
        vendor=verlaine,
        decisions={line.pk: "accept" for line in vo_a.lines.all()},
    )
    vendor_order_ship(vendor_order=vo_a, vendor=verlaine, carrier="colissimo",
                      parcels=["6A12345678901"])  # fmt: skip
    invoice = Invoice.objects.get(vendor_order=vo_a)
    # Customer A's return of a delivered belt to vendor A (the portal's "Retours"), and a
    # claim about the second belt (its "Réclamations").
    belt_vo = vendor_order_of(buy(market, [(market["belt"], 2)]), verlaine)
    vendor_order_lines_decide(
        vendor_order=belt_vo,
        vendor=verlaine,
        decisions={line.pk: "accept" for line in belt_vo.lines.all()},
    )
    vendor_order_ship(
        vendor_order=belt_vo, vendor=verlaine, carrier="colissimo", parcels=["6A12345678902"]
    )
    vendor_order_mark_delivered(vendor_order=belt_vo, vendor=verlaine)
    belt_vo.refresh_from_db()
    vendor_return = return_request_open(
        customer=customer_a,
        vendor_order=belt_vo,
        quantities={line.pk: 1 for line in belt_vo.lines.all()},  # one of the two belts
    )
    # Accepted, with its prepaid label: the label's PDF route has something to give.
    return_accept(request=vendor_return, actor=Actor.vendor_user(market["verlaine_user"]),
                  vendor=verlaine)  # fmt: skip
    vendor_return = return_label_issue(request=vendor_return, customer=customer_a)
    settings.STORAGES = {**settings.STORAGES, "support": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path / "support")},
    }}  # fmt: skip
    [belt_line] = belt_vo.lines.all()
    claim = claim_open(
        customer=customer_a, vendor_order=belt_vo, problem="damaged", remedy="replacement",
        items={belt_line.pk: ItemInput(quantity="1", description="Boucle cassée",
                                       photos=[SimpleUploadedFile("boucle.jpg", _jpeg())])},
    )  # fmt: skip
    # A prepaid label: the claim's label route has a PDF to give.
    claim_return_propose(claim=claim, actor=Actor.vendor_user(market["verlaine_user"]),
                         vendor=verlaine, mode="label")  # fmt: skip
    claim_photo = ClaimPhoto.objects.get(item__claim=claim)
    # Customer A's cancellation request of an accepted vendor order of vendor A, not shipped.
    cancel_vo = vendor_order_of(buy(market, [(market["shirt"], 1)]), verlaine)
    vendor_order_lines_decide(
        vendor_order=cancel_vo,
        vendor=verlaine,
        decisions={line.pk: "accept" for line in cancel_vo.lines.all()},
    )
    cancellation = cancellation_request_open(
        customer=customer_a,
        vendor_order=cancel_vo,
        line_ids=[line.pk for line in cancel_vo.lines.all()],
    )
    # Customer A's request to vendor A, past 24 h, to deliver that order elsewhere (ORD-6).
    address_request = address_change_request_open(
        customer=customer_a,
        vendor_order=cancel_vo,
        address={**cancel_vo.ship_to, "street": "8 rue de Brest"},
        now=timezone.now() + timedelta(hours=25),
    )
    # An order still waiting for the card: its sandbox page carries an unguessable token.
    cart, _ = Cart.objects.get_or_create(customer=customer_a)
    cart_add(cart=cart, offer_id=market["belt"].pk, quantity=1)
    waiting = order_place(
        customer=customer_a, cart=cart,
        choices=CheckoutChoices(delivery_address_id=market["address"].pk,
                                modes={verlaine.pk: "home"}),
    )  # fmt: skip
    urls = payment_return_urls()
    started = payment_start(order=waiting, return_url=urls.return_url, error_url=urls.error_url,
                            cancel_url=urls.cancel_url)  # fmt: skip
    cart, _ = Cart.objects.get_or_create(customer=customer_a)
    cart_add(cart=cart, offer_id=market["shirt"].pk, quantity=1)
    line = cart.lines.order_by("-id").first()
    off = VendorFactory(name="Fermé", is_active=False)
    colleague = VendorMembershipFactory(vendor=verlaine)
    key, _raw = api_key_create(vendor=verlaine, name="ERP")
    job = OfferImport.objects.create(
        vendor=verlaine, filename="stock.csv", file="imports/offres/stock.csv", sha256="0" * 64
    )
    # Customer A's question to vendor A, with a photo (the portal's "Messages", the API's M1x).
    settings.STORAGES = {**settings.STORAGES, "support": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path / "support")},
    }}  # fmt: skip
    vendor_thread = thread_open(
        actor=Actor.customer(customer_a), offer=market["shirt"], motif=Motif.SIZE,
        body="Taille M ?", attachments=[SimpleUploadedFile("dos.jpg", _jpeg())],
    )  # fmt: skip
    thread_file = Attachment.objects.get(thread=vendor_thread)
    # Customer A's published review of the delivered belt, with a photo (SITE-3).
    review = review_create(
        customer=customer_a, vendor_order=belt_vo, order_line=belt_line, rating="4",
        text="Belle ceinture, cuir souple.", photos=[SimpleUploadedFile("c.jpg", _jpeg())],
    )  # fmt: skip
    review_photo = ReviewPhoto.objects.get(review=review)
    help_question = Question.objects.filter(is_published=True).first()
    # The operator's money (issue 13): a company's application, a commission rate, a payout
    # to vendor A and vendor A's commission invoice for this month (issued the next month).
    application = vendor_application_submit(data=application_data())
    users_staff = UserFactory(is_staff=True)
    rate = commission_rate_set(
        vendor=verlaine,
        rate=Decimal("0.12"),
        valid_from=timezone.localdate() + timedelta(days=3),
        by=users_staff,
    )
    payout = Payout.objects.create(
        vendor=verlaine, amount=Decimal("10.00"), amount_cents=1000, transfer_reference="P-T-1",
        money_out_reference="P-M-1", created_at=timezone.now(),
    )  # fmt: skip
    this_month = timezone.localdate().replace(day=1)
    with time_machine.travel(timezone.now() + timedelta(days=32)):
        [commission_invoice] = [
            i for i in commission_invoices_issue(month=this_month) if i.vendor_id == verlaine.pk
        ]
    customer_b = UserFactory(email="bea@example.test")
    AddressFactory(user=customer_b)
    product = market["shirt"].variant.product
    users = {
        "anonymous": None,
        "customer_a": customer_a,
        "customer_b": customer_b,
        "vendor_a": market["verlaine_user"],
        "vendor_b": market["brun_user"],
        "vendor_off": VendorMembershipFactory(vendor=off).user,
        "staff": users_staff,
    }
    uid = urlsafe_base64_encode(force_bytes(customer_a.pk))
    by_route = {
        "accounts:address_edit": {"pk": market["address"].pk},
        "accounts:address_delete": {"pk": market["address"].pk},
        "accounts:address_default": {"pk": market["address"].pk},
        "accounts:password_reset_confirm": {
            "uidb64": uid, "token": default_token_generator.make_token(customer_a)[:-2] + "xx"
        },
        "accounts:newsletter_unsubscribe": {"token": f"{customer_a.pk}:forged"},
        "payments:sandbox_card": {"token": started.payment.webkit_token},
        "payments:sandbox_challenge": {"token": started.payment.webkit_token},
        "storefront:category": {"slug": product.category.slug},
        "storefront:product": {"slug": product.slug},
        "storefront:vendor": {"slug": verlaine.slug},
        "vendor_portal:invoice_pdf": {"pk": invoice.pk},
        "vendor_portal:offer": {"pk": market["shirt"].pk},
        "vendor_portal:offer_toggle": {"pk": market["shirt"].pk},
        "vendor_portal:import": {"pk": job.pk},
        "vendor_portal:team_remove": {"pk": colleague.pk},
        "vendor_portal:api_key_revoke": {"pk": key.pk},
        "vendor_portal:support_thread": {"pk": vendor_thread.pk},
        "vendor_portal:support_reply": {"pk": vendor_thread.pk},
        "vendor_portal:support_resolve": {"pk": vendor_thread.pk},
        "vendor_portal:support_attachment": {"pk": thread_file.pk},
        "reviews:order_form": {"vendor_order_id": belt_vo.pk},
        "reviews:line_review": {"vendor_order_id": belt_vo.pk, "line_id": belt_line.pk},
        "reviews:vendor_review": {"vendor_order_id": belt_vo.pk},
        "reviews:product_list": {"slug": product.slug},
        "reviews:report": {"pk": review.pk},
        "reviews:photo": {"pk": review_photo.pk},
        "vendor_portal:review_answer": {"pk": review.pk},
        "vendor_portal:review_report": {"pk": review.pk},
        "backoffice:review": {"pk": review.pk},
        "backoffice:review_moderate": {"pk": review.pk},
        "helpcenter:topic": {"topic_slug": help_question.topic},
        "helpcenter:question": {"topic_slug": help_question.topic, "slug": help_question.slug},
        "backoffice:helpcenter_edit": {"pk": help_question.pk},
        "backoffice:vendor_application": {"pk": application.pk},
        "backoffice:vendor_application_decide": {"pk": application.pk},
        "backoffice:vendor_suspend": {"pk": verlaine.pk},
        "backoffice:vendor_reinstate": {"pk": verlaine.pk},
        "backoffice:payout": {"pk": payout.pk},
        "backoffice:payout_retry": {"pk": payout.pk},
    }  # fmt: skip
    by_param = {
        "reference": order.reference,
        "vendor_order_id": vo_a.pk,
        "invoice_id": invoice.pk,
        "pk": vo_a.pk,  # the vendor orders of the portal; other objects are by route above
        "kind": "livraison",
        "line_id": line.pk,
        "mode": "home",
        "zone": "FR",
        "gateway": "sandbox",
        "adapter": "simulated",
        "order_id": vo_a.pk,
        "thread_id": vendor_thread.pk,  # the vendor API's M10-M13
        "return_id": vendor_return.pk,  # customer A's return to vendor A
        "claim_id": claim.pk,  # customer A's claim to vendor A
        "photo_id": claim_photo.pk,
        "request_id": cancellation.pk,  # customer A's cancellation request to vendor A
        "address_request_id": address_request.pk,  # customer A's address request to vendor A
        "incident_id": claim.pk,  # the same claim, in the vendor API
        "attachment_id": thread_file.pk,
        "offer_id": market["shirt"].pk,  # "Posez une question"
        "rest": "x",
        "object_id": "1",
        "content_type_id": "1",
        "id": "1",
        "app_label": "accounts",
        "url": "x",
        "vendor_id": verlaine.pk,
        "rate_id": rate.pk,
        "commission_invoice_id": commission_invoice.pk,
        "year": 2026,
        "month": 11,
    }
    return {
        "users": users,
        "by_route": by_route,
        "by_param": by_param,
        # On customer A's pages, shown to A and to the vendors of the order only (the order's
        # reference is no marker: it is in the URL, which every page repeats in its links).
        "secret": market["address"].recipient,
        "cart_line": line,
        "order_url": f"/compte/achats/{order.reference}/",
        "vendor_b": brun,
    }


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (120, 30, 20)).save(out, format="JPEG")
    return out.getvalue()


_PARAM = re.compile(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>[^)]*\)")


def url_of(name, pattern, world) -> str:
    values = {**world["by_param"], **world["by_route"].get(name, {})}

    def fill(match):
        return str(values[match.group(1) or match.group(2)])

    return "/" + _PARAM.sub(fill, pattern).lstrip("^").rstrip("$")


def _goes_to_login(response, login=LOGIN) -> bool:
    return response.status_code == 302 and response["Location"].startswith(login)


def _check(kind: str, role: str, method: str, response, world) -> str | None:
    """What is wrong with this answer, or None."""
    status = response.status_code
    body = response.content.decode(errors="replace") if not response.streaming else ""
    if status >= 500:
        return f"{status}"
    refused = {403, 404, 405}
    if kind in ("public", "cart_line"):
        return None if status not in (401, 403) else f"{status} on a public page"
    if kind == "machine":
        if role not in ("customer_a", "vendor_a", "vendor_b") and world["secret"] in body:
            return "shows customer A's order"
        return None
    if kind == "api":
        return None if status == 401 else f"{status} without a key"
    if kind == "staff":
        if role == "staff":
            return None
        return None if _goes_to_login(response, ADMIN_LOGIN) else f"{status} for non-staff"
    if kind == "console":
        if role == "anonymous":
            return None if _goes_to_login(response) else f"{status} for a visitor"
        return None if status in (403, 405) else f"{status} outside customer service"
    if role == "anonymous":
        if _goes_to_login(response) or (kind == "customer" and status == 404):
            return None
        return f"{status} for a visitor"
    if kind == "login":
        return None if status < 400 or status == 405 else f"{status} for a logged-in user"
    if kind == "customer":
        if role == "customer_a":
            return None if status not in (403, 404) else f"{status} for the owner"
        if status not in refused:
            return f"{status} for someone else"
        return "shows customer A's order" if world["secret"] in body else None
    if kind in ("vendor", "vendor_obj"):
        if role in ("customer_a", "customer_b", "vendor_off", "staff"):
            return None if status == 403 else f"{status} for a non-vendor"
        if role == "vendor_a" or kind == "vendor":
            return None if status < 400 or status == 405 else f"{status} for a vendor user"
        return None if status in (404, 405) else f"{status} for another vendor"
    return f"unknown kind {kind}"


# Requests that act (POST) are only made by people who must be refused: the owner's own
# actions are the business of each feature's tests.
def _methods(kind: str, role: str) -> list[str]:
    if kind == "console":
        return ["get", "post"]  # every role of this test is outside customer service
    if kind in ("customer", "vendor_obj", "cart_line") and role not in ("customer_a", "vendor_a"):
        return ["get", "post"]
    return ["get"]


def test_every_route_answers_each_role_as_classified(client, world):
    # covers: issue 8 §3, ORD-2, ACC-8, VEN-1, VEN-2
    # One world for all roles (building it ships an order and draws its invoice PDF).
    problems = []
    routes = [(name, pattern, kind_of(name, pattern)) for name, pattern in _routes()]
    for role in ROLES:
        client.logout()
        if world["users"][role] is not None:
            client.force_login(world["users"][role])
        for name, pattern, kind in routes:
            url = url_of(name, pattern, world)
            for method in _methods(kind, role):
                response = getattr(client, method)(url)
                problem = _check(kind, role, method, response, world)
                if problem:
                    problems.append(f"{role} {method.upper()} {url} ({name}, {kind}): {problem}")
    # The marker is real: the owner does see it on the order's page.
    client.force_login(world["users"]["customer_a"])
    assert world["secret"] in client.get(world["order_url"]).content.decode()
    line = world["cart_line"]
    assert type(line).objects.filter(pk=line.pk, quantity=line.quantity).exists()
    assert problems == [], "\n".join(problems)


def test_the_vendor_api_acts_for_the_keys_vendor_only(client, world, market):  # noqa: F811
    # covers: issue 8 §3 (one rule for the API: another vendor's order does not exist, a
    # deactivated vendor's key opens nothing)
    _key, raw_b = api_key_create(vendor=world["vendor_b"], name="ERP B")
    order_id = world["by_param"]["order_id"]
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw_b}"}
    assert client.get(f"/api/v1/vendor/orders/{order_id}", **auth).status_code == 404
    listing = client.get("/api/v1/vendor/orders", **auth).json()
    assert order_id not in [o.get("id") for o in listing.get("orders", [])]
    _key, raw_a = api_key_create(vendor=market["verlaine"], name="ERP A")
    auth_a = {"HTTP_AUTHORIZATION": f"Bearer {raw_a}"}
    assert client.get(f"/api/v1/vendor/orders/{order_id}", **auth_a).status_code == 200
    market["verlaine"].is_active = False
    market["verlaine"].save(update_fields=["is_active"])
    assert client.get(f"/api/v1/vendor/orders/{order_id}", **auth_a).status_code == 401
