"""Save the lead grid's columns one user chose."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction

from leads.columns import columns_clean
from leads.models import LeadGridColumns

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


@transaction.atomic
def lead_grid_columns_save(*, user: AbstractBaseUser, columns: list[str]) -> list[str]:
    """Keep `columns` (unknown keys dropped, Name always kept) as the user's grid columns;
    returns what was saved. An empty choice goes back to the default columns."""
    kept = columns_clean(columns) if columns else []
    LeadGridColumns.objects.update_or_create(user_id=user.pk, defaults={"columns": kept})
    return kept
