"""Vendor API — offers (VEN-3), after Mirakl's OF21 (list) and OF24 (import).

Up to 1,000 offers per call, written by `catalog.offers.offers_upsert` (the same rules as the
portal and the CSV import). Each item stands alone: an item with a bad value or an unknown key
is rejected with its index and a stable code, the others are still imported (like OF24's
error report), and the answer counts what was created, updated, left unchanged and rejected.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja.decorators import decorate_view
from pydantic import Field

from allies.catalog.offers import offers_upsert, vendor_offers
from allies.vendor_api.auth import vendor_key_auth
from allies.vendor_api.errors import ApiError
from allies.vendor_api.idempotency import idempotent
from allies.vendor_api.orders import IDEMPOTENCY_DOC, READ_ERRORS, WRITE_ERRORS
from allies.vendor_api.presenters import offer_dict
from allies.vendor_api.schemas import (
    DEFAULT_PAGE_SIZE,
    MAX_OFFER_ITEMS,
    MAX_OFFSET,
    MAX_PAGE_SIZE,
    OfferImportOut,
    OfferListOut,
    OffersIn,
    StockIn,
)

router = Router(auth=vendor_key_auth, tags=["Offers"])

# The keys an item may have: another key (a typo like "prix") rejects the item rather than
# import it half-read.
OFFER_KEYS = frozenset({"sku", "price", "stock", "restock_weeks", "active", "vendor_sku"})
STOCK_KEYS = frozenset({"sku", "stock"})


class OfferFilters(Schema):
    q: str = Field("", max_length=100, description="Words of the SKU, vendor SKU or title")
    status: str = Field("", max_length=20, description="As in the portal's offer list")
    offset: int = Field(0, ge=0, le=MAX_OFFSET)
    limit: int = Field(DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)


def _items(raw: list[dict], allowed: frozenset[str]) -> tuple[list[dict], list[int], list[dict]]:
    """(items for the service, their index in the call, errors of the items refused here).

    Values are parsed by `catalog.offers` (one set of rules for the portal, the CSV import and
    this API: "49.90", 49.9 and "49,90" are all a price); only the keys are checked here.
    """
    if len(raw) > MAX_OFFER_ITEMS:
        raise ApiError(
            422,
            "too_many_items",
            _("Au plus %(max)s offres par appel (%(count)s reçues) : découpez l'envoi.")
            % {"max": MAX_OFFER_ITEMS, "count": len(raw)},
            details={"max": MAX_OFFER_ITEMS, "count": len(raw)},
            before_acting=True,
        )
    items, positions, errors = [], [], []
    for index, item in enumerate(raw):
        unknown = sorted(str(key) for key in item if key not in allowed)
        if unknown:
            errors.append(
                {
                    "index": index,
                    "sku": str(item.get("sku") or "")[:64],
                    "code": "unknown_field",
                    "message": _("Champ inconnu : %(fields)s (champs possibles : %(allowed)s).")
                    % {"fields": ", ".join(unknown), "allowed": ", ".join(sorted(allowed))},
                }
            )
            continue
        items.append(item)
        positions.append(index)
    return items, positions, errors


def _import(raw: list[dict], allowed: frozenset[str], *, vendor, stock_only: bool) -> dict:
    items, positions, errors = _items(raw, allowed)
    result = offers_upsert(vendor=vendor, items=items, stock_only=stock_only) if items else None
    if result is not None:
        errors += [
            {"index": positions[e.index], "sku": e.sku, "code": e.code, "message": str(e.message)}
            for e in result.errors
        ]
    errors.sort(key=lambda e: e["index"])
    return {
        "created": result.created if result else 0,
        "updated": result.updated if result else 0,
        "unchanged": result.unchanged if result else 0,
        "rejected": len(errors),
        "errors": errors,
    }


@router.get(
    "/offers",
    response={200: OfferListOut, **READ_ERRORS},
    summary="List offers (Mirakl OF21)",
    operation_id="vendor_offers_list",
)
def offers_list(request, filters: Query[OfferFilters]):
    qs = vendor_offers(vendor=request.auth.vendor, q=filters.q, status=filters.status)
    total = qs.count()
    offers = (
        list(qs[filters.offset : filters.offset + filters.limit]) if filters.offset < total else []
    )
    return {
        "total_count": total,
        "offset": filters.offset,
        "limit": filters.limit,
        "offers": [offer_dict(offer) for offer in offers],
    }


@router.post(
    "/offers",
    response={200: OfferImportOut, **WRITE_ERRORS},
    summary="Create or update offers (Mirakl OF24)",
    description=(
        "Up to 1,000 offers, each `sku` (Alliés' variant SKU) with any of `price` (euros TTC), "
        "`stock`, `restock_weeks` (1–52, or null), `active`, `vendor_sku`; a key left out "
        "leaves that value unchanged. Items in error are listed with their index; the others "
        "are imported." + IDEMPOTENCY_DOC
    ),
    operation_id="vendor_offers_import",
)
@decorate_view(idempotent)
def offers_import(request, payload: OffersIn):
    return _import(payload.offers, OFFER_KEYS, vendor=request.auth.vendor, stock_only=False)


@router.put(
    "/offers/stock",
    response={200: OfferImportOut, **WRITE_ERRORS},
    summary="Update stock only (Mirakl OF24 with update-delete of quantities)",
    description=(
        "Up to 1,000 items `{sku, stock}`: only the stock of existing offers changes; items "
        "in error are listed with their index." + IDEMPOTENCY_DOC
    ),
    operation_id="vendor_offers_stock",
)
@decorate_view(idempotent)
def offers_stock(request, payload: StockIn):
    return _import(payload.offers, STOCK_KEYS, vendor=request.auth.vendor, stock_only=True)
