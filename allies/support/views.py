"""The customer's pages of "Assistance en ligne" (issue 10, "The customer"): "Posez une
question" on an offer (CAT-4), "Contacter le vendeur" and "Assistance en ligne" on an order
(ORD-7, CS-1), a thread with its clock and the question "Votre demande est-elle en cours de
traitement ou résolue ?" (CS-2), "Mes demandes" (ACC-8), the attachments' downloads, and the
contact form (CS-4).

Views parse, call one selector or service of `allies.support`, and render; a thread or file
the customer may not reach is a 404, exactly as a missing one. Every page with personal data
is never cached. Forms post, then redirect (POST-redirect-GET); a refusal re-renders the
form with what the customer typed and the service's message.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from allies.accounts.throttling import client_ip
from allies.core.text import normalize_email
from allies.orders.events import Actor, ActorKind
from allies.orders.selectors import customer_orders
from allies.support import selectors, services
from allies.support.actors import EmailIdentity
from allies.support.downloads import attachment_response
from allies.support.errors import SupportError, ThreadNotFound
from allies.support.forms import (
    ABOUT_ORDER,
    ContactForm,
    OrderChoiceForm,
    OrderRequestForm,
    QuestionForm,
    ReplyForm,
)
from allies.support.models import Motif, Thread
from allies.support.states import OPEN_STAGES, ThreadStage

THREADS_PER_PAGE = 20
# A vendor order the customer can write about (the service refuses the others too).
_UNPAID = ("awaiting_payment", "cancelled_unpaid")
# The contact form's allowance (CS-4: throttled, no captcha): requests per hour from one
# client address, and to one email address.
CONTACT_WINDOW_SECONDS = 60 * 60
CONTACT_PER_IP = 5
CONTACT_PER_EMAIL = 3
_DRAFT_KEY = "support:question-draft:{offer_id}"
_CONTACT_SENT_KEY = "support:contact-sent"


def _when(moment: Any) -> str:
    """A deadline as the customer reads it: a weekday, date and time ("mardi 3 décembre
    2026 à 10:00"), never "48 h"."""
    return formats.date_format(timezone.localtime(moment), "WEEKDAY_DATETIME_FORMAT")


def _customer(request: HttpRequest) -> Actor:
    return Actor.customer(request.user)


def _thread_or_404(request: HttpRequest, thread_id: int) -> Thread:
    try:
        return selectors.thread_for_customer(customer=request.user, thread_id=thread_id)
    except ThreadNotFound:
        raise Http404 from None


def _files(request: HttpRequest, form: Any) -> list[Any]:
    return list(form.cleaned_data.get("attachments") or [])


def _sent_message(request: HttpRequest, thread: Thread) -> None:
    if thread.stage == ThreadStage.WAITING_VENDOR and thread.vendor_due_at:
        messages.success(
            request,
            _(
                "Votre message est envoyé. Le vendeur vous répondra au plus tard le %(date)s ; "
                "vous recevrez sa réponse par e-mail."
            )
            % {"date": _when(thread.vendor_due_at)},
        )
    elif thread.operator_due_at:
        messages.success(
            request,
            _(
                "Votre message est envoyé. Le service client Les Alliés vous répondra au plus "
                "tard le %(date)s."
            )
            % {"date": _when(thread.operator_due_at)},
        )
    else:
        messages.success(request, _("Votre message est envoyé."))


# --- "Posez une question" (CAT-4) -----------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def question(request: HttpRequest, offer_id: int) -> HttpResponse:
    """A pre-sale question to the vendor of one offer. Visitors may write it; to send it
    they log in or sign up, and come back to the form with what they typed (kept in the
    session under the offer; files cannot be kept, they add them again)."""
    try:
        offer = selectors.offer_for_question(offer_id=offer_id)
    except ThreadNotFound:
        raise Http404 from None
    draft_key = _DRAFT_KEY.format(offer_id=offer.pk)
    if request.method == "POST":
        form = QuestionForm(request.POST, request.FILES)
        if not request.user.is_authenticated:
            request.session[draft_key] = {
                "motif": request.POST.get("motif", "")[:20],
                "body": request.POST.get("body", "")[: settings.SUPPORT_MESSAGE_MAX_CHARS],
            }
            messages.info(
                request,
                _(
                    "Connectez-vous ou créez votre compte pour envoyer votre question : "
                    "nous avons gardé votre message."
                ),
            )
            login = reverse("accounts:login")
            return redirect(f"{login}?{urlencode({'next': request.path}, safe='/')}")
        if form.is_valid():
            try:
                thread = services.thread_open(
                    actor=_customer(request),
                    offer=offer,
                    motif=form.cleaned_data["motif"],
                    body=form.cleaned_data["body"],
                    attachments=_files(request, form),
                )
            except SupportError as error:
                form.add_service_error(error)
            else:
                request.session.pop(draft_key, None)
                _sent_message(request, thread)
                return redirect("support:thread", thread.pk)
    else:
        draft = request.session.get(draft_key) if request.user.is_authenticated else None
        form = QuestionForm(initial=draft or {})
    return render(
        request,
        "support/question.html",
        {
            "offer": offer,
            "product": offer.variant.product,
            "form": form,
            "restored": request.method == "GET" and bool(form.initial),
        },
    )


# --- "Contacter le vendeur" / "Assistance en ligne" on an order (ORD-7, CS-1) ----------------


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def order_assistance(request: HttpRequest, reference: str) -> HttpResponse:
    """The help page's steps: the vendor (preselected by "Contacter le vendeur"), order or
    pre-order question, a motif, "Écrire le message" (a GET: nothing is written yet), then
    the message and its files, "Envoyer un message" (the POST). Above them, this order's
    requests with their state, clock and the CS-2 question."""
    order = customer_orders(customer=request.user).filter(reference=reference).first()
    if order is None:
        raise Http404
    vendor_orders = [
        vo for vo in order.vendor_orders.all() if vo.status not in _UNPAID and vo.vendor.is_active
    ]
    step = "choice"
    form: OrderChoiceForm
    if request.method == "POST":
        form = OrderRequestForm(request.POST, request.FILES, vendor_orders=vendor_orders)
        step = "message"
        if form.is_valid():
            vendor_order = form.chosen_vendor_order
            try:
                thread = services.thread_open(
                    actor=_customer(request),
                    vendor_order=vendor_order,
                    about_order=form.cleaned_data["about"] == ABOUT_ORDER,
                    motif=form.cleaned_data["motif"],
                    body=form.cleaned_data["body"],
                    attachments=_files(request, form),
                )
            except ThreadNotFound:
                raise Http404 from None
            except SupportError as error:
                form.add_service_error(error)
            else:
                _sent_message(request, thread)
                return redirect("support:thread", thread.pk)
        elif any(name in form.errors for name in ("vendor_order", "about", "motif")):
            step = "choice"
    elif request.GET.get("etape") == "message":
        choice = OrderChoiceForm(request.GET, vendor_orders=vendor_orders)
        if choice.is_valid():
            chosen_vo = choice.chosen_vendor_order
            motif = choice.cleaned_data["motif"]
            if choice.cleaned_data["about"] == ABOUT_ORDER and chosen_vo is not None:
                # The return motif hands over to the withdrawal flow, the claim motifs to the
                # after-sales claim form with the problem chosen (allies.aftersales, above
                # this app: reached by its URL names, not imported).
                if motif == Motif.RETURN:
                    return redirect("aftersales:request", order.reference, chosen_vo.pk)
                if motif in (Motif.DAMAGED, Motif.INCOMPLETE, Motif.NOT_AS_DESCRIBED):
                    url = reverse("aftersales:claim_request", args=[order.reference, chosen_vo.pk])
                    return redirect(f"{url}?{urlencode({'probleme': motif})}")
            form = OrderRequestForm(vendor_orders=vendor_orders)
            step = "message"
        else:
            form = choice
    else:
        wanted = request.GET.get("vendeur")
        initial: dict[str, Any] = {"about": ABOUT_ORDER}
        # Bounded digits only: a forged "?vendeur=" is ignored, never a crash.
        chosen = (
            int(wanted)
            if wanted and wanted.isascii() and wanted.isdigit() and len(wanted) < 12
            else None
        )
        if chosen in {vo.pk for vo in vendor_orders}:
            initial["vendor_order"] = chosen
        form = OrderChoiceForm(initial=initial, vendor_orders=vendor_orders)
    threads = list(selectors.threads_for_customer(customer=request.user).filter(order=order))
    now = timezone.now()
    for thread in threads:
        thread.asks_follow_up = selectors.customer_may_escalate(  # type: ignore[attr-defined]
            thread=thread, now=now
        )
    return render(
        request,
        "support/order_assistance.html",
        {
            "order": order,
            "vendor_orders": vendor_orders,
            "form": form,
            "step": step,
            "chosen": _chosen(form, request.POST or request.GET) if step == "message" else None,
            "threads": threads,
            "section": "purchases",
        },
    )


def _chosen(form: OrderChoiceForm, data: Any) -> dict[str, Any] | None:
    """The first step's choices (checked already), as the second step recalls them and
    sends them again."""
    vendor_order = form.vendor_orders.get(_int(data.get("vendor_order")))
    motif, about = data.get("motif"), data.get("about")
    motif_labels = dict(form.fields["motif"].choices)  # type: ignore[attr-defined]
    about_labels = dict(form.fields["about"].choices)  # type: ignore[attr-defined]
    if vendor_order is None or motif not in motif_labels or about not in about_labels:
        return None
    return {
        "vendor_order": vendor_order,
        "motif": motif,
        "motif_label": motif_labels[motif],
        "about": about,
        "about_label": about_labels[about],
    }


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# --- one thread (CS-1, CS-2) ------------------------------------------------------------------


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def thread(request: HttpRequest, thread_id: int) -> HttpResponse:
    """The customer's request: its public messages (never internal notes), its state and
    the deadline of whoever owes the answer, the CS-2 question, and the reply form."""
    current = _thread_or_404(request, thread_id)
    form = ReplyForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.message_post(
                thread=current,
                actor=_customer(request),
                body=form.cleaned_data["body"],
                attachments=_files(request, form),
            )
        except ThreadNotFound:
            raise Http404 from None
        except SupportError as error:
            form.add_service_error(error)
        else:
            _sent_message(request, current)
            return redirect("support:thread", current.pk)
    asks_follow_up = selectors.customer_may_escalate(thread=current)
    return render(
        request,
        "support/thread.html",
        {
            "thread": current,
            "thread_messages": current.visible_messages,  # type: ignore[attr-defined]
            "form": form,
            "asks_follow_up": asks_follow_up,
            # Whoever owes the answer let its clock run out.
            "late": current.due_at is not None and current.due_at < timezone.now(),
            "can_write": current.stage != ThreadStage.CLOSED,
            "is_open": current.stage in OPEN_STAGES,
            "section": "requests",
        },
        status=400 if request.method == "POST" else 200,
    )


@never_cache
@login_required
@require_POST
def follow_up(request: HttpRequest, thread_id: int) -> HttpResponse:
    """The answer to "Votre demande est-elle en cours de traitement ou résolue ?" (CS-2).

    "Non": the request goes to the operator's customer service (`thread_escalate`), which
    intervenes within 24 h; the customer is shown that deadline.

    "Oui": the request is marked resolved (`thread_resolve`). The state machine has no
    "being handled" stage besides "Répondue", and leaving the thread as it is would ask the
    same question again at every visit (and keep a late thread late in the vendor's inbox).
    Resolving stops the clocks, and nothing is lost: a new message from the customer
    reopens the request with the vendor and a new 48 h clock (or with the operator if it
    had been escalated), as the transition table says.
    """
    current = _thread_or_404(request, thread_id)
    answer = request.POST.get("answer")
    back = request.POST.get("back") == "order" and current.order is not None
    try:
        if answer == "non":
            services.thread_escalate(thread=current, actor=_customer(request))
            messages.success(
                request,
                _(
                    "Votre demande est transmise au service client Les Alliés, qui "
                    "interviendra au plus tard le %(date)s."
                )
                % {"date": _when(current.operator_due_at)},
            )
        elif answer == "oui":
            services.thread_resolve(thread=current, actor=_customer(request))
            messages.success(
                request,
                _(
                    "Merci ! Votre demande est marquée comme résolue. Si besoin, écrivez un "
                    "nouveau message : elle sera rouverte."
                ),
            )
        else:
            messages.error(request, _("Répondez « Oui » ou « Non »."))
    except ThreadNotFound:
        raise Http404 from None
    except SupportError as error:
        messages.error(request, error.message)
    if back and current.order is not None:
        return redirect("support:order_assistance", current.order.reference)
    return redirect("support:thread", current.pk)


@never_cache
@login_required
def attachment(request: HttpRequest, attachment_id: int) -> HttpResponseBase:
    """A file of one of the customer's threads, always as a download (never rendered by
    the browser: a PDF may hide scripts), private and never stored by a cache."""
    try:
        found = selectors.attachment_for_customer(
            customer=request.user, attachment_id=attachment_id
        )
        return attachment_response(found)
    except ThreadNotFound:  # not theirs, or the file is gone (AttachmentMissing)
        raise Http404 from None


# --- "Mes demandes" (ACC-8) -------------------------------------------------------------------


@never_cache
@login_required
def threads(request: HttpRequest) -> HttpResponse:
    """Every request of the customer, the last changed first, with state and deadline."""
    paginator = Paginator(selectors.threads_for_customer(customer=request.user), THREADS_PER_PAGE)
    try:
        page = paginator.page(request.GET.get("page") or 1)
    except (EmptyPage, PageNotAnInteger) as exc:
        raise Http404 from exc
    return render(
        request,
        "support/threads.html",
        {"threads": page.object_list, "page_obj": page, "section": "requests"},
    )


# --- the contact form (CS-4) ------------------------------------------------------------------


def _contact_allowed(*, ip: str | None, email: str) -> bool:
    """Count one request from this address and to this email; False once either hourly
    allowance is spent. Fixed windows named in the keys (as accounts.throttling does): a
    count cannot outlive its hour whatever the cache backend does with expiries."""
    window = int(time.time() // CONTACT_WINDOW_SECONDS)
    digest = hashlib.sha256(normalize_email(email).encode()).hexdigest()[:32]
    subjects = [(f"email:{digest}", CONTACT_PER_EMAIL)]
    if ip:
        subjects.append((f"ip:{ip}", CONTACT_PER_IP))
    allowed = True
    for subject, limit in subjects:
        key = f"support:contact-throttle:v1:{subject}:{window}"
        if cache.add(key, 1, CONTACT_WINDOW_SECONDS):
            continue
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add() and incr()
            cache.set(key, 1, CONTACT_WINDOW_SECONDS)
            continue
        allowed = allowed and count <= limit
    return allowed


@never_cache
@require_http_methods(["GET", "POST"])
def contact(request: HttpRequest) -> HttpResponse:
    """The help page's "cliquez ici": a request to the operator's customer service, from a
    customer (about one of their orders, if they choose) or a visitor (name and address)."""
    user = request.user if request.user.is_authenticated else None
    orders = customer_orders(customer=user).prefetch_related(None) if user else None
    form = ContactForm(request.POST or None, request.FILES or None, orders=orders)
    status = 200
    if request.method == "POST":
        if form.is_bot:
            # A robot filled the hidden field: it is told nothing (it would learn to skip
            # the field), and nothing is written or sent.
            return redirect("support:contact_sent")
        if form.is_valid():
            data = form.cleaned_data
            email = user.email if user else data["email"]
            if not _contact_allowed(ip=client_ip(request), email=email):
                form.add_error(
                    None,
                    _(
                        "Vous avez envoyé plusieurs demandes en peu de temps : réessayez dans "
                        "une heure, ou écrivez-nous à %(email)s."
                    )
                    % {"email": settings.CUSTOMER_SERVICE_EMAIL},
                )
                status = 429
            else:
                actor = (
                    Actor.customer(user)
                    if user
                    else EmailIdentity(
                        kind=ActorKind.CUSTOMER, email=data["email"], name=data["name"]
                    )
                )
                try:
                    thread = services.thread_open(
                        actor=actor,
                        motif=data["motif"],
                        body=data["body"],
                        order=data.get("order"),
                        attachments=_files(request, form),
                    )
                except ThreadNotFound:
                    form.add_error("order", _("Commande introuvable."))
                except SupportError as error:
                    form.add_service_error(error)
                else:
                    request.session[_CONTACT_SENT_KEY] = {
                        "due": _when(thread.operator_due_at) if thread.operator_due_at else "",
                        "thread": thread.pk if user else None,
                    }
                    return redirect("support:contact_sent")
        if status == 200:
            status = 400
    return render(
        request, "support/contact.html", {"form": form, "section": "contact"}, status=status
    )


@never_cache
def contact_sent(request: HttpRequest) -> HttpResponse:
    """The confirmation: when the answer comes, and that it comes by email."""
    sent = request.session.pop(_CONTACT_SENT_KEY, None) or {}
    return render(
        request,
        "support/contact_sent.html",
        {"due": sent.get("due", ""), "thread_id": sent.get("thread")},
    )
