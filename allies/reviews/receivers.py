"""What the reviews do when a lower layer tells them something (`allies.core.hooks`)."""

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import translation

from allies.notifications.services import notification_send
from allies.orders.models import OrderLine, VendorOrder


def review_invitation_send(*, vendor_order_id: int) -> None:
    """`vendor_order_delivered` (after commit): email the customer an invitation to rate
    each item and the vendor, in the customer's language, with the review form's link."""
    vendor_order = (
        VendorOrder.objects.select_related("order__customer", "vendor")
        .filter(pk=vendor_order_id)
        .first()
    )
    if vendor_order is None or vendor_order.order.customer is None:
        return
    customer = vendor_order.order.customer
    lines = list(vendor_order.lines.filter(status=OrderLine.Status.ACCEPTED).order_by("id"))
    if not lines:
        return
    language = getattr(customer, "language", "") or vendor_order.order.language or "fr"
    with translation.override(language):
        path = reverse("reviews:order_form", kwargs={"vendor_order_id": vendor_order.pk})
    with transaction.atomic():
        notification_send(
            template="review_invitation",
            user=customer,
            language=language,
            context={
                "vendor_order": vendor_order,
                "order_reference": vendor_order.order.reference,
                "vendor_name": vendor_order.vendor.name,
                "items": [
                    {"title": line.product_title, "variant": line.variant_label} for line in lines
                ],
                "review_url": settings.SITE_URL + path,
            },
        )
