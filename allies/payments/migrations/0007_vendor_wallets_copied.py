"""Copy each vendor's `Vendor.wallet_id` (a free text field until now) into its
`VendorAccount`, before vendors' migration removes the field. A wallet that exists at the
provider starts "documents pending": its KYC state is not known here."""

from django.conf import settings
from django.db import migrations


def copy_wallets(apps, schema_editor):
    Vendor = apps.get_model("vendors", "Vendor")
    VendorAccount = apps.get_model("payments", "VendorAccount")
    gateway = str(getattr(settings, "PAYMENT_GATEWAY", "sandbox") or "sandbox").lower()
    existing = set(VendorAccount.objects.values_list("vendor_id", flat=True))
    accounts = [
        VendorAccount(
            vendor_id=vendor_id,
            gateway=gateway,
            account_id=wallet_id.strip()[:60],
            status="documents_pending",
        )
        for vendor_id, wallet_id in Vendor.objects.exclude(wallet_id="").values_list(
            "id", "wallet_id"
        )
        if vendor_id not in existing and wallet_id.strip()
    ]
    VendorAccount.objects.bulk_create(accounts, batch_size=500)


def copy_back(apps, schema_editor):
    Vendor = apps.get_model("vendors", "Vendor")
    VendorAccount = apps.get_model("payments", "VendorAccount")
    for vendor_id, account_id in VendorAccount.objects.exclude(account_id="").values_list(
        "vendor_id", "account_id"
    ):
        Vendor.objects.filter(pk=vendor_id).update(wallet_id=account_id)


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0006_vendor_accounts_and_kyc"),
        ("vendors", "0005_return_policy"),
    ]

    operations = [migrations.RunPython(copy_wallets, copy_back)]
