"""Lighthouse's accessibility and best-practices audits (issue 12): the help centre and a
product page with reviews score at least 0.95 in Debian's Chromium.

Lighthouse is the npm package pinned in tools/lighthouse (installed by `make test`); it
drives the same Chromium as the other browser tests and downloads nothing. The pages are
served by uvicorn on the ASGI application (`asgi_server`), so the chat's socket connects as
it does in production, and the console stays free of connection errors.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from allies.helpcenter.services import helpcenter_defaults_load
from allies.reviews.services import review_answer, review_create
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.browser.test_reviews import _delivered
from tests.browser.test_support import shop  # noqa: F401 (fixture)
from tests.factories import AddressFactory, UserFactory

LIGHTHOUSE = Path(__file__).resolve().parents[2] / "tools/lighthouse/node_modules/.bin/lighthouse"
MINIMUM = 0.95


def audit(url: str, out: Path) -> dict[str, float]:
    if not LIGHTHOUSE.exists():
        pytest.fail(f"Lighthouse is not installed at {LIGHTHOUSE}: run `make test` (npm ci)")
    flags = " ".join(["--headless=new", *CHROMIUM_ARGS])
    subprocess.run(
        [str(LIGHTHOUSE), url, "--quiet", "--only-categories=accessibility,best-practices",
         "--output=json", f"--output-path={out}", f"--chrome-flags={flags}",
         "--form-factor=desktop", "--screenEmulation.disabled"],
        env={**os.environ, "CHROME_PATH": CHROMIUM},
        check=True, timeout=120, capture_output=True,
    )  # fmt: skip
    report = json.loads(out.read_text())
    failed = [
        f"{a['id']}: {a['title']}"
        for a in report["audits"].values()
        if a.get("score") is not None and a["score"] < 1 and a.get("scoreDisplayMode") == "binary"
    ]
    scores = {key: cat["score"] for key, cat in report["categories"].items()}
    print(url, scores, failed)
    return {**scores, "failed": failed}  # type: ignore[dict-item]


def test_help_centre_and_a_product_page_with_reviews_pass_lighthouse(
    asgi_server,
    shop,  # noqa: F811
    tmp_path,
):
    # covers: SITE-2, SITE-3 (accessibility and best practices of their pages)
    helpcenter_defaults_load()
    buyer = UserFactory(email="paul@example.test", first_name="Paul")
    AddressFactory(user=buyer, recipient="Paul Durand", is_default=True)
    delivered = _delivered(shop, customer=buyer)
    review = review_create(
        customer=buyer, vendor_order=delivered,
        order_line=delivered.lines.get(product_title="Chemise Oxford bleue"), rating=4,
        title="Bonne chemise", text="Coton épais, coupe droite, manches un peu longues.",
    )  # fmt: skip
    review_answer(vendor=shop["verlaine"], author=shop["vendor_user"], review=review,
                  text="Merci Paul ! Elle existe aussi en coupe ajustée.")  # fmt: skip
    product = shop["shirt"].variant.product

    for name, path in (("aide", "/aide/"), ("produit", product.get_absolute_url())):
        result = audit(asgi_server + path, tmp_path / f"{name}.json")
        assert result["accessibility"] >= MINIMUM, (name, result)
        assert result["best-practices"] >= MINIMUM, (name, result)
