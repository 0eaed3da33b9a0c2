"""Each app's part of a customer's personal data: export, erasure blockers, erasure.

One function set per app, gathered in `PARTS` (read by `allies.privacy.services` through
`registry.parts()`). Every export reads with a fixed number of queries whatever the number of
orders, messages or files (prefetches), and never looks beyond `customer=<the user>`: nothing
here is keyed by an email address a stranger could have typed (a visitor's contact-form
message with the same address is not theirs to download).

What erasure keeps, and why: orders (with their frozen billing and delivery addresses, lines,
payments, refunds, shipments and timeline) and the vendors' invoices and credit notes are
accounting records the law makes us keep ten years (Code de commerce L123-22); the records of
returns and claims justify refunds in those accounts and stay with them, emptied of the text
the customer wrote. Everything else goes: the address book, the cart, newsletter records, the
customer's messages and attachments, the emails we sent, and the account's identity.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from allies.accounts.models import Address, NewsletterDelivery, User
from allies.aftersales.cancellation_states import CancellationStatus
from allies.aftersales.claim_states import OPEN_STATUSES as CLAIM_OPEN
from allies.aftersales.models import (
    AddressChangeRequest,
    CancellationRequest,
    Claim,
    ClaimItem,
    ReturnRequest,
)
from allies.aftersales.return_states import OPEN_STATUSES as RETURN_OPEN
from allies.cart.models import Cart, CartLine
from allies.chat.models import Author as ChatAuthor
from allies.chat.models import Conversation as ChatConversation
from allies.chat.models import Message as ChatMessage
from allies.chat.states import OPEN_STATUSES as CHAT_OPEN
from allies.invoices.models import Invoice
from allies.notifications.models import OutgoingEmail
from allies.orders.models import Order, OrderLine, Shipment, VendorOrder
from allies.orders.states import VendorOrderStatus
from allies.payments.models import Payment, Refund
from allies.privacy.registry import ErasureContext, ExportFile, PartExport, PrivacyPart
from allies.reviews.privacy import reviews_erase, reviews_export_data
from allies.support.models import Attachment, Message, Thread, Visibility
from allies.support.states import ThreadStage
from allies.vendors.models import VendorMembership

# What replaces a text the customer wrote, once erased.
ERASED_TEXT = "[supprimé à la demande du client]"
# Vendor orders still on their way to the customer: an erasure waits for them.
NOT_DELIVERED = (
    VendorOrderStatus.WAITING_ACCEPTANCE,
    VendorOrderStatus.TO_SHIP,
    VendorOrderStatus.PARTIALLY_SHIPPED,
    VendorOrderStatus.SHIPPED,
)
THREAD_RUNNING = (ThreadStage.WAITING_VENDOR, ThreadStage.ESCALATED)


def _when(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _label(choices: Any, value: str) -> str:
    """A stored code as the customer reads it ("delivered" → "Livrée"), the code if unknown."""
    try:
        return str(choices(value).label)
    except ValueError:
        return value


# --- account ----------------------------------------------------------------------------------


def account_export(user: User) -> PartExport:
    return PartExport(
        {
            "email": user.email,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "phone": user.phone,
            "language": user.language,
            "signed_up_at": _when(user.date_joined),
            "last_login_at": _when(user.last_login),
            "deactivated_at": _when(user.deactivated_at),
            "reactivated_at": _when(user.reactivated_at),
            "password": _("enregistré sous forme chiffrée, illisible, non exporté"),
        }
    )


def account_blockers(user: User) -> Iterable[str]:
    if user.is_staff or VendorMembership.objects.filter(user=user).exists():
        yield _(
            "Ce compte est aussi celui d'un membre de l'équipe ou d'un vendeur : son effacement "
            "passe par notre service client."
        )


def account_erase(user: User, ctx: ErasureContext) -> None:
    """The identity goes; the row stays (orders point to it), unusable: no login, no email."""
    user.email = f"efface-{user.pk}-{int(ctx.now.timestamp())}@anonyme.invalid"
    user.first_name = ""
    user.last_name = ""
    user.phone = ""
    user.newsletter_opt_in = False
    user.newsletter_changed_at = ctx.now
    user.is_active = False
    user.deactivated_at = ctx.now  # also ends every session (User._get_session_auth_hash)
    user.set_unusable_password()
    user.save()
    ctx.done["account"] = 1


# --- address book -----------------------------------------------------------------------------

ADDRESS_FIELDS = ("recipient", "company", "street", "street_extra", "postcode", "city",
                  "country", "phone", "instructions")  # fmt: skip


def addresses_export(user: User) -> PartExport:
    rows = Address.objects.filter(user=user).order_by("id")
    return PartExport(
        [
            {
                "kind": _label(Address.Kind, a.kind),
                **{name: getattr(a, name) for name in ADDRESS_FIELDS},
                "default_delivery_address": a.is_default,
                "created_at": _when(a.created_at),
                "updated_at": _when(a.updated_at),
            }
            for a in rows
        ]
    )


def addresses_erase(user: User, ctx: ErasureContext) -> None:
    ctx.done["addresses"], _detail = Address.objects.filter(user=user).delete()


# --- newsletter ---------------------------------------------------------------------------------


def newsletter_export(user: User) -> PartExport:
    received = (
        NewsletterDelivery.objects.filter(user=user)
        .select_related("newsletter")
        .order_by("created_at", "id")
    )
    return PartExport(
        {
            "subscribed": user.newsletter_opt_in,
            "choice_changed_at": _when(user.newsletter_changed_at),
            "newsletters_received": [
                {"subject": d.newsletter.subject, "sent_at": _when(d.created_at)} for d in received
            ],
        }
    )


def newsletter_erase(user: User, ctx: ErasureContext) -> None:
    ctx.done["newsletters"], _detail = NewsletterDelivery.objects.filter(user=user).delete()


# --- orders (kept: accounting records) -----------------------------------------------------------


def _orders(user: User):
    return (
        Order.objects.filter(customer=user)
        .select_related("discount_code")
        .prefetch_related(
            Prefetch(
                "vendor_orders",
                queryset=VendorOrder.objects.select_related("vendor").order_by("id"),
            ),
            Prefetch("vendor_orders__lines", queryset=OrderLine.objects.order_by("id")),
            Prefetch(
                "vendor_orders__shipments",
                queryset=Shipment.objects.prefetch_related("parcels").order_by("id"),
            ),
            "events",
            Prefetch("payments", queryset=Payment.objects.order_by("id")),
            Prefetch("payments__refunds", queryset=Refund.objects.order_by("id")),
        )
        .order_by("created_at", "id")
    )


def _line(line: OrderLine) -> dict[str, Any]:
    return {
        "product": line.product_title,
        "variant": line.variant_label,
        "sku": line.sku,
        "quantity": line.quantity,
        "unit_price_incl_vat": line.unit_price,
        "vat_rate": line.vat_rate,
        "status": _label(OrderLine.Status, line.status),
        "refused_reason": line.refusal_reason,
        "refunded_quantity": line.refunded_quantity,
        "refunded_amount": line.refunded_amount,
        "refunded_at": _when(line.refunded_at),
    }


def _vendor_order(vo: VendorOrder) -> dict[str, Any]:
    return {
        "vendor": vo.vendor.name,
        "status": _label(VendorOrderStatus, vo.status),
        "shipping_mode": vo.shipping_mode,
        "shipping_fee": vo.shipping_fee,
        "relay_point": vo.relay_point,
        "delivery_address": vo.ship_to,
        "estimated_delivery": [_when(vo.delivery_min_date), _when(vo.delivery_max_date)],
        "shipped_at": _when(vo.shipped_at),
        "delivered_at": _when(vo.delivered_at),
        "cancelled_at": _when(vo.cancelled_at),
        "lines": [_line(line) for line in vo.lines.all()],
        "shipments": [
            {
                "carrier": s.carrier,
                "shipped_at": _when(s.shipped_at),
                "estimated_delivery_date": _when(s.estimated_delivery_date),
                "delivered_at": _when(s.delivered_at),
                "parcels": [
                    {"parcel": p.index, "tracking_number": p.tracking_number}
                    for p in s.parcels.all()
                ],
            }
            for s in vo.shipments.all()
        ],
    }


def orders_export(user: User) -> PartExport:
    data = []
    for order in _orders(user):
        data.append(
            {
                "reference": order.reference,
                "status": _label(Order.Status, order.status),
                "created_at": _when(order.created_at),
                "validated_at": _when(order.validated_at),
                "delivery_address": order.delivery_address,
                "billing_address": order.billing_address,
                "lines_total": order.lines_total,
                "shipping_total": order.shipping_total,
                "discount_total": order.discount_total,
                "discount_code": order.discount_code.code if order.discount_code else None,
                "total_incl_vat": order.total,
                "vendor_orders": [_vendor_order(vo) for vo in order.vendor_orders.all()],
                "payments": [
                    {
                        "reference": p.reference,
                        "amount": p.amount,
                        "status": _label(Payment.Status, p.status),
                        "created_at": _when(p.created_at),
                        "settled_at": _when(p.settled_at),
                        "refunds": [
                            {
                                "amount": r.amount,
                                "status": _label(Refund.Status, r.status),
                                "reason": r.reason,
                                "created_at": _when(r.created_at),
                            }
                            for r in p.refunds.all()
                        ],
                    }
                    for p in order.payments.all()
                ],
                "history": [
                    {"at": _when(e.created_at), "event": e.kind, "by": e.actor_kind}
                    for e in sorted(order.events.all(), key=lambda e: (e.created_at, e.pk))
                ],
            }
        )
    return PartExport(data)


def orders_blockers(user: User) -> Iterable[str]:
    waiting = (
        VendorOrder.objects.filter(order__customer=user, status__in=NOT_DELIVERED)
        .values_list("order__reference", flat=True)
        .distinct()
        .order_by("order__reference")
    )
    for reference in waiting:
        yield _("La commande %(ref)s n'est pas encore livrée.") % {"ref": reference}
    paying = Order.objects.filter(
        customer=user,
        status=Order.Status.AWAITING_PAYMENT,
        reserved_until__gt=timezone.now(),
    ).values_list("reference", flat=True)
    for reference in paying:
        yield _("Le paiement de la commande %(ref)s est en cours.") % {"ref": reference}
    if Refund.objects.filter(payment__order__customer=user, status=Refund.Status.PENDING).exists():
        yield _("Un remboursement est en cours.")


# --- invoices (kept) ----------------------------------------------------------------------------


def _invoice_path(invoice: Invoice) -> str:
    name = invoice.number or f"{invoice.kind}-{invoice.pk}"
    safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in name)
    return f"factures/{invoice.vendor_order.order.reference}/{safe}.pdf"


def invoices_export(user: User) -> PartExport:
    invoices = (
        Invoice.objects.filter(vendor_order__order__customer=user)
        .select_related("vendor", "vendor_order__order")
        .order_by("issued_at", "id")
    )
    data, files = [], []
    for invoice in invoices:
        path = _invoice_path(invoice) if invoice.pdf else None
        data.append(
            {
                "kind": _label(Invoice.Kind, invoice.kind),
                "number": invoice.number,
                "order": invoice.vendor_order.order.reference,
                "vendor": invoice.vendor.name,
                "issued_at": _when(invoice.issued_at),
                "total_excl_vat": invoice.total_ht,
                "vat": invoice.total_vat,
                "total_incl_vat": invoice.total_ttc,
                "file": path,
            }
        )
        if path:
            files.append(ExportFile(path=path, open=_opener(invoice.pdf)))
    return PartExport(data, files)


def _opener(field_file: Any):
    def open_file():
        return field_file.storage.open(field_file.name, "rb")

    return open_file


# --- support ("Assistance en ligne") ----------------------------------------------------------


def _customer_messages(user: User) -> Q:
    return Q(thread__customer=user, author_kind="customer")


def support_export(user: User) -> PartExport:
    threads = (
        Thread.objects.filter(customer=user)
        .select_related("vendor", "order", "product")
        .prefetch_related(
            Prefetch(
                "messages",
                queryset=Message.objects.filter(visibility=Visibility.PUBLIC)
                .prefetch_related("attachments")
                .order_by("created_at", "id"),
            )
        )
        .order_by("created_at", "id")
    )
    data, files = [], []
    for thread in threads:
        messages = []
        for message in thread.messages.all():
            mine = message.author_kind == "customer"
            attached = []
            for attachment in message.attachments.all():
                path = None
                if mine:
                    name = _safe(attachment.original_name)
                    path = f"pieces-jointes/{thread.pk}/{attachment.pk}-{name}"
                    files.append(ExportFile(path=path, open=_opener(attachment.file)))
                attached.append({"name": attachment.original_name, "file": path})
            messages.append(
                {
                    "at": _when(message.created_at),
                    "from": "you" if mine else message.author_kind,
                    "text": message.body,
                    "attachments": attached,
                }
            )
        data.append(
            {
                "subject": thread.subject,
                "motif": thread.get_motif_display(),
                "status": _label(ThreadStage, thread.stage),
                "vendor": thread.vendor.name if thread.vendor else None,
                "order": thread.order.reference if thread.order else None,
                "product": thread.product.title if thread.product else None,
                "created_at": _when(thread.created_at),
                "messages": messages,
            }
        )
    return PartExport(data, files)


def _safe(name: str) -> str:
    cleaned = "".join(c if c.isalnum() or c in "-_." else "-" for c in name)[:80]
    return cleaned.lstrip(".") or "fichier"


def support_blockers(user: User) -> Iterable[str]:
    if Thread.objects.filter(customer=user, stage__in=THREAD_RUNNING).exists():
        yield _("Une de vos demandes à l'« Assistance en ligne » est en cours de traitement.")


def support_erase(user: User, ctx: ErasureContext) -> None:
    """The customer's messages lose their text and attachments; the threads stay (a vendor's
    answer-time record and the after-sales files rest on them), without contact details."""
    attachments = Attachment.objects.filter(
        message__in=Message.objects.filter(_customer_messages(user))
    )
    for attachment in attachments.only("file"):
        if attachment.file.name:
            ctx.files_to_delete.append((attachment.file.storage, attachment.file.name))
    _total, deleted = attachments.delete()  # their claim photos (rows) go with them
    ctx.done["attachments"] = deleted.get("support.Attachment", 0)
    ctx.done["messages"] = Message.objects.filter(_customer_messages(user)).update(
        body=ERASED_TEXT, author_email=""
    )
    Thread.objects.filter(customer=user).update(contact_name="", contact_email="")


# --- live chat ----------------------------------------------------------------------------


def chat_export(user: User) -> PartExport:
    conversations = (
        ChatConversation.objects.filter(customer=user)
        .prefetch_related(
            Prefetch("messages", queryset=ChatMessage.objects.order_by("created_at", "id"))
        )
        .order_by("created_at", "id")
    )
    return PartExport(
        [
            {
                "started_at": _when(conversation.created_at),
                "status": conversation.status,
                "messages": [
                    {
                        "at": _when(message.created_at),
                        "from": "you" if message.author == ChatAuthor.CUSTOMER else message.author,
                        "text": message.body,
                    }
                    for message in conversation.messages.all()
                ],
            }
            for conversation in conversations
        ]
    )


def chat_blockers(user: User) -> Iterable[str]:
    if ChatConversation.objects.filter(customer=user, status__in=CHAT_OPEN).exists():
        yield _("Une discussion en direct avec notre service client est encore en cours.")


def chat_erase(user: User, ctx: ErasureContext) -> None:
    """The customer's chat messages lose their text; the agents' answers stay (like a
    request's), the conversations keep no name or address."""
    ctx.done["chat_messages"] = ChatMessage.objects.filter(
        conversation__customer=user, author=ChatAuthor.CUSTOMER
    ).update(body=ERASED_TEXT)
    ChatConversation.objects.filter(customer=user).update(
        visitor_name="", visitor_email="", session_key=""
    )


# --- returns, claims, cancellation and address requests (kept, emptied of free text) -------------


def aftersales_export(user: User) -> PartExport:
    returns = (
        ReturnRequest.objects.filter(customer=user)
        .select_related("vendor", "vendor_order__order")
        .prefetch_related("items__order_line")
        .order_by("created_at", "id")
    )
    claims = (
        Claim.objects.filter(customer=user)
        .select_related("vendor", "vendor_order__order")
        .prefetch_related("items__order_line")
        .order_by("created_at", "id")
    )
    cancellations = (
        CancellationRequest.objects.filter(customer=user)
        .select_related("vendor", "vendor_order__order")
        .order_by("created_at", "id")
    )
    address_changes = (
        AddressChangeRequest.objects.filter(customer=user)
        .select_related("vendor", "vendor_order__order")
        .order_by("created_at", "id")
    )
    return PartExport(
        {
            "returns": [
                {
                    "order": r.vendor_order.order.reference,
                    "vendor": r.vendor.name,
                    "status": r.get_status_display(),
                    "legal_withdrawal": r.legal,
                    "comment": r.comment,
                    "created_at": _when(r.created_at),
                    "carrier": r.carrier,
                    "tracking_number": r.tracking_number,
                    "refunded_amount": r.refunded_amount,
                    "items": [
                        {"product": i.order_line.product_title, "quantity": i.quantity}
                        for i in r.items.all()
                    ],
                }
                for r in returns
            ],
            "claims": [
                {
                    "order": c.vendor_order.order.reference,
                    "vendor": c.vendor.name,
                    "status": c.get_status_display(),
                    "problem": c.get_problem_display(),
                    "wanted_remedy": c.get_remedy_display(),
                    "created_at": _when(c.created_at),
                    "refunded_amount": c.refunded_amount,
                    "items": [
                        {
                            "product": i.order_line.product_title,
                            "quantity": i.quantity,
                            "description": i.description,
                        }
                        for i in c.items.all()
                    ],
                }
                for c in claims
            ],
            "cancellation_requests": [
                {
                    "order": c.vendor_order.order.reference,
                    "vendor": c.vendor.name,
                    "status": c.get_status_display(),
                    "created_at": _when(c.created_at),
                    "refunded_amount": c.refunded_amount,
                }
                for c in cancellations
            ],
            "address_change_requests": [
                {
                    "order": a.vendor_order.order.reference,
                    "vendor": a.vendor.name,
                    "status": a.get_status_display(),
                    "new_address": a.address,
                    "created_at": _when(a.created_at),
                }
                for a in address_changes
            ],
        }
    )


def aftersales_blockers(user: User) -> Iterable[str]:
    if ReturnRequest.objects.filter(customer=user, status__in=RETURN_OPEN).exists():
        yield _("Un retour est en cours de traitement.")
    if Claim.objects.filter(customer=user, status__in=CLAIM_OPEN).exists():
        yield _("Une réclamation est en cours de traitement.")
    if CancellationRequest.objects.filter(
        customer=user, status=CancellationStatus.REQUESTED
    ).exists():
        yield _("Une demande d'annulation attend la réponse du vendeur.")
    if AddressChangeRequest.objects.filter(customer=user, status="requested").exists():
        yield _("Une demande de changement d'adresse est en cours de traitement.")


def aftersales_erase(user: User, ctx: ErasureContext) -> None:
    ctx.done["return_comments"] = (
        ReturnRequest.objects.filter(customer=user).exclude(comment="").update(comment="")
    )
    ctx.done["claim_descriptions"] = ClaimItem.objects.filter(claim__customer=user).update(
        description=ERASED_TEXT
    )


# --- cart ---------------------------------------------------------------------------------------


def cart_export(user: User) -> PartExport:
    lines = (
        CartLine.objects.filter(cart__customer=user)
        .select_related("offer__variant__product", "offer__vendor")
        .order_by("id")
    )
    return PartExport(
        [
            {
                "product": line.offer.variant.product.title,
                "variant": str(line.offer.variant),
                "vendor": line.offer.vendor.name,
                "quantity": line.quantity,
                "price_when_added": line.price_when_added,
                "added_at": _when(line.added_at),
            }
            for line in lines
        ]
    )


def cart_erase(user: User, ctx: ErasureContext) -> None:
    ctx.done["cart_lines"] = CartLine.objects.filter(cart__customer=user).count()
    Cart.objects.filter(customer=user).delete()


# --- emails sent ----------------------------------------------------------------------------------


def emails_export(user: User) -> PartExport:
    emails = OutgoingEmail.objects.filter(to__iexact=user.email).order_by("created_at", "id")
    return PartExport(
        [
            {
                "subject": e.subject,
                "created_at": _when(e.created_at),
                "status": e.get_status_display(),
            }
            for e in emails.only("subject", "created_at", "status")
        ]
    )


def emails_erase(user: User, ctx: ErasureContext) -> None:
    # An email being handed to the mail server right now is left alone (its worker owns it).
    ctx.done["emails"], _detail = (
        OutgoingEmail.objects.filter(to__iexact=ctx.original_email)
        .exclude(status=OutgoingEmail.Status.SENDING)
        .delete()
    )


PARTS: list[PrivacyPart] = [
    PrivacyPart("orders", orders_export, None, orders_blockers),
    PrivacyPart("invoices", invoices_export),
    PrivacyPart("aftersales", aftersales_export, aftersales_erase, aftersales_blockers),
    PrivacyPart("support_requests", support_export, support_erase, support_blockers),
    PrivacyPart("addresses", addresses_export, addresses_erase),
    PrivacyPart("newsletter", newsletter_export, newsletter_erase),
    PrivacyPart("cart", cart_export, cart_erase),
    PrivacyPart("emails_sent", emails_export, emails_erase),
    PrivacyPart("live_chat", chat_export, chat_erase, chat_blockers),
    PrivacyPart("reviews", lambda user: PartExport(reviews_export_data(user)), reviews_erase),
    PrivacyPart("account", account_export, account_erase, account_blockers),
]
