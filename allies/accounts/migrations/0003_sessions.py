"""accounts.Session (storefront.sessions), and the sessions Django kept until then
(django_session) carried over with their signed-in user's id: nobody is signed out by the
change, and a visitor keeps their cart (a visitor's cart is found by their session's key)."""

import django.db.models.deletion
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.db import migrations, models
from django.utils import timezone

BATCH = 1000


def _user_id(data: str, store: SessionStore) -> int | None:
    try:
        return int(store.decode(data).get(SESSION_KEY))
    except (TypeError, ValueError):
        return None


def carry_over(apps, schema_editor):
    Old = apps.get_model("sessions", "Session")
    New = apps.get_model("accounts", "Session")
    User = apps.get_model("accounts", "User")
    store = SessionStore()  # the same signing salt as storefront.sessions.SessionStore
    rows = Old.objects.filter(expire_date__gt=timezone.now()).order_by("session_key")
    batch = []
    for old in rows.iterator(chunk_size=BATCH):
        batch.append(
            New(
                session_key=old.session_key,
                session_data=old.session_data,
                expire_date=old.expire_date,
                user_id=_user_id(old.session_data, store),
            )
        )
        if len(batch) == BATCH:
            _write(New, User, batch)
            batch = []
    _write(New, User, batch)


def _write(New, User, batch):
    known = set(
        User.objects.filter(pk__in={s.user_id for s in batch if s.user_id}).values_list(
            "pk", flat=True
        )
    )
    for session in batch:
        if session.user_id not in known:
            session.user_id = None
    New.objects.bulk_create(batch, ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_french_model_names"),
        ("sessions", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="Session",
            fields=[
                (
                    "session_key",
                    models.CharField(
                        max_length=40, primary_key=True, serialize=False, verbose_name="session key"
                    ),
                ),
                ("session_data", models.TextField(verbose_name="session data")),
                ("expire_date", models.DateTimeField(db_index=True, verbose_name="expire date")),
                (
                    "user",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="client",
                    ),
                ),
            ],
            options={
                "verbose_name": "session",
                "verbose_name_plural": "sessions",
                "abstract": False,
            },
        ),
        migrations.RunPython(carry_over, migrations.RunPython.noop),
    ]
