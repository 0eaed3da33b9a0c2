"""Writes on shipping rates: the vendor portal and the back office set a vendor's rates here.

A rate is identified by (vendor, mode, zone); saving it again updates it. Bad values are
refused with a message per field, in the vendor's language, and nothing is written.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from allies.shipping.carriers import carrier_get
from allies.shipping.models import ShippingRate
from allies.shipping.modes import MODE_LABELS
from allies.shipping.zones import ZONE_LABELS, Zone

MAX_DAYS = 60
MAX_AMOUNT = Decimal("999999.99")


def _amount(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, float):
        value = repr(value)
    try:
        amount = Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        raise ValueError(value) from None
    if not amount.is_finite():
        raise ValueError(value)
    return amount


def _check_amount(errors: dict, field: str, value: Any, *, required: bool = False) -> None:
    try:
        amount = _amount(value)
    except ValueError:
        errors.setdefault(field, []).append(_("Indiquez un montant valide, par exemple 4,90."))
        return
    if amount is None:
        if required:
            errors.setdefault(field, []).append(_("Ce montant est obligatoire."))
        return
    if amount < 0:
        errors.setdefault(field, []).append(_("Un montant ne peut pas être négatif."))
    elif amount != amount.quantize(Decimal("0.01")):
        errors.setdefault(field, []).append(_("Indiquez un montant au centime près."))
    elif amount > MAX_AMOUNT:
        errors.setdefault(field, []).append(_("Ce montant est trop élevé."))


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
            kg = _amount(bracket["up_to_kg"])
            fee = _amount(bracket["fee"])
        except ValueError:
            return [_("Chaque tranche indique un poids et un montant valides.")]
        if kg is None or fee is None or kg <= 0 or fee < 0:
            return [_("Chaque tranche a un poids positif et un montant positif ou nul.")]
        if kg != kg.quantize(Decimal("0.001")) or fee != fee.quantize(Decimal("0.01")):
            return [_("Poids au gramme près et montants au centime près.")]
        if previous_kg is not None and kg <= previous_kg:
            messages.append(_("Les tranches de poids sont rangées du plus léger au plus lourd."))
            break
        if previous_fee is not None and fee < previous_fee:
            messages.append(_("Une tranche plus lourde ne peut pas coûter moins cher."))
            break
        previous_kg, previous_fee = kg, fee
    return messages


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
    try:
        max_weight = _amount(max_parcel_weight_kg)
    except ValueError:
        errors["max_parcel_weight_kg"] = [_("Indiquez un poids valide, en kilogrammes.")]
    else:
        if max_weight is not None and max_weight <= 0:
            errors["max_parcel_weight_kg"] = [_("Le poids maximal doit être positif.")]
    days: dict[str, int] = {}
    for field in ("min_days", "max_days"):
        value = min_days if field == "min_days" else max_days
        try:
            number = int(value)
            if isinstance(value, float | Decimal) and number != value:
                raise ValueError
        except (TypeError, ValueError):
            errors[field] = [_("Indiquez un nombre entier de jours ouvrés.")]
            continue
        if not 1 <= number <= MAX_DAYS:
            errors[field] = [
                _("Le délai est compris entre 1 et %(max)s jours ouvrés.") % {"max": MAX_DAYS}
            ]
            continue
        days[field] = number
    if len(days) == 2 and days["min_days"] > days["max_days"]:
        errors["max_days"] = [_("Le délai maximal ne peut pas être inférieur au délai minimal.")]
    return errors


def _normalized_brackets(brackets: Any) -> list[dict[str, str]]:
    return [
        {"up_to_kg": str(_amount(b["up_to_kg"]).normalize()), "fee": str(_amount(b["fee"]))}
        for b in (brackets or [])
    ]


@transaction.atomic
def shipping_rate_save(
    *,
    vendor,
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
            "base_fee": _amount(base_fee),
            "per_extra_item_fee": _amount(per_extra_item_fee) or Decimal("0"),
            "per_extra_parcel_fee": _amount(per_extra_parcel_fee) or Decimal("0"),
            "weight_brackets": _normalized_brackets(weight_brackets),
            "per_kg_beyond": _amount(per_kg_beyond) or Decimal("0"),
            "max_parcel_weight_kg": _amount(max_parcel_weight_kg),
            "free_shipping_threshold": _amount(free_shipping_threshold),
            "min_days": int(min_days),
            "max_days": int(max_days),
            "is_active": bool(is_active),
        },
    )
    return rate


@transaction.atomic
def shipping_rate_deactivate(*, vendor, mode: str, zone: str) -> bool:
    """Stop offering a mode to a zone (the row is kept for the record); False if none."""
    return bool(
        ShippingRate.objects.filter(vendor=vendor, mode=mode, zone=zone, is_active=True).update(
            is_active=False
        )
    )
