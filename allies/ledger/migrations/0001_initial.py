# The ledger's models, moved from the payments app (issue 8 §4) with their tables, which keep
# their names (`db_table`). Nothing is done to the database: on an existing one the tables
# are there, on a new one `payments.0002_ledger` has just created them. Only the migration
# state moves (`payments.0004` forgets the models, this one takes them), and the content
# types follow, so that permissions granted on the ledger and admin history keep applying.

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


def content_types_follow(apps, schema_editor):
    """The content types of the moved models change app (a new database has none yet)."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in ("commissionrate", "ledgerentry"):
        if not ContentType.objects.filter(app_label="ledger", model=model).exists():
            ContentType.objects.filter(app_label="payments", model=model).update(
                app_label="ledger"
            )


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('catalog', '0003_product_facets'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('orders', '0001_initial'),
        ('payments', '0004_ledger_moved_to_ledger_app'),
        ('vendors', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='CommissionRate',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('rate', models.DecimalField(decimal_places=4, help_text='Entre 0 et 1 : 0,15 pour 15 %.', max_digits=5, verbose_name='taux de commission')),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('category', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='catalog.category')),
                        ('vendor', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='commission_rates', to='vendors.vendor')),
                    ],
                    options={
                        'verbose_name': 'taux de commission',
                        'verbose_name_plural': 'taux de commission',
                        'db_table': 'payments_commissionrate',
                        'constraints': [models.UniqueConstraint(condition=models.Q(('category__isnull', False)), fields=('vendor', 'category'), name='ledger_one_rate_per_vendor_category'), models.UniqueConstraint(condition=models.Q(('category__isnull', True)), fields=('vendor',), name='ledger_one_default_rate_per_vendor'), models.CheckConstraint(condition=models.Q(('rate__gte', 0), ('rate__lte', 1)), name='ledger_rate_between_0_and_1')],
                    },
                ),
                migrations.CreateModel(
                    name='LedgerEntry',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(choices=[('sale', 'Vente'), ('shipping', 'Frais de port'), ('commission', 'Commission'), ('discount_operator', 'Réduction prise en charge par Alliés'), ('discount_vendor', 'Réduction prise en charge par le vendeur'), ('refund_sale', "Remboursement d'articles"), ('refund_shipping', 'Remboursement de frais de port'), ('refund_commission', 'Commission restituée'), ('refund_discount_operator', 'Réduction remboursée (prise en charge par Alliés)'), ('refund_discount_vendor', 'Réduction remboursée (prise en charge par le vendeur)'), ('refund_failed', 'Remboursement échoué : écritures annulées')], max_length=30)),
                        ('amount', models.DecimalField(decimal_places=2, max_digits=12)),
                        ('operator_amount', models.DecimalField(decimal_places=2, default=0, max_digits=12)),
                        ('base', models.DecimalField(blank=True, decimal_places=2, max_digits=12, null=True)),
                        ('rate', models.DecimalField(blank=True, decimal_places=4, max_digits=5, null=True)),
                        ('description', models.CharField(blank=True, max_length=300)),
                        ('created_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                        ('order_line', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='orders.orderline')),
                        ('refund', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='ledger_entries', to='payments.refund')),
                        ('vendor', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='vendors.vendor')),
                        ('vendor_order', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='ledger_entries', to='orders.vendororder')),
                    ],
                    options={
                        'verbose_name': 'écriture du relevé',
                        'verbose_name_plural': 'écritures du relevé',
                        'db_table': 'payments_ledgerentry',
                        'ordering': ['created_at', 'id'],
                        'indexes': [models.Index(fields=['vendor', 'created_at', 'id'], name='payments_le_vendor__f2d3fe_idx')],
                        'constraints': [models.UniqueConstraint(condition=models.Q(('order_line__isnull', False), ('refund__isnull', True)), fields=('vendor_order', 'kind', 'order_line'), name='ledger_one_sale_entry_per_line_and_kind'), models.UniqueConstraint(condition=models.Q(('kind', 'shipping')), fields=('vendor_order', 'kind'), name='ledger_one_shipping_per_vendor_order'), models.UniqueConstraint(condition=models.Q(('order_line__isnull', False), ('refund__isnull', False)), fields=('refund', 'kind', 'order_line'), name='ledger_one_reversal_per_refund_line_and_kind'), models.UniqueConstraint(condition=models.Q(('order_line__isnull', True), ('refund__isnull', False)), fields=('refund', 'kind'), name='ledger_one_reversal_per_refund_and_kind')],
                    },
                ),
            ],
        ),
        migrations.RunPython(content_types_follow, migrations.RunPython.noop),
    ]
