# The ledger's models moved to their own app (allies.ledger, issue 8 §4). Their tables stay
# as they are: this app only forgets them, and `ledger.0001_initial` takes them over.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('payments', '0003_refund_sent_at'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name='LedgerEntry'),
                migrations.DeleteModel(name='CommissionRate'),
            ],
            database_operations=[],
        ),
    ]
