"""The vendor's offers and stock in the portal: list, edit, (de)activate, CSV import."""

from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from allies.catalog.models import OfferImport


def test_offer_list_search_and_low_stock_filter(verlaine_client, market):
    # covers: VEN-1, CAT-2
    market["belt"].stock = 1
    market["belt"].save()
    body = verlaine_client.get(reverse("vendor_portal:offers")).content.decode()
    assert "Chemise Oxford bleue" in body and "Ceinture en cuir" in body
    assert "Portefeuille en cuir" not in body  # Brun's
    body = verlaine_client.get(reverse("vendor_portal:offers") + "?q=oxford").content.decode()
    assert "Chemise Oxford bleue" in body and "Ceinture en cuir" not in body
    body = verlaine_client.get(reverse("vendor_portal:offers") + "?etat=low_stock").content.decode()
    assert "Ceinture en cuir" in body and "Chemise Oxford bleue" not in body


def test_edit_price_stock_and_restock_delay(verlaine_client, market):
    # covers: VEN-1, CAT-2
    shirt = market["shirt"]
    response = verlaine_client.post(
        reverse("vendor_portal:offer", args=[shirt.pk]),
        {"price": "54,90", "stock": "0", "restock_weeks": "3", "is_active": "on"},
        follow=True,
    )
    assert "Offre enregistrée" in response.content.decode()
    shirt.refresh_from_db()
    assert (shirt.price, shirt.stock, shirt.restock_weeks) == (Decimal("54.90"), 0, 3)
    product = shirt.variant.product
    page = verlaine_client.get(product.get_absolute_url()).content.decode()
    assert "Livré sous 3 semaines" in page


def test_a_bad_price_is_explained_and_not_saved(verlaine_client, market):
    # covers: VEN-1
    shirt = market["shirt"]
    response = verlaine_client.post(
        reverse("vendor_portal:offer", args=[shirt.pk]), {"price": "-3", "stock": "abc"}
    )
    assert response.status_code == 422
    shirt.refresh_from_db()
    assert shirt.price == Decimal("59.90")


def test_deactivate_then_activate_an_offer(verlaine_client, market):
    # covers: VEN-1
    belt = market["belt"]
    url = reverse("vendor_portal:offer_toggle", args=[belt.pk])
    verlaine_client.post(url, {"active": "0"})
    belt.refresh_from_db()
    assert not belt.is_active
    verlaine_client.post(url, {"active": "1"})
    belt.refresh_from_db()
    assert belt.is_active


def test_csv_import_runs_and_reports(verlaine_client, market, django_capture_on_commit_callbacks):
    # covers: VEN-1, CAT-2
    shirt, belt = market["shirt"], market["belt"]
    content = (
        "sku;prix;stock\n"
        f"{shirt.variant.sku};52,00;4\n"
        "INCONNU-42;10,00;1\n"
        f"{belt.variant.sku};33,00;-2\n"
    ).encode()
    with django_capture_on_commit_callbacks(execute=True):
        response = verlaine_client.post(
            reverse("vendor_portal:imports"),
            {"file": SimpleUploadedFile("stock.csv", content, "text/csv")},
        )
    job = OfferImport.objects.get(vendor=market["verlaine"])
    assert response["Location"] == reverse("vendor_portal:import", args=[job.pk])
    body = verlaine_client.get(response["Location"]).content.decode()
    job.refresh_from_db()
    assert job.status == OfferImport.Status.DONE
    assert 'data-testid="rejected">2<' in body and 'data-testid="updated">1<' in body
    assert "INCONNU-42" in body
    shirt.refresh_from_db()
    assert shirt.price == Decimal("52.00") and shirt.stock == 4
    # The progress fragment polled by htmx.
    fragment = verlaine_client.get(
        reverse("vendor_portal:import", args=[job.pk]), HTTP_HX_REQUEST="true"
    )
    assert fragment.content.decode().lstrip().startswith('<div id="import-progress"')


def test_a_file_that_is_not_csv_is_refused(verlaine_client, market):
    # covers: VEN-1
    response = verlaine_client.post(
        reverse("vendor_portal:imports"),
        {"file": SimpleUploadedFile("stock.csv", b"", "text/csv")},
    )
    assert response.status_code == 422
    assert not OfferImport.objects.exists()


def test_import_template_downloads(verlaine_client, market):
    # covers: VEN-1
    response = verlaine_client.get(reverse("vendor_portal:import_template"))
    assert response["Content-Type"].startswith("text/csv")
    assert b"sku" in response.content.splitlines()[0]
