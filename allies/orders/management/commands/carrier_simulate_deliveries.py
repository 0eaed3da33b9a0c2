"""`manage.py carrier_simulate_deliveries`: the simulated carrier delivers what is due now.

For the demo and the default setup (no real carrier connected): every shipment that left
CARRIER_SIMULATED_DELIVERY_WORKING_DAYS working days ago (default 2) is delivered, through
the same path as a carrier webhook. `--days 0` delivers everything shipped so far.
"""

from django.core.management.base import BaseCommand

from allies.orders.carrier_simulation import carrier_simulate_deliveries


class Command(BaseCommand):
    help = "Deliver (simulated carrier) the shipments due for delivery."

    def add_arguments(self, parser):
        parser.add_argument(
            "--days", type=int, default=None, help="Working days after shipment (override)."
        )

    def handle(self, *args, days=None, **options):
        count = carrier_simulate_deliveries(days=days)
        self.stdout.write(f"{count} parcel(s) delivered.")
