# The similar-name block of an account now ends with its name's digits (crm.matching.name_initials).

from django.db import migrations

from crm import matching

BATCH = 2000


def _rewrite(apps, initials_of):
    Account = apps.get_model("crm", "Account")
    accounts = Account.objects.order_by("pk").only("pk", "normalized_name", "name_initials")
    last = 0
    while True:
        rows = list(accounts.filter(pk__gt=last)[:BATCH])
        if not rows:
            return
        changed = []
        for account in rows:
            initials = initials_of(account)
            if initials != account.name_initials:
                account.name_initials = initials
                changed.append(account)
        Account.objects.bulk_update(changed, ["name_initials"])
        last = rows[-1].pk


def refill(apps, schema_editor):
    _rewrite(apps, lambda account: matching.name_initials(account.normalized_name))


def digits_drop(apps, schema_editor):
    _rewrite(apps, lambda account: account.name_initials.partition("|")[0])


class Migration(migrations.Migration):
    dependencies = [("crm", "0005_match_keys_phone_name_trigram")]

    operations = [migrations.RunPython(refill, digits_drop)]
