"""Quick find on phone digits anywhere, an indexed Owner sort, case-insensitive sorts
(issues 11 and 16; figures in bench/README.md).

- `phone_digits`: the digits of the business and mobile phones, so "555-4049" finds
  "+1 (206) 555-4049". On PostgreSQL a trigram GIN index (pg_trgm, a trusted extension) serves
  `LIKE '%5554049%'`; SQLite has no such index and reads the table (its databases are small).
- `owner_sort`: the owner's last name, first name and user name, lower-cased, on the lead, so
  the Owner sort reads an index instead of joining and sorting every lead (two indexes, one
  per direction, as for Status Reason: few values, the id tie-break does the rest).
- Name, Topic, Company Name and Email sort case-insensitively ("City Power" before "CONTOSO"),
  each from an index on the lower-cased column with the id tie-break.

Both columns are filled here, in one statement each on PostgreSQL (at 1,000,000 leads this
rewrites every row: run VACUUM ANALYZE leads_lead afterwards, autovacuum does it later).
"""

import re

import django.db.models.functions.text
from django.db import migrations, models

BATCH = 2000
# As leads.models has them today (a migration keeps its own copy).
OWNER_SORT_SEPARATOR = "\x1f"
NOT_A_DIGIT = re.compile(r"[^0-9]")


def phone_digits(*phones):
    return " ".join(digits for digits in (NOT_A_DIGIT.sub("", phone) for phone in phones) if digits)


def owner_sort_key(owner):
    return OWNER_SORT_SEPARATOR.join((owner.last_name, owner.first_name, owner.username)).lower()

POSTGRES_FILL = r"""
UPDATE "leads_lead" AS lead SET
  "phone_digits" = concat_ws(' ',
      NULLIF(regexp_replace(lead."business_phone", '[^0-9]', '', 'g'), ''),
      NULLIF(regexp_replace(lead."mobile_phone", '[^0-9]', '', 'g'), '')),
  "owner_sort" = lower(concat_ws(%s, owner."last_name", owner."first_name", owner."username"))
FROM "auth_user" AS owner
WHERE owner."id" = lead."owner_id"
"""


def fill(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_FILL, [OWNER_SORT_SEPARATOR])
        return
    Lead = apps.get_model("leads", "Lead")
    leads = Lead.objects.select_related("owner").order_by("pk")
    changed = []
    for lead in leads.iterator(chunk_size=BATCH):
        lead.phone_digits = phone_digits(lead.business_phone, lead.mobile_phone)
        lead.owner_sort = owner_sort_key(lead.owner)
        changed.append(lead)
    Lead.objects.bulk_update(changed, ["phone_digits", "owner_sort"], batch_size=BATCH)


def add_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        'CREATE INDEX "lead_find_phone_digits" ON "leads_lead" '
        'USING gin ("phone_digits" gin_trgm_ops)'
    )


def remove_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute('DROP INDEX IF EXISTS "lead_find_phone_digits"')


class Migration(migrations.Migration):
    dependencies = [
        ("leads", "0006_insights_indexes"),
    ]

    operations = [
        *(
            migrations.RemoveIndex(model_name="lead", name=name)
            for name in ("lead_name", "lead_company", "lead_email", "lead_topic")
        ),
        migrations.AddField(
            model_name="lead",
            name="owner_sort",
            field=models.TextField(blank=True, default="", editable=False),
        ),
        migrations.AddField(
            model_name="lead",
            name="phone_digits",
            field=models.TextField(blank=True, default="", editable=False),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="lead",
            index=models.Index(fields=["owner_sort", "-id"], name="lead_owner_sort_up"),
        ),
        migrations.AddIndex(
            model_name="lead",
            index=models.Index(fields=["owner_sort", "id"], name="lead_owner_sort_down"),
        ),
        migrations.AddIndex(
            model_name="lead",
            index=models.Index(
                django.db.models.functions.text.Lower("last_name"),
                django.db.models.functions.text.Lower("first_name"),
                models.OrderBy(models.F("id"), descending=True),
                name="lead_name_ci",
            ),
        ),
        migrations.AddIndex(
            model_name="lead",
            index=models.Index(
                django.db.models.functions.text.Lower("company_name"),
                models.OrderBy(models.F("id"), descending=True),
                name="lead_company_ci",
            ),
        ),
        migrations.AddIndex(
            model_name="lead",
            index=models.Index(
                django.db.models.functions.text.Lower("email"),
                models.OrderBy(models.F("id"), descending=True),
                name="lead_email_ci",
            ),
        ),
        migrations.AddIndex(
            model_name="lead",
            index=models.Index(
                django.db.models.functions.text.Lower("topic"),
                models.OrderBy(models.F("id"), descending=True),
                name="lead_topic_ci",
            ),
        ),
        migrations.RunPython(add_trigram_index, remove_trigram_index),
    ]
