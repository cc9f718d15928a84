from django.db import migrations, models
from django.db.models import F


def backfill(apps, schema_editor):
    """A lead closed before this column existed was closed at its last change, as near as the
    data tells (a closed lead is read-only, so its last change is usually the close)."""
    Lead = apps.get_model("leads", "Lead")
    Lead.objects.exclude(state="open").update(closed_at=F("updated_at"))


class Migration(migrations.Migration):
    dependencies = [
        ("leads", "0003_grid_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="lead",
            name="closed_at",
            field=models.DateTimeField(
                blank=True, editable=False, null=True, verbose_name="Closed On"
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
