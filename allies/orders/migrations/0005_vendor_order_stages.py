"""Vendor orders get their real stages (allies.orders.states) and events a typed actor.

"preparing" was three stages told apart by `accepted_at` and the shipments; "cancelled" with
an empty `cancellation_reason` was a checkout never paid. An event's API key moves from its
JSON data to a foreign key, and the other actors get their kind.
"""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import Exists, F, OuterRef


def stages_forward(apps, schema_editor):
    VendorOrder = apps.get_model("orders", "VendorOrder")
    Shipment = apps.get_model("orders", "Shipment")
    preparing = VendorOrder.objects.filter(status="preparing")
    preparing.filter(accepted_at__isnull=True).update(status="waiting_acceptance")
    shipped_some = Exists(Shipment.objects.filter(vendor_order=OuterRef("pk")))
    preparing.filter(shipped_some).update(status="partially_shipped")
    preparing.update(status="to_ship")
    VendorOrder.objects.filter(status="cancelled", cancellation_reason="").update(
        status="cancelled_unpaid"
    )


def stages_backward(apps, schema_editor):
    VendorOrder = apps.get_model("orders", "VendorOrder")
    VendorOrder.objects.filter(
        status__in=["waiting_acceptance", "to_ship", "partially_shipped"]
    ).update(status="preparing")
    VendorOrder.objects.filter(status="cancelled_unpaid").update(status="cancelled")
    VendorOrder.objects.filter(status="closed").update(status="delivered", closed_at=None)


def actors_forward(apps, schema_editor):
    OrderEvent = apps.get_model("orders", "OrderEvent")
    VendorApiKey = apps.get_model("vendors", "VendorApiKey")
    with_user = OrderEvent.objects.filter(actor__isnull=False)
    with_user.filter(actor=F("order__customer")).update(actor_kind="customer")
    with_user.filter(actor_kind="system", actor__is_staff=True).update(actor_kind="staff")
    with_user.filter(actor_kind="system").update(actor_kind="vendor_user")
    keys = set(VendorApiKey.objects.values_list("pk", flat=True))
    for event in OrderEvent.objects.filter(data__has_key="api_key").iterator():
        key = event.data.pop("api_key") or {}
        event.actor_kind = "api_key"
        event.api_key_id = key.get("id") if key.get("id") in keys else None
        event.save(update_fields=["actor_kind", "api_key", "data"])


def actors_backward(apps, schema_editor):
    OrderEvent = apps.get_model("orders", "OrderEvent")
    for event in OrderEvent.objects.filter(api_key__isnull=False).select_related("api_key"):
        key = event.api_key
        event.data["api_key"] = {"id": key.pk, "label": f"{key.name} ({key.prefix}…)"}
        event.save(update_fields=["data"])


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0004_orderline_refunds"),
        ("vendors", "0002_profile_and_api_keys"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="vendororder",
            name="orders_vo_awaiting_acceptance",
        ),
        migrations.AddField(
            model_name="orderevent",
            name="actor_kind",
            field=models.CharField(
                choices=[
                    ("customer", "Client"),
                    ("vendor_user", "Vendeur"),
                    ("api_key", "Clé d'API du vendeur"),
                    ("staff", "Service client"),
                    ("system", "Système"),
                ],
                default="system",
                max_length=12,
            ),
        ),
        migrations.AddField(
            model_name="orderevent",
            name="api_key",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="vendors.vendorapikey",
            ),
        ),
        migrations.AddField(
            model_name="vendororder",
            name="closed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name="orderevent",
            name="kind",
            field=models.CharField(
                choices=[
                    ("created", "Commande passée"),
                    ("payment_succeeded", "Paiement accepté"),
                    ("payment_failed", "Paiement refusé"),
                    ("cancelled", "Commande annulée avant paiement"),
                    ("vendor_order_paid", "Commande transmise au vendeur"),
                    ("vendor_order_unpaid_cancelled", "Annulée faute de paiement"),
                    ("accepted", "Acceptée par le vendeur"),
                    ("refused", "Refusée par le vendeur"),
                    ("partially_shipped", "Partiellement expédiée"),
                    ("shipped", "Expédiée"),
                    ("delivered", "Livrée"),
                    ("closed", "Clôturée"),
                    ("vendor_order_cancelled", "Annulée"),
                    ("lines_accepted", "Articles acceptés"),
                    ("lines_refused", "Articles refusés"),
                    ("acceptance_overdue", "Délai d'acceptation dépassé"),
                    ("shipment_created", "Colis remis au transporteur"),
                    ("parcel_tracking", "Suivi du colis"),
                    ("parcel_delivered", "Colis livré"),
                    ("shipment_delivered", "Expédition livrée"),
                    ("refund_failed", "Échec du remboursement"),
                    ("ledger_failed", "Écritures du remboursement manquantes"),
                    ("invoice_issued", "Facture éditée"),
                    ("invoice_uploaded", "Facture déposée par le vendeur"),
                    ("invoice_requested", "Facture demandée par le client"),
                    ("credit_note_issued", "Avoir édité"),
                ],
                max_length=40,
            ),
        ),
        migrations.AlterField(
            model_name="vendororder",
            name="status",
            field=models.CharField(
                choices=[
                    ("awaiting_payment", "En attente de paiement"),
                    ("waiting_acceptance", "En préparation"),
                    ("to_ship", "En préparation"),
                    ("partially_shipped", "En préparation"),
                    ("shipped", "Expédiée"),
                    ("delivered", "Livrée"),
                    ("closed", "Livrée"),
                    ("refused", "Refusée par le vendeur"),
                    ("cancelled_unpaid", "Annulée"),
                    ("cancelled", "Annulée"),
                ],
                default="awaiting_payment",
                max_length=20,
            ),
        ),
        migrations.RunPython(stages_forward, stages_backward),
        migrations.RunPython(actors_forward, actors_backward),
        migrations.AddIndex(
            model_name="vendororder",
            index=models.Index(
                condition=models.Q(("status", "waiting_acceptance")),
                fields=["acceptance_deadline"],
                name="orders_vo_awaiting_acceptance",
            ),
        ),
    ]
