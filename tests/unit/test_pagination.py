from __future__ import annotations

import re

import pytest
from django.core.paginator import Paginator
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.pagination import CappedCountPaginator, DeferredJoinPaginator
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


def test_it_filters_once_and_reads_the_page_by_id():
    # The page's rows come by id from the subquery that filtered and sorted them, so a costly
    # filter (a quick find's trigram search) runs once, and a filtered page is still right.
    for n in range(9):
        LeadFactory(company_name=f"Findme {n}" if n % 3 else f"Other {n}")
    found = Lead.objects.filter(company_name__startswith="Findme").order_by("-id")
    wanted = list(found.values_list("pk", flat=True))

    paginator = CappedCountPaginator(found, 4, cap=10)
    with CaptureQueriesContext(connection) as page_query:
        first, second = list(paginator.page(1)), list(paginator.page(2))

    assert paginator.count == 6
    assert [lead.pk for lead in first + second] == wanted
    page_sql = page_query.captured_queries[-1]["sql"]
    assert page_sql.count("Findme") == 1


def test_it_reads_the_last_page_to_the_end_without_a_limit():
    # A LIMIT lets the planner walk the sort's index hoping for early matches; the last page
    # of an exact count needs every row from its offset on anyway, so it asks for no LIMIT.
    leads = LeadFactory.create_batch(7)
    newest_first = [lead.pk for lead in reversed(leads)]

    for paginator in (
        DeferredJoinPaginator(Lead.objects.order_by("-id"), 3),
        CappedCountPaginator(Lead.objects.order_by("-id"), 3, cap=10),
    ):
        paginator.count  # noqa: B018 - the count is its own query
        with CaptureQueriesContext(connection) as middle:
            assert [lead.pk for lead in paginator.page(2)] == newest_first[3:6]
        with CaptureQueriesContext(connection) as last:
            assert [lead.pk for lead in paginator.page(3)] == newest_first[6:]
        # (SQLite writes an OFFSET alone as LIMIT -1 OFFSET n.)
        assert re.search(r"LIMIT \d", middle.captured_queries[0]["sql"])
        assert not re.search(r"LIMIT \d", last.captured_queries[0]["sql"])


def test_it_keeps_the_limit_on_the_last_page_it_counted_to():
    # Counted before the page was asked for, the count stopped at the cap (5 of 9 rows): the
    # page that reaches it is not the end of the rows, so it is no longer than counted.
    LeadFactory.create_batch(9)
    paginator = CappedCountPaginator(Lead.objects.order_by("-id"), 2, cap=4)
    paginator.count  # noqa: B018 - the count is its own query

    with CaptureQueriesContext(connection) as captured:
        assert len(paginator.get_page(3)) == 1

    assert re.search(r"LIMIT \d", captured.captured_queries[-1]["sql"])
    assert paginator.count_label == "4+"


def _capped(per_page: int, page: object, cap: int = 5):
    paginator = CappedCountPaginator(Lead.objects.order_by("-id"), per_page, cap=cap)
    return paginator, paginator.get_page(page)


def test_it_counts_exactly_up_to_the_cap():
    LeadFactory.create_batch(5)

    paginator, page = _capped(2, 1)

    assert (paginator.count, paginator.count_exact) == (5, True)
    assert (paginator.count_label, paginator.pages_label) == ("5", "3")
    assert page.has_next()


def test_it_says_more_past_the_cap_and_pages_on():
    leads = LeadFactory.create_batch(9)

    paginator, first = _capped(2, 1)
    assert (paginator.count, paginator.count_exact) == (6, False)
    assert (paginator.count_label, paginator.pages_label) == ("5+", "2+")
    assert [lead.pk for lead in first] == [leads[8].pk, leads[7].pk]

    # A page past the cap counts as far as it reaches, and still knows a next one.
    paginator, fourth = _capped(2, 4)
    assert (fourth.number, fourth.has_next()) == (4, True)
    assert [lead.pk for lead in fourth] == [leads[2].pk, leads[1].pk]
    assert paginator.count_label == "8+"

    # The last page makes the count exact again; a page past it gives the last one.
    paginator, last = _capped(2, 99)
    assert (last.number, paginator.count_label, paginator.pages_label) == (5, "9", "5")
    assert [lead.pk for lead in last] == [leads[0].pk]


@pytest.mark.parametrize("number", ["abc", "-3", None, "1e9", str(10**30)])
def test_it_takes_any_page_number(number):
    LeadFactory.create_batch(3)

    paginator, found = _capped(2, number)

    assert found.number in (1, 2)
    assert paginator.count == 3


def test_it_counts_in_one_query_of_at_most_the_cap(django_assert_num_queries):
    LeadFactory.create_batch(8)
    paginator = CappedCountPaginator(Lead.objects.select_related("owner").order_by("-id"), 2, cap=3)

    with django_assert_num_queries(2) as captured:
        assert len(list(paginator.get_page(1))) == 2
    count_sql = captured.captured_queries[0]["sql"]
    assert "LIMIT 4" in count_sql
    assert "JOIN" not in count_sql and "ORDER BY" not in count_sql


def test_it_counts_to_the_cap_before_any_page_is_asked_for():
    LeadFactory.create_batch(7)

    paginator = CappedCountPaginator(Lead.objects.order_by("-id"), 2, cap=5)

    assert (paginator.count, paginator.count_label) == (6, "5+")
