"""Known API keys for the demo vendors, so the README can show working calls (demo only).

A demo key is derived from the vendor's slug — `alk_demo_maison_verlaine` — and stored like
any key (hashed). Anyone who reads the README knows these keys: they exist only in databases
made by `manage.py demo_data`, never in production data.
"""

from __future__ import annotations

from collections.abc import Iterable

from allies.vendors.models import Vendor, VendorApiKey
from allies.vendors.services import api_key_create, api_key_digest

DEMO_KEY_NAME = "Démo (clé publique du README)"


def demo_api_key_for(slug: str) -> str:
    """The demo key of the vendor `slug`: "alk_demo_" + the slug, dashes as underscores."""
    return "alk_demo_" + slug.replace("-", "_")


def demo_api_keys_create(vendors: Iterable[Vendor]) -> int:
    """Give each vendor its demo key unless it already has it; returns how many were made."""
    vendors = list(vendors)
    wanted = {demo_api_key_for(v.slug): v for v in vendors}
    existing = set(
        VendorApiKey.objects.filter(digest__in=[api_key_digest(raw) for raw in wanted]).values_list(
            "digest", flat=True
        )
    )
    made = 0
    for raw, vendor in wanted.items():
        if api_key_digest(raw) not in existing:
            api_key_create(vendor=vendor, name=DEMO_KEY_NAME, raw=raw)
            made += 1
    return made
