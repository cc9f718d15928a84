import re

from django.db import migrations


def refill(apps, schema_editor):
    """Accounts whose name is made only of symbols ("★★★") were stored with an empty match key
    and so escaped duplicate detection; they get the key the normaliser gives them now (the
    name itself, case and spacing ignored)."""
    Account = apps.get_model("crm", "Account")
    for account in Account.objects.filter(normalized_name="").exclude(name=""):
        key = re.sub(r"\s+", " ", account.name.casefold()).strip()[:160]
        if key:
            Account.objects.filter(pk=account.pk).update(normalized_name=key)


class Migration(migrations.Migration):
    dependencies = [("crm", "0003_grid_sort_indexes")]

    operations = [migrations.RunPython(refill, migrations.RunPython.noop)]
