"""Writes on invoices: generate at shipment, upload, credit notes, "Ma facture" requests.

Contract with shipping (`orders.services.vendor_order_ship`): it calls
`invoice_on_shipment(vendor_order=…)` inside its own transaction when the vendor order becomes
"Expédiée". That call never makes the shipment fail: if the PDF cannot be made, the error is
logged, nothing of the invoice is kept (savepoint), and the invoice is made the first time the
customer clicks "Ma facture".

Gapless numbering (INV-3): the number is taken from `InvoiceSequence` under a row lock
(`select_for_update`; on SQLite the IMMEDIATE transaction already serialises writers) in the
same transaction that writes the invoice and its PDF. If anything fails afterwards, the
increment is rolled back with the invoice, so a number is either used by exactly one invoice
or not used at all; two concurrent issues for one vendor queue on the lock and get N and N+1.
The lock is held while the PDF renders (a fraction of a second) — the price of a number that
is printed inside the document.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, TypedDict

from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from allies.accounts.models import User
from allies.core.deadlines import add_business_hours
from allies.core.errors import AlliesError
from allies.core.money import round_cent
from allies.invoices.amounts import GoodsLine, allocate, breakdown_compute
from allies.invoices.models import (
    Invoice,
    InvoiceRequest,
    InvoiceSequence,
    VendorInvoicing,
)
from allies.invoices.pdf import invoice_pdf_render, pdf_looks_valid
from allies.notifications.services import notification_send
from allies.orders.events import Actor, EventKind, order_event_add
from allies.orders.models import OrderLine, Shipment, VendorOrder
from allies.orders.refunds import RefundSplit
from allies.payments.models import Refund
from allies.vendors.emails import vendor_email_send
from allies.vendors.models import Vendor

logger = logging.getLogger(__name__)

PLATFORM_NAME = "Les Alliés"
REQUEST_DELAY_BUSINESS_HOURS = 48  # INV-2

# A vendor order whose invoice is due (INV-1: "once shipped").
INVOICEABLE_STATUSES = frozenset(
    {VendorOrder.Status.SHIPPED, VendorOrder.Status.DELIVERED, VendorOrder.Status.CLOSED}
)
# A vendor order that never gets an invoice (nothing was sold).
NEVER_INVOICED_STATUSES = frozenset(
    {
        VendorOrder.Status.AWAITING_PAYMENT,
        VendorOrder.Status.CANCELLED_UNPAID,
        VendorOrder.Status.CANCELLED,
        VendorOrder.Status.REFUSED,
    }
)
SERIES_PREFIX: dict[str, str] = {Invoice.Kind.INVOICE: "F", Invoice.Kind.CREDIT_NOTE: "AV"}


class InvoiceError(AlliesError):
    """The action is not possible; `message` (also `str(exc)`) says why in the user's
    language, `code` is stable.

    Codes: not_found, not_shipped, not_invoiceable, already_invoiced, too_large, not_pdf,
    number_taken, invalid_amount, invalid_lines, invalid_mode.
    """


class RefundedLine(TypedDict):
    """A line of a credit note given as a mapping: the order line (or its id) and how many."""

    line: OrderLine | int
    quantity: int


# A refunded line and its quantity, as a pair or as a RefundedLine.
CreditLine = tuple[OrderLine | int, int] | RefundedLine


def upload_max_bytes() -> int:
    return settings.INVOICE_UPLOAD_MAX_BYTES


# --- vendor settings -------------------------------------------------------------------------


def vendor_invoicing_set(*, vendor: Vendor, mode: str) -> VendorInvoicing:
    if mode not in VendorInvoicing.Mode.values:
        raise InvoiceError(_("Mode de facturation inconnu."), code="invalid_mode")
    invoicing, _created = VendorInvoicing.objects.update_or_create(
        vendor=vendor, defaults={"mode": mode}
    )
    return invoicing


# --- numbering -------------------------------------------------------------------------------


@dataclass(frozen=True)
class AllocatedNumber:
    number: str
    year: int
    value: int
    issued_at: datetime  # aware, taken under the lock: numbers follow issue order


def vendor_code(vendor_id: int) -> str:
    return f"V{vendor_id:04d}"


def invoice_number_next(*, vendor_id: int, kind: str) -> AllocatedNumber:
    """Take the next number of the vendor's series for `kind` this year. Needs a transaction."""
    assert transaction.get_connection().in_atomic_block, "numbers are taken inside a transaction"
    while True:
        year = timezone.localtime().year
        InvoiceSequence.objects.bulk_create(
            [InvoiceSequence(vendor_id=vendor_id, kind=kind, year=year)], ignore_conflicts=True
        )
        seq = InvoiceSequence.objects.select_for_update().get(
            vendor_id=vendor_id, kind=kind, year=year
        )
        issued_at = timezone.now()
        if timezone.localtime(issued_at).year != year:
            continue  # waited for the lock across midnight on 31 December: next year's series
        seq.last_value += 1
        seq.save(update_fields=["last_value"])
        number = f"{SERIES_PREFIX[kind]}-{vendor_code(vendor_id)}-{year}-{seq.last_value:06d}"
        return AllocatedNumber(number, year, seq.last_value, issued_at)


# --- snapshots -------------------------------------------------------------------------------


def _seller_snapshot(vendor: Vendor) -> dict[str, Any]:
    return {
        "legal_name": vendor.legal_name,
        "trade_name": vendor.name,
        "legal_form": vendor.legal_form,
        "share_capital": vendor.share_capital,
        "street": vendor.street,
        "postcode": vendor.postcode,
        "city": vendor.city,
        "country": vendor.country,
        "siret": vendor.siret,
        "rcs_city": vendor.rcs_city,
        "vat_number": vendor.vat_number,
        "email": vendor.email,
        "phone": vendor.phone,
    }


_ADDRESS_KEYS = ("recipient", "company", "street", "street_extra", "postcode", "city", "country")


def _address(snapshot: dict[str, Any] | None) -> dict[str, str]:
    snapshot = snapshot or {}
    return {key: snapshot.get(key) or "" for key in _ADDRESS_KEYS}


def _document_data(
    *, vendor_order: VendorOrder, shipped_at: datetime | None = None
) -> dict[str, Any]:
    order = vendor_order.order
    buyer = _address(order.billing_address)
    delivery = _address(vendor_order.ship_to)
    sold_at = order.validated_at or order.created_at
    return {
        "platform_name": PLATFORM_NAME,
        "seller": _seller_snapshot(vendor_order.vendor),
        "buyer": buyer,
        # Shown when it differs from the billing address (mandatory mention from the 2026
        # e-invoicing reform; harmless for consumers).
        "delivery": delivery if delivery != buyer else None,
        "buyer_is_business": bool(buyer["company"]),
        "order": {
            "reference": order.reference,
            "sold_on": timezone.localtime(sold_at).date().isoformat(),
            "paid_on": timezone.localtime(sold_at).date().isoformat(),
            "shipped_on": timezone.localtime(shipped_at).date().isoformat() if shipped_at else None,
            # No query: a null key reads as None, and callers select_related the code.
            "discount_code": order.discount_code.code if order.discount_code else "",
        },
    }


def _language(vendor_order: VendorOrder) -> str:
    return vendor_order.order.language if vendor_order.order.language in ("fr", "en") else "fr"


@dataclass(frozen=True)
class _Billed:
    goods: list[GoodsLine]
    shipping: Decimal
    discount: Decimal


def _billed(vendor_order: VendorOrder) -> _Billed:
    """What the invoice bills: the lines kept, and the shipping and discount they carry.

    Lines refused by the vendor or cancelled before shipping were refunded with their share of
    shipping and of the discount (`orders.refunds`); the invoice leaves them out, so its
    total is exactly what the customer paid and kept: vendor order total − those refunds.
    """
    goods: list[GoodsLine] = []
    refunded_shipping, refunded_discount = Decimal("0"), Decimal("0")
    for line in OrderLine.objects.filter(vendor_order=vendor_order).order_by("id"):
        if line.is_refunded:
            refunded_shipping += line.refunded_shipping
            refunded_discount += line.refunded_discount
            continue
        goods.append(
            GoodsLine(
                title=line.product_title,
                variant=line.variant_label,
                sku=line.sku,
                unit_ttc=line.unit_price,
                quantity=line.quantity,
                vat_rate=line.vat_rate,
            )
        )
    return _Billed(
        goods=goods,
        shipping=vendor_order.shipping_fee - refunded_shipping,
        discount=vendor_order.discount_share - refunded_discount,
    )


def _pdf_store(invoice: Invoice, content: bytes, filename: str) -> None:
    """Save the PDF under a name derived from the number.

    A number is only ever reused when the transaction that first used it rolled back; its file
    (written before the rollback) is then an orphan, replaced here by the real document.
    """
    field = invoice.pdf.field
    name = field.generate_filename(invoice, filename)
    if field.storage.exists(name):
        field.storage.delete(name)
    invoice.pdf.save(filename, ContentFile(content), save=False)


def _event(
    *, vendor_order: VendorOrder, kind: EventKind, actor: Actor | None = None, **data: Any
) -> None:
    """`actor` None: the system."""
    order_event_add(
        order=vendor_order.order, vendor_order=vendor_order, kind=kind, actor=actor, **data
    )


def _locked_vendor_order(vendor_order_id: int) -> VendorOrder:
    return (
        VendorOrder.objects.select_for_update(of=("self",))
        .select_related("order", "order__customer", "order__discount_code", "vendor")
        .get(pk=vendor_order_id)
    )


def _existing_invoice(vendor_order_id: int) -> Invoice | None:
    return Invoice.objects.filter(
        vendor_order_id=vendor_order_id, kind=Invoice.Kind.INVOICE
    ).first()


# --- generated invoices ----------------------------------------------------------------------


@transaction.atomic
def invoice_generate(
    *, vendor_order: VendorOrder, shipped_at: datetime | None = None, actor: Actor | None = None
) -> Invoice:
    """Issue the platform-generated invoice of a vendor order (idempotent: one per order).

    Only once the vendor order is "Expédiée" (or later): never while "En préparation", even
    after a partial shipment (INV-1). Called at shipment, or later on demand. Fulfils a
    pending "Ma facture" request, if any.
    """
    vo = _locked_vendor_order(vendor_order.pk)
    existing = _existing_invoice(vo.pk)
    if existing is not None:
        return existing
    if vo.status in NEVER_INVOICED_STATUSES:
        raise InvoiceError(
            _("Cette commande n'a pas été vendue : elle n'a pas de facture."),
            code="not_invoiceable",
        )
    if vo.status not in INVOICEABLE_STATUSES:
        raise InvoiceError(
            _("La facture sera disponible dès l'expédition de la commande."), code="not_shipped"
        )
    billed = _billed(vo)
    amounts = breakdown_compute(
        goods=billed.goods,
        shipping=billed.shipping,
        discount=billed.discount,
        show_free_shipping=True,
    )
    allocated = invoice_number_next(vendor_id=vo.vendor_id, kind=Invoice.Kind.INVOICE)
    shipped_at = shipped_at or vo.shipped_at or allocated.issued_at
    data = _document_data(vendor_order=vo, shipped_at=shipped_at)
    data["amounts"] = amounts.as_json()
    invoice = Invoice(
        vendor_id=vo.vendor_id,
        vendor_order=vo,
        kind=Invoice.Kind.INVOICE,
        source=Invoice.Source.GENERATED,
        number=allocated.number,
        sequence_year=allocated.year,
        sequence_value=allocated.value,
        issued_at=allocated.issued_at,
        language=_language(vo),
        total_ht=amounts.total_ht,
        total_vat=amounts.total_vat,
        total_ttc=amounts.total_ttc,
        data=data,
    )
    _pdf_store(invoice, invoice_pdf_render(invoice), f"{allocated.number}.pdf")
    invoice.save()
    _event(vendor_order=vo, kind=EventKind.INVOICE_ISSUED, actor=actor, number=invoice.number)
    requested = _requests_fulfil(vendor_order=vo, invoice=invoice)
    _customer_send_after_commit(invoice, requested=requested)
    return invoice


def vendor_invoicing_mode(*, vendor_id: int) -> str:
    mode = (
        VendorInvoicing.objects.filter(vendor_id=vendor_id).values_list("mode", flat=True).first()
    )
    return mode or VendorInvoicing.Mode.GENERATED


def invoice_on_shipment(
    *, vendor_order: VendorOrder, shipped_at: datetime | None = None
) -> Invoice | None:
    """Hook for the shipping service: issue the invoice if the platform makes this vendor's.

    Called after every shipment; acts once the vendor order is "Expédiée" (a partial shipment
    leaves it "En préparation": no invoice yet). Idempotent. Returns the invoice, or None when
    not shipped yet, when the vendor uploads its own invoices, or when the PDF could not be
    made (logged, nothing kept; the customer's "Ma facture" click makes it later).
    """
    if vendor_order.status not in INVOICEABLE_STATUSES:
        return None
    if vendor_invoicing_mode(vendor_id=vendor_order.vendor_id) != VendorInvoicing.Mode.GENERATED:
        return None
    existing = _existing_invoice(vendor_order.pk)
    if existing is not None:
        return existing
    try:
        with transaction.atomic():  # a savepoint: a failure leaves the shipment intact
            return invoice_generate(vendor_order=vendor_order, shipped_at=shipped_at)
    except Exception:
        logger.exception("invoice for vendor order %s could not be generated", vendor_order.pk)
        return None


def invoice_on_vendor_order_shipped(
    *, vendor_order: VendorOrder, shipment: Shipment
) -> Invoice | None:
    """Receiver of the orders' `vendor_order_shipped` hook (every shipment, in its
    transaction): the invoice is issued once the vendor order is "Expédiée" (INV-1)."""
    return invoice_on_shipment(vendor_order=vendor_order, shipped_at=shipment.shipped_at)


# --- credit notes ----------------------------------------------------------------------------


def _credit_goods(vo: VendorOrder, lines: Sequence[CreditLine]) -> list[GoodsLine]:
    """`lines`: (OrderLine or its id, quantity) pairs of the vendor order, as refunded."""
    wanted: list[tuple[int, int]] = []
    for item in lines:
        line, quantity = (item["line"], item["quantity"]) if isinstance(item, dict) else item
        wanted.append((line.pk if isinstance(line, OrderLine) else line, int(quantity)))
    found = OrderLine.objects.filter(vendor_order=vo, pk__in=[line_id for line_id, _ in wanted])
    by_id = {order_line.pk: order_line for order_line in found}
    goods: list[GoodsLine] = []
    for line_id, quantity in wanted:
        refunded = by_id.get(line_id)
        if refunded is None or not 0 < quantity <= refunded.quantity:
            raise InvoiceError(_("Ligne à rembourser invalide."), code="invalid_lines")
        goods.append(
            GoodsLine(
                title=refunded.product_title,
                variant=refunded.variant_label,
                sku=refunded.sku,
                unit_ttc=refunded.unit_price,
                quantity=quantity,
                vat_rate=refunded.vat_rate,
            )
        )
    return goods


@transaction.atomic
def credit_note_issue(
    *,
    vendor_order: VendorOrder,
    amount: Decimal,
    reason: str,
    lines: Sequence[CreditLine] | None = None,
    refund_reference: str = "",
    actor: Actor | None = None,
) -> Invoice | None:
    """Issue a credit note ("avoir") for a refund made after the invoice (INV-3).

    `amount` is the refunded amount TTC. With `lines` ((OrderLine, quantity) pairs) the credit
    note lists those goods; what the amount adds beyond them is shipping refunded, what it
    falls short of them is a deduction (e.g. return costs kept by the vendor). Without
    `lines`, the amount is split over the invoice's VAT rates pro rata.

    Returns None when there is nothing to correct: no invoice yet (the invoice will bill what
    is left), or the invoice is the vendor's own uploaded PDF (the vendor's credit notes
    follow its own numbering, not ours). `refund_reference` makes a retried call harmless.
    """
    vo = _locked_vendor_order(vendor_order.pk)
    if refund_reference:
        previous = Invoice.objects.filter(
            vendor_order=vo, kind=Invoice.Kind.CREDIT_NOTE, refund_reference=refund_reference
        ).first()
        if previous is not None:
            return previous
    invoice = _existing_invoice(vo.pk)
    if invoice is None or invoice.source != Invoice.Source.GENERATED:
        return None
    amount = round_cent(Decimal(amount))
    credited = sum(
        (cn.total_ttc for cn in invoice.credit_notes.all() if cn.total_ttc), Decimal("0")
    )
    # A generated invoice always has its totals; only an uploaded PDF lacks them.
    remaining = (invoice.total_ttc or Decimal("0")) - credited
    if amount <= 0 or amount > remaining:
        raise InvoiceError(
            _("Le montant de l'avoir doit être positif et ne pas dépasser le montant restant "
              "de la facture."),
            code="invalid_amount",
        )  # fmt: skip
    invoice_rates = {
        Decimal(r["vat_rate"]): Decimal(r["total_ttc"]) for r in invoice.data["amounts"]["rates"]
    }
    if lines:
        goods = _credit_goods(vo, lines)
        rest = amount - sum((g.total_ttc for g in goods), Decimal("0"))
        amounts = breakdown_compute(
            goods=goods,
            shipping=max(rest, Decimal("0")),
            discount=max(-rest, Decimal("0")),
            fallback_weights=invoice_rates,
        )
    else:
        parts = allocate(amount, invoice_rates)
        goods = [
            GoodsLine(title=reason, unit_ttc=part, quantity=1, vat_rate=rate)
            for rate, part in parts.items()
            if part
        ]
        amounts = breakdown_compute(goods=goods, fallback_weights=invoice_rates)
    allocated = invoice_number_next(vendor_id=vo.vendor_id, kind=Invoice.Kind.CREDIT_NOTE)
    data = _document_data(vendor_order=vo, shipped_at=None)
    data["amounts"] = amounts.as_json()
    data["credited"] = {
        "number": invoice.number,
        "issued_on": timezone.localtime(invoice.issued_at).date().isoformat(),
    }
    note = Invoice(
        vendor_id=vo.vendor_id,
        vendor_order=vo,
        kind=Invoice.Kind.CREDIT_NOTE,
        source=Invoice.Source.GENERATED,
        number=allocated.number,
        sequence_year=allocated.year,
        sequence_value=allocated.value,
        issued_at=allocated.issued_at,
        language=invoice.language,
        total_ht=amounts.total_ht,
        total_vat=amounts.total_vat,
        total_ttc=amounts.total_ttc,
        credits=invoice,
        reason=reason[:200],
        refund_reference=refund_reference,
        data=data,
    )
    _pdf_store(note, invoice_pdf_render(note), f"{allocated.number}.pdf")
    note.save()
    _event(
        vendor_order=vo, kind=EventKind.CREDIT_NOTE_ISSUED, actor=actor, number=note.number,
        credits=invoice.number, amount=str(note.total_ttc),
    )  # fmt: skip
    return note


def credit_note_on_refund_recorded(
    *,
    refund: Refund,
    vendor_order: VendorOrder,
    lines: Sequence[OrderLine],
    split: RefundSplit,
) -> None:
    """Receiver of the `refund_recorded` hook (registered in `invoices.apps`): a refund of
    lines of an invoiced vendor order issues its credit note (INV-1), in the refund's
    transaction, listing the refunded lines; the refund's key makes a retry harmless.

    Nothing when the vendor order has no invoice yet (the invoice will bill what is left) or
    only the vendor's own uploaded one. The money goes back whatever happens here: a credit
    note that cannot be made is logged and undone (savepoint), the refund goes on.
    """
    if not Invoice.objects.filter(
        vendor_order_id=vendor_order.pk,
        kind=Invoice.Kind.INVOICE,
        source=Invoice.Source.GENERATED,
    ).exists():
        return
    try:
        credit_note_issue(
            vendor_order=vendor_order,
            amount=refund.amount,
            reason=refund.reason,
            lines=[(line, split.quantities[line.pk]) for line in lines],
            refund_reference=refund.idempotency_key[:64],
        )
    except Exception:  # noqa: BLE001 — see docstring
        logger.exception("credit note of refund %s could not be issued", refund.pk)


# --- uploaded invoices -----------------------------------------------------------------------


def _read_upload(file: File[bytes]) -> bytes:
    limit = upload_max_bytes()
    size = getattr(file, "size", None)
    if size is not None and size > limit:
        raise _too_large(limit)
    file.seek(0)
    content = file.read(limit + 1)
    if len(content) > limit:
        raise _too_large(limit)
    if not content.startswith(b"%PDF-") or not pdf_looks_valid(content):
        raise InvoiceError(
            _("Ce fichier n'est pas un PDF valide. Déposez la facture au format PDF."),
            code="not_pdf",
        )
    return content


def _too_large(limit: int) -> InvoiceError:
    megabytes = f"{limit / (1024 * 1024):g}"
    return InvoiceError(
        _("Le fichier dépasse la taille maximale de %(size)s Mo.") % {"size": megabytes},
        code="too_large",
    )


@transaction.atomic
def invoice_upload(
    *,
    vendor_order: VendorOrder,
    vendor: Vendor,
    file: File[bytes],
    number: str = "",
    actor: Actor | None = None,
) -> Invoice:
    """The vendor's own invoice PDF for one of its shipped vendor orders (INV-1).

    Checked before anything is written: the vendor order is this vendor's, it has shipped, it
    has no invoice yet, the file is at most INVOICE_UPLOAD_MAX_BYTES and is a PDF (header
    `%PDF-` and the structural check of `pdf.pdf_looks_valid`). Fulfils a pending request
    and emails the customer who asked for it.
    """
    if vendor_order.vendor_id != vendor.pk:
        raise InvoiceError(_("Cette commande est introuvable."), code="not_found")
    content = _read_upload(file)
    vo = _locked_vendor_order(vendor_order.pk)
    if vo.status not in INVOICEABLE_STATUSES:
        raise InvoiceError(
            _("La facture se dépose une fois la commande expédiée."), code="not_shipped"
        )
    if _existing_invoice(vo.pk) is not None:
        raise InvoiceError(
            _("Cette commande a déjà une facture : une facture émise ne se remplace pas."),
            code="already_invoiced",
        )
    number = " ".join((number or "").split())[:40]
    if number and Invoice.objects.filter(vendor_id=vendor.pk, number=number).exists():
        raise InvoiceError(
            _("Le numéro de facture %(number)s est déjà utilisé.") % {"number": number},
            code="number_taken",
        )
    invoice = Invoice(
        vendor_id=vendor.pk,
        vendor_order=vo,
        kind=Invoice.Kind.INVOICE,
        source=Invoice.Source.UPLOADED,
        number=number,
        issued_at=timezone.now(),
        language=_language(vo),
        # A person's upload keeps who did it; an API key's has no person.
        uploaded_by_id=actor.user_id if actor is not None else None,
    )
    invoice.pdf.save(f"{vo.order.reference}-{vo.pk}.pdf", ContentFile(content), save=False)
    invoice.save()
    _event(vendor_order=vo, kind=EventKind.INVOICE_UPLOADED, actor=actor, number=number)
    requested = _requests_fulfil(vendor_order=vo, invoice=invoice)
    _customer_send_after_commit(invoice, requested=requested)
    return invoice


# --- "Ma facture" requests (INV-2) -----------------------------------------------------------


@transaction.atomic
def invoice_request(*, vendor_order: VendorOrder, customer: User) -> tuple[InvoiceRequest, bool]:
    """The customer asked for a missing invoice: record it once and tell the vendor.

    The vendor owes the invoice within 48 business hours (working days, French public holidays
    excluded). Repeated clicks return the first request and send nothing more.
    """
    vo = _locked_vendor_order(vendor_order.pk)
    if vo.order.customer_id != customer.pk:
        raise InvoiceError(_("Cette commande est introuvable."), code="not_found")
    existing = InvoiceRequest.objects.filter(vendor_order=vo).first()
    if existing is not None:
        return existing, False
    if vo.status not in INVOICEABLE_STATUSES:
        raise InvoiceError(
            _("La facture sera disponible dès l'expédition de la commande."), code="not_shipped"
        )
    if _existing_invoice(vo.pk) is not None:
        raise InvoiceError(_("La facture est déjà disponible."), code="already_invoiced")
    now = timezone.now()
    try:
        with transaction.atomic():
            request = InvoiceRequest.objects.create(
                vendor_id=vo.vendor_id,
                vendor_order=vo,
                requested_by=customer,
                requested_at=now,
                due_at=add_business_hours(now, REQUEST_DELAY_BUSINESS_HOURS),
            )
    except IntegrityError:  # a concurrent click won (databases without row locks)
        return InvoiceRequest.objects.get(vendor_order=vo), False
    _event(vendor_order=vo, kind=EventKind.INVOICE_REQUESTED, actor=Actor.customer(customer))
    transaction.on_commit(
        lambda: vendor_email_send(
            vendor=vo.vendor,
            template="invoice_requested_vendor",
            context={"vendor_order": vo, "order": vo.order, "request": request},
        )
    )
    return request, True


def _requests_fulfil(*, vendor_order: VendorOrder, invoice: Invoice) -> bool:
    """The invoice exists: close the customer's pending request. True if there was one."""
    request = (
        InvoiceRequest.objects.select_for_update()
        .filter(vendor_order=vendor_order, fulfilled_at=None)
        .first()
    )
    if request is None:
        return False
    request.fulfilled_at = timezone.now()
    request.invoice = invoice
    request.save(update_fields=["fulfilled_at", "invoice"])
    return True


# --- the customer receives each invoice (INV-1 "éditée et envoyée") ---------------------------


def _customer_send_after_commit(invoice: Invoice, *, requested: bool) -> None:
    # After commit: an invoice rolled back with its shipment (savepoint) is never announced.
    transaction.on_commit(lambda: invoice_customer_send(invoice_id=invoice.pk, requested=requested))


def invoice_customer_send(*, invoice_id: int, requested: bool = False) -> bool:
    """Email the customer the invoice just issued, generated or uploaded (INV-1).

    The email links to "Ma facture" (the PDF, behind the customer's login) rather than
    attaching it: the document stays where the customer can download it again any time, and
    no PDF of personal data travels in mailboxes. `requested`: it answers a "Ma facture" click.
    """
    invoice = Invoice.objects.select_related(
        "vendor_order__order__customer", "vendor_order__vendor"
    ).get(pk=invoice_id)
    vendor_order = invoice.vendor_order
    return notification_send(
        template="invoice_issued",
        user=vendor_order.order.customer,
        context={
            "invoice": invoice,
            "vendor_order": vendor_order,
            "order": vendor_order.order,
            "vendor": vendor_order.vendor,
            "requested": requested,
        },
    )
