"""The vendor's own settings: shipping rates, legal profile and invoice mode, API keys."""

from decimal import Decimal

from django.urls import reverse

from allies.invoices.models import VendorInvoicing
from allies.shipping.models import ShippingRate
from allies.vendors.models import VendorApiKey
from allies.vendors.services import api_key_authenticate

RATE = {
    "carrier": "colissimo", "base_fee": "6,90", "per_extra_item_fee": "1,50",
    "min_days": "2", "max_days": "4", "free_shipping_threshold": "80",
    "brackets": "2 ; 6,90\n5 ; 9,90",
}  # fmt: skip


def test_vendor_edits_its_rate_table(verlaine_client, market):
    # covers: VEN-2
    url = reverse("vendor_portal:rate", args=["relay", "BE"])
    response = verlaine_client.post(url, RATE, follow=True)
    assert "Tarif de livraison enregistré" in response.content.decode()
    rate = ShippingRate.objects.get(vendor=market["verlaine"], mode="relay", zone="BE")
    assert rate.base_fee == Decimal("6.90") and rate.free_shipping_threshold == Decimal("80")
    assert rate.weight_brackets == [
        {"up_to_kg": "2", "fee": "6.90"},
        {"up_to_kg": "5", "fee": "9.90"},
    ]
    assert not ShippingRate.objects.filter(vendor=market["brun"], mode="relay").exists()


def test_a_bad_rate_is_explained_and_not_saved(verlaine_client, market):
    # covers: VEN-2
    url = reverse("vendor_portal:rate", args=["home", "FR"])
    response = verlaine_client.post(url, {**RATE, "min_days": "5", "max_days": "2"})
    assert response.status_code == 422
    assert "ne peut pas être inférieur" in response.content.decode()
    response = verlaine_client.post(url, {**RATE, "brackets": "deux kilos"})
    assert response.status_code == 422
    rate = ShippingRate.objects.get(vendor=market["verlaine"], mode="home", zone="FR")
    assert rate.base_fee == Decimal("7.00")  # unchanged


def test_vendor_stops_offering_a_mode(verlaine_client, market):
    # covers: VEN-2
    verlaine_client.post(reverse("vendor_portal:rate_deactivate", args=["home", "FR"]))
    assert not ShippingRate.objects.get(vendor=market["verlaine"], mode="home").is_active


def _profile(vendor, **changes):
    data = {
        "legal_name": vendor.legal_name, "legal_form": "SAS", "share_capital": "10 000 €",
        "siret": vendor.siret, "rcs_city": "Lyon", "vat_number": vendor.vat_number,
        "street": vendor.street, "postcode": vendor.postcode, "city": vendor.city,
        "country": "FR", "email": vendor.email, "phone": "", "return_street": "",
        "return_postcode": "", "return_city": "", "return_country": "",
        "invoice_mode": "generated",
    }  # fmt: skip
    return {**data, **changes}


def test_profile_checks_siret_and_vat_number(verlaine_client, market):
    # covers: VEN-1, INV-3
    vendor = market["verlaine"]
    url = reverse("vendor_portal:profile")
    response = verlaine_client.post(url, _profile(vendor, siret="73282932000075"))
    assert response.status_code == 422
    assert "clé de contrôle" in response.content.decode()
    response = verlaine_client.post(url, _profile(vendor, vat_number="FR99732829320"))
    assert response.status_code == 422
    assert "ne correspond pas à son SIREN" in response.content.decode()
    response = verlaine_client.post(url, _profile(vendor, vat_number="732829320"))
    assert response.status_code == 422
    vendor.refresh_from_db()
    assert vendor.siret == "73282932000074" and vendor.rcs_city == ""


def test_profile_saves_identity_return_address_and_invoice_mode(verlaine_client, market):
    # covers: VEN-1, INV-1
    vendor = market["verlaine"]
    response = verlaine_client.post(
        reverse("vendor_portal:profile"),
        _profile(
            vendor,
            siret="732 829 320 00074",
            return_street="4 quai des Retours",
            return_postcode="69007",
            return_city="Lyon",
            return_country="FR",
            invoice_mode="uploaded",
        ),  # fmt: skip
        follow=True,
    )
    assert "Profil enregistré" in response.content.decode()
    vendor.refresh_from_db()
    assert vendor.siret == "73282932000074" and vendor.rcs_city == "Lyon"
    assert vendor.return_street == "4 quai des Retours"
    assert VendorInvoicing.objects.get(vendor=vendor).mode == "uploaded"


def test_api_key_is_shown_once_stored_hashed_and_revocable(verlaine_client, market):
    # covers: VEN-3
    url = reverse("vendor_portal:api_keys")
    response = verlaine_client.post(url, {"name": "ERP"})
    body = response.content.decode()
    raw = body.split('data-testid="new-key">')[1].split("<")[0]
    assert raw.startswith("alk_") and len(raw) > 40
    key = VendorApiKey.objects.get(vendor=market["verlaine"])
    assert raw not in (key.digest, key.prefix) and raw.startswith(key.prefix)
    assert api_key_authenticate(raw) == key
    assert raw not in verlaine_client.get(url).content.decode()  # never shown again
    verlaine_client.post(reverse("vendor_portal:api_key_revoke", args=[key.pk]))
    assert api_key_authenticate(raw) is None
    assert "Révoquée le" in verlaine_client.get(url).content.decode()
