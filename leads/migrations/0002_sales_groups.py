"""The two working groups: Salespeople (their own leads) and Sales managers (any lead)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

SALESPEOPLE = {
    "leads": ["view_lead", "add_lead", "change_lead"],
    "crm": [
        "view_account", "add_account", "change_account",
        "view_contact", "add_contact", "change_contact",
        "view_opportunity", "add_opportunity", "change_opportunity",
        "view_timelineentry", "add_timelineentry",
    ],
}
MANAGERS_EXTRA = {
    "leads": ["delete_lead", "manage_all_leads"],
    "crm": ["delete_account", "delete_contact", "delete_opportunity", "delete_timelineentry"],
}


def create_groups(apps, schema_editor):
    # Permissions are normally created after migrate; create them now so the groups get them.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")

    def perms(spec):
        return [
            Permission.objects.get(content_type__app_label=app, codename=codename)
            for app, codenames in spec.items()
            for codename in codenames
        ]

    salespeople, _ = Group.objects.get_or_create(name="Salespeople")
    salespeople.permissions.set(perms(SALESPEOPLE))
    managers, _ = Group.objects.get_or_create(name="Sales managers")
    managers.permissions.set(perms(SALESPEOPLE) + perms(MANAGERS_EXTRA))


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(
        name__in=["Salespeople", "Sales managers"]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("leads", "0001_initial"),
        ("crm", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
