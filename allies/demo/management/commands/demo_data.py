"""`manage.py demo_data [--products N] [--seed S] [--send-emails] [--if-empty]`: load the demo
data.

Deterministic (same arguments, same titles, variants, offers and prices) and safe to run
twice: when the catalogue already has products it says so and changes nothing. The demo
orders' emails (confirmation, new order for the vendor…) are not sent unless `--send-emails`.
`--if-empty` is for `manage.py serve` (`make run`): it loads the data into a new site's empty
catalogue and says nothing when the catalogue already has products.
"""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from allies.catalog.models import Product
from allies.demo.identities import DEFAULT_PASSWORD
from allies.demo.services import demo_data_load


class Command(BaseCommand):
    help = "Load demo vendors, logins, categories, products and offers into an empty catalogue."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--products", type=int, default=600, help="Number of products (default 600)."
        )
        parser.add_argument(
            "--without-orders",
            action="store_true",
            help="Do not place the demo customer's orders (the catalogue only).",
        )
        parser.add_argument(
            "--send-emails",
            action="store_true",
            help="Send the emails of the demo orders (default: none is written or sent).",
        )
        parser.add_argument(
            "--seed", type=int, default=1, help="Random seed: same seed, same data (default 1)."
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Only into an empty catalogue, silently otherwise (first start of `serve`).",
        )

    def handle(
        self,
        *args: Any,
        products: int,
        seed: int,
        without_orders: bool,
        send_emails: bool,
        if_empty: bool = False,
        **options: Any,
    ) -> None:
        if products < 1:
            raise CommandError("--products must be at least 1.")
        if if_empty:
            if Product.objects.exists():
                return
            self.stdout.write("Loading demo data (first start)…")
        password = settings.DEMO_PASSWORD or DEFAULT_PASSWORD
        report = demo_data_load(
            products=products,
            seed=seed,
            password=password,
            orders=not without_orders,
            send_emails=send_emails,
        )
        if report is None:
            self.stdout.write("The catalogue already has products: demo data not loaded.")
            return
        w = self.stdout.write
        w(self.style.SUCCESS(f"Demo data loaded in {report.seconds:.1f} s (seed {seed})."))
        w(
            f"  {report.vendors} vendors, {report.categories} categories, "
            f"{report.products} products, {report.variants} variants, "
            f"{report.offers} offers ({report.inactive_offers} inactive)."
        )
        w(
            "  Products by availability: "
            + ", ".join(f"{k} {v}" for k, v in sorted(report.product_availability.items()))
        )
        w(
            "  Offers by availability: "
            + ", ".join(f"{k} {v}" for k, v in sorted(report.offer_availability.items()))
        )
        w(f"  {report.orders} demo orders of the customer, in every state a vendor meets.")
        w(f"  Logins (password for all: {report.password}, unless the login existed before):")
        for email, role in report.logins:
            w(f"    {email:<52} {role}")
