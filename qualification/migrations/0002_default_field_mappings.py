"""The default field mappings of the spec and the one settings record."""

from django.db import migrations

DEFAULT_MAPPINGS = {
    "account": [
        ("company_name", "name"),
        ("website", "website"),
        ("business_phone", "phone"),
        ("street1", "street1"),
        ("street2", "street2"),
        ("street3", "street3"),
        ("city", "city"),
        ("state_province", "state_province"),
        ("postal_code", "postal_code"),
        ("country", "country"),
        ("industry", "industry"),
    ],
    "contact": [
        ("first_name", "first_name"),
        ("last_name", "last_name"),
        ("job_title", "job_title"),
        ("email", "email"),
        ("business_phone", "business_phone"),
        ("mobile_phone", "mobile_phone"),
        ("street1", "street1"),
        ("street2", "street2"),
        ("street3", "street3"),
        ("city", "city"),
        ("state_province", "state_province"),
        ("postal_code", "postal_code"),
        ("country", "country"),
    ],
    "opportunity": [
        ("topic", "topic"),
        ("existing_account", "account"),
        ("existing_contact", "contact"),
        ("budget_amount", "budget_amount"),
        ("purchase_timeframe", "purchase_timeframe"),
        ("purchase_process", "purchase_process"),
        ("need", "need"),
        ("decision_maker", "decision_maker"),
        ("qualification_comments", "description"),
    ],
}
DEFAULT_QUICK_CREATE_FIELDS = [
    "topic",
    "estimated_revenue",
    "estimated_close_date",
    "purchase_timeframe",
    "description",
]


def create_defaults(apps, schema_editor):
    FieldMapping = apps.get_model("qualification", "FieldMapping")
    for target, pairs in DEFAULT_MAPPINGS.items():
        for source_field, target_field in pairs:
            FieldMapping.objects.update_or_create(
                target=target,
                target_field=target_field,
                defaults={"source_field": source_field, "is_default": True},
            )
    QualificationSettings = apps.get_model("qualification", "QualificationSettings")
    QualificationSettings.objects.get_or_create(
        pk=1, defaults={"opportunity_quick_create_fields": DEFAULT_QUICK_CREATE_FIELDS}
    )


def remove_defaults(apps, schema_editor):
    apps.get_model("qualification", "FieldMapping").objects.filter(is_default=True).delete()


class Migration(migrations.Migration):
    dependencies = [("qualification", "0001_initial")]

    operations = [migrations.RunPython(create_defaults, remove_defaults)]
