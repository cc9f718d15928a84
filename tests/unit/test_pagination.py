from __future__ import annotations

import pytest
from django.core.paginator import Paginator

from crm.pagination import DeferredJoinPaginator
from leads.models import Lead
from tests.factories import LeadFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("sort", ["owner__last_name", "-company_name", "created_at"])
def test_it_gives_the_same_pages_as_the_plain_paginator(sort):
    owners = UserFactory.create_batch(3)
    for n in range(22):  # the last two rows join page 4 as orphans
        LeadFactory(owner=owners[n % 3], company_name=f"Company {n % 5}")
    leads = Lead.objects.select_related("owner").order_by(sort, "-id")

    plain, deferred = Paginator(leads, 5, orphans=2), DeferredJoinPaginator(leads, 5, orphans=2)

    assert deferred.num_pages == plain.num_pages == 4
    for number in plain.page_range:
        assert list(deferred.page(number)) == list(plain.page(number))


def test_it_reads_a_page_in_one_query(django_assert_num_queries):
    LeadFactory.create_batch(12)
    paginator = DeferredJoinPaginator(Lead.objects.order_by("-id"), 5)
    paginator.count  # noqa: B018 - the count is its own query, cached on the paginator

    with django_assert_num_queries(1):
        assert len(list(paginator.page(2))) == 5
