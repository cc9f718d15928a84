"""Closing an opportunity records its Actual Revenue and Actual Close Date; its status reason
must belong to its state (Won: Won; Lost: Canceled or Out-Sold; Open: In Progress or On Hold).

Rows saved before the constraint (Django admin edited the two fields separately) get the first
reason of their state, so the constraint can be added on any existing database.
"""

from decimal import Decimal

import django.core.validators
from django.db import migrations, models

REASONS_BY_STATE = {
    "open": ("in_progress", "on_hold"),
    "won": ("won",),
    "lost": ("canceled", "out_sold"),
}


def match_status_to_state(apps, schema_editor):
    Opportunity = apps.get_model("crm", "Opportunity")
    for state, reasons in REASONS_BY_STATE.items():
        Opportunity.objects.filter(state=state).exclude(status_reason__in=reasons).update(
            status_reason=reasons[0]
        )


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="opportunity",
            name="actual_close_date",
            field=models.DateField(blank=True, null=True, verbose_name="Actual Close Date"),
        ),
        migrations.AddField(
            model_name="opportunity",
            name="actual_revenue",
            field=models.DecimalField(
                blank=True,
                decimal_places=2,
                max_digits=15,
                null=True,
                validators=[
                    django.core.validators.MinValueValidator(Decimal("0")),
                    django.core.validators.MaxValueValidator(Decimal("1000000000000")),
                ],
                verbose_name="Actual Revenue",
            ),
        ),
        migrations.AddConstraint(
            model_name="opportunity",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("actual_revenue__isnull", True),
                    models.Q(
                        ("actual_revenue__gte", 0),
                        ("actual_revenue__lte", Decimal("1000000000000")),
                    ),
                    _connector="OR",
                ),
                name="opportunity_actual_revenue_in_range",
            ),
        ),
        migrations.RunPython(match_status_to_state, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="opportunity",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("state", "open"), ("status_reason__in", ("in_progress", "on_hold"))),
                    models.Q(("state", "won"), ("status_reason__in", ("won",))),
                    models.Q(("state", "lost"), ("status_reason__in", ("canceled", "out_sold"))),
                    _connector="OR",
                ),
                name="opportunity_status_matches_state",
            ),
        ),
    ]
