"""The listing filters' tokens in the search index (catalog.search_index): a third FTS5 column
on SQLite (the table is built again, with '-' kept inside tokens), a `facet_words` vector with
its GIN index on PostgreSQL. Category pages filtered by a vendor or a size, and vendor pages,
read their products from here instead of a LIKE over every product of the listing."""

from django.db import migrations


def forwards(apps, schema_editor):
    from allies.catalog.search_index import search_index_ensure

    search_index_ensure(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0009_product_listed_availability_index"),
    ]

    # Backwards: nothing to undo that the older code could not live with (it never reads the
    # facet parts); 0007's own reverse drops the whole index.
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False)]
