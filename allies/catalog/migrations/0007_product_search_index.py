"""The full-text index of product search (catalog.search_index): a stored generated tsvector
column with a GIN index on PostgreSQL, an FTS5 table kept by triggers on SQLite, filled from
the existing products."""

from django.db import migrations


def forwards(apps, schema_editor):
    from allies.catalog.search_index import search_index_ensure

    search_index_ensure(schema_editor.connection)


def backwards(apps, schema_editor):
    from allies.catalog.search_index import search_index_drop

    search_index_drop(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0006_french_model_names"),
    ]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
