"""Each key's account (for the list's index) and the expiry reminders' table."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models
from django.db.models import F, OuterRef, Subquery
from django.db.models.functions import Coalesce


def set_accounts(apps, schema_editor):
    APIKey = apps.get_model("apikeys", "APIKey")
    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    if schema_editor.connection.vendor == "postgresql":
        # Checked now, so that no deferred check is pending when the column becomes NOT NULL
        # in this same transaction (PostgreSQL refuses to alter a table that has one).
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    owner = User.objects.filter(pk=OuterRef("user_id")).values("owner_id")
    APIKey.objects.update(account_id=Coalesce(Subquery(owner), F("user_id")))


class Migration(migrations.Migration):

    dependencies = [
        ("apikeys", "0003_key_disabled_and_mode"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="apikey",
            name="account",
            field=models.ForeignKey(db_index=False, editable=False, null=True, on_delete=django.db.models.deletion.CASCADE, related_name="+", to=settings.AUTH_USER_MODEL),
        ),
        migrations.RunPython(set_accounts, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="apikey",
            name="account",
            field=models.ForeignKey(db_index=False, editable=False, on_delete=django.db.models.deletion.CASCADE, related_name="+", to=settings.AUTH_USER_MODEL),
        ),
        migrations.RemoveIndex(
            model_name="apikey",
            name="apikey_user_created",
        ),
        migrations.AlterField(
            model_name="apikey",
            name="user",
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name="api_keys", to=settings.AUTH_USER_MODEL, verbose_name="owner"),
        ),
        migrations.AddIndex(
            model_name="apikey",
            index=models.Index(fields=["account", "-created_at", "-id", "state", "grace_until"], name="apikey_account_list"),
        ),
        migrations.AddIndex(
            model_name="apikey",
            index=models.Index(fields=["user", "-created_at", "-id", "state", "grace_until"], name="apikey_user_list"),
        ),
        migrations.CreateModel(
            name="ExpiryReminder",
            fields=[
                ("key", models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name="+", serialize=False, to="apikeys.apikey")),
                ("stage", models.PositiveSmallIntegerField(choices=[(1, "7 days before"), (2, "1 day before"), (3, "expired")])),
                ("sent_at", models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={
                "verbose_name": "expiry reminder",
                "verbose_name_plural": "expiry reminders",
            },
        ),
    ]
