"""The three delivery modes of the checkout (CHK-3): "Domicile", "Express", "Point relais".

`orders.VendorOrder.ShippingMode` is this very class, so a quote's mode is stored on the
vendor order as is; the shipping app never imports the orders app.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ShippingMode(models.TextChoices):
    HOME = "home", _("Domicile")
    EXPRESS = "express", _("Express")
    RELAY = "relay", _("Point relais")


# Display order everywhere (product page, simulation, checkout): the help page's order.
MODE_ORDER: tuple[str, ...] = (ShippingMode.HOME, ShippingMode.EXPRESS, ShippingMode.RELAY)
MODE_LABELS = {m.value: m.label for m in ShippingMode}
