from __future__ import annotations

import pytest
from django.contrib.auth.models import Group


@pytest.mark.django_db
def test_it_creates_the_sales_groups() -> None:
    assert set(Group.objects.values_list("name", flat=True)) >= {"Salespeople", "Sales managers"}
