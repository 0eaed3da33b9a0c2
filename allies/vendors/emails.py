"""The emails a vendor receives about its orders: to the addresses it chose, in its language.

A vendor chooses in the portal's "Profil et facturation" which addresses receive its order
emails (`Vendor.order_email_recipients`, the contact address when empty) and their language
(`Vendor.email_language`). Every vendor-facing order email — new order to accept, answer
overdue, invoice asked for by a customer — goes through `vendor_email_send`, so none of them
can forget either choice.
"""

from __future__ import annotations

from allies.vendors.models import Vendor


def vendor_email_send(
    *, vendor: Vendor, template: str, context: dict, headers: dict[str, str] | None = None
) -> int:
    """Queue `template` to each of the vendor's order-email addresses; returns how many.
    `headers`: extra headers of each email (e.g. a support request's relayed Reply-To)."""
    from allies.notifications.services import notification_send

    sent = 0
    for address in vendor.order_email_addresses:
        sent += notification_send(
            template=template,
            to_email=address,
            language=vendor.email_language,
            context={"vendor": vendor, **context},
            headers=headers,
        )
    return sent
