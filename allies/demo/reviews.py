"""Demo reviews (SITE-3): the demo customer reviews the items and vendors of their delivered
demo orders, and the vendor answers the first review. Through the real services: the reviews
are published by the moderation rules and counted in the aggregates.

Call after `demo_orders_create` (it needs the delivered orders):
`demo_reviews_create(vendors=vendors)`; returns how many reviews were written (0 when
there is no delivered demo order, or reviews exist already).
"""

from __future__ import annotations

ITEM_REVIEWS = (
    (5, "Très belle qualité", "Tissu épais et finitions soignées, la taille correspond au guide. "
     "Je recommande sans hésiter."),
    (4, "Conforme à la description", "Bon produit, bien emballé. La couleur est un peu plus "
     "foncée que sur la photo, mais elle me plaît."),
    (5, "", "Livré rapidement, exactement ce que je cherchais. Deuxième achat chez ce vendeur."),
    (3, "Correct", "Produit correct pour le prix, la coupe est un peu large pour moi : "
     "prenez une taille en dessous."),
)  # fmt: skip
VENDOR_REVIEWS = (
    (5, "Colis soigné, expédié en deux jours et suivi précis. Vendeur sérieux."),
    (4, "Bonne communication, livraison dans les délais annoncés."),
)
ANSWER = (
    "Merci beaucoup pour votre retour ! Toute l'équipe est ravie que l'article vous plaise. "
    "À bientôt dans notre boutique."
)


def demo_reviews_create(*, vendors) -> int:
    from allies.accounts.models import User
    from allies.demo import identities
    from allies.orders.models import OrderLine, VendorOrder
    from allies.reviews.models import Review, ReviewStatus
    from allies.reviews.services import review_answer, review_create
    from allies.vendors.models import VendorMembership

    customer = User.objects.filter(email=identities.CUSTOMER_EMAIL).first()
    if customer is None or Review.objects.exists():
        return 0
    delivered = list(
        VendorOrder.objects.filter(
            order__customer=customer,
            vendor__in=list(vendors)[:2],
            status__in=[VendorOrder.Status.DELIVERED, VendorOrder.Status.CLOSED],
        ).order_by("id")
    )
    made = 0
    for n, vendor_order in enumerate(delivered):
        lines = vendor_order.lines.filter(status=OrderLine.Status.ACCEPTED).order_by("id")
        first_review = None
        for line in lines:
            rating, title, text = ITEM_REVIEWS[made % len(ITEM_REVIEWS)]
            review = review_create(
                customer=customer, vendor_order=vendor_order, order_line=line,
                rating=rating, title=title, text=text,
            )  # fmt: skip
            first_review = first_review or review
            made += 1
        rating, text = VENDOR_REVIEWS[n % len(VENDOR_REVIEWS)]
        review_create(
            customer=customer, vendor_order=vendor_order, order_line=None, rating=rating, text=text
        )
        made += 1
        member = (
            VendorMembership.objects.filter(vendor_id=vendor_order.vendor_id)
            .select_related("user", "vendor")
            .first()
        )
        if first_review is not None and member and first_review.status == ReviewStatus.PUBLISHED:
            review_answer(
                vendor=member.vendor, author=member.user, review=first_review, text=ANSWER
            )
    return made
