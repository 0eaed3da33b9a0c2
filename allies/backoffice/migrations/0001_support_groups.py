"""The two roles of the customer-service console, as groups staff are put in (CS-5):
"Agents du service client" (see and answer every request) and "Superviseurs du service
client" (also reassign, and refund above SUPPORT_AGENT_REFUND_LIMIT).

A data migration of the console rather than of `support`: the roles are how the operator
organises its people around the console; the permissions themselves are the support
models'. Permissions are made by a post-migrate signal, so on a fresh database they may not
exist yet when this runs: they are created first.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

AGENTS = "Agents du service client"
SUPERVISORS = "Superviseurs du service client"
ROLES = {AGENTS: ["handle_thread"], SUPERVISORS: ["handle_thread", "supervise_thread"]}


def groups_create(apps, schema_editor):
    support = apps.get_app_config("support")
    support.models_module = getattr(support, "models_module", None) or True
    create_permissions(support, verbosity=0, apps=apps)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in ROLES.items():
        group, _created = Group.objects.get_or_create(name=name)
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label="support", codename__in=codenames)
        )


def groups_delete(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=list(ROLES)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("support", "0001_initial"),
    ]

    operations = [migrations.RunPython(groups_create, groups_delete)]
