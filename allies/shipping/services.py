"""Writes on shipping rates: the vendor portal and the back office set a vendor's rates here.

A rate is identified by (vendor, mode, zone); saving it again updates it. Bad values are
refused with a message per field, in the vendor's language, and nothing is written.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from allies.core.money import format_eur
from allies.core.numbers import NumberError, decimal_bounds, parse_decimal, parse_int
from allies.core.page_cache import pages_changed
from allies.shipping.carriers import carrier_get
from allies.shipping.models import ShippingRate
from allies.shipping.modes import MODE_LABELS
from allies.shipping.zones import ZONE_LABELS, Zone
from allies.vendors.models import Vendor

MAX_DAYS = 60
MAX_AMOUNT = Decimal("999999.99")
# No carrier of the list takes a heavier parcel (UPS and DHL stop at 70 kg, relay points at
# 20-30 kg): a larger figure is a slip (grams typed as kilograms), refused with a message.
MAX_PARCEL_WEIGHT_KG = Decimal("70")
# A bracket bounds a whole shipment's weight (several parcels), in grams' precision.
MAX_BRACKET_KG = Decimal("1000")
_AMOUNT = {**decimal_bounds(ShippingRate, "base_fee"), "max_value": MAX_AMOUNT}
_BRACKET_KG = {"max_digits": 7, "decimal_places": 3, "min_value": 0, "max_value": MAX_BRACKET_KG}
_PARCEL_KG = {**decimal_bounds(ShippingRate, "max_parcel_weight_kg")}
_DAYS = {"min_value": 1, "max_value": MAX_DAYS}


def _amount(value: Any, bounds: dict[str, Any] = _AMOUNT) -> Decimal | None:
    """A euro amount (or a weight, with other bounds) read by `core.numbers`: checked as text
    before any conversion, within what its column stores. None when left empty."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return parse_decimal(value, **bounds)


def _amount_given(value: Any, bounds: dict[str, Any] = _AMOUNT) -> Decimal:
    """`_amount` of a value that `shipping_rate_errors` has already found present and valid."""
    amount = _amount(value, bounds)
    if amount is None:
        raise ValueError(f"{value!r}: an amount checked as given is missing")
    return amount


def _check_amount(
    errors: dict[str, list[str]], field: str, value: Any, *, required: bool = False
) -> None:
    try:
        amount = _amount(value)
    except NumberError as problem:
        message = {
            "too_small": _("Un montant ne peut pas être négatif."),
            "too_large": _("Ce montant est trop élevé."),
            "too_many_decimals": _("Indiquez un montant au centime près."),
        }.get(problem.code, _("Indiquez un montant valide, par exemple 4,90."))
        errors.setdefault(field, []).append(message)
        return
    if amount is None and required:
        errors.setdefault(field, []).append(_("Ce montant est obligatoire."))


def _bracket_errors(brackets: Any) -> list[str]:
    if brackets in (None, ""):
        return []
    if not isinstance(brackets, list | tuple):
        return [_("Les tranches de poids doivent être une liste.")]
    messages: list[str] = []
    previous_kg: Decimal | None = None
    previous_fee: Decimal | None = None
    for bracket in brackets:
        if not isinstance(bracket, dict) or set(bracket) != {"up_to_kg", "fee"}:
            return [_("Chaque tranche indique un poids maximal (up_to_kg) et un montant (fee).")]
        try:
            kg = _amount(bracket["up_to_kg"], _BRACKET_KG)
            fee = _amount(bracket["fee"])
        except NumberError as problem:
            if problem.code == "too_many_decimals":
                return [_("Poids au gramme près et montants au centime près.")]
            if problem.code == "too_large":
                return [
                    _("Une tranche va jusqu'à %(kg)s kg au plus et coûte au plus %(fee)s.")
                    % {"kg": MAX_BRACKET_KG, "fee": format_eur(MAX_AMOUNT)}
                ]
            if problem.code == "too_small":
                return [_("Chaque tranche a un poids positif et un montant positif ou nul.")]
            return [_("Chaque tranche indique un poids et un montant valides.")]
        if kg is None or fee is None or kg <= 0:
            return [_("Chaque tranche a un poids positif et un montant positif ou nul.")]
        if previous_kg is not None and kg <= previous_kg:
            messages.append(_("Les tranches de poids sont rangées du plus léger au plus lourd."))
            break
        if previous_fee is not None and fee < previous_fee:
            messages.append(_("Une tranche plus lourde ne peut pas coûter moins cher."))
            break
        previous_kg, previous_fee = kg, fee
    return messages


def _parcel_weight_error(value: Any) -> str | None:
    try:
        weight = _amount(value, _PARCEL_KG)
    except NumberError as problem:
        if problem.code == "too_many_decimals":
            return _("Indiquez le poids au centième de kilogramme près, par exemple 20,5.")
        if problem.code == "too_small":
            return _("Le poids maximal doit être positif.")
        if problem.code != "too_large":
            return _("Indiquez un poids valide, en kilogrammes.")
        weight = None
    else:
        if weight is None:
            return None
        if weight <= 0:
            return _("Le poids maximal doit être positif.")
    if weight is None or weight > MAX_PARCEL_WEIGHT_KG:
        return _(
            "Aucun transporteur ne prend de colis de plus de %(max)s kg : indiquez le poids "
            "en kilogrammes (et non en grammes)."
        ) % {"max": MAX_PARCEL_WEIGHT_KG}
    return None


def shipping_rate_errors(
    *,
    mode: str,
    zone: str,
    carrier: str,
    base_fee: Any,
    min_days: Any,
    max_days: Any,
    per_extra_item_fee: Any = 0,
    per_extra_parcel_fee: Any = 0,
    weight_brackets: Any = None,
    per_kg_beyond: Any = 0,
    max_parcel_weight_kg: Any = None,
    free_shipping_threshold: Any = None,
) -> dict[str, list[str]]:
    """Every problem of a rate's values, by field (empty when the rate can be saved)."""
    errors: dict[str, list[str]] = {}
    if mode not in MODE_LABELS:
        errors["mode"] = [_("Choisissez Domicile, Express ou Point relais.")]
    zone_ok = zone in {z.value for z in Zone}
    if not zone_ok:
        errors["zone"] = [_("Choisissez France métropolitaine, Corse ou Belgique.")]
    found = carrier_get(carrier)
    if found is None:
        errors["carrier"] = [_("Choisissez un transporteur de la liste.")]
    elif mode in MODE_LABELS and mode not in found.modes:
        errors["carrier"] = [
            _("%(carrier)s ne propose pas la livraison « %(mode)s ».")
            % {"carrier": found.name, "mode": MODE_LABELS[mode]}
        ]
    elif zone_ok and zone not in found.zones:
        errors["carrier"] = [
            _("%(carrier)s ne livre pas cette destination (%(zone)s).")
            % {"carrier": found.name, "zone": ZONE_LABELS[Zone(zone)]}
        ]
    _check_amount(errors, "base_fee", base_fee, required=True)
    _check_amount(errors, "per_extra_item_fee", per_extra_item_fee)
    _check_amount(errors, "per_extra_parcel_fee", per_extra_parcel_fee)
    _check_amount(errors, "per_kg_beyond", per_kg_beyond)
    _check_amount(errors, "free_shipping_threshold", free_shipping_threshold)
    bracket_messages = _bracket_errors(weight_brackets)
    if bracket_messages:
        errors["weight_brackets"] = bracket_messages
    if weight_message := _parcel_weight_error(max_parcel_weight_kg):
        errors["max_parcel_weight_kg"] = [weight_message]
    days: dict[str, int] = {}
    for field in ("min_days", "max_days"):
        value = min_days if field == "min_days" else max_days
        try:
            number = parse_int(value, **_DAYS)
        except NumberError as problem:
            if problem.code in ("too_small", "too_large"):
                errors[field] = [
                    _("Le délai est compris entre 1 et %(max)s jours ouvrés.") % {"max": MAX_DAYS}
                ]
            else:
                errors[field] = [_("Indiquez un nombre entier de jours ouvrés.")]
            continue
        days[field] = number
    if len(days) == 2 and days["min_days"] > days["max_days"]:
        errors["max_days"] = [_("Le délai maximal ne peut pas être inférieur au délai minimal.")]
    return errors


def _normalized_brackets(brackets: Any) -> list[dict[str, str]]:
    return [
        {
            # Fixed-point: "10", never normalize()'s "1E+1", which the form could not read back.
            "up_to_kg": f"{_amount_given(b['up_to_kg'], _BRACKET_KG).normalize():f}",
            "fee": f"{_amount_given(b['fee']):f}".removesuffix(".00"),  # "3", "6.90" as typed
        }
        for b in (brackets or [])
    ]


@transaction.atomic
def shipping_rate_save(
    *,
    vendor: Vendor,
    mode: str,
    zone: str,
    carrier: str,
    base_fee: Any,
    min_days: int,
    max_days: int,
    per_extra_item_fee: Any = 0,
    per_extra_parcel_fee: Any = 0,
    weight_brackets: list[dict[str, Any]] | None = None,
    per_kg_beyond: Any = 0,
    max_parcel_weight_kg: Any = None,
    free_shipping_threshold: Any = None,
    is_active: bool = True,
) -> ShippingRate:
    """Create or update the vendor's rate for (mode, zone); ValidationError by field if invalid."""
    mode, zone, carrier = str(mode), str(zone), (carrier or "").strip().lower()
    errors = shipping_rate_errors(
        mode=mode,
        zone=zone,
        carrier=carrier,
        base_fee=base_fee,
        min_days=min_days,
        max_days=max_days,
        per_extra_item_fee=per_extra_item_fee,
        per_extra_parcel_fee=per_extra_parcel_fee,
        weight_brackets=weight_brackets,
        per_kg_beyond=per_kg_beyond,
        max_parcel_weight_kg=max_parcel_weight_kg,
        free_shipping_threshold=free_shipping_threshold,
    )
    if errors:
        raise ValidationError(errors)
    rate, _created = ShippingRate.objects.update_or_create(
        vendor=vendor,
        mode=mode,
        zone=zone,
        defaults={
            "carrier": carrier,
            "base_fee": _amount_given(base_fee),
            "per_extra_item_fee": _amount(per_extra_item_fee) or Decimal("0"),
            "per_extra_parcel_fee": _amount(per_extra_parcel_fee) or Decimal("0"),
            "weight_brackets": _normalized_brackets(weight_brackets),
            "per_kg_beyond": _amount(per_kg_beyond) or Decimal("0"),
            "max_parcel_weight_kg": _amount(max_parcel_weight_kg, _PARCEL_KG),
            "free_shipping_threshold": _amount(free_shipping_threshold),
            "min_days": parse_int(min_days, **_DAYS),
            "max_days": parse_int(max_days, **_DAYS),
            "is_active": bool(is_active),
        },
    )
    return rate


@transaction.atomic
def shipping_rate_deactivate(*, vendor: Vendor, mode: str, zone: str) -> bool:
    """Stop offering a mode to a zone (the row is kept for the record); False if none."""
    pages_changed()  # the product pages' delivery options
    return bool(
        ShippingRate.objects.filter(vendor=vendor, mode=mode, zone=zone, is_active=True).update(
            is_active=False
        )
    )
