"""The vendors' web UI (VEN-1…3): dashboard, orders (accept/refuse, ship, deliver, invoice),
offers and stock, CSV import, shipping rates, the "Relevé" (ledger), profile, team and API
keys.

Every view is wrapped in `vendor_member_required` (sets `request.vendor`); views parse the
request, call one service or selector, and render. Another vendor's objects are not found.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db.models import F
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from allies.aftersales.claim_selectors import vendor_claim_counts
from allies.aftersales.selectors import vendor_return_counts
from allies.catalog import imports
from allies.catalog.models import Offer
from allies.catalog.offers import STATUS_CHOICES, OfferError, offer_update, vendor_offers
from allies.core.money import format_eur
from allies.invoices.models import Invoice, InvoiceRequest, VendorInvoicing
from allies.invoices.selectors import (
    invoice_state,
    vendor_invoice_requests_open,
    vendor_invoices,
)
from allies.invoices.services import InvoiceError, invoice_upload, vendor_invoicing_set
from allies.invoices.views import DocumentMissing, invoice_pdf_response
from allies.orders.acceptance import acceptance_working_days, vendor_order_lines_decide
from allies.orders.events import Actor
from allies.orders.models import OrderLine, VendorOrder
from allies.orders.selectors import vendor_order_get
from allies.orders.shipments import vendor_order_mark_delivered, vendor_order_ship
from allies.orders.states import SHIPPABLE
from allies.orders.timeline import vendor_order_timeline
from allies.orders.vendor_side import FulfilmentError
from allies.shipping.carriers import CARRIERS
from allies.shipping.models import ShippingRate
from allies.shipping.modes import MODE_LABELS
from allies.shipping.services import shipping_rate_deactivate, shipping_rate_save
from allies.shipping.zones import ZONE_CHOICES
from allies.support.selectors import vendor_inbox_counts
from allies.support.selectors import vendor_response_record as support_response_record
from allies.vendor_portal import selectors
from allies.vendor_portal.access import vendor_member_required
from allies.vendor_portal.cancellations import open_cancellations
from allies.vendor_portal.delivery import open_vendor_address_request
from allies.vendor_portal.forms import (
    ApiKeyForm,
    ImportForm,
    InvoiceUploadForm,
    MemberForm,
    OfferForm,
    ProfileForm,
    RateForm,
)
from allies.vendors.models import VendorApiKey, VendorMembership
from allies.vendors.selectors import acting_vendor_choose
from allies.vendors.services import (
    PROFILE_FIELDS,
    MemberError,
    ProfileError,
    api_key_create,
    api_key_revoke,
    vendor_member_add,
    vendor_member_remove,
    vendor_members,
    vendor_profile_update,
)

ORDERS_PER_PAGE = 25
OFFERS_PER_PAGE = 50
MAX_PARCELS_SHOWN = 20


def _page(request, items, per_page: int):
    paginator = Paginator(items, per_page)
    try:
        return paginator.page(request.GET.get("page") or 1)
    except PageNotAnInteger as exc:
        raise Http404 from exc
    except EmptyPage:
        return paginator.page(paginator.num_pages)


def _query_without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _render(request, template: str, context: dict, *, section: str, status: int = 200):
    context = {"vendor": request.vendor, "portal_vendors": request.portal_vendors,
               "section": section, **context}  # fmt: skip
    if "inbox_counts" not in context:  # the menu's "Messages" count (one query)
        context["inbox_counts"] = vendor_inbox_counts(vendor=request.vendor)
    return render(request, f"vendor_portal/{template}", context, status=status)


# --- dashboard ---------------------------------------------------------------------------


@vendor_member_required
def dashboard(request):
    # Imported here so that this function is the only part of the module that knows it.
    from allies.reporting.portal import vendor_money_charts

    board = selectors.vendor_dashboard(vendor=request.vendor)
    # The "Messages" card (VEN-2) and the message answers of the record (VEN-1).
    since = timezone.now() - timedelta(days=selectors.RECORD_DAYS)
    record = support_response_record(vendor=request.vendor, since=since)
    context = {
        "board": board,
        "inbox_counts": vendor_inbox_counts(vendor=request.vendor),
        "return_counts": vendor_return_counts(vendor=request.vendor),  # the "Retours" card
        "claim_counts": vendor_claim_counts(vendor=request.vendor),  # "Réclamations"
        "messages_record": record,
        "messages_average_hours": (
            round(record.average_seconds / 3600, 1) if record.average_seconds is not None else None
        ),
        # "Ventes" and "Virements" over the last 12 months (issue 13): only this vendor's.
        "money_charts": vendor_money_charts(vendor=request.vendor),
    }
    return _render(request, "dashboard.html", context, section="dashboard")


@vendor_member_required
@require_POST
def vendor_switch(request):
    vendor = acting_vendor_choose(
        session=request.session,
        vendors=request.portal_vendors,
        vendor_id=request.POST.get("vendor"),
    )
    if vendor is None:
        raise Http404
    return redirect("vendor_portal:dashboard")


# --- orders ------------------------------------------------------------------------------

TAB_LABELS = {
    "a-accepter": gettext_lazy("À accepter"),
    "a-expedier": gettext_lazy("À expédier"),
    "en-retard": gettext_lazy("En retard"),
    "expediees": gettext_lazy("Expédiées"),
    "livrees": gettext_lazy("Livrées"),
    "annulees": gettext_lazy("Refusées et annulées"),
    "toutes": gettext_lazy("Toutes"),
}


@vendor_member_required
def orders(request):
    tab = request.GET.get("onglet") or "a-accepter"
    if tab not in selectors.TABS:
        raise Http404
    qs = selectors.portal_orders(vendor=request.vendor, tab=tab)
    reference = (request.GET.get("ref") or "").strip().upper()
    if reference:
        qs = qs.filter(order__reference__icontains=reference)
    page = _page(request, qs, ORDERS_PER_PAGE)
    selectors.orders_mark_late(page.object_list)
    tabs = list(TAB_LABELS.items())
    return _render(
        request,
        "orders.html",
        {
            "page": page,
            "tab": tab,
            "tabs": tabs,
            "reference": reference,
            "query": _query_without_page(request),
            # The empty "À accepter" tab states the real delay (settings, allies.orders.acceptance).
            "acceptance_days": acceptance_working_days(),
        },  # fmt: skip
        section="orders",
    )


def _order_context(request, vendor_order: VendorOrder, **extra) -> dict:
    selectors.orders_mark_late([vendor_order])
    lines = selectors.order_lines_shipping(vendor_order=vendor_order)
    default_parcels = max(1, sum(row.line.parcel_count * row.to_ship for row in lines))
    try:
        parcel_count = int(request.GET.get("colis") or default_parcels)
    except ValueError:
        parcel_count = default_parcels
    parcel_count = min(max(parcel_count, 1), MAX_PARCELS_SHOWN)
    invoice = invoice_state(vendor_order=vendor_order)
    request_open = (
        InvoiceRequest.objects.filter(vendor_order=vendor_order, fulfilled_at=None).first()
        if invoice.state != "available"
        else None
    )
    return {
        "vo": vendor_order,
        "order": vendor_order.order,
        "lines": lines,
        "timeline": vendor_order_timeline(vendor_order),
        "pending": [row for row in lines if row.line.status == OrderLine.Status.PENDING],
        "can_ship": vendor_order.status in SHIPPABLE and any(row.to_ship for row in lines),
        "parcel_numbers": range(1, parcel_count + 1),
        "parcel_count": parcel_count,
        "carriers": [c for c in CARRIERS if c.serves(vendor_order.shipping_mode)],
        "refusal_reasons": OrderLine.RefusalReason.choices,
        "invoice": invoice,
        "invoice_request": request_open,
        "invoice_form": extra.pop("invoice_form", None) or InvoiceUploadForm(),
        "address": vendor_order.ship_to,
        # The customer's cancellation requests waiting for an answer (ORD-5): one query.
        "cancellations": open_cancellations(vendor_order=vendor_order),
        # The customer's address change request waiting for this vendor (ORD-6): one query.
        "address_request": open_vendor_address_request(vendor_order=vendor_order),
        **extra,
    }


@vendor_member_required
def order_detail(request, pk: int):
    vendor_order = vendor_order_get(vendor=request.vendor, pk=pk)
    return _render(
        request, "order_detail.html", _order_context(request, vendor_order), section="orders"
    )


def _order_error(request, vendor_order, error: str, **extra):
    vendor_order = vendor_order_get(vendor=request.vendor, pk=vendor_order.pk)
    context = _order_context(request, vendor_order, error=error, **extra)
    return _render(request, "order_detail.html", context, section="orders", status=422)


@vendor_member_required
@require_POST
def order_decide(request, pk: int):
    vendor_order = vendor_order_get(vendor=request.vendor, pk=pk)
    decisions: dict[int, str | tuple[str, str, str]] = {}
    for line in vendor_order.lines.all():
        if line.status != OrderLine.Status.PENDING:
            continue
        choice = request.POST.get(f"line-{line.pk}")
        if choice == "accept":
            decisions[line.pk] = "accept"
        elif choice == "refuse":
            decisions[line.pk] = (
                "refuse",
                request.POST.get(f"reason-{line.pk}") or "",
                (request.POST.get(f"note-{line.pk}") or "").strip(),
            )
    if not decisions:
        return _order_error(
            request,
            vendor_order,
            _("Choisissez « Accepter » ou « Refuser » pour un article au moins."),
        )
    try:
        result = vendor_order_lines_decide(
            vendor_order=vendor_order, vendor=request.vendor, decisions=decisions,
            actor=Actor.vendor_user(request.user),
        )  # fmt: skip
    except FulfilmentError as exc:
        return _order_error(request, vendor_order, exc.message)
    if result.refused:
        messages.success(
            request,
            _("Décision enregistrée. Le client est remboursé de %(amount)s et prévenu par email.")
            % {"amount": _eur(result.refunded)},
        )
    else:
        messages.success(request, _("Articles acceptés : vous pouvez préparer l'expédition."))
    return redirect("vendor_portal:order", pk=vendor_order.pk)


def _eur(amount: Decimal) -> str:
    return format_eur(amount, language=(get_language() or "fr")[:2])


@vendor_member_required
@require_POST
def order_ship(request, pk: int):
    vendor_order = vendor_order_get(vendor=request.vendor, pk=pk)
    quantities = {}
    for line in vendor_order.lines.all():
        raw = request.POST.get(f"qty-{line.pk}")
        if raw not in (None, ""):
            quantities[line.pk] = raw
    estimated = None
    raw_date = (request.POST.get("estimated_delivery_date") or "").strip()
    if raw_date:
        try:
            estimated = date.fromisoformat(raw_date)
        except ValueError:
            return _order_error(
                request, vendor_order, _("La date de livraison estimée est invalide.")
            )
    try:
        vendor_order_ship(
            vendor_order=vendor_order,
            vendor=request.vendor,
            carrier=request.POST.get("carrier") or "",
            parcels=[n for n in request.POST.getlist("parcel")],
            lines=quantities or None,
            estimated_delivery_date=estimated,
            actor=Actor.vendor_user(request.user),
        )
    except FulfilmentError as exc:
        return _order_error(request, vendor_order, exc.message, posted=request.POST)
    messages.success(request, _("Expédition enregistrée : le client reçoit le suivi par email."))
    return redirect("vendor_portal:order", pk=vendor_order.pk)


@vendor_member_required
@require_POST
def order_delivered(request, pk: int):
    vendor_order = vendor_order_get(vendor=request.vendor, pk=pk)
    try:
        vendor_order_mark_delivered(
            vendor_order=vendor_order, vendor=request.vendor, actor=Actor.vendor_user(request.user)
        )
    except FulfilmentError as exc:
        return _order_error(request, vendor_order, exc.message)
    messages.success(request, _("Commande marquée livrée."))
    return redirect("vendor_portal:order", pk=vendor_order.pk)


@vendor_member_required
@require_POST
def order_invoice(request, pk: int):
    vendor_order = vendor_order_get(vendor=request.vendor, pk=pk)
    form = InvoiceUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _order_error(
            request, vendor_order, _("Choisissez le fichier PDF de la facture."), invoice_form=form
        )
    try:
        invoice_upload(
            vendor_order=vendor_order, vendor=request.vendor, file=form.cleaned_data["file"],
            number=form.cleaned_data["number"], actor=Actor.vendor_user(request.user),
        )  # fmt: skip
    except InvoiceError as exc:
        return _order_error(request, vendor_order, str(exc), invoice_form=form)
    messages.success(request, _("Facture déposée : le client peut la télécharger."))
    return redirect("vendor_portal:order", pk=vendor_order.pk)


# --- invoices ----------------------------------------------------------------------------

INVOICES_PER_PAGE = 50


@vendor_member_required
def invoices(request):
    kind = request.GET.get("type") or ""
    if kind not in ("", Invoice.Kind.INVOICE, Invoice.Kind.CREDIT_NOTE):
        kind = ""
    page = _page(request, vendor_invoices(vendor=request.vendor, kind=kind), INVOICES_PER_PAGE)
    return _render(
        request,
        "invoices.html",
        {
            "page": page,
            "kind": kind,
            "query": _query_without_page(request),
            "requests": list(vendor_invoice_requests_open(vendor=request.vendor)[:50]),
        },  # fmt: skip
        section="invoices",
    )


@vendor_member_required
def invoice_pdf(request, pk: int):
    document = vendor_invoices(vendor=request.vendor).filter(pk=pk).first()
    if document is None:
        raise Http404
    try:
        return invoice_pdf_response(document)
    except DocumentMissing:
        pass  # logged by invoice_pdf_response
    return _render(
        request, "document_missing.html", {"document": document}, section="invoices", status=404
    )


# --- offers and stock --------------------------------------------------------------------


@vendor_member_required
def offers(request):
    status = request.GET.get("etat") or ""
    if status not in dict(STATUS_CHOICES):
        status = ""
    q = (request.GET.get("q") or "").strip()[:100]
    page = _page(request, vendor_offers(vendor=request.vendor, q=q, status=status), OFFERS_PER_PAGE)
    return _render(
        request,
        "offers.html",
        {
            "page": page,
            "q": q,
            "status": status,
            "query": _query_without_page(request),
            "filters": STATUS_CHOICES,
        },  # fmt: skip
        section="offers",
    )


def _offer_get(request, pk: int) -> Offer:
    offer = (
        Offer.objects.select_related("variant__product")
        .filter(pk=pk, vendor=request.vendor)
        .first()
    )
    if offer is None:
        raise Http404
    return offer


@vendor_member_required
def offer_edit(request, pk: int):
    offer = _offer_get(request, pk)
    if request.method == "POST":
        form = OfferForm(request.POST)
        if form.is_valid():
            try:
                offer_update(vendor=request.vendor, offer_id=offer.pk, **form.cleaned_data)
            except OfferError as exc:
                for field, message in exc.errors.items():
                    form.add_error(field if field in form.fields else None, message)
            else:
                messages.success(request, _("Offre enregistrée."))
                return redirect(_offers_back(request))
    else:
        form = OfferForm(
            initial={
                "price": offer.price,
                "stock": offer.stock,
                "restock_weeks": offer.restock_weeks,
                "is_active": offer.is_active,
            }  # fmt: skip
        )
    status = 422 if form.is_bound else 200
    return _render(
        request, "offer_form.html", {"offer": offer, "form": form, "back": _offers_back(request)},
        section="offers", status=status,
    )  # fmt: skip


def _offers_back(request) -> str:
    back = request.POST.get("back") or request.GET.get("back") or ""
    url = reverse("vendor_portal:offers")
    return back if back.startswith(url) else url


@vendor_member_required
@require_POST
def offer_toggle(request, pk: int):
    offer = _offer_get(request, pk)
    activate = request.POST.get("active") == "1"
    offer_update(vendor=request.vendor, offer_id=offer.pk, is_active=activate)
    messages.success(
        request,
        (
            _("Offre activée : « %(title)s ».")
            if activate
            else _("Offre désactivée : « %(title)s ».")
        )
        % {"title": offer.variant.product.title},
    )
    return redirect(_offers_back(request))


# --- CSV import --------------------------------------------------------------------------


@vendor_member_required
def import_list(request):
    form = ImportForm()
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                started = imports.offer_import_start(
                    vendor=request.vendor, uploaded_file=form.cleaned_data["file"],
                    actor=request.user,
                )  # fmt: skip
            except OfferError as exc:
                for message in exc.errors.values():
                    form.add_error("file", message)
            else:
                return redirect("vendor_portal:import", pk=started.pk)
    recent = imports.offer_imports_for(vendor=request.vendor)[:20]
    return _render(
        request, "imports.html", {"form": form, "imports": recent},
        section="import", status=422 if form.errors else 200,
    )  # fmt: skip


@vendor_member_required
def import_detail(request, pk: int):
    job = imports.offer_import_get(vendor=request.vendor, pk=pk)
    template = "_import_progress.html" if request.htmx else "import_detail.html"
    return _render(request, template, {"job": job}, section="import")


@vendor_member_required
def import_template(request):
    response = HttpResponse(imports.offer_import_template(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="modele-import-offres.csv"'
    return response


# --- shipping rates ----------------------------------------------------------------------


@vendor_member_required
def rates(request):
    rows = list(ShippingRate.objects.filter(vendor=request.vendor).order_by("zone", "mode"))
    by_key = {(r.mode, r.zone): r for r in rows}
    grid = [
        {"zone": zone, "zone_label": label,
         "cells": [{"mode": mode, "mode_label": mode_label, "rate": by_key.get((mode, zone))}
                   for mode, mode_label in MODE_LABELS.items()]}
        for zone, label in ZONE_CHOICES
    ]  # fmt: skip
    return _render(request, "rates.html", {"grid": grid}, section="rates")


def _rate_initial(rate: ShippingRate | None, mode: str, zone: str) -> dict:
    if rate is None:
        return {"mode": mode, "zone": zone, "min_days": 2, "max_days": 4}
    return {
        "mode": rate.mode, "zone": rate.zone, "carrier": rate.carrier,
        "base_fee": rate.base_fee, "per_extra_item_fee": rate.per_extra_item_fee,
        "per_extra_parcel_fee": rate.per_extra_parcel_fee, "per_kg_beyond": rate.per_kg_beyond,
        "max_parcel_weight_kg": rate.max_parcel_weight_kg or "",
        "free_shipping_threshold": rate.free_shipping_threshold or "",
        "min_days": rate.min_days, "max_days": rate.max_days,
        "brackets": "\n".join(f"{b['up_to_kg']} ; {b['fee']}" for b in rate.weight_brackets or []),
    }  # fmt: skip


def _decimal_text(value: str):
    value = (value or "").strip().replace(",", ".").replace("€", "").strip()
    return value or None


def _rate_form(form: RateForm) -> RateForm:
    # The mode and zone come from the URL; the form only shows them.
    form.fields["mode"].disabled = form.fields["zone"].disabled = True
    return form


@vendor_member_required
def rate_edit(request, mode: str, zone: str):
    if mode not in MODE_LABELS or zone not in dict(ZONE_CHOICES):
        raise Http404
    rate = ShippingRate.objects.filter(vendor=request.vendor, mode=mode, zone=zone).first()
    if request.method == "POST":
        form = _rate_form(RateForm(request.POST, initial={"mode": mode, "zone": zone}))
        if form.is_valid():
            brackets = form.brackets_parsed()
            data = form.cleaned_data
            if brackets is not None:
                try:
                    shipping_rate_save(
                        vendor=request.vendor, mode=mode, zone=zone, carrier=data["carrier"],
                        base_fee=_decimal_text(data["base_fee"]),
                        min_days=data["min_days"], max_days=data["max_days"],
                        per_extra_item_fee=_decimal_text(data["per_extra_item_fee"]) or 0,
                        per_extra_parcel_fee=_decimal_text(data["per_extra_parcel_fee"]) or 0,
                        weight_brackets=brackets,
                        per_kg_beyond=_decimal_text(data["per_kg_beyond"]) or 0,
                        max_parcel_weight_kg=_decimal_text(data["max_parcel_weight_kg"]),
                        free_shipping_threshold=_decimal_text(data["free_shipping_threshold"]),
                    )  # fmt: skip
                except ValidationError as exc:
                    for field, errors in exc.message_dict.items():
                        target = "brackets" if field == "weight_brackets" else field
                        for message in errors:
                            form.add_error(target if target in form.fields else None, message)
                else:
                    messages.success(request, _("Tarif de livraison enregistré."))
                    return redirect("vendor_portal:rates")
    else:
        form = _rate_form(RateForm(initial=_rate_initial(rate, mode, zone)))
    return _render(
        request, "rate_form.html",
        {"form": form, "rate": rate, "mode_label": MODE_LABELS[mode],
         "zone_label": dict(ZONE_CHOICES)[zone], "mode": mode, "zone": zone},
        section="rates", status=422 if form.errors else 200,
    )  # fmt: skip


@vendor_member_required
@require_POST
def rate_deactivate(request, mode: str, zone: str):
    if shipping_rate_deactivate(vendor=request.vendor, mode=mode, zone=zone):
        messages.success(request, _("Ce mode de livraison n'est plus proposé pour cette zone."))
    return redirect("vendor_portal:rates")


# --- profile -----------------------------------------------------------------------------


@vendor_member_required
def profile(request):
    vendor = request.vendor
    invoicing = VendorInvoicing.objects.filter(vendor=vendor).first()
    mode = invoicing.mode if invoicing else VendorInvoicing.Mode.GENERATED
    if request.method == "POST":
        form = ProfileForm(request.POST)
        if form.is_valid():
            data = {k: v for k, v in form.cleaned_data.items() if k in PROFILE_FIELDS}
            try:
                vendor_profile_update(vendor=vendor, data=data, actor=request.user)
            except ProfileError as exc:
                for field, message in exc.errors.items():
                    form.add_error(field, message)
            else:
                vendor_invoicing_set(vendor=vendor, mode=form.cleaned_data["invoice_mode"])
                messages.success(request, _("Profil enregistré."))
                return redirect("vendor_portal:profile")
    else:
        form = ProfileForm(
            initial={**{f: getattr(vendor, f) for f in PROFILE_FIELDS}, "invoice_mode": mode}
        )
    return _render(
        request, "profile.html", {"form": form}, section="profile",
        status=422 if form.errors else 200,
    )  # fmt: skip


# --- API keys ----------------------------------------------------------------------------


@vendor_member_required
def api_keys(request):
    form, created_key = ApiKeyForm(), None
    if request.method == "POST":
        form = ApiKeyForm(request.POST)
        if form.is_valid():
            _key, created_key = api_key_create(
                vendor=request.vendor, name=form.cleaned_data["name"], actor=request.user
            )
            form = ApiKeyForm()
    keys = VendorApiKey.objects.filter(vendor=request.vendor).order_by(
        F("revoked_at").desc(nulls_first=True), "-created_at", "-id"
    )
    return _render(
        request, "api_keys.html",
        {"form": form, "keys": keys, "created_key": created_key,
         "api_docs_url": "/api/v1/docs", "now": timezone.now()},
        section="api", status=422 if form.errors else 200,
    )  # fmt: skip


@vendor_member_required
@require_POST
def api_key_revoke_view(request, pk: int):
    try:
        key = api_key_revoke(vendor=request.vendor, key_id=pk, actor=request.user)
    except VendorApiKey.DoesNotExist as exc:
        raise Http404 from exc
    messages.success(
        request, _("Clé « %(name)s » révoquée : elle ne fonctionne plus.") % {"name": key.name}
    )
    return redirect("vendor_portal:api_keys")


# --- team --------------------------------------------------------------------------------


@vendor_member_required
def team(request):
    form = MemberForm()
    if request.method == "POST":
        form = MemberForm(request.POST)
        if form.is_valid():
            try:
                added = vendor_member_add(
                    vendor=request.vendor, email=form.cleaned_data["email"], actor=request.user
                )
            except MemberError as exc:
                form.add_error("email", str(exc))
            else:
                messages.success(
                    request,
                    _("%(email)s a maintenant accès à votre espace vendeur ; un email le lui dit.")
                    % {"email": added.user.email},
                )
                return redirect("vendor_portal:team")
    return _render(
        request, "team.html",
        {"form": form, "members": vendor_members(vendor=request.vendor)},
        section="team", status=422 if form.errors else 200,
    )  # fmt: skip


@vendor_member_required
@require_POST
def team_remove(request, pk: int):
    try:
        removed = vendor_member_remove(vendor=request.vendor, membership_id=pk, actor=request.user)
    except VendorMembership.DoesNotExist as exc:
        raise Http404 from exc
    except MemberError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("%(email)s n'a plus accès à votre espace vendeur.") % {"email": removed.user.email},
        )
    return redirect("vendor_portal:team")


# --- "Relevé" (PAY-2, VEN-2): allies/vendor_portal/statements.py (urls_statement.py) ------
