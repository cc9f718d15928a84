"""Indexes for the lead grid at 100,000 leads (figures in bench/README.md).

Every index the grid sorts by now ends with the grid's id tie-break, so the rows of a page come
from the index in page order, and the ids of a deep page can be read from the index alone. The
Status Reason sort (a handful of values) gets one index per direction.

Quick find compares UPPER(column) LIKE 'PREFIX%' on six expressions joined by OR. On PostgreSQL,
outside the C collation, only an expression index with text_pattern_ops serves such a LIKE, and
every branch of the OR needs one or the whole search falls back to reading the table. SQLite has
no operator classes, so these six are created on PostgreSQL only and stay out of the model state:
a SQLite table rebuild recreates every index in the state and would fail on them.
"""

from django.db import migrations, models

# UPPER(column) with text_pattern_ops, one per expression leads.selectors.lead_list searches,
# written as Django compiles them in the query (the full name is its Concat annotation) so
# that the planner matches each LIKE to its index. (Django's OpClass() would need
# django.contrib.postgres installed and cannot be used on SQLite.)
QUICK_FIND_INDEXES = {
    "lead_find_first_name": 'UPPER("first_name")',
    "lead_find_last_name": 'UPPER("last_name")',
    "lead_find_full_name": """UPPER((COALESCE("first_name", '') || COALESCE((COALESCE(' ', '') """
    """|| COALESCE("last_name", '')), '')))""",
    "lead_find_email": 'UPPER("email")',
    "lead_find_phone": 'UPPER("business_phone")',
    "lead_find_company": 'UPPER("company_name")',
}


def add_quick_find_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, expression in QUICK_FIND_INDEXES.items():
        schema_editor.execute(
            f'CREATE INDEX "{name}" ON "leads_lead" (({expression}) text_pattern_ops)'
        )


def remove_quick_find_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in QUICK_FIND_INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0001_initial"),
        ("leads", "0002_sales_groups"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="lead", name="lead_owner_state_created"),
        migrations.RemoveIndex(model_name="lead", name="lead_state_created"),
        *(
            migrations.RemoveIndex(model_name="lead", name=name)
            for name in ("lead_name", "lead_company", "lead_email", "lead_phone", "lead_topic")
        ),
        migrations.AddIndex(
            model_name="lead",
            index=models.Index(
                fields=["owner", "state", "-created_at", "-id"], name="lead_owner_state_newest"
            ),
        ),
        migrations.AddIndex(
            model_name="lead",
            index=models.Index(fields=["state", "-created_at", "-id"], name="lead_state_newest"),
        ),
        migrations.AddIndex(
            model_name="lead",
            index=models.Index(fields=["status_reason", "-id"], name="lead_status_reason_up"),
        ),
        migrations.AddIndex(
            model_name="lead",
            index=models.Index(fields=["status_reason", "id"], name="lead_status_reason_down"),
        ),
        migrations.AddIndex(
            model_name="lead",
            index=models.Index(fields=["last_name", "first_name", "-id"], name="lead_name"),
        ),
        migrations.AddIndex(
            model_name="lead",
            index=models.Index(fields=["company_name", "-id"], name="lead_company"),
        ),
        migrations.AddIndex(
            model_name="lead",
            index=models.Index(fields=["email", "-id"], name="lead_email"),
        ),
        migrations.AddIndex(
            model_name="lead",
            index=models.Index(fields=["business_phone", "-id"], name="lead_phone"),
        ),
        migrations.AddIndex(
            model_name="lead",
            index=models.Index(fields=["topic", "-id"], name="lead_topic"),
        ),
        migrations.RunPython(add_quick_find_indexes, remove_quick_find_indexes),
    ]
