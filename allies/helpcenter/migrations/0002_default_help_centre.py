"""The default help centre (SITE-2): a fresh production database has its questions."""

from django.db import migrations


def load(apps, schema_editor):
    from allies.helpcenter.services import helpcenter_defaults_load

    helpcenter_defaults_load(model=apps.get_model("helpcenter", "Question"), clear_cache=False)


class Migration(migrations.Migration):
    dependencies = [("helpcenter", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
