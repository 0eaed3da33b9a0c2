"""A few "Assistance en ligne" requests of the demo customer, so the customer's "Mes
demandes", the vendors' "Messages" and the customer-service console show something.

They go through the support services, back-dated with their `now` argument, so their stages,
clocks and audit trails are what real requests would have: a pre-sale question answered, an
order question waiting for the vendor, one the vendor let pass its 48 h, one escalated whose
24 h ran out (breaching, first in the console's queue), a visitor's contact form, and a
withdrawal of one article the vendor accepted (allies.aftersales).
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone


def demo_threads_create(*, vendors) -> int:
    """The demo requests on the demo orders of the first two vendors; returns how many were
    opened (0 when there are no demo orders, or requests already)."""
    from allies.accounts.models import User
    from allies.catalog.models import Offer
    from allies.demo import identities
    from allies.orders.events import Actor, ActorKind
    from allies.orders.models import VendorOrder
    from allies.support.actors import EmailIdentity
    from allies.support.models import Motif, Thread
    from allies.support.services import message_post, thread_escalate, thread_open
    from allies.vendors.models import VendorMembership

    customer = User.objects.filter(email=identities.CUSTOMER_EMAIL).first()
    if customer is None or Thread.objects.exists():
        return 0
    first, second = vendors[0], vendors[1]
    orders = {
        (vo.vendor_id, vo.status): vo
        for vo in VendorOrder.objects.filter(
            order__customer=customer, vendor__in=[first, second]
        ).order_by("id")
    }
    status = VendorOrder.Status
    to_ship = orders.get((first.pk, status.TO_SHIP))
    delivered = orders.get((first.pk, status.DELIVERED))
    shipped = orders.get((second.pk, status.SHIPPED))
    offer = Offer.objects.filter(vendor=first, is_active=True).order_by("id").first()
    member = VendorMembership.objects.filter(vendor=first).select_related("user").first()
    if None in (to_ship, delivered, shipped, offer, member):
        return 0
    assert to_ship and delivered and shipped and offer and member  # for the type checker
    me = Actor.customer(customer)
    now = timezone.now().replace(microsecond=0)
    hours = lambda n: now - timedelta(hours=n)  # noqa: E731

    question = thread_open(
        actor=me, offer=offer, motif=Motif.SIZE, now=hours(20),
        body="Bonjour, cette chemise taille-t-elle grand ? Je fais 1,80 m pour 75 kg.",
    )  # fmt: skip
    message_post(
        thread=question, actor=Actor.vendor_user(member.user), vendor=first, now=hours(18),
        body="Bonjour, elle taille normalement : le M vous ira. Belle journée !",
    )  # fmt: skip
    thread_open(
        actor=me, vendor_order=to_ship, motif=Motif.DELIVERY, now=hours(5),
        body="Bonjour, pouvez-vous m'envoyer le colis avant vendredi ? Merci.",
    )  # fmt: skip
    thread_open(
        actor=me, vendor_order=delivered, motif=Motif.INVOICE, now=hours(60),
        body="Bonjour, pourriez-vous me transmettre la facture de cette commande ?",
    )  # fmt: skip
    late = thread_open(
        actor=me, vendor_order=shipped, motif=Motif.TRACKING, now=hours(80),
        body="Bonjour, le suivi n'a pas bougé depuis trois jours. Le colis est-il perdu ?",
    )  # fmt: skip
    thread_escalate(thread=late, actor=me, now=hours(30))
    _demo_return(customer=customer, vendor_order=delivered, member=member, now=now)
    _demo_claim(customer=customer, vendor_order=delivered, now=now)
    thread_open(
        actor=EmailIdentity(
            kind=ActorKind.CUSTOMER, email="camille.visiteur@example.test", name="Camille Roy"
        ),
        motif=Motif.OTHER, now=hours(2),
        body="Bonjour, proposez-vous des cartes cadeaux ?",
    )  # fmt: skip
    return 7


def _demo_return(*, customer, vendor_order, member, now) -> None:
    """A withdrawal of one article of the delivered order, accepted by the vendor: the
    customer's return page offers the prepaid label, the vendor's "Retours" shows it waiting
    for the parcel."""
    from allies.aftersales.returns import return_accept, return_request_open, returnable_lines
    from allies.orders.events import Actor

    returnable = returnable_lines(vendor_order=vendor_order)
    if not returnable:
        return
    request = return_request_open(
        customer=customer,
        vendor_order=vendor_order,
        quantities={returnable[0].line.pk: 1},
        comment="La taille ne me va pas, je préfère être remboursé.",
        now=now - timedelta(hours=26),
    )
    return_accept(
        request=request,
        actor=Actor.vendor_user(member.user),
        vendor=vendor_order.vendor,
        now=now - timedelta(hours=22),
    )


def _demo_photo() -> bytes:
    """A drawn photo for the demo claim: a shirt's torn seam, in a few shapes."""
    import io

    from PIL import Image, ImageDraw

    image = Image.new("RGB", (480, 360), (236, 232, 224))
    draw = ImageDraw.Draw(image)
    draw.rectangle((120, 60, 360, 320), fill=(92, 122, 168))
    draw.line((240, 80, 250, 140, 232, 200, 246, 260), fill=(250, 250, 250), width=5)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85)
    return out.getvalue()


def _demo_claim(*, customer, vendor_order, now) -> None:
    """An after-sales claim with a photo on the delivered order, waiting for the vendor's
    answer: the customer's claim page shows its 48 business hours, the vendor's
    "Réclamations" shows it to handle."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from allies.aftersales.claims import ItemInput, claim_open
    from allies.aftersales.holding import available_units

    available = available_units(vendor_order=vendor_order)
    if not available:
        return
    line = available[-1].line
    claim_open(
        customer=customer,
        vendor_order=vendor_order,
        problem="damaged",
        remedy="replacement",
        items={
            line.pk: ItemInput(
                quantity="1",
                description="La couture de l'épaule s'est ouverte au premier lavage.",
                photos=[SimpleUploadedFile("couture.jpg", _demo_photo(), "image/jpeg")],
            )
        },
        now=now - timedelta(hours=3),
    )
