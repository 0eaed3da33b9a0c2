"""The customer-service console's pages (CS-5): the queue, one request with its order beside
it and the agents' actions, attachment downloads, and the supervisor's figures.

Every view is wrapped in `agent_required`: a visitor goes to the login page, anyone logged
in without `support.handle_thread` (customers, vendors, staff outside customer service) gets
the 403 page. Views parse, call one service or selector of `allies.support` or
`allies.backoffice`, and render; each action is a POST that redirects back to the request
(POST-redirect-GET), or shows the page again with the refusal and nothing changed.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from allies.backoffice import charts
from allies.backoffice.forms import (
    MINE,
    NOBODY,
    QUEUE_FILTERS,
    AssignForm,
    CancelForm,
    MessageForm,
    QueueFilterForm,
    RefundForm,
    StageForm,
)
from allies.backoffice.selectors import (
    agents,
    order_for_thread,
    support_stats,
    vendors_for_filter,
)
from allies.backoffice.services import (
    refund_limit,
    thread_account_for,
    thread_account_reopen,
    thread_lines_refund,
    thread_vendor_order_cancel,
)
from allies.core.templatetags.allies import eur
from allies.orders.acceptance import CANCELLABLE
from allies.orders.events import Actor
from allies.support.downloads import attachment_response
from allies.support.errors import SupportError, ThreadNotFound
from allies.support.models import Thread
from allies.support.selectors import (
    ThreadFilter,
    attachment_for_staff,
    staff_late_count,
    staff_queue_counts,
    thread_for_staff,
    threads_for_staff,
)
from allies.support.services import (
    is_agent,
    is_supervisor,
    message_post,
    thread_assign,
    thread_close,
    thread_reopen,
    thread_resolve,
)
from allies.support.states import ThreadStage

THREADS_PER_PAGE = 25
DEFAULT_FILTER = "a-traiter"
LATE_FILTER = "en-retard"
MAX_ID = 2**63 - 1


def agent_required(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    @login_required
    @never_cache
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not is_agent(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def _render(request: HttpRequest, template: str, context: dict[str, Any], *, section: str,
            status: int = 200) -> HttpResponse:  # fmt: skip
    context = {
        "section": section,
        "is_supervisor": is_supervisor(request.user),
        **context,
    }
    return render(request, f"backoffice/{template}", context, status=status)


# --- the queue ------------------------------------------------------------------------------


class _CountedPaginator(Paginator):
    """A paginator told its count (already counted by the same request)."""

    def __init__(self, object_list: Any, per_page: int, *, count: int) -> None:
        super().__init__(object_list, per_page)
        self._known_count = count

    @cached_property
    def count(self) -> int:
        return self._known_count


@agent_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    user = request.user
    vendors = list(vendors_for_filter(user=user))
    staff = agents(user=user)
    form = QueueFilterForm(request.GET, vendors=vendors, agents=staff)
    slug, vendor_id, agent_id, unassigned = DEFAULT_FILTER, None, None, False
    if form.is_valid():
        slug = form.cleaned_data["filtre"] or DEFAULT_FILTER
        vendor_id = form.cleaned_data["vendeur"]
        agent = form.cleaned_data["agent"]
        if agent == MINE:
            agent_id = user.pk
        elif agent == NOBODY:
            unassigned = True
        elif agent:
            agent_id = int(agent)
    threads = threads_for_staff(
        user=user,
        filter=ThreadFilter(QUEUE_FILTERS[slug][0]),
        vendor_id=vendor_id,
        agent_id=agent_id,
        unassigned=unassigned,
    )
    counts = staff_queue_counts(user=user)
    # "À traiter" (alone, or with "Non attribuées") counts exactly what a counter counts:
    # the pages reuse it instead of counting the queue a second time (bench/support_inbox.py).
    known = None
    if slug == DEFAULT_FILTER and vendor_id is None and agent_id is None:
        known = counts.unassigned if unassigned else counts.to_answer
    elif slug == LATE_FILTER and vendor_id is None and agent_id is None and not unassigned:
        known = staff_late_count(user=user)
    paginator = (
        Paginator(threads, THREADS_PER_PAGE)
        if known is None
        else _CountedPaginator(threads, THREADS_PER_PAGE, count=known)
    )
    page = paginator.get_page(request.GET.get("page"))
    tab_counts = {"a-traiter": counts.to_answer, "en-retard": counts.late,
                  "formulaire": counts.contact}  # fmt: skip
    tabs = [(key, label, tab_counts.get(key)) for key, (_name, label) in QUEUE_FILTERS.items()]
    query = request.GET.copy()
    query.pop("page", None)
    return _render(
        request,
        "queue.html",
        {
            "page": page,
            "filter": slug,
            "tabs": tabs,
            "form": form,
            "counts": counts,
            "query": query.urlencode(),
            "filtered": bool(vendor_id or agent_id or unassigned),
            "now": timezone.now(),
        },
        section="queue",
    )


# --- one request ----------------------------------------------------------------------------


def _thread(request: HttpRequest, pk: int) -> Thread:
    if pk > MAX_ID:  # no such row, and too large for the database's integer
        raise Http404
    try:
        return thread_for_staff(user=request.user, thread_id=pk)
    except ThreadNotFound:
        raise Http404 from None


def _thread_page(
    request: HttpRequest, thread: Thread, *, status: int = 200, error: str = "", **forms: Any
) -> HttpResponse:
    user = request.user
    staff = agents(user=user)
    order = order_for_thread(user=user, thread=thread)
    vendor_order = None
    if order is not None and thread.vendor_order_id is not None:
        vendor_order = next(
            (vo for vo in order.vendor_orders.all() if vo.pk == thread.vendor_order_id), None
        )
    refundable = (
        [line for line in vendor_order.lines.all() if line.refunded_at is None]
        if vendor_order is not None
        else []
    )
    cancellable = (
        vendor_order is not None
        and vendor_order.status in CANCELLABLE
        and not vendor_order.shipments.all()
    )
    account = thread_account_for(thread)
    # A shipped parcel to redirect (ORD-6): delivery.py's views import this module.
    from allies.backoffice.delivery import redirect_card

    context = {
        "thread": thread,
        "messages_shown": thread.visible_messages,  # type: ignore[attr-defined]
        "trail": thread.trail,  # type: ignore[attr-defined]
        "order": order,
        "vendor_order": vendor_order,
        "refundable": refundable,
        "cancellable": cancellable,
        "account": account,
        "redirect_card": redirect_card(thread=thread, order=order),
        "error": error,
        "refund_limit": refund_limit(),
        "is_mine": thread.assigned_agent_id == user.pk,
        "closed": thread.stage == ThreadStage.CLOSED,
        "reopenable": thread.stage in (ThreadStage.RESOLVED, ThreadStage.CLOSED),
        "resolvable": thread.stage
        in (ThreadStage.WAITING_VENDOR, ThreadStage.ANSWERED, ThreadStage.ESCALATED),
        "message_form": forms.get("message_form") or MessageForm(),
        "assign_form": forms.get("assign_form")
        or AssignForm(agents=staff, initial={"agent": thread.assigned_agent_id}),
        "refund_form": forms.get("refund_form") or RefundForm(lines=refundable),
        "cancel_form": forms.get("cancel_form") or CancelForm(),
        "now": timezone.now(),
    }
    return _render(request, "thread.html", context, section="queue", status=status)


@agent_required
@require_GET
def thread_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _thread_page(request, _thread(request, pk))


def _refused(request: HttpRequest, thread: Thread, exc: SupportError, **forms: Any) -> HttpResponse:
    """The page again, with the refusal on top; the services changed nothing."""
    fresh = _thread(request, thread.pk)
    return _thread_page(request, fresh, status=422, error=exc.message, **forms)


def _back(thread: Thread) -> HttpResponse:
    return redirect("backoffice:thread", pk=thread.pk)


@agent_required
@require_POST
def thread_message(request: HttpRequest, pk: int) -> HttpResponse:
    thread = _thread(request, pk)
    form = MessageForm(request.POST)
    if not form.is_valid():
        return _thread_page(request, thread, status=422, message_form=form,
                            error=_("Écrivez votre message."))  # fmt: skip
    visibility = form.cleaned_data["destinataire"]
    try:
        message_post(
            thread=thread,
            actor=Actor.staff(request.user),
            body=form.cleaned_data["message"],
            attachments=request.FILES.getlist("pieces"),
            visibility=visibility,
        )
    except SupportError as exc:
        return _refused(request, thread, exc, message_form=form)
    done = {
        "public": _("Réponse envoyée au client (et visible du vendeur)."),
        "vendor": _("Message envoyé au vendeur."),
        "internal": _("Note interne ajoutée."),
    }
    messages.success(request, done[visibility])
    return _back(thread)


@agent_required
@require_POST
def thread_assign_view(request: HttpRequest, pk: int) -> HttpResponse:
    thread = _thread(request, pk)
    form = AssignForm(request.POST, agents=agents(user=request.user))
    if not form.is_valid():
        return _thread_page(request, thread, status=422, assign_form=form,
                            error=_("Choisissez un agent dans la liste."))  # fmt: skip
    wanted = form.cleaned_data["agent"]
    agent = next((a for a in agents(user=request.user) if a.pk == wanted), None)
    try:
        thread_assign(thread=thread, actor=Actor.staff(request.user), agent=agent)
    except SupportError as exc:
        return _refused(request, thread, exc)
    if agent is None:
        messages.success(request, _("La demande n'est plus attribuée."))
    else:
        name = agent.get_full_name() or agent.email
        messages.success(request, _("Demande attribuée à %(name)s.") % {"name": name})
    return _back(thread)


@agent_required
@require_POST
def thread_stage(request: HttpRequest, pk: int) -> HttpResponse:
    thread = _thread(request, pk)
    form = StageForm(request.POST)
    if not form.is_valid():
        raise Http404
    actor = Actor.staff(request.user)
    action = form.cleaned_data["action"]
    try:
        if action == "resolve":
            thread_resolve(thread=thread, actor=actor)
            done = _("Demande résolue : le client est prévenu.")
        elif action == "close":
            thread_close(thread=thread, actor=actor)
            done = _("Demande clôturée.")
        else:
            thread_reopen(thread=thread, actor=actor)
            done = _("Demande rouverte : elle revient dans la file avec un nouveau délai.")
    except SupportError as exc:
        return _refused(request, thread, exc)
    messages.success(request, done)
    return _back(thread)


@agent_required
@require_POST
def thread_refund(request: HttpRequest, pk: int) -> HttpResponse:
    thread = _thread(request, pk)
    lines = list(thread.vendor_order.lines.all()) if thread.vendor_order else []
    form = RefundForm(request.POST, lines=lines)
    if not form.is_valid():
        first = str(next(iter(form.errors.values()))[0])
        return _thread_page(request, thread, status=422, refund_form=form, error=first)
    try:
        done = thread_lines_refund(
            thread=thread,
            user=request.user,
            line_ids=form.cleaned_data["articles"],
            reason=form.cleaned_data["motif"],
        )
    except SupportError as exc:
        return _refused(request, thread, exc, refund_form=form)
    messages.success(
        request,
        _("Remboursement de %(amount)s enregistré : le client et le vendeur sont prévenus.")
        % {"amount": eur(done.amount)},
    )
    return _back(thread)


@agent_required
@require_POST
def thread_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    thread = _thread(request, pk)
    form = CancelForm(request.POST)
    if not form.is_valid():
        return _thread_page(request, thread, status=422, cancel_form=form,
                            error=_("Indiquez le motif."))  # fmt: skip
    try:
        thread_vendor_order_cancel(
            thread=thread, user=request.user, reason=form.cleaned_data["motif"]
        )
    except SupportError as exc:
        return _refused(request, thread, exc, cancel_form=form)
    messages.success(request, _("Commande vendeur annulée et remboursée : le client est prévenu."))
    return _back(thread)


@agent_required
@require_POST
def thread_account_reopen_view(request: HttpRequest, pk: int) -> HttpResponse:
    thread = _thread(request, pk)
    try:
        account = thread_account_reopen(thread=thread, user=request.user)
    except SupportError as exc:
        return _refused(request, thread, exc)
    messages.success(
        request, _("Le compte %(email)s est rouvert : le client peut se connecter.")
        % {"email": account.email},
    )  # fmt: skip
    return _back(thread)


@agent_required
@require_GET
def attachment(request: HttpRequest, pk: int) -> FileResponse:
    """A request's file as a private download: never inline, never sniffed, never cached."""
    if pk > MAX_ID:
        raise Http404
    try:
        found = attachment_for_staff(user=request.user, attachment_id=pk)
        return attachment_response(found)
    except ThreadNotFound:  # not a thread's file, or the file is gone (AttachmentMissing)
        raise Http404 from None


# --- the supervisor's figures ---------------------------------------------------------------


@agent_required
@require_GET
def stats(request: HttpRequest) -> HttpResponse:
    if not is_supervisor(request.user):
        raise PermissionDenied
    figures = support_stats(user=request.user)
    return _render(
        request,
        "stats.html",
        {
            "stats": figures,
            "per_day_chart": charts.column_chart([(d.day, d.count) for d in figures.per_day]),
            "share_chart": charts.share_bars(
                [
                    (_("Vendeurs (48 h)"), figures.vendors),
                    (_("Service client (24 h)"), figures.operator),
                ]
            ),
            "breach_chart": charts.bar_chart(
                [(v.name, v.breaches + v.late_now) for v in figures.worst_vendors]
            ),
        },
        section="stats",
    )
