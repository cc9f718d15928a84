# Joins the two 0010s: the leads' similar-duplicate keys and the grid's deep-page indexes.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("leads", "0010_grid_deep_page_indexes"),
        ("leads", "0010_lead_duplicates_similar"),
    ]

    operations = []
