"""The lists' sort keys (states.sort_keys): non-null copies of the clocks that an index can
serve, filled for the existing threads."""

import datetime

from django.db import migrations, models
from django.db.models import Q, Value
from django.db.models.functions import Coalesce

# states.SORT_LAST, frozen here: a migration does not follow the code.
SORT_LAST = datetime.datetime(9999, 12, 31, 0, 0, tzinfo=datetime.UTC)
BATCH = 5000


def fill_sort_keys(apps, schema_editor):
    """Threads with a running clock get its deadline (the others keep the default SORT_LAST),
    by ranges of ids so that no statement holds the table long."""
    Thread = apps.get_model("support", "Thread")
    clocked = Thread.objects.filter(
        Q(vendor_due_at__isnull=False) | Q(operator_due_at__isnull=False)
    )
    last = clocked.aggregate(models.Max("id"))["id__max"] or 0
    for start in range(0, last + 1, BATCH):
        clocked.filter(id__gte=start, id__lt=start + BATCH).update(
            vendor_sort_at=Coalesce("vendor_due_at", Value(SORT_LAST)),
            queue_sort_at=Coalesce("operator_due_at", "vendor_due_at", Value(SORT_LAST)),
        )


class Migration(migrations.Migration):
    dependencies = [
        ("support", "0002_threadevent_console_kinds"),
    ]

    operations = [
        migrations.AddField(
            model_name="thread",
            name="queue_sort_at",
            field=models.DateTimeField(default=SORT_LAST, editable=False),
        ),
        migrations.AddField(
            model_name="thread",
            name="vendor_sort_at",
            field=models.DateTimeField(default=SORT_LAST, editable=False),
        ),
        migrations.RunPython(fill_sort_keys, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="thread",
            index=models.Index(
                fields=["vendor", "vendor_sort_at", "-updated_at", "-id"],
                name="support_thread_vendor_sort",
            ),
        ),
        migrations.AddIndex(
            model_name="thread",
            index=models.Index(
                fields=["queue_sort_at", "-updated_at", "-id"], name="support_thread_queue_sort"
            ),
        ),
        migrations.AddIndex(
            model_name="thread",
            index=models.Index(
                fields=["queue_sort_at", "-updated_at", "-id"],
                condition=Q(stage="escalated"),
                name="support_thread_escalated_sort",
            ),
        ),
    ]
