"""Payment pages: the sandbox's hosted card and 3-D Secure pages, the return URLs the buyer
comes back on, the provider notification endpoint, and a fallback result page.

Views only parse, call one service, and redirect or render.
"""

import json
import logging
from collections.abc import Mapping

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from allies.core.money import cents_to_eur
from allies.core.numbers import NumberError, parse_int
from allies.payments.forms import SandboxCardForm, SandboxChallengeForm
from allies.payments.gateways.base import notification_fields_keep
from allies.payments.gateways.sandbox import (
    CHALLENGE_CODE,
    sandbox_card_submit,
    sandbox_challenge_answer,
    sandbox_checkout_cancel,
    sandbox_next_step,
)
from allies.payments.models import SandboxCheckout, SandboxTransaction
from allies.payments.services import (
    NotificationRetry,
    PaymentNotFound,
    payment_notification_handle,
    payment_return_handle,
)

logger = logging.getLogger(__name__)

# A provider's notification is a few hundred bytes; anything far larger is not one.
NOTIFICATION_MAX_BYTES = 16 * 1024


def _sandbox_checkout(request, token: str):
    """The session behind a sandbox page: only its token finds it, only its payer sees it."""
    checkout = get_object_or_404(SandboxCheckout.objects.select_related("payer"), token=token)
    if not request.user.is_authenticated:
        return None, redirect_to_login(request.get_full_path())
    if checkout.payer_id != request.user.pk:
        raise PermissionDenied
    return checkout, None


def _page_context(checkout: SandboxCheckout) -> dict:
    return {
        "checkout": checkout,
        "amount": cents_to_eur(checkout.amount_cents),
        "test_cards": [
            ("4111 1111 1111 1111", "Visa"),
            ("5555 5555 5555 4444", "MasterCard"),
            ("4000 0000 0000 3220", "Visa · 3-D Secure"),
            ("5200 8282 8282 8210", "MasterCard · 3-D Secure"),
            ("4000 0000 0000 0002", _("Visa · refusée")),
            ("4000 0000 0000 9995", _("Visa · provision insuffisante")),
            ("4000 0000 0000 0069", _("Visa · carte expirée")),
            ("4000 0000 0000 0119", _("Visa · erreur technique")),
        ],
        "challenge_code": CHALLENGE_CODE,
    }


@never_cache
@require_http_methods(["GET", "POST"])
def sandbox_card(request, token: str):
    checkout, login = _sandbox_checkout(request, token)
    if login:
        return login
    step = sandbox_next_step(checkout)
    if step is not None:
        return redirect(step.url)
    if request.method == "POST" and "cancel" in request.POST:
        return redirect(sandbox_checkout_cancel(checkout=checkout).url)
    form = SandboxCardForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        step = sandbox_card_submit(
            checkout=checkout, number=form.cleaned_data["card_number"], brand=form.brand
        )
        return redirect(step.url)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "payments/sandbox/card.html",
        {**_page_context(checkout), "form": form},
        status=status,
    )


@never_cache
@require_http_methods(["GET", "POST"])
def sandbox_challenge(request, token: str):
    checkout, login = _sandbox_checkout(request, token)
    if login:
        return login
    tx = SandboxTransaction.objects.filter(checkout=checkout).first()
    if tx is None or tx.status != SandboxTransaction.Status.CHALLENGE:
        step = sandbox_next_step(checkout)
        if step is None:
            return redirect("payments:sandbox_card", token=token)
        return redirect(step.url)
    form = SandboxChallengeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        step = sandbox_challenge_answer(
            checkout=checkout,
            code=form.cleaned_data["code"],
            cancel=request.POST.get("action") == "cancel",
        )
        return redirect(step.url)
    return render(
        request,
        "payments/sandbox/challenge.html",
        {**_page_context(checkout), "form": form, "transaction": tx},
    )


@csrf_exempt  # LemonWay's webkit may POST to the return URLs; nothing is trusted from them
@never_cache
@require_http_methods(["GET", "POST"])
def payment_return(request, outcome: str):
    token = request.GET.get("response_wkToken") or request.POST.get("response_wkToken") or ""
    if not token:
        raise Http404
    try:
        result = payment_return_handle(token=token.strip(), outcome_hint=outcome)
    except PaymentNotFound as exc:
        raise Http404 from exc
    return redirect(result.redirect_url)


@csrf_exempt  # the provider's servers post here; the content is verified with its API
@require_POST
def payment_notification(request, gateway: str):
    # Anyone may post here: the body is bounded before it is read, and only the known fields,
    # cut short, reach the service (which stores them).
    try:
        length = parse_int(request.META.get("CONTENT_LENGTH") or "0", min_value=0, max_value=10**12)
    except NumberError:
        return HttpResponse("bad length", status=400, content_type="text/plain")
    if length > NOTIFICATION_MAX_BYTES:
        return HttpResponse("too large", status=413, content_type="text/plain")
    data: Mapping = request.POST
    if request.content_type == "application/json":
        try:
            data = json.loads(request.body or b"{}")
        except (ValueError, RecursionError):
            data = {}
        if not isinstance(data, dict):
            data = {}
    try:
        payment_notification_handle(gateway=gateway, data=notification_fields_keep(data))
    except PaymentNotFound as exc:
        raise Http404 from exc
    except NotificationRetry:
        return HttpResponse("retry later", status=503, content_type="text/plain")
    return HttpResponse("OK", content_type="text/plain")
