# The lead-to-lead similar-name search filters the rows of a place (a company's initials, an
# email domain) by similarity() instead of searching a trigram index of every lead's name
# (crm.matching.search.trigram_similar): a database that built that index drops it.

from django.db import migrations


def index_drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS lead_dup_name_key_trgm")


class Migration(migrations.Migration):
    dependencies = [("leads", "0011_merge_duplicates_similar_and_grid_indexes")]

    operations = [migrations.RunPython(index_drop, migrations.RunPython.noop)]
