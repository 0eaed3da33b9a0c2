"""The title's words in the search index (catalog.search_index): a second FTS5 column on SQLite
(the table is built again), a `title_words` vector with its GIN index on PostgreSQL. Search
ranks the products with every term in their title first, and reads that tier from here."""

from django.db import migrations


def forwards(apps, schema_editor):
    from allies.catalog.search_index import search_index_ensure

    search_index_ensure(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0007_product_search_index"),
    ]

    # Backwards: nothing to undo that 0007's index could not live with (the title parts are
    # only read by the code of this migration's release); 0007's own reverse drops them all.
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False)]
