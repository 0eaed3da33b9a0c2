"""Vendor API — offers: list (OF21), bulk create/update (OF24) with per-item errors, stock-only
update, the 1,000-item limit, Idempotency-Key."""

from decimal import Decimal

import pytest

from allies.catalog.models import Offer
from allies.vendors.services import api_key_create
from tests.factories import OfferFactory, VariantFactory, VendorFactory
from tests.vendor_api.conftest import API, api_client
from tests.vendor_api.test_orders import error_of, post, put

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(market):
    """Verlaine has the market's shirt and belt; two more variants exist without its offer."""
    return {
        "new_a": VariantFactory(sku="NEW-A"),
        "new_b": VariantFactory(sku="NEW-B"),
        "new_c": VariantFactory(sku="NEW-C"),
        "shirt": market["shirt"],
        "belt": market["belt"],
    }


def test_the_list_shows_the_keys_vendors_offers_only(market, verlaine_api, brun_api):
    # covers: VEN-3, CAT-2
    market["belt"].vendor_sku = "CEINT-01"
    market["belt"].save()
    response = verlaine_api.get(f"{API}/offers")
    assert response.status_code == 200
    data = response.json()
    assert data["total_count"] == 2
    offers = {o["sku"]: o for o in data["offers"]}
    belt = offers[market["belt"].variant.sku]
    assert belt["vendor_sku"] == "CEINT-01" and belt["price"] == "35.00"
    assert belt["stock"] == 10 and belt["active"] is True and belt["availability"] == "in_stock"
    assert market["wallet"].variant.sku not in offers  # Brun's
    assert brun_api.get(f"{API}/offers").json()["total_count"] == 1


def test_the_list_filters_and_pages(market, verlaine_api):
    # covers: VEN-3
    market["shirt"].stock = 0
    market["shirt"].save()
    response = verlaine_api.get(f"{API}/offers?status=out_of_stock")
    assert [o["sku"] for o in response.json()["offers"]] == [market["shirt"].variant.sku]
    response = verlaine_api.get(f"{API}/offers", {"q": "ceinture"})
    assert [o["sku"] for o in response.json()["offers"]] == [market["belt"].variant.sku]
    page = verlaine_api.get(f"{API}/offers?limit=1&offset=1").json()
    assert page["total_count"] == 2 and len(page["offers"]) == 1
    assert verlaine_api.get(f"{API}/offers?limit=0").status_code == 422


def test_bulk_import_creates_updates_and_reports_each_bad_item(market, shop, verlaine_api):
    # covers: VEN-3, CAT-2
    shirt_sku = market["shirt"].variant.sku
    body = {
        "offers": [
            {"sku": "NEW-A", "price": "24.90", "stock": 5, "vendor_sku": "V-A"},  # created
            {"sku": shirt_sku, "price": 54.9, "restock_weeks": 3},  # updated
            {"sku": "INCONNU-1", "price": "10"},  # unknown SKU
            {"sku": "NEW-B", "price": "-3"},  # bad price
            {"sku": "NEW-B", "prix": "12"},  # unknown key: the whole item refused
            {"sku": market["belt"].variant.sku, "price": "35.00"},  # unchanged
            {"sku": "NEW-C", "stock": 3},  # a new offer needs a price
        ]
    }
    response = post(verlaine_api, f"{API}/offers", body)
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["created"], data["updated"], data["unchanged"]) == (1, 1, 1)
    assert data["rejected"] == 4 and len(data["errors"]) == 4
    errors = {e["index"]: e for e in data["errors"]}
    assert errors[2]["code"] == "unknown_sku" and errors[2]["sku"] == "INCONNU-1"
    assert errors[3]["code"] == "invalid_price"
    assert errors[4]["code"] == "unknown_field" and "prix" in errors[4]["message"]
    assert errors[6]["code"] == "missing_price"
    assert all(e["message"] for e in data["errors"])
    created = Offer.objects.get(vendor=market["verlaine"], variant__sku="NEW-A")
    assert created.price == Decimal("24.90") and created.stock == 5 and created.vendor_sku == "V-A"
    market["shirt"].refresh_from_db()
    assert market["shirt"].price == Decimal("54.90") and market["shirt"].restock_weeks == 3
    assert market["shirt"].stock == 10  # absent key: unchanged
    assert not Offer.objects.filter(variant__sku__in=["NEW-B", "NEW-C"]).exists()


def test_more_than_1000_items_is_a_422_and_writes_nothing(shop, verlaine_api):
    # covers: VEN-3
    body = {"offers": [{"sku": "NEW-A", "price": "10"}] * 1001}
    for response in (
        post(verlaine_api, f"{API}/offers", body),
        put(verlaine_api, f"{API}/offers/stock", body),
    ):
        assert response.status_code == 422
        error = error_of(response)
        assert error["code"] == "too_many_items" and "1000" in error["message"]
        assert error["details"] == {"max": 1000, "count": 1001}
    assert not Offer.objects.filter(variant__sku="NEW-A").exists()


def test_1000_items_is_fine(market, verlaine_api):
    # covers: VEN-3
    variants = VariantFactory.create_batch(1000)
    body = {"offers": [{"sku": v.sku, "price": "10.00", "stock": 1} for v in variants]}
    response = post(verlaine_api, f"{API}/offers", body)
    assert response.status_code == 200 and response.json()["created"] == 1000


def test_a_malformed_offers_body_is_a_422(verlaine_api):
    # covers: VEN-3
    response = post(verlaine_api, f"{API}/offers", {"offers": "NEW-A"})
    assert response.status_code == 422 and error_of(response)["code"] == "invalid_request"
    assert error_of(response)["details"][0]["field"] == "offers"
    response = post(verlaine_api, f"{API}/offers", {"offers": ["NEW-A"]})
    assert response.status_code == 422
    response = verlaine_api.post(f"{API}/offers", "offers=1", content_type="application/json")
    assert response.status_code == 422 and error_of(response)["code"] == "malformed_json"


def test_stock_only_update(market, shop, verlaine_api):
    # covers: VEN-3, CAT-2
    shirt, belt = market["shirt"], market["belt"]
    body = {
        "offers": [
            {"sku": shirt.variant.sku, "stock": 0},
            {"sku": belt.variant.sku, "stock": 4, "price": "1.00"},  # price: not here
            {"sku": "NEW-A", "stock": 3},  # no offer to update
            {"sku": market["wallet"].variant.sku, "stock": 1},  # Brun's offer, not Verlaine's
        ]
    }
    response = put(verlaine_api, f"{API}/offers/stock", body)
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["updated"] == 1 and data["created"] == 0 and data["rejected"] == 3
    errors = {e["index"]: e["code"] for e in data["errors"]}
    assert errors == {1: "unknown_field", 2: "unknown_offer", 3: "unknown_offer"}
    shirt.refresh_from_db()
    belt.refresh_from_db()
    market["wallet"].refresh_from_db()
    assert shirt.stock == 0 and shirt.price == Decimal("59.90")
    assert belt.stock == 10 and belt.price == Decimal("35.00")
    assert market["wallet"].stock == 10
    assert not Offer.objects.filter(variant__sku="NEW-A").exists()


def test_an_offer_import_replayed_acts_once(market, shop, verlaine_api):
    # covers: VEN-3
    body = {"offers": [{"sku": "NEW-A", "price": "24.90", "stock": 5}]}
    first = post(verlaine_api, f"{API}/offers", body, **{"Idempotency-Key": "of24-1"})
    Offer.objects.filter(variant__sku="NEW-A").update(stock=2)  # a sale meanwhile
    again = post(verlaine_api, f"{API}/offers", body, **{"Idempotency-Key": "of24-1"})
    assert first.status_code == again.status_code == 200
    assert again.content == first.content and again["Idempotent-Replayed"] == "true"
    assert first.json()["created"] == 1
    assert Offer.objects.get(variant__sku="NEW-A").stock == 2  # not set back to 5
    other = {"offers": [{"sku": "NEW-A", "stock": 9}]}
    response = put(verlaine_api, f"{API}/offers/stock", other, **{"Idempotency-Key": "of24-1"})
    assert response.status_code == 422
    assert error_of(response)["code"] == "idempotency_key_reused"


def test_another_vendors_offer_is_never_touched_by_an_import(market, verlaine_api):
    # covers: VEN-3
    wallet = market["wallet"]
    body = {"offers": [{"sku": wallet.variant.sku, "price": "1.00", "stock": 0}]}
    response = post(verlaine_api, f"{API}/offers", body)
    assert response.status_code == 200
    assert response.json()["created"] == 1  # Verlaine's own new offer on that variant
    wallet.refresh_from_db()
    assert wallet.price == Decimal("45.00") and wallet.stock == 10


def test_offers_of_a_vendor_without_any(keys):
    # covers: VEN-3
    vendor = VendorFactory()
    raw = api_key_create(vendor=vendor, name="ERP")[1]
    OfferFactory()  # someone else's
    response = api_client(raw).get(f"{API}/offers")
    assert response.json() == {"total_count": 0, "offset": 0, "limit": 20, "offers": []}


@pytest.mark.parametrize("count", [5, 60])
def test_a_page_of_offers_costs_the_same_queries_whatever_its_size(
    market, verlaine_api, django_assert_max_num_queries, count
):
    # covers: VEN-3
    OfferFactory.create_batch(count, vendor=market["verlaine"])
    verlaine_api.get(f"{API}/offers")  # the key's "last used" write happens once a minute
    with django_assert_max_num_queries(3):  # key and vendor · count · offers with products
        response = verlaine_api.get(f"{API}/offers?limit=100")
    assert len(response.json()["offers"]) == count + 2
