"""Vendor.wallet_id moved to payments.VendorAccount (copied by payments 0007)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("vendors", "0006_suspension"),
        # The wallets are copied into payments.VendorAccount first.
        ("payments", "0007_vendor_wallets_copied"),
    ]

    operations = [
        migrations.RemoveField(
            model_name="vendor",
            name="wallet_id",
        ),
    ]
