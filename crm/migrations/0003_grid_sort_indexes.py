"""Indexes for the account, contact and opportunity grids.

Names sort without regard to case (crm.selectors.grids orders by LOWER(name), then id), so
"City Power & Light" comes before "CONTOSO" on every database. Expression indexes on exactly
those expressions, ending with the grid's id tie-break, let a page of a name sort come from the
index in order (forwards or backwards) instead of sorting the whole table; Django creates them
on PostgreSQL and on SQLite alike. The opportunity views' indexes gain the id tie-break too, as
the lead grid's did (leads migration 0003_grid_indexes).
"""

import django.db.models.functions.text
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0002_opportunity_close"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="opportunity", name="crm_opportu_owner_i_89aa13_idx"),
        migrations.RemoveIndex(model_name="opportunity", name="crm_opportu_state_c1df40_idx"),
        migrations.AddIndex(
            model_name="account",
            index=models.Index(
                django.db.models.functions.text.Lower("name"), models.F("id"), name="account_name_ci"
            ),
        ),
        migrations.AddIndex(
            model_name="contact",
            index=models.Index(
                django.db.models.functions.text.Lower("last_name"),
                django.db.models.functions.text.Lower("first_name"),
                models.F("id"),
                name="contact_name_ci",
            ),
        ),
        migrations.AddIndex(
            model_name="opportunity",
            index=models.Index(
                fields=["owner", "state", "-created_at", "-id"],
                name="opportunity_owner_state_newest",
            ),
        ),
        migrations.AddIndex(
            model_name="opportunity",
            index=models.Index(
                fields=["state", "-created_at", "-id"], name="opportunity_state_newest"
            ),
        ),
        migrations.AddIndex(
            model_name="opportunity",
            index=models.Index(fields=["-created_at", "-id"], name="opportunity_newest"),
        ),
        migrations.AddIndex(
            model_name="opportunity",
            index=models.Index(
                django.db.models.functions.text.Lower("topic"),
                models.F("id"),
                name="opportunity_topic_ci",
            ),
        ),
    ]
