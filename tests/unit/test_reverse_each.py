"""crm.http.reverse_each: one reverse for a page of rows, each row's URL as reverse gives it."""

from __future__ import annotations

import pytest
from django.urls import reverse, set_script_prefix

from crm.http import reverse_each


@pytest.mark.parametrize("pks", [[], [1], [9, 10, 2**31, 2**63 - 1], list(range(1, 60))])
def test_each_url_is_the_one_reverse_gives(pks: list[int]) -> None:
    assert reverse_each("leads:lead-detail", pks) == [
        reverse("leads:lead-detail", args=[pk]) for pk in pks
    ]


def test_it_keeps_the_script_prefix() -> None:
    set_script_prefix("/crm/")
    try:
        assert reverse_each("leads:lead-detail", [7, 8]) == ["/crm/leads/7/", "/crm/leads/8/"]
    finally:
        set_script_prefix("/")
